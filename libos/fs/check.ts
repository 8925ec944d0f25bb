/**
 * fsck and statistics for libos/fs: report, never repair, never write.
 *
 * Usage:
 *   const report = fsCheck(fs);   // report.ok, report.problems: [kind, a, b, c]
 *   const stats = fsStats(fs);    // live/free bytes, erase counts, GC work
 *
 * Errors: both throw EINVAL (as `code`) on an unmounted fs; everything found
 * on flash is reported, not thrown.
 */
import type { Fs, FsGcCounters } from "./fs.ts";
import { K_LIVE, crcOk, freeCount, nameAt, recRead, secIndex, slotFind, winAt } from "./fs.ts";
import { HEADER, S_DIRTY, S_LOST, S_READY, S_USED, T_DATA, T_MOVE, T_NAME, T_SNAP, get32, pad4 } from "./format.ts";

/** Problem kinds in FsReport.problems; each entry is [kind, a, b, c]. */
/** A record fails its CRC and valid records follow it (not a cut write): [1, sector, offset in sector, 0]. */
export const CHECK_BAD_RECORD = 1;
/** A sector inside the log has no valid header: [2, sector, expected seq, 0]. Its data is lost. */
export const CHECK_LOST_SECTOR = 2;
/** A file's data does not add up to its size: [3, file id, bytes found, size]. */
export const CHECK_SHORT_FILE = 3;
/** A file's NAME record is missing or damaged: [4, file id, location, 0]. */
export const CHECK_BAD_NAME = 4;
/** A sector in the log does not open with a snapshot: [5, sector, seq, 0]. */
export const CHECK_NO_SNAPSHOT = 5;

/** What fsCheck found. */
export interface FsReport {
  /** No problem found. */
  ok: boolean;
  /** Sectors by state: in the log, erased and marked, to be erased, lost. */
  used: number;
  ready: number;
  dirty: number;
  lost: number;
  /** Valid records in the log. */
  records: number;
  /** Records failing their CRC with valid records after them (damage). */
  bad: number;
  /** Sectors whose last write was cut (a failing or unparseable last record): expected after power loss. */
  torn: number;
  /** Live files. */
  files: number;
  /** At most 32 problems, [kind, a, b, c] (CHECK_* above). */
  problems: number[][];
}

/** Figures of a mounted fs. */
export interface FsStats {
  /** Sector size in bytes and count. */
  sector: number;
  sectors: number;
  /** Sectors in the log (tail to head), free, free and erased, lost. */
  used: number;
  free: number;
  ready: number;
  lost: number;
  /** Live files and the bytes in them. */
  files: number;
  live: number;
  /** Bytes that can still be written before a sector must be reclaimed. */
  room: number;
  /** Sequence numbers of the oldest and newest sector in the log. */
  tail: number;
  head: number;
  /** Erase count of every sector, from the extent. */
  erases: number[];
  /** GC work so far. */
  gc: FsGcCounters;
}

function problem(r: FsReport, kind: number, a: number, b: number, c: number): void {
  r.ok = false;
  if (r.problems.length < 32) r.problems.push([kind, a, b, c]);
}

/** Count the bytes of the DATA entry at fs.win[j] that fall inside its file. */
function credit(fs: Fs, j: number, found: Uint32Array): void {
  const tag = get32(fs.win, j);
  const s = slotFind(fs, tag >>> 16);
  if (s < 0 || fs.kinds[s] !== K_LIVE) return;
  const off = get32(fs.win, j + 4);
  const end = Math.min(off + (tag & 0xfff) - 4, fs.sizes[s]);
  if (end > off) found[s] += end - off;
}

/**
 * Walk the whole log, verify every record's CRC, and check that every live
 * file's data covers its size exactly once and its name is readable.
 */
