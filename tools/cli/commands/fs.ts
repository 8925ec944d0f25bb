/**
 * `exo fs IMAGE [apps|ls|cat NAME|get NAME|stat NAME|check|wear]`: read the
 * libos/fs file systems out of a flash image (saved by `exo sim
 * --save-flash`, or read from a device), without changing it. Uses the device
 * code itself over a read-only extent (and the kernel's own ledger reader,
 * tools/cli/chip.ts), so what it shows is what the device would see.
 *
 * `exo fs --port P [action] [name]` (or no image, in a project with a port):
 * the same, on the kernel's region read off the running device as one moment
 * of its flash (dump.ts, tools/serial/flash-snapshot.ts). Read-only there too:
 * writing beside an app that holds its file system mounted would need the
 * kernel to stop and remount it.
 *
 * A whole-chip image carries the kernel's ledger: it says which app owns
 * which sectors, so `exo fs IMAGE` lists every app's file system and `--app
 * NAME` picks one. An image without a ledger (one file system alone, or a
 * dump at an offset) is read where its headers are, or at `--base`.
 *
 * Registration (for tools/cli/main.ts):
 *   program.command("fs [image] [action] [name]")
 *     --port <path>, --baud <n>  read the device's (the first word is then the action)
 *     action: apps (default) | ls | cat | get | stat | check | wear   (name: for cat, get and stat)
 *     --app <name>            the file system of this app (from the kernel's ledger in the image)
 *     --board <name>          the chip layout to read the ledger with (default: by the image's size, else searched)
 *     --base <offset>         byte offset of the file system in the image (default: --app, else found by its headers; hex ok)
 *     --sector-size <bytes>   erase sector size (default: from the headers)
 *     --count <sectors>       sectors in the file system (default: from the headers)
 *     --svg <file>            wear: also write the wear map as SVG
 *     --out <file>            cat: write the file's bytes here instead of printing them; get: the file to write (default: NAME)
 *     --json                  print the result as JSON
 *   The action is `run(options)`; `render(result)` is the human output;
 *   `failed(result)` is true when check found problems (exit 1). On a whole
 *   chip, `check` without --app checks every app's file system.
 *
 * Errors: UserError for an unreadable, empty or truncated image, no file
 * system or no ledger found, an unknown app, action or file name (each with
 * how to fix it).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { crc32 } from "node:zlib";
import type { FlashExtent } from "../../../firmware/types.ts";
import { boards } from "../../../hal/boards.ts";
import type { Fs } from "../../../libos/fs/fs.ts";
import {
  CHECK_BAD_NAME, CHECK_BAD_RECORD, CHECK_BAD_VALUE, CHECK_LOST_RECORDS, CHECK_LOST_SECTOR, CHECK_NO_SNAPSHOT, CHECK_SHORT_FILE, ECORRUPT, EINVAL,
  type FsReport, fileClose, fileOpen, fileRead, fileSize, fsCheck, fsList, fsMount, fsStat, fsStats,
} from "../../../libos/fs/index.ts";
import { FS_FORMAT_VERSION, HEADER, MAGIC, get32 } from "../../../libos/fs/format.ts";
import { readChip, readRegionImage, type AppExtent, type Chip } from "../chip.ts";
import type { Binding } from "../../serial/link.ts";
import { snapshotNote } from "../../serial/flash-snapshot.ts";
import { readKernelRegion } from "./dump.ts";
import { UserError } from "../../../hal/user-error.ts";

export interface FsCommandOptions {
  cwd?: string;
  /** An image file; without it (or with --port) the file systems are read off the device (dump.ts). */
  image?: string;
  /** The live device: serial port, pty or tcp://host:port (default: exo.config.json's, when there is no image). */
  port?: string;
  baud?: string | number;
  exo?: string;
  /** Tests: a node-serialport binding instead of the real one; progress instead of the bar. */
  binding?: Binding;
  onProgress?: (done: number, total: number) => void;
  action?: string;
  name?: string;
  app?: string;
  board?: string;
  base?: string | number;
  sectorSize?: string | number;
  count?: string | number;
  svg?: string;
  out?: string;
  json?: boolean;
}

