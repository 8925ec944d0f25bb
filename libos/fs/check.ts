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
import { K_LIVE, crcOk, freeCount, hdrState, recRead, secIndex, secProbe, secUsed, slotFind, winAt } from "./fs.ts";
import { infoOf } from "./io.ts";
import { recOk } from "./mount.ts";
import { HEADER, P_READY, T_DATA, T_MOVE, T_NAME, T_PEND, T_SNAP, get32, pad4 } from "./format.ts";
import { codedError } from "../coded-error.ts";

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
/**
 * Records with valid CRCs that the file system no longer sees: [6, sector,
 * offset of the first, how many]. They sit in a sector outside the log that
 * is newer than its head (mount could not use it: its header or snapshot is
 * damaged), or hold file data past the file's size or a file id never
 * handed out. Damage, never a cut write.
 */
export const CHECK_LOST_RECORDS = 6;
/** A record whose CRC is valid but whose fields are impossible (damaged or crafted): [7, sector, offset, file id or 0]. */
export const CHECK_BAD_VALUE = 7;

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
  /** Sectors whose last write was cut (a failing or unparseable record with no valid record after it in its sector): expected after power loss. */
  torn: number;
  /** Valid records the file system no longer sees (CHECK_LOST_RECORDS): damage. */
  lostRecords: number;
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

/**
 * Count the bytes of the DATA entry at fs.win[j] that fall inside its file;
 * those of unsynced (T_PEND) ones in `pend`: a cut may have left some that a
 * later sync's records cover again, so they only have to make up the rest.
 */
function credit(fs: Fs, j: number, found: Uint32Array, pend: Uint32Array): void {
  const tag = get32(fs.win, j);
  const s = slotFind(fs, tag >>> 16);
  if (s < 0 || fs.kinds[s] !== K_LIVE) return;
  const p = ((tag >>> 12) & 15) === T_PEND ? 4 : 0;
  const off = get32(fs.win, j + 4);
  const end = Math.min(off + (tag & 0xfff) - 4 - p, fs.sizes[s]);
  if (end > off) (p ? pend : found)[s] += end - off;
}

/** Is every byte of [a, end) erased? */
function erased(fs: Fs, a: number, end: number): boolean {
  while (a < end) {
    const i = winAt(fs, a, 1);
    const m = Math.min(fs.win.length - i, end - a);
    for (let k = 0; k < m; k++) if (fs.win[i + k] !== 255) return false;
    a += m;
  }
  return true;
}

/** Is there a record with a valid CRC at a? (fs.size, fs.at are then its size and index.) */
function valid(fs: Fs, a: number, end: number): boolean {
  const t = recRead(fs, a, end, true);
  return t > 0 || (t === -2 && crcOk(fs, fs.at));
}

/** The next offset at or after b (4-aligned) holding a record with a valid CRC, or -1. */
function resync(fs: Fs, b: number, end: number): number {
  for (; b + 8 <= end; b += 4) if (valid(fs, b, end)) return b;
  return -1;
}

/**
 * Would the valid NAME/DATA record (or MOVE entry) at fs.win[j] be news to
 * the file table: data past a live file's size, or (outside the log) an id
 * the table never handed out? A record the file system has seen never is.
 */
function unseen(fs: Fs, j: number, outside: boolean): boolean {
  const tag = get32(fs.win, j);
  const type = (tag >>> 12) & 15;
  if (type !== T_DATA && type !== T_NAME) return false;
  const id = tag >>> 16;
  const s = slotFind(fs, id);
  if (s >= 0 && fs.kinds[s] === K_LIVE) return type === T_DATA && get32(fs.win, j + 4) + (tag & 0xfff) - 4 > fs.sizes[s];
  return outside && s < 0 && ((id - fs.next) & 0xffff) < 0x8000;
}

/**
 * Walk the records of sector i. In the log (q = its seq), count and credit
 * them; outside it (q = -1), count the valid records the file system does
 * not see (`newer`: the whole sector is newer than the head). A record
 * that fails with no valid record after it is the cut last write (torn);
 * one with valid records after it is damage.
 */
