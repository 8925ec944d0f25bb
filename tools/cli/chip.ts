/**
 * The apps' flash extents in a whole-chip image, read off the kernel's
 * ledger (firmware/ledger.ts) with the kernel's own code: which app owns
 * which sectors, and how often each was erased.
 *
 * Usage:
 *   const chip = readChip(image, "dev.flash");        // undefined: no ledger in the image
 *   chip.apps  // [{ name: "telemetry", offset: 0x318000, address: 0x318000, sector: 4096, count: 6, erases }]
 *
 * Where the ledger is: an image as big as a board's chip (`exo sim --flash`
 * saves the whole chip, byte 0 = the chip's first address) has it at that
 * board's kernel region (hal/boards.ts); `board` picks one. Any other image
 * (a dump of the kernel's region only, or of part of a chip) is searched for
 * a valid ledger copy ("EXOL", CRC-checked) on every 256-byte boundary, and
 * the region's geometry is the one whose app extents hold libos/fs headers.
 *
 * Errors: UserError for an image too short for the ledger's region or for an
 * app's extent (truncated), or a ledger whose copies are damaged; undefined
 * (not an error) when the image holds no ledger at all.
 */
import { crc32 } from "node:zlib";
import { boards, type Board } from "../../hal/boards.ts";
import { extentOf, ledgerStatus, loadLedger, type FlashRegion } from "../../firmware/ledger.ts";
import type { Hal } from "../../hal/types.ts";
import { FS_FORMAT_VERSION, MAGIC as FS_MAGIC, get32 } from "../../libos/fs/format.ts";
import { ledgerSectors } from "../build/manifests.ts";
import { UserError } from "../../hal/user-error.ts";

/** One app's extent: where it sits in the image and on the chip. */
export interface AppExtent {
  name: string;
  /** Byte offset in the image file (what `exo fs --base` takes). */
  offset: number;
  /** The chip address of its first byte. */
  address: number;
  sector: number;
  count: number;
  /** Erase count per sector, as the ledger keeps it. */
  erases: number[];
}

export interface Chip {
  /** The board whose layout matched, or "" when the ledger was found by searching. */
  board: string;
  /** The kernel's region: image offset, bytes, sector size, ledger sectors per copy; its chip address. */
  region: FlashRegion & { offset: number; address: number };
  /** The ledger's sequence number. */
  seq: number;
  apps: AppExtent[];
}

const LEDGER_MAGIC = 0x4c4f5845; // "EXOL": firmware/ledger.ts

class NoLedger extends Error {}

/** Run the kernel's loadLedger over the image (read-only): undefined if no copy is whole. */
function load(image: Uint8Array, chipBase: number, region: FlashRegion): { seq: number; apps: { name: string; first: number; count: number }[]; erases: number[] } | undefined {
  const refuse = (): never => {
    // loadLedger writes a fresh ledger only when it found none.
    throw new NoLedger();
  };
  const hal = {
    flash: {
      read: (length: number, address: number) => {
        const at = address - chipBase;
        if (at < 0 || at + length > image.length) throw new UserError(`the image ends at byte ${image.length}; the kernel's ledger needs bytes up to ${at + length}`, "the image is truncated: save the whole chip again (`exo sim --save-flash FILE`)");
        return image.slice(at, at + length);
      },
      write: refuse,
      erase: refuse,
    },
    crc32: (d: Uint8Array | string) => crc32(typeof d === "string" ? Buffer.from(d, "latin1") : d) >>> 0,
  } as unknown as Hal;
  try {
    loadLedger(hal, region);
  } catch (e) {
    if (e instanceof NoLedger) return undefined;
    if (e instanceof UserError) throw e;
    // A copy with a valid CRC whose JSON does not parse or has the wrong shape: the kernel would not boot from it either.
    throw new UserError(`the kernel's ledger in the image is damaged (${(e as Error).message})`, "give the file system's place by hand: --base OFFSET (see `exo fs IMAGE wear --base …`)");
  }
  const status = ledgerStatus();
  const names: string[] = [];
  for (const o of status.owners) if (o && o !== "kernel" && names.indexOf(o) < 0) names.push(o);
  return { seq: status.seq, apps: names.map((name) => ({ name, ...extentOf(name)! })), erases: status.erases };
}

/** The error for an app extent past the image's end. */
function truncated(image: Uint8Array, a: AppExtent): UserError {
  const end = a.offset + a.count * a.sector;
  return new UserError(
    `the image ends at byte ${image.length} (0x${image.length.toString(16)}), before the end of app ${a.name}'s extent 0x${a.offset.toString(16)}..0x${end.toString(16)} (kernel ledger)`,
    "the image is truncated: save the whole chip again (`exo sim --save-flash FILE`)",
  );
}