export interface Geometry {
  base: number;
  sector: number;
  count: number;
}

/** One app's file system in a whole-chip image (`exo fs IMAGE` / `apps`). */
export interface AppFs {
  app: string;
  /** Image offset (what --base takes) and chip address of its first sector. */
  base: number;
  address: number;
  sector: number;
  sectors: number;
  /** Erase count per sector, from the ledger. */
  erases: number[];
  /** Mounted: files, bytes in them, sectors in the log, bytes writable before a reclaim. Else why not. */
  files?: { name: string; size: number }[];
  live?: number;
  used?: number;
  room?: number;
  error?: string;
}

/** Where a live read came from, and whether it is one moment of the flash (flash-snapshot.ts). */
export interface LiveRead {
  port: string;
  board: string;
  ms: number;
  note: string;
}

export type FsCommandResult = FsAction & { device?: LiveRead };

type FsAction =
  | { action: "apps"; image: string; board: string; region: { offset: number; address: number; size: number; sector: number }; seq: number; apps: AppFs[] }
  | { action: "ls"; image: string; geometry: Geometry; files: { name: string; size: number }[]; live: number; room: number; app?: string }
  | { action: "cat"; image: string; name: string; size: number; out?: string; base64: string; text: string | null }
  | { action: "get"; image: string; name: string; size: number; out: string }
  | { action: "stat"; image: string; name: string; size: number }
  | { action: "check"; image: string; geometry: Geometry; report: FsReport; messages: string[] }
  | { action: "check-all"; image: string; checks: (Extract<FsAction, { action: "check" }> & { app: string })[]; unformatted: string[] }
  | { action: "wear"; image: string; geometry: Geometry; erases: (number | null)[]; min: number; max: number; mean: number; svg?: string };

function number(v: string | number | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === "number" ? v : v.startsWith("0x") ? Number.parseInt(v, 16) : Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UserError(`--${what} must be a non-negative integer, got ${v}`);
  return n;
}

/** Find the file system: the first sector header with our magic gives the geometry. */
export function findGeometry(image: Uint8Array, base?: number, sector?: number, count?: number): Geometry {
  const step = sector ?? 512;
  const from = base ?? 0;
  for (let at = from; at + HEADER <= image.length; at += step) {
    if (get32(image, at) !== MAGIC || get32(image, at + 4) >>> 16 !== FS_FORMAT_VERSION >>> 16) continue;
    const geo = get32(image, at + 8);
    const size = sector ?? 1 << (geo >>> 16);
    const n = count ?? (geo & 0xffff);
    if (base === undefined && sector === undefined && (at - from) % size) continue;
    // The first header found may sit after dirty sectors of the extent: the extent starts where all of it fits.
    let start = base ?? at;
    if (base === undefined) {
      while (start - size >= 0 && start + n * size > image.length) start -= size;
      let last = at;
      for (let p = at; p + HEADER <= Math.min(image.length, at + n * size); p += size) if (get32(image, p) === MAGIC) last = p;
      while (start > 0 && last - start >= n * size) start += size;
    }
    return { base: start, sector: size, count: Math.min(n, Math.floor((image.length - start) / size)) };
  }
  throw new UserError(
    `no Exo file system found in the image${base !== undefined ? ` at offset 0x${base.toString(16)}` : ""}`,
    "give --base (the offset of the file system's first sector) and --sector-size if the headers are damaged",
  );
}

/** A read-only extent over an image; erase counts come from the sector headers. */
function imageExtent(image: Uint8Array, g: Geometry): FlashExtent {
  const refuse = () => {
    throw new UserError("exo fs never writes to an image");
  };
  return {
    sector: g.sector,
    count: g.count,
    read: (offset, length) => image.slice(g.base + offset, g.base + offset + length),
    write: refuse,
    erase: refuse,
    erases: (i) => {
      const at = g.base + i * g.sector;
      return get32(image, at) === MAGIC ? get32(image, at + 12) : 0;
    },
  };
}