function walk(fs: Fs, r: FsReport, found: Uint32Array, pend: Uint32Array, i: number, q: number, newer: boolean): void {
  const base = i * fs.sector;
  const end = base + fs.sector;
  const min = base + (q === fs.tail ? fs.cursor : HEADER);
  const inLog = q >= 0;
  let a = base + HEADER;
  let lost = 0;
  let first = 0;
  for (;;) {
    const t = recRead(fs, a, end, true);
    if (inLog && a === base + HEADER && t !== T_SNAP) problem(r, CHECK_NO_SNAPSHOT, i, q, 0);
    if (t <= 0) {
      if (t === -2 && crcOk(fs, fs.at)) {
        problem(r, CHECK_BAD_VALUE, i, a - base, get32(fs.win, fs.at) >>> 16);
        a += fs.size;
        continue;
      }
      if (t === 0 && erased(fs, a, end)) break;
      // Not a record: the cut last write, unless a valid record follows (then it is damage).
      let b = t === -2 && valid(fs, a + fs.size, end) ? a + fs.size : resync(fs, a + 4, end);
      if (b < 0) {
        if (inLog || newer) r.torn++;
        break;
      }
      if (inLog) {
        r.bad++;
        problem(r, CHECK_BAD_RECORD, i, a - base, 0);
      }
      a = b;
      continue;
    }
    const j = fs.at;
    let news = newer;
    if (t === T_DATA || t === T_NAME || t === T_PEND) {
      if (!recOk(fs, j)) problem(r, CHECK_BAD_VALUE, i, a - base, get32(fs.win, j) >>> 16);
      else news = news || unseen(fs, j, !inLog);
    } else if (t === T_MOVE) {
      for (let p = 12; p < fs.size - 4; ) {
        const tag = get32(fs.win, j + p);
        if (inLog && a + p >= min && (((tag >>> 12) & 15) === T_DATA || ((tag >>> 12) & 15) === T_PEND)) credit(fs, j + p, found, pend);
        if (((tag >>> 12) & 15) === T_DATA) news = news || unseen(fs, j + p, !inLog);
        p += 4 + pad4(tag & 0xfff);
      }
    } else if (t === T_SNAP && !inLog && a === base + HEADER && fs.size >= 20 && get32(fs.win, j + 8) >= fs.tail) {
      // A snapshot that names a tail at or after ours was written after our tail: this sector is newer than the head.
      news = true;
      newer = true;
    }
    if (inLog) {
      r.records++;
      if ((t === T_DATA || t === T_PEND) && a >= min) credit(fs, j, found, pend);
    }
    if (news) {
      if (!lost) first = a - base;
      lost++;
    }
    a += fs.size;
  }
  if (lost) {
    r.lostRecords += lost;
    problem(r, CHECK_LOST_RECORDS, i, first, lost);
  }
}

/**
 * Walk the whole log, verify every record's CRC, and check that every live
 * file's data covers its size exactly once and its name is readable. Tell a
 * cut last write (torn, normal) from damage: a failing record with valid
 * records after it, valid records outside the log that are newer than it,
 * impossible field values.
 */
export function fsCheck(fs: Fs): FsReport {
  if (!fs || !fs.open) {
    throw codedError(-22, "fs is not mounted");
  }
  const r: FsReport = { ok: true, used: 0, ready: 0, dirty: 0, lost: 0, records: 0, bad: 0, torn: 0, lostRecords: 0, files: 0, problems: [] };
  const found = new Uint32Array(fs.kinds.length);
  const pend = new Uint32Array(fs.kinds.length);
  const inLog = new Uint8Array(fs.count);
  for (let q = fs.tail; q <= fs.seq; q++) {
    const i = secIndex(fs, q);
    inLog[i] = 1;
    if (!secUsed(fs, i, q)) {
      r.lost++;
      problem(r, CHECK_LOST_SECTOR, i, q, 0);
      continue;
    }
    r.used++;
    walk(fs, r, found, pend, i, q, false);
  }
  // Outside the log: sectors that mount skipped (a damaged header or snapshot) must hold nothing newer than the head.
  for (let i = 0; i < fs.count; i++) {
    if (inLog[i]) continue;
    const w = fs.flash.read(i * fs.sector, HEADER + 4);
    const st = hdrState(fs, w, 0);
    if (st !== P_READY) r.dirty++;
    else {
      r.ready++;
      if (get32(w, HEADER) === 0xffffffff) continue;
    }
    walk(fs, r, found, pend, i, -1, st >= 0 && st > fs.seq);
  }
  for (let s = 0; s < fs.kinds.length; s++) {
    if (!fs.kinds[s]) continue;
    for (let t = s + 1; t < fs.kinds.length; t++) if (fs.kinds[t] && fs.ids[t] === fs.ids[s]) problem(r, CHECK_BAD_VALUE, fs.head, HEADER, fs.ids[s]);
    if (fs.kinds[s] !== K_LIVE) continue;
    r.files++;
    if (found[s] > fs.sizes[s] || found[s] + pend[s] < fs.sizes[s]) problem(r, CHECK_SHORT_FILE, fs.ids[s], found[s] + pend[s], fs.sizes[s]);
    if (infoOf(fs, s) === null) problem(r, CHECK_BAD_NAME, fs.ids[s], fs.locs[s], 0);
  }
  return r;
}

/** Live and free space, per-sector erase counts, GC work. */
export function fsStats(fs: Fs): FsStats {
  if (!fs || !fs.open) {
    throw codedError(-22, "fs is not mounted");
  }
  let ready = 0;
  let lost = 0;
  let files = 0;
  let live = 0;
  const erases: number[] = [];
  const free = freeCount(fs);
  for (let i = 0; i < fs.count; i++) {
    // Sectors after the head: `free` free ones, then the log from its tail; headers not checked this mount are read.
    const d = (i + fs.count - fs.head - 1) % fs.count;
    const known = (fs.ok[i >> 3] >> (i & 7)) & 1;
    if (d < free) {
      if (known || secProbe(fs, i) === P_READY) ready++;
    } else if (!known && secProbe(fs, i) !== fs.seq - (fs.count - 1 - d)) lost++;
    erases.push(fs.flash.erases(i));
  }
  for (let s = 0; s < fs.kinds.length; s++) {
    if (fs.kinds[s] === K_LIVE) {
      files++;
      live += fs.sizes[s] + (fs.owner === s ? fs.fill : 0);
    }
  }
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