export function fsCheck(fs: Fs): FsReport {
  if (!fs || !fs.open) {
    const e: any = new Error("fs is not mounted");
    e.code = -22;
    throw e;
  }
  const r: FsReport = { ok: true, used: 0, ready: 0, dirty: 0, lost: 0, records: 0, bad: 0, torn: 0, files: 0, problems: [] };
  const found = new Uint32Array(fs.kinds.length);
  for (let i = 0; i < fs.count; i++) {
    const st = fs.state[i];
    if (st === S_READY) r.ready++;
    else if (st === S_DIRTY) r.dirty++;
  }
  for (let q = fs.tail; q <= fs.seq; q++) {
    const i = secIndex(fs, q);
    if (fs.state[i] === S_LOST) {
      r.lost++;
      problem(r, CHECK_LOST_SECTOR, i, q, 0);
      continue;
    }
    if (fs.state[i] !== S_USED) continue;
    r.used++;
    const base = i * fs.sector;
    const end = base + fs.sector;
    const min = base + (q === fs.tail ? fs.cursor : HEADER);
    let a = base + HEADER;
    let suspect = -1;
    for (;;) {
      const t = recRead(fs, a, end, true);
      if (a === base + HEADER && t !== T_SNAP) problem(r, CHECK_NO_SNAPSHOT, i, q, 0);
      if (t === 0 || t === -1) {
        if (t === -1 || suspect >= 0) r.torn++;
        break;
      }
      if (t === -2) {
        if (suspect < 0) suspect = a - base;
        a += fs.size;
        continue;
      }
      if (suspect >= 0) {
        r.bad++;
        problem(r, CHECK_BAD_RECORD, i, suspect, 0);
        suspect = -1;
      }
      r.records++;
      const j = fs.at;
      if (t === T_DATA && a >= min) credit(fs, j, found);
      if (t === T_MOVE) {
        for (let p = 12; p < fs.size - 4; ) {
          const tag = get32(fs.win, j + p);
          if (a + p >= min && ((tag >>> 12) & 15) === T_DATA) credit(fs, j + p, found);
          p += 4 + pad4(tag & 0xfff);
        }
      }
      a += fs.size;
    }
  }
  for (let s = 0; s < fs.kinds.length; s++) {
    if (fs.kinds[s] !== K_LIVE) continue;
    r.files++;
    if (found[s] !== fs.sizes[s]) problem(r, CHECK_SHORT_FILE, fs.ids[s], found[s], fs.sizes[s]);
    const loc = fs.locs[s];
    let good = loc !== 0xffffffff && loc < fs.count * fs.sector;
    if (good) {
      const i = winAt(fs, loc, 4);
      const tag = get32(fs.win, i);
      good = tag >>> 16 === fs.ids[s] && ((tag >>> 12) & 15) === T_NAME && (tag & 0xfff) > 4 && nameAt(fs, loc).length > 0;
    }
    if (!good) problem(r, CHECK_BAD_NAME, fs.ids[s], loc, 0);
  }
  return r;
}

/** Live and free space, per-sector erase counts, GC work. */
export function fsStats(fs: Fs): FsStats {
  if (!fs || !fs.open) {
    const e: any = new Error("fs is not mounted");
    e.code = -22;
    throw e;
  }
  let ready = 0;
  let lost = 0;
  let files = 0;
  let live = 0;
  const erases: number[] = [];
  for (let i = 0; i < fs.count; i++) {
    if (fs.state[i] === S_READY) ready++;
    if (fs.state[i] === S_LOST) lost++;
    erases.push(fs.flash.erases(i));
  }
  for (let s = 0; s < fs.kinds.length; s++) {
    if (fs.kinds[s] === K_LIVE) {
      files++;
      live += fs.sizes[s] + (fs.owner === s ? fs.fill : 0);
    }
  }
  const free = freeCount(fs);
  return {
    sector: fs.sector,
    sectors: fs.count,
    used: fs.count - free,
    free: free,
    ready: ready,
    lost: lost,
    files: files,
    live: live,
    room: fs.sector - fs.pos + free * (fs.sector - HEADER),
    tail: fs.tail,
    head: fs.seq,
    erases: erases,
    gc: { moved: fs.gc.moved, bytes: fs.gc.bytes, erases: fs.gc.erases, forced: fs.gc.forced },
  };
}