const services = {
  crc32: (d: Uint8Array | string) => crc32(typeof d === "string" ? Buffer.from(d, "latin1") : d) >>> 0,
  now: () => 0,
  log: () => {},
};

function mount(image: Uint8Array, g: Geometry, path: string): Fs {
  const fs = fsMount(imageExtent(image, g), services);
  if (typeof fs !== "number") return fs;
  if (fs === ECORRUPT) throw new UserError(`${path}: no sector of the file system at 0x${g.base.toString(16)} holds a valid snapshot (not formatted, or damaged)`, "check --app, or --base and --sector-size, or run `exo fs IMAGE wear` to see which sectors carry headers");
  if (fs === EINVAL) throw new UserError(`${path}: the file system there was formatted with another geometry or format version`, "give --sector-size and --count as formatted");
  throw new UserError(`${path}: mount returned ${fs}`);
}

/** One line per problem, for people. */
export function describeProblem(p: number[]): string {
  switch (p[0]) {
    case CHECK_BAD_RECORD: return `sector ${p[1]}: a damaged record at offset ${p[2]} (valid records follow it: damage, not a cut write)`;
    case CHECK_LOST_RECORDS: return `sector ${p[1]}: ${p[3]} valid record(s) from offset ${p[2]} on are lost (newer than what mount found: a damaged header, snapshot or record hides them)`;
    case CHECK_BAD_VALUE: return `sector ${p[1]}: the record at offset ${p[2]} has a valid CRC but impossible fields${p[3] ? ` (file id ${p[3]})` : ""}`;
    case CHECK_LOST_SECTOR: return `sector ${p[1]}: no valid header, its data (seq ${p[2]}) is lost`;
    case CHECK_SHORT_FILE: return `file id ${p[1]}: ${p[2]} of ${p[3]} bytes are readable`;
    case CHECK_BAD_NAME: return `file id ${p[1]}: its name record is missing or damaged`;
    case CHECK_NO_SNAPSHOT: return `sector ${p[1]} (seq ${p[2]}): does not open with a snapshot`;
    default: return `problem ${p.join(" ")}`;
  }
}

function readFile(fs: Fs, name: string, path: string): Uint8Array {
  const h = fileOpen(fs, name, 0);
  if (h < 0) throw new UserError(`${path}: no file named ${JSON.stringify(name)}`, "run `exo fs IMAGE ls` (with the same --app or --base) to list the files");
  const out = new Uint8Array(fileSize(fs, h));
  const r = fileRead(fs, h, 0, out);
  fileClose(fs, h);
  if (r < 0) throw new UserError(`${path}: ${name} is damaged (code ${r})`, "run `exo fs IMAGE check` for details");
  return out;
}

