/**
 * The flash ledger: in sectors the kernel keeps at the start of its region,
 * who owns which sector and how often each was erased, plus the watchdog's
 * boot history. Power-safe: a cut at any program or erase leaves one whole
 * old or one whole new state.
 *
 * Usage (boot.ts, health.ts, status.ts; flash.ts grants the extents):
 *   loadLedger(hal, board.flash);                  // once, before any grant
 *   reserveSectors([{ name, count }, …], refuse);  // same sectors as last boot
 *   extentOf("logger")                             // { first, count }
 *
 * Errors: `reserveSectors` refuses (ENOSPC) the apps it could not place;
 * writing a state that outgrows a copy throws EINVAL (a board profile
 * with too small a ledger).
 *
 * Format (doc/xrd/xrd102-flash.md §Format): the region's first 2k
 * sectors hold two copies, k sectors each. A copy is a 16-byte header
 * (magic "EXOL", sequence, body length, CRC-32 of the body, little-endian
 * u32s), a JSON body {n: app names, o: owner index per sector (-1 free),
 * e: erase count per sector, q: quarantined apps, a: the apps boot records
 * number, u: the unstable boots before, c: the boot in progress [last app,
 * stable]}, then a log of 4-byte records [kind, v, v ^ 0xFF, 0xFF]: 0x45
 * "sector v is about to be erased", 0x42 a boot began, 0x52 app v is about
 * to run, 0x53 this boot is stable; 0x48 "the next record's v has this high
 * byte" (v + 256 · high: sectors 256 and up, written as a pair, in two programs). A torn record never validates (its two
 * value bytes can only be a superset of the bits), so the log needs no CRC. Boot takes the valid copy with the
 * highest sequence and replays its log. An ownership change writes the whole
 * state into the other copy with sequence + 1: a power cut at any operation
 * leaves one whole old or one whole new state, never a mix.
 *
 * Contract: doc/xrd/xrd102-flash.md.
 */
import type { Hal } from "../hal/types.ts";
import { EINVAL, ENOSPC, fail } from "./errors.ts";

const MAGIC = 0x4c4f5845; // "EXOL" little-endian
/** Log record kinds: [kind, value, value ^ 0xFF, 0xFF]. */
const RECORD = 0x45; // "sector value is about to be erased"
const BOOT = 0x42; // a boot began
const RUN = 0x52; // an upcall into app `value` began (written only while the watchdog is suspicious)
const STABLE = 0x53; // this boot ran long enough: the resets before it are forgiven
const HIGH = 0x48; // the next record's value has this high byte (sectors 256 and up)

/** The region the board gives the kernel, and the ledger's size. */
export interface FlashRegion {
  base: number;
  size: number;
  sector: number;
  /** Sectors per ledger copy. */
  ledger: number;
}

let hal: Hal;
/** The region the ledger was loaded for (read-only outside: flash.ts places extents in it). */
export let region: FlashRegion;
/** Sectors in the region; the first 2 × ledger are the kernel's. */
let sectors = 0;
let seq = 0;
/** The copy in use (0 or 1), and where its next log record goes (bytes from the copy's start). */
let copy = 0;
let logAt = 0;
let names: string[] = [];
// Per-sector tables are typed arrays: 2 and 4 bytes a sector, where an Array costs a variable per element
// (128 sectors on the Linux board: 18 + 32 variables instead of 258, measured).
/** Per sector: index into `names`, or -1 when free. */
let owner = new Int16Array(0);
/** Per sector: erases over the device's life (as far as the ledger knows; read-only outside). */
export let erases = new Uint32Array(0);
/** Apps quarantined by the watchdog (boot.ts), by name. */
let quarantine: string[] = [];
/** The apps the boot records number (the build's order when they were written). */
let bootApps: string[] = [];
/** Per unstable boot before this one, in a row: the app that was running when it ended (-1: not known). */
let unstable: number[] = [];
/** The boot in progress as the log tells it: the app last running, and whether it was marked stable. */
let open: { last: number; stable: boolean } | undefined;
/** The high byte a HIGH record gave the next record (replay only). */
let high = 0;

const copyBytes = () => region.ledger * region.sector;
const copyBase = (which: number) => region.base + which * copyBytes();
const align = (n: number) => (n + 3) & ~3;

function u32(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
}

function put32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value & 255;
  bytes[at + 1] = (value >> 8) & 255;
  bytes[at + 2] = (value >> 16) & 255;
  bytes[at + 3] = (value >>> 24) & 255;
}

/** A copy's header and body, or undefined if it is not whole. */
function readCopy(which: number): { seq: number; body: string; end: number } | undefined {
  const base = copyBase(which);
  const head = hal.flash.read(16, base);
  const length = u32(head, 8);
  if (u32(head, 0) !== MAGIC || length > copyBytes() - 16) return undefined;
  const body = hal.flash.read(length, base + 16);
  if (hal.crc32(body) >>> 0 !== u32(head, 12)) return undefined;
  let text = "";
  for (let i = 0; i < length; i++) text += String.fromCharCode(body[i]);
  return { seq: u32(head, 4), body: text, end: align(16 + length) };
}