/** The chip as the ledger at `region` tells it; `strict`: an extent past the image's end throws. */
function chipOf(image: Uint8Array, board: string, chipBase: number, region: FlashRegion, strict = true): Chip | undefined {
  const got = load(image, chipBase, region);
  if (!got) return undefined;
  const offset = region.base - chipBase;
  const apps = got.apps.map((a) => {
    const e = { name: a.name, offset: offset + a.first * region.sector, address: region.base + a.first * region.sector, sector: region.sector, count: a.count, erases: [] as number[] };
    if (strict && e.offset + e.count * e.sector > image.length) throw truncated(image, e);
    e.erases = got.erases.slice(a.first, a.first + a.count);
    return e;
  });
  return { board, region: { ...region, offset, address: region.base }, seq: got.seq, apps };
}

/** Does the extent at `offset` start with a libos/fs sector header of this sector size? */
function fsHeaderAt(image: Uint8Array, offset: number, count: number, sector: number): boolean {
  for (let i = 0; i < count; i++) {
    const at = offset + i * sector;
    if (at + 16 > image.length) return false;
    if (get32(image, at) === FS_MAGIC && get32(image, at + 4) >>> 16 === FS_FORMAT_VERSION >>> 16) return 1 << (get32(image, at + 8) >>> 16) === sector;
  }
  return false;
}

/** Search an image of unknown layout for a ledger copy; the geometry whose extents hold file systems wins. */
function search(image: Uint8Array): Chip | undefined {
  const copies: { at: number; sectors: number }[] = [];
  for (let at = 0; at + 16 <= image.length; at += 256) {
    if (get32(image, at) !== LEDGER_MAGIC) continue;
    const length = get32(image, at + 8);
    if (at + 16 + length > image.length || (crc32(image.subarray(at + 16, at + 16 + length)) >>> 0) !== get32(image, at + 12)) continue;
    try {
      const body = JSON.parse(Buffer.from(image.subarray(at + 16, at + 16 + length)).toString("latin1")) as { o?: unknown };
      if (Array.isArray(body.o)) copies.push({ at, sectors: body.o.length });
    } catch {
      // not a ledger body
    }
  }
  let best: { chip: Chip; score: number } | undefined;
  let past: Chip | undefined;
  for (const c of copies) {
    for (let sector = 256; sector <= 65536; sector *= 2) {
      const k = ledgerSectors({ kernelFlash: { size: c.sectors * sector }, chip: { sectorSize: sector } } as Board);
      // The copy found is copy 0 or copy 1 of its region.
      for (const base of [c.at, c.at - k * sector]) {
        if (base < 0 || base + 2 * k * sector > image.length) continue;
        let chip: Chip | undefined;
        try {
          chip = chipOf(image, "", 0, { base, size: c.sectors * sector, sector, ledger: k }, false);
        } catch {
          continue;
        }
        if (!chip) continue;
        if (chip.apps.length && chip.apps.every((a) => a.offset + a.count * a.sector > image.length)) past ??= chip;
        const score = chip.apps.filter((a) => fsHeaderAt(image, a.offset, a.count, sector)).length;
        if (score > 0 && (!best || score > best.score)) best = { chip, score };
      }
    }
  }
  // The layout is right (its extents hold file systems), but the image stops before one of them ends.
  const cut = best?.chip.apps.find((a) => a.offset + a.count * a.sector > image.length);
  if (cut) throw truncated(image, cut);
  if (!best && past) {
    throw new UserError(
      `the image ends at byte ${image.length} (0x${image.length.toString(16)}), after the kernel's ledger (at 0x${past.region.offset.toString(16)}) but before the extents it names (${past.apps.map((a) => a.name).join(", ")})`,
      "the image is truncated: save the whole chip again (`exo sim --save-flash FILE`)",
    );
  }
  return best?.chip;
}

/**
 * The kernel's ledger in `image`, or undefined when there is none. `board`
 * names the layout (default: the board whose chip is exactly the image's size,
 * else a search).
 */
const regionOf = (b: Board): FlashRegion => ({ base: b.kernelFlash.base, size: b.kernelFlash.size, sector: b.chip.sectorSize, ledger: ledgerSectors(b) });

/** The kernel's region of `board` alone, as `exo dump` and `exo fs --port` read it (byte 0 = the region's first address). */
export function readRegionImage(image: Uint8Array, board: Board): Chip | undefined {
  return chipOf(image, board.name, board.kernelFlash.base, regionOf(board));
}

export function readChip(image: Uint8Array, board?: string): Chip | undefined {
  const fit = board !== undefined ? [boards[board]] : Object.values(boards).filter((b) => b.chip.size === image.length);
  if (board !== undefined && !fit[0]) throw new UserError(`unknown board "${board}"`, `known boards: ${Object.keys(boards).join(", ")}`);
  for (const b of fit) {
    const region = regionOf(b);
    const end = region.base - b.chip.base + region.size;
    if (board !== undefined && end > image.length) {
      throw new UserError(
        `the image is ${image.length} bytes; the ${b.name} kernel's region (ledger and app extents) ends at byte ${end} (0x${end.toString(16)})`,
        `the image is truncated or not a whole ${b.name} chip: save the whole chip (\`exo sim --save-flash FILE\`), or give --base for one file system`,
      );
    }
    const chip = chipOf(image, b.name, b.chip.base, region);
    if (chip) return chip;
  }
  if (board !== undefined) return undefined;
  return search(image);
}