/** The wear map: one cell per sector, coloured from the least to the most erased. */
export function wearSvg(erases: (number | null)[], title: string): string {
  const known = erases.filter((e): e is number => e !== null);
  const min = known.length ? Math.min(...known) : 0;
  const max = known.length ? Math.max(...known) : 0;
  const cols = Math.ceil(Math.sqrt(erases.length));
  const rows = Math.ceil(erases.length / cols);
  const cell = 48;
  const top = 40;
  const width = cols * cell + 20;
  const height = top + rows * cell + 50;
  const colour = (e: number | null) => {
    if (e === null) return "#cccccc";
    const t = max === min ? 0 : (e - min) / (max - min);
    const hue = Math.round(120 - 120 * t);
    return `hsl(${hue},70%,55%)`;
  };
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="monospace" font-size="11">`,
    `<text x="10" y="20" font-size="14">${title.replace(/[<&>]/g, "")}</text>`,
  ];
  erases.forEach((e, i) => {
    const x = 10 + (i % cols) * cell;
    const y = top + Math.floor(i / cols) * cell;
    parts.push(`<rect x="${x}" y="${y}" width="${cell - 2}" height="${cell - 2}" fill="${colour(e)}"><title>sector ${i}: ${e ?? "unknown"} erases</title></rect>`);
    parts.push(`<text x="${x + 4}" y="${y + 14}">${i}</text><text x="${x + 4}" y="${y + 32}" font-size="13">${e ?? "?"}</text>`);
  });
  const mean = known.length ? known.reduce((a, b) => a + b, 0) / known.length : 0;
  parts.push(`<text x="10" y="${top + rows * cell + 25}">erases per sector: min ${min}, max ${max}, mean ${mean.toFixed(2)}, max/mean ${mean ? (max / mean).toFixed(3) : "-"} (green = least, red = most, grey = no header)</text>`);
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}

/** The app's extent as a file-system geometry. */
const geometryOf = (a: AppExtent): Geometry => ({ base: a.offset, sector: a.sector, count: a.count });

/** Every app's file system in the ledger, mounted where it can be. */
function appsOf(image: Uint8Array, chip: Chip): AppFs[] {
  return chip.apps.map((a) => {
    const row: AppFs = { app: a.name, base: a.offset, address: a.address, sector: a.sector, sectors: a.count, erases: a.erases };
    const fs = fsMount(imageExtent(image, geometryOf(a)), services);
    if (typeof fs === "number") {
      row.error = fs === ECORRUPT ? "no file system (the extent holds no valid snapshot: not formatted yet, or damaged)" : fs === EINVAL ? "formatted with another geometry or format version" : `mount returned ${fs}`;
      return row;
    }
    const st = fsStats(fs);
    return { ...row, files: fsList(fs), live: st.live, used: st.used, room: st.room };
  });
}

const hex = (n: number) => "0x" + n.toString(16);

/** Why an image (or a device) has no ledger, and what to do instead. */
function noLedger(src: Source, what: string): UserError {
  const { label: path, image } = src;
  if (src.device) {
    return new UserError(`${path}: ${what}: the kernel's flash region on the device holds no ledger`, "Exo's firmware has not run there yet: `exo flash` it, let it boot, then read again");
  }
  const sizes = Object.values(boards).map((b) => `${b.name} ${b.chip.size}`).join(", ");
  const whole = Object.values(boards).some((b) => b.chip.size === image.length);
  return new UserError(
    `${path}: ${what}: the image holds no kernel ledger${whole ? "" : ` (it is ${image.length} bytes, not a whole chip of any board: ${sizes}; truncated?)`}`,
    "give the file system's place with --base OFFSET (and --sector-size, --count if its headers are damaged), " +
      "or `exo fs IMAGE ls` to read the first file system found by its headers; a whole chip saved by `exo sim --save-flash FILE` has the ledger",
  );
}

const ACTIONS = ["apps", "ls", "cat", "get", "stat", "check", "wear"];

/** The bytes to read: an image file, or the kernel's region read off the device (then `label` is how to name it again). */
interface Source {
  image: Uint8Array;
  label: string;
  action?: string;
  name?: string;
  device?: LiveRead;
  /** A live read's ledger, read with the device's board (the image is its kernel region alone). */
  chip?: Chip;
}

async function source(o: FsCommandOptions, cwd: string): Promise<Source> {
  // `exo fs --port P ls`, or `exo fs ls` in a project with a port: the first word is the action, not an image.
  const actionFirst = o.image !== undefined && ACTIONS.indexOf(o.image) >= 0 && !existsSync(resolve(cwd, o.image));
  if (o.port === undefined && o.image !== undefined && !actionFirst) {
    let image: Uint8Array;
    try {
      image = new Uint8Array(readFileSync(resolve(cwd, o.image)));
    } catch (e) {
      throw new UserError(`cannot read ${o.image}: ${(e as Error).message}`, "give the path of a flash image file, or --port to read the device's");
    }
    if (image.length === 0) throw new UserError(`${o.image} is empty`, "save the chip again: `exo sim --save-flash FILE`");
    return { image, label: o.image, action: o.action, name: o.name };
  }
  if (o.image !== undefined && !actionFirst) {
    throw new UserError(`exo fs reads an image file or the device at --port, not both (got ${o.image} and --port ${o.port})`, `exo fs --port ${o.port} ls, or exo fs ${o.image} ls`, 2);
  }
  const read = await readKernelRegion({ cwd, exo: o.exo, port: o.port, baud: o.baud, board: o.board, binding: o.binding, json: o.json, onProgress: o.onProgress }, "fs");
  return {
    image: read.snapshot.bytes,
    label: `--port ${read.port}`,
    action: actionFirst ? o.image : o.action,
    name: actionFirst ? o.action : o.name,
    device: { port: read.port, board: read.board.name, ms: read.ms, note: snapshotNote(read.snapshot, read.geometry) },
    chip: readRegionImage(read.snapshot.bytes, read.board),
  };
}