/** One whole log record, in the order written. */
function replayRecord(kind: number, value: number): void {
  if (kind === HIGH) {
    high = value;
    return;
  }
  value += 256 * high;
  high = 0;
  if (kind === RECORD && value < sectors) erases[value]++;
  else if (kind === BOOT) {
    if (open && !open.stable) unstable.push(open.last);
    open = { last: -1, stable: false };
  } else if (kind === RUN && open) open.last = value;
  else if (kind === STABLE && open) {
    open.stable = true;
    unstable = [];
  }
}

/** Replay the erase log of the copy in use from `logAt`; leaves `logAt` at the first free word. */
function replayLog(): void {
  const base = copyBase(copy);
  const limit = copyBytes();
  while (logAt + 4 <= limit) {
    const chunk = hal.flash.read(Math.min(256, limit - logAt), base + logAt);
    for (let i = 0; i + 4 <= chunk.length; i += 4) {
      const b0 = chunk[i];
      const b1 = chunk[i + 1];
      if (b0 === 255 && b1 === 255 && chunk[i + 2] === 255 && chunk[i + 3] === 255) return;
      // A torn record fails this test and is skipped; it still takes its word (and its pair's high byte goes).
      if (chunk[i + 2] === (b1 ^ 255)) replayRecord(b0, b1);
      else high = 0;
      logAt += 4;
    }
  }
}

/** Write the whole state into the other copy with the next sequence number, and switch to it. */
function store(): void {
  const next = 1 - copy;
  const first = next * region.ledger;
  for (let i = 0; i < region.ledger; i++) {
    erases[first + i]++;
    hal.flash.erase(copyBase(next) + i * region.sector);
  }
  // The tables by hand: JSON.stringify writes a typed array as an object on V8 (the simulator), as an array on Espruino.
  const rest = JSON.stringify({ n: names, q: quarantine, a: bootApps, u: unstable, c: open ? [open.last, open.stable ? 1 : 0] : 0 });
  const body = rest.slice(0, -1) + ',"o":[' + owner.join() + '],"e":[' + erases.join() + "]}";
  const end = align(16 + body.length);
  if (end > copyBytes()) throw fail(EINVAL, "kernel: the flash ledger outgrew its " + copyBytes() + " bytes");
  const bytes = new Uint8Array(end).fill(32);
  for (let i = 0; i < body.length; i++) bytes[16 + i] = body.charCodeAt(i);
  put32(bytes, 0, MAGIC);
  put32(bytes, 4, seq + 1);
  put32(bytes, 8, body.length);
  put32(bytes, 12, hal.crc32(bytes.subarray(16, 16 + body.length)));
  hal.flash.write(bytes, copyBase(next));
  seq++;
  copy = next;
  logAt = end;
}

/** Append one record to the log (compacting first if the log is full). */
function append(kind: number, value: number): void {
  if (logAt + 4 > copyBytes()) store();
  const record = new Uint8Array(4);
  record[0] = kind;
  record[1] = value;
  record[2] = value ^ 255;
  record[3] = 255;
  hal.flash.write(record, copyBase(copy) + logAt);
  logAt += 4;
}

/** Count an erase of sector `i` in the log, then erase it. */
export function eraseSector(i: number): void {
  if (i > 255) {
    // Both words of the pair in one copy's log; each is its own program, so a torn second never follows a torn first.
    if (logAt + 8 > copyBytes()) store();
    append(HIGH, i >> 8);
  }
  append(RECORD, i & 255);
  erases[i]++;
  hal.flash.erase(region.base + i * region.sector);
}

/** Read the ledger (the newest whole copy); a chip without one gets a fresh ledger, written now. */
export function loadLedger(h: Hal, r: FlashRegion): void {
  hal = h;
  region = r;
  sectors = Math.floor(r.size / r.sector);
  names = [];
  owner = new Int16Array(sectors).fill(-1);
  erases = new Uint32Array(sectors);
  quarantine = [];
  bootApps = [];
  unstable = [];
  open = undefined;
  const a = readCopy(0);
  const b = readCopy(1);
  const best = a && (!b || a.seq > b.seq) ? a : b;
  if (!best) {
    copy = 1;
    seq = 0;
    store();
    return;
  }
  copy = best === a ? 0 : 1;
  seq = best.seq;
  const state = JSON.parse(best.body) as { n: string[]; o: number[]; e: number[]; q?: string[]; a?: string[]; u?: number[]; c?: number[] | 0 };
  names = state.n;
  for (let i = 0; i < sectors; i++) {
    owner[i] = state.o[i] === undefined ? -1 : state.o[i];
    erases[i] = state.e[i] || 0;
  }
  quarantine = state.q || [];
  bootApps = state.a || [];
  unstable = state.u || [];
  open = state.c ? { last: state.c[0], stable: state.c[1] === 1 } : undefined;
  logAt = best.end;
  high = 0;
  replayLog();
  // The boot that ended last: if it never became stable, it ended in a reset or a cut.
  if (open && !open.stable) unstable.push(open.last);
  open = undefined;
}

