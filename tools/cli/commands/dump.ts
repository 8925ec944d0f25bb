/**
 * `exo dump`: read
 * the kernel's flash region (the apps' file systems and the ledger) off a
 * running device into an image `exo fs FILE` opens.
 *
 * How: one EVAL per sector (tools/serial/flash-snapshot.ts: each answer
 * carries the sector and its CRC-32, the last one also the CRC-32 of every
 * sector at that instant, so sectors an app wrote meanwhile are read again
 * until the image is one moment of the flash). The board (and so the region) is the device's
 * `process.env.BOARD` unless --board says. Reading does not stop the device;
 * a sector that kept changing is named in the result.
 *
 * Errors: no port (flag or exo.config.json), a board Exo does not know, a
 * sector whose CRC still differs after three reads.
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { crc32 } from "node:zlib";
import { boards, findBoard, type Board } from "../../../hal/boards.ts";
import { UserError } from "../../../hal/user-error.ts";
import { DEFAULT_BAUD, openLink, type Binding } from "../../serial/link.ts";
import { progressBar } from "../../serial/progress.ts";
import { flashSnapshot, snapshotNote, type FlashRegionGeometry, type FlashSnapshot } from "../../serial/flash-snapshot.ts";
import { ProtocolClient, ProtocolError } from "../../serial/protocol.ts";
import { realTimers } from "../../serial/host-timers.ts";
import { shown } from "../paths.ts";
import { devicePort } from "../device-port.ts";
import { EXO_ROOT } from "../project.ts";

export interface DumpOptions {
  cwd: string;
  exo?: string;
  port?: string;
  baud?: string | number;
  board?: string;
  out?: string;
  json?: boolean;
  /** Tests: a node-serialport binding instead of the real one. */
  binding?: Binding;
  onProgress?: (done: number, total: number) => void;
}

export interface DumpResult {
  port: string;
  board: string;
  /** The region's address on the chip, and its size. */
  base: number;
  bytes: number;
  out: string;
  crc32: number;
  /** Sectors read again: garbled on the way, or changed while the others were read. */
  rereads: number;
  /** Whether the image is one moment of the flash (flash-snapshot.ts). */
  note: string;
  ms: number;
}

async function deviceBoard(client: ProtocolClient, given?: string): Promise<Board> {
  if (given) return findBoard(given);
  const name = String(await client.eval("process.env.BOARD")).toLowerCase();
  if (!Object.hasOwn(boards, name)) {
    throw new UserError(`the device says it is a "${name}" board, which Exo does not know`, `give --board (${Object.keys(boards).join(", ")}) if its flash layout is one of those`);
  }
  return boards[name];
}

/** The kernel's flash region read off the device at the project's port, as one moment of it where it can be. */
export interface KernelRegion {
  port: string;
  board: Board;
  geometry: FlashRegionGeometry;
  snapshot: FlashSnapshot;
  ms: number;
}

/** Open the link (flag, else exo.config.json), ask the board, read its kernel region (flash-snapshot.ts); `what` names the progress bar. */
export async function readKernelRegion(options: Omit<DumpOptions, "out">, what: string): Promise<KernelRegion> {
  const { port, baud } = await devicePort({ cwd: options.cwd, exo: options.exo ?? EXO_ROOT, port: options.port, baud: options.baud, binding: options.binding });
  const rate = Number(baud ?? DEFAULT_BAUD);
  const started = performance.now();
  const link = await openLink(port, { baud: rate, binding: options.binding });
  const bar = options.onProgress ? undefined : progressBar(options.json ? "off" : "auto", what);
  try {
    const client = new ProtocolClient(link, { timers: realTimers, baud: rate });
    const board = await deviceBoard(client, options.board);
    const geometry = { base: board.kernelFlash.base, size: board.kernelFlash.size, sector: board.chip.sectorSize };
    const snapshot = await flashSnapshot(client, geometry, options.onProgress ?? ((d, t) => bar?.update(d, t)));
    return { port, board, geometry, snapshot, ms: performance.now() - started };
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    throw new UserError(
      `reading the flash of the device on ${port} failed: ${error.message}`,
      `check that it is still connected and runs Espruino 2v25 or later (\`exo monitor --port ${port}\` shows its prompt), then run the same command again: reading changes nothing on the device`,
    );
  } finally {
    bar?.stop();
    await link.close();
  }
}

export async function run(options: DumpOptions): Promise<DumpResult> {
  const read = await readKernelRegion(options, "dump");
  const out = resolve(options.cwd, options.out ?? "flash.img");
  writeFileSync(out, read.snapshot.bytes);
  const { base, size } = read.geometry;
  return { port: read.port, board: read.board.name, base, bytes: size, out, crc32: crc32(read.snapshot.bytes), rereads: read.snapshot.rereads, note: snapshotNote(read.snapshot, read.geometry), ms: read.ms };
}

export function render(r: DumpResult): string {
  return [
    `${r.port}: read the kernel's flash region of ${r.board} (0x${r.base.toString(16)}, ${r.bytes / 1024} KiB) in ${(r.ms / 1000).toFixed(1)} s: ${r.note}`,
    `wrote ${shown(r.out)}: exo fs ${shown(r.out)} lists each app's file system`,
  ].join("\n");
}