export async function run(o: FsCommandOptions): Promise<FsCommandResult> {
  const writing = [o.image, o.action].find((word) => word === "put" || word === "rm");
  if (writing) {
    throw new UserError(`exo fs reads file systems; it does not ${writing === "rm" ? "remove" : "write"} files on a device or in an image yet`, "an app writes its own files (caps.flash through libos/fs); `exo flash` replaces the firmware, keeping them", 2);
  }
  const src = await source(o, o.cwd ?? process.cwd());
  const result = inspect(o, src);
  return src.device ? { ...result, device: src.device } : result;
}

function inspect(o: FsCommandOptions, src: Source): FsAction {
  const cwd = o.cwd ?? process.cwd();
  const { image, label } = src;
  const action = src.action ?? "apps";
  if (ACTIONS.indexOf(action) < 0) throw new UserError(`unknown action ${JSON.stringify(action)}`, "use one of: apps, ls, cat NAME, get NAME [--out FILE], stat NAME, check, wear [--svg FILE]");
  const fileName = src.name;
  const base = number(o.base, "base");
  if (base !== undefined && o.app !== undefined) throw new UserError("give --app or --base, not both", "--app NAME reads the app's place off the kernel's ledger");
  // The kernel's ledger, unless the user placed the file system by hand.
  const byHand = base !== undefined || (o.sectorSize !== undefined && o.app === undefined);
  const chip = byHand ? undefined : src.device ? src.chip : readChip(image, o.board);
  if (action === "apps") {
    if (byHand) throw new UserError("exo fs IMAGE apps reads the kernel's ledger: --base and --sector-size do not apply", "use `exo fs IMAGE ls --base OFFSET` for one file system");
    if (!chip) throw noLedger(src, "cannot list the apps' file systems");
    return { action, image: label, board: chip.board, region: { offset: chip.region.offset, address: chip.region.address, size: chip.region.size, sector: chip.region.sector }, seq: chip.seq, apps: appsOf(image, chip) };
  }
  let g: Geometry;
  let app: string | undefined;
  if (o.app !== undefined) {
    if (!chip) throw noLedger(src, `cannot find app ${JSON.stringify(o.app)}`);
    const a = chip.apps.find((x) => x.name === o.app);
    if (!a) {
      const names = chip.apps.map((x) => x.name);
      throw new UserError(`${label}: no app named ${JSON.stringify(o.app)} owns flash in the kernel's ledger`, names.length ? `apps with flash: ${names.join(", ")}` : "no app owns flash on this chip yet");
    }
    g = geometryOf(a);
    app = a.name;
  } else if (chip && chip.apps.length) {
    // No --app: the one file system there is, or the user picks.
    const rows = appsOf(image, chip);
    const mounted = rows.filter((r) => r.files);
    if (action === "check" && mounted.length > 1) {
      // fsck of the whole chip: every app's file system, exit 1 if any has a problem.
      const checks = chip.apps.filter((a) => rows.find((r) => r.app === a.name)!.files).map((a) => {
        const report = fsCheck(mount(image, geometryOf(a), `${label} (app ${a.name})`));
        return { action: "check" as const, app: a.name, image: `${label} (app ${a.name})`, geometry: geometryOf(a), report, messages: report.problems.map(describeProblem) };
      });
      return { action: "check-all", image: label, checks, unformatted: rows.filter((r) => !r.files).map((r) => r.app) };
    }
    if (action === "ls" && mounted.length !== 1) return { action: "apps", image: label, board: chip.board, region: { offset: chip.region.offset, address: chip.region.address, size: chip.region.size, sector: chip.region.sector }, seq: chip.seq, apps: rows };
    if (mounted.length !== 1) {
      throw new UserError(
        `${label} holds the file systems of ${mounted.length} apps (${mounted.map((r) => r.app).join(", ") || "none mounts"}): which one?`,
        `pick one with --app NAME (apps with flash: ${chip.apps.map((a) => a.name).join(", ")})`,
      );
    }
    app = mounted[0].app;
    g = geometryOf(chip.apps.find((x) => x.name === app)!);
  } else {
    g = findGeometry(image, base, number(o.sectorSize, "sector-size"), number(o.count, "count"));
  }
  const where = app ? `${label} (app ${app})` : label;
  if (action === "wear") {
    const erases: (number | null)[] = [];
    for (let i = 0; i < g.count; i++) {
      const at = g.base + i * g.sector;
      erases.push(get32(image, at) === MAGIC ? get32(image, at + 12) : null);
    }
    const known = erases.filter((e): e is number => e !== null);
    const result = {
      action: "wear" as const,
      image: where,
      geometry: g,
      erases,
      min: known.length ? Math.min(...known) : 0,
      max: known.length ? Math.max(...known) : 0,
      mean: known.length ? known.reduce((a, b) => a + b, 0) / known.length : 0,
      svg: o.svg,
    };
    if (o.svg) writeFileSync(resolve(cwd, o.svg), wearSvg(erases, `${where}: ${g.count} sectors of ${g.sector} B at 0x${g.base.toString(16)}`));
    return result;
  }
  const fs = mount(image, g, where);
  if (action === "ls") {
    const stats = fsStats(fs);
    return { action, image: where, geometry: g, files: fsList(fs), live: stats.live, room: stats.room, ...(app ? { app } : {}) };
  }
  if (action === "check") {
    const report = fsCheck(fs);
    return { action, image: where, geometry: g, report, messages: report.problems.map(describeProblem) };
  }
  if (!fileName) throw new UserError(`exo fs IMAGE ${action} needs a file name`, `exo fs ${label} ${action} NAME${app ? ` --app ${app}` : ""}`);
  if (action === "stat") {
    const st = fsStat(fs, fileName);
    if (typeof st === "number") throw new UserError(`${where}: no file named ${JSON.stringify(fileName)}`, `run \`exo fs IMAGE ls${app ? ` --app ${app}` : ""}\` to list the files`);
    return { action, image: where, name: st.name, size: st.size };
  }
  const data = readFile(fs, fileName, where);
  if (action === "get") {
    const out = o.out ?? basename(fileName);
    writeFileSync(resolve(cwd, out), data);
    return { action, image: where, name: fileName, size: data.length, out };
  }
  if (o.out) writeFileSync(resolve(cwd, o.out), data);
  const printable = data.every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127));
  return { action: "cat", image: where, name: fileName, size: data.length, out: o.out, base64: Buffer.from(data).toString("base64"), text: printable ? Buffer.from(data).toString("latin1") : null };
}