/**
 * The watchdog's memory (boot.ts decides from it): for each boot in a row
 * before this one that ended before it was marked stable, the index of the
 * app that was running when it ended (-1 when not known). A new list of apps
 * (another firmware) starts the history over.
 */
export function bootHistory(apps: string[]): number[] {
  return bootApps.join() === apps.join() ? unstable : [];
}

/** This boot begins (with these apps, in the build's order). */
export function recordBoot(apps: string[]): void {
  if (bootApps.join() !== apps.join()) {
    bootApps = apps;
    unstable = [];
    store();
  }
  open = { last: -1, stable: false };
  append(BOOT, 0);
}

/** App `index` is about to run (written only when it is not the one last written). */
export function recordRunning(index: number): void {
  if (!open || open.last === index) return;
  open.last = index;
  append(RUN, index);
}

/** This boot ran long enough: the unstable boots before it are forgiven. */
export function recordStable(): void {
  if (!open || open.stable) return;
  open.stable = true;
  unstable = [];
  append(STABLE, 0);
}

/** Apps the watchdog quarantined. */
export const quarantined = (): string[] => quarantine;

/** Quarantine `name`, or (`on` false) let it run again; persisted at once. */
export function setQuarantine(name: string, on: boolean): void {
  const i = quarantine.indexOf(name);
  if (on === i >= 0) return;
  if (on) quarantine.push(name);
  else quarantine.splice(i, 1);
  unstable = [];
  store();
}

/** First sector and count of `name`'s extent, or undefined. */
export function extentOf(name: string): { first: number; count: number } | undefined {
  const index = names.indexOf(name);
  if (index < 0) return undefined;
  let first = -1;
  let count = 0;
  for (let i = 0; i < sectors; i++) {
    if (owner[i] === index) {
      if (first < 0) first = i;
      count++;
    }
  }
  return first < 0 ? undefined : { first, count };
}

/**
 * Give each app `count` contiguous sectors: the same ones as last boot when
 * its count is unchanged; sectors of apps not listed are reclaimed; a sector
 * is erased before a new owner gets it, and only then is the ledger written.
 * `refuse` (ENOSPC) each app that does not fit.
 */
export function reserveSectors(wanted: { name: string; count: number }[], refuse: (name: string, code: number, why: string) => void): void {
  const keep: string[] = [];
  for (const want of wanted) {
    const had = extentOf(want.name);
    if (want.count > 0 && had && had.count === want.count) keep.push(want.name);
  }
  // New owner table: kept extents stay, everything else is free.
  const table = new Int16Array(sectors);
  const next: string[] = [];
  for (let i = 0; i < sectors; i++) {
    const name = owner[i] >= 0 ? names[owner[i]] : "";
    const kept = name !== "" && keep.indexOf(name) >= 0;
    if (kept && next.indexOf(name) < 0) next.push(name);
    table[i] = kept ? next.indexOf(name) : -1;
  }
  const scrub: number[] = [];
  const reserved = 2 * region.ledger;
  for (const want of wanted) {
    if (want.count <= 0 || keep.indexOf(want.name) >= 0) continue;
    let start = -1;
    for (let i = reserved, run = 0; i < sectors; i++) {
      run = table[i] < 0 ? run + 1 : 0;
      if (run === want.count) {
        start = i - run + 1;
        break;
      }
    }
    if (start < 0) {
      refuse(want.name, ENOSPC, "no run of " + want.count + " free flash sectors left for it");
      continue;
    }
    next.push(want.name);
    for (let i = start; i < start + want.count; i++) {
      table[i] = next.length - 1;
      scrub.push(i);
    }
  }
  let changed = next.length !== names.length;
  for (let i = 0; i < sectors; i++) {
    const before = owner[i] >= 0 ? names[owner[i]] : "";
    const after = table[i] >= 0 ? next[table[i]] : "";
    if (before !== after) changed = true;
  }
  // Erase before the ledger names the new owner: a cut here leaves the old ledger, and the next boot erases again.
  for (const i of scrub) eraseSector(i);
  if (changed) {
    names = next;
    owner = table;
    store();
  }
}

/** The ledger for the status: owner name per sector ("" free, "kernel" the ledger), erase counts, sequence. */
export function ledgerStatus(): { owners: string[]; erases: number[]; seq: number; copy: number } {
  const owners: string[] = [];
  const counts: number[] = [];
  for (let i = 0; i < sectors; i++) {
    owners.push(i < 2 * region.ledger ? "kernel" : owner[i] >= 0 ? names[owner[i]] : "");
    counts.push(erases[i]);
  }
  return { owners, erases: counts, seq, copy };
}