export function failed(r: FsCommandResult): boolean {
  return (r.action === "check" && !r.report.ok) || (r.action === "check-all" && r.checks.some((c) => !c.report.ok));
}

function hexdump(b: Uint8Array): string {
  const lines: string[] = [];
  for (let at = 0; at < b.length; at += 16) {
    const row = b.subarray(at, at + 16);
    const hex = Array.from(row, (x) => x.toString(16).padStart(2, "0")).join(" ");
    const asc = Array.from(row, (x) => (x >= 32 && x < 127 ? String.fromCharCode(x) : ".")).join("");
    lines.push(`${at.toString(16).padStart(8, "0")}  ${hex.padEnd(47)}  ${asc}`);
  }
  return lines.join("\n");
}

export function render(r: FsCommandResult): string {
  const text = renderAction(r);
  if (!r.device) return text;
  const d = r.device;
  return `read off ${d.port} (${d.board}) in ${(d.ms / 1000).toFixed(1)} s: ${d.note}\n` + text;
}

function renderAction(r: FsAction): string {
  switch (r.action) {
    case "apps": {
      const lines = [`${r.image}: ${r.apps.length} app(s) own flash (kernel ledger, sequence ${r.seq}, at 0x${r.region.address.toString(16)}${r.board ? `, ${r.board} layout` : ""})`];
      const rows = r.apps.map((a) => [
        a.app, hex(a.base), `${a.sectors} x ${a.sector} B`,
        a.files ? String(a.files.length) : "-", a.live !== undefined ? String(a.live) : "-", a.used !== undefined ? `${a.used} sector(s)` : "-", a.erases.join("/"),
      ]);
      const head = ["app", "--base", "extent", "files", "bytes", "log", "erases"];
      const width = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i].length)));
      for (const x of [head, ...rows]) lines.push("  " + x.map((c, i) => (i === 1 || i === 3 || i === 4 ? c.padStart(width[i]) : c.padEnd(width[i]))).join("  ").trimEnd());
      for (const a of r.apps) {
        if (a.error) lines.push(`  ${a.app}: ${a.error}`);
        else if (a.files!.length) lines.push(`  ${a.app}: ` + a.files!.map((f) => `${f.name} (${f.size} B)`).join(", "));
      }
      lines.push(r.apps.length ? `read one with --app NAME, e.g. exo fs ${r.image} ls --app ${r.apps[0].app}` : "no app owns flash on this chip yet");
      return lines.join("\n");
    }
    case "get":
      return `${r.name}: ${r.size} bytes written to ${r.out}`;
    case "ls": {
      const w = Math.max(4, ...r.files.map((f) => f.name.length));
      const lines = [`${r.image}: ${r.geometry.count} sectors of ${r.geometry.sector} B at 0x${r.geometry.base.toString(16)}`];
      for (const f of r.files) lines.push(`${f.name.padEnd(w)}  ${String(f.size).padStart(8)}`);
      lines.push(`${r.files.length} file(s), ${r.live} bytes live, ${r.room} bytes free before the next reclaim`);
      return lines.join("\n");
    }
    case "cat":
      if (r.out) return `${r.name}: ${r.size} bytes written to ${r.out}`;
      return r.text ?? hexdump(Buffer.from(r.base64, "base64"));
    case "stat":
      return `${r.name}: ${r.size} bytes`;
    case "check-all":
      return [
        ...r.checks.map((c) => renderAction(c)),
        ...r.unformatted.map((a) => `${r.image} (app ${a}): no file system to check (not formatted yet, or damaged: exo fs ${r.image} wear --app ${a})`),
      ].join("\n");
    case "check": {
      const x = r.report;
      const lines = [
        `${r.image}: ${x.ok ? "ok" : "PROBLEMS FOUND"} — ${x.files} files, ${x.records} records in ${x.used} sectors; ${x.ready} erased, ${x.dirty} to erase, ${x.lost} lost; ${x.bad} damaged records, ${x.lostRecords} lost records, ${x.torn} cut writes (normal after power loss)`,
      ];
      for (const m of r.messages) lines.push(`  ${m}`);
      return lines.join("\n");
    }
    case "wear": {
      const lines = [`${r.image}: erase counts of ${r.erases.length} sectors (min ${r.min}, max ${r.max}, mean ${r.mean.toFixed(2)}${r.mean ? `, max/mean ${(r.max / r.mean).toFixed(3)}` : ""})`];
      for (let i = 0; i < r.erases.length; i += 16) lines.push(r.erases.slice(i, i + 16).map((e) => String(e ?? "?").padStart(4)).join(""));
      if (r.svg) lines.push(`wear map written to ${r.svg}`);
      return lines.join("\n");
    }
  }
}
