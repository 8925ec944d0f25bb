/**
 * libos/fs garbage collection: reclaim the tail sector (move its live records
 * to the head in MOVE batches, erase it once nothing in it is live), in idle
 * time (fsGc) and, bounded, inside a write that needs room (room, reclaim).
 *
 * Usage: `fsGc(fs, 4)` in idle time; the write path calls `room(fs, bytes, level)`.
 *
 * Errors: fsGc returns 0 (nothing to do), 1 (more to do) or a negative code;
 * room and reclaim return OK or ENOSPC (final until a file goes).
 *
 * Contract: DESIGN.md §3.3 (garbage collection and wear levelling), SPEC.md.
 */
import { ENOSPC, OK } from "./errors.ts";
import {
  ENTRY, HEADER, NONE, RESERVE, SNAP_FIXED, T_DATA, T_MOVE, T_NAME, T_PEND, TOMB, get32, pad4, put32, recordSize,
  tagMake,
} from "./format.ts";
import {
  END, STOP, alive, freeCount, secIndex, put, recRead, slotFind, ready, secUsed, secErase, secAlloc,
} from "./fs.ts";
import type { Fs } from "./fs.ts";
/** Spare-work GC steps (each one erase or one MOVE batch) a write opening a sector does when fsGc has not. */
const FG = 1;

/**
 * Is the entry at fs.win[j] (extent offset e) still needed? Unsynced DATA
 * is if it lies inside the file's synced and pending bytes; past them it was
 * cut off before its sync (mount, or a failed close, dropped it).
 */
function live(fs: Fs, j: number, e: number): boolean {
  const tag = get32(fs.win, j);
  const type = (tag >>> 12) & 15;
  const s = type === T_DATA || type === T_NAME || type === T_PEND ? slotFind(fs, tag >>> 16) : -1;
  if (s < 0) return false;
  if (type === T_PEND) return get32(fs.win, j + 4) + (tag & 0xfff) - 8 <= fs.sizes[s] + fs.pend[s];
  return type === T_DATA || fs.locs[s] === e;
}

/** Live bytes the tail sector still holds from the cursor on (cached per tail and cursor). */
function tailLive(fs: Fs): number {
  if (fs.probe !== fs.tail * 65536 + fs.cursor) tailScan(fs, -1);
  return fs.held;
}

/**
 * Scan the tail from the cursor for its live bytes (fs.held). With `avail`
 * >= 0, also lay the live entries out the way gcStep will move them (MOVE
 * batches of at most fs.record bytes, each trimmed to the head's room when
 * its first entry fits there, a new sector when a batch does not) and say
 * whether that opens at most `avail` sectors. Exact, so a reclaim that
 * starts never wedges half done, and one that fits is never refused.
 */
function tailScan(fs: Fs, avail: number): boolean {
  const t = secIndex(fs, fs.tail);
  const end = t * fs.sector + fs.sector;
  let a = t * fs.sector + HEADER;
  let sum = 0;
  let k = 0;
  for (let s = 0; s < fs.kinds.length; s++) if (fs.kinds[s]) k++;
  // Where a new sector's first record goes: after its snapshot and the tombstones.
  const fresh = HEADER + recordSize(SNAP_FIXED + ENTRY * k) + TOMB * k;
  let pos = fs.pos;
  let n = 0;
  let cap = 0;
  const used = secUsed(fs, t, fs.tail);
  while (used) {
    const type = recRead(fs, a, end, false);
    if (type === END || type === STOP) break;
    const i = fs.at;
    if (type === T_DATA || type === T_NAME || type === T_MOVE || type === T_PEND) {
      const first = type === T_MOVE ? 12 : 0;
      for (let p = first; p < (type === T_MOVE ? fs.size - 4 : 4); ) {
        const esize = 4 + pad4(get32(fs.win, i + p) & 0xfff);
        if (a + p >= t * fs.sector + fs.cursor && live(fs, i + p, a + p)) {
          sum += esize;
          if (n > 0 && n + esize + 4 > cap) {
            if (pos + n + 4 > fs.sector) {
              avail--;
              pos = fresh;
            }
            pos += n + 4;
            n = 0;
          }
          if (n === 0) {
            const room = fs.sector - pos;
            cap = room >= 64 && room >= 16 + esize ? Math.min(fs.record, room) : fs.record;
            n = 12;
          }
          n += esize;
        }
        p += esize;
      }
    }
    a += fs.size;
  }
  if (n > 0 && pos + n + 4 > fs.sector) avail--;
  fs.probe = fs.tail * 65536 + fs.cursor;
  fs.held = sum;
  return avail >= 0;
}

/**
 * One unit of GC on the tail sector: move one batch of its live entries to
 * the head in a MOVE record (returns 1), or erase it when none is left (2).
 * 0: only the head is in use.
 */
function gcStep(fs: Fs, floor: number): number {
  if (fs.tail >= fs.seq) return 0;
  const t = secIndex(fs, fs.tail);
  // Start or continue only if all of the tail's live data fits above `floor`.
  if (tailLive(fs) > 0 && !tailScan(fs, Math.max(0, freeCount(fs) - floor))) return ENOSPC;
  const left = fs.held;
  const end = t * fs.sector + fs.sector;
  let out: Uint8Array | null = null;
  let n = 12;
  let cap = fs.record;
  const names: number[] = [];
  let entries = 0;
  let a = t * fs.sector + fs.walk;
  const min = t * fs.sector + fs.cursor;
  let stop = -1;
  if (secUsed(fs, t, fs.tail)) {
    for (;;) {
      const type = recRead(fs, a, end, true);
      if (type === END || type === STOP) break;
      const size = fs.size;
      const i = fs.at;
      if (type === T_DATA || type === T_NAME || type === T_MOVE || type === T_PEND) {
        let p = type === T_MOVE ? 12 : 0;
        const last = type === T_MOVE ? size - 4 : 4;
        while (p < last) {
          const w = fs.win;
          const tag = get32(w, i + p);
          const esize = 4 + pad4(tag & 0xfff);
          if (a + p >= min && live(fs, i + p, a + p)) {
            if (out === null) {
              const room = fs.sector - fs.pos;
              if (room >= 64 && room >= n + esize + 4) cap = Math.min(cap, room);
              out = new Uint8Array(cap);
            }
            if (n + esize + 4 > cap) {
              stop = a + p;
              break;
            }
            out.set(w.subarray(i + p, i + p + esize), n);
            if (((tag >>> 12) & 15) === T_NAME) names.push(slotFind(fs, tag >>> 16), n);
            n += esize;
            entries++;
          }
          p += esize;
        }
        if (stop >= 0) break;
      }
      a += size;
    }
  }
  if (out !== null) {
    if (stop < 0) stop = a;
    const r = room(fs, n + 4, 2);
    if (r < 0) return r;
    const at = fs.head * fs.sector + fs.pos;
    put32(out, 0, tagMake(n - 4, T_MOVE, NONE));
    put32(out, 4, fs.tail);
    put32(out, 8, stop - t * fs.sector);
    put32(out, n, fs.crc(out.subarray(0, n)) >>> 0);
    put(fs, at, out.subarray(0, n + 4));
    fs.pos += n + 4;
    for (let k = 0; k < names.length; k += 2) fs.locs[names[k]] = at + names[k + 1];
    fs.gc.moved += entries;
    fs.gc.bytes += n - 12;
    fs.cursor = stop - t * fs.sector;
    fs.walk = a - t * fs.sector;
    // What was moved is exactly the live entries between the old and the new cursor.
    fs.held = left - (n - 12);
    fs.probe = fs.tail * 65536 + fs.cursor;
    return 1;
  }
  secErase(fs, t);
  fs.tail++;
  fs.cursor = HEADER;
  fs.walk = HEADER;
  fs.probe = -1;
  return 2;
}

/**
 * Reclaim tail sectors until `need` sectors are free; ENOSPC after a lap
 * without gain. The collector keeps one sector free for after a cut, but
 * lends it to a tail that fits only with it (the tail's erase gives it
 * back): cuts close heads and waste their rest, and a fully live tail that
 * never moves would keep every byte behind it, dead or not, from coming back.
 */
function reclaim(fs: Fs, need: number): number {
  if (fs.full && need > 1) return ENOSPC;
  let laps = fs.count;
  while (freeCount(fs) < need) {
    if (laps-- <= 0) {
      fs.full = 1;
      return ENOSPC;
    }
    let floor = 1;
    let r = 1;
    while (r === 1) {
      r = gcStep(fs, floor);
      if (r === ENOSPC && floor) {
        floor = 0;
        r = gcStep(fs, 0);
      }
      fs.gc.forced++;
    }
    if (r <= 0) {
      fs.full = 1;
      return r < 0 ? r : ENOSPC;
    }
  }
  return OK;
}

/**
 * Make room for `size` bytes at the head. level 0: user data (keeps RESERVE
 * sectors free); 2: the GC itself. Removals need no room (tombstones).
 */
/** @internal */
export function room(fs: Fs, size: number, level: number): number {
  if (level === 0) {
    // Full stays full until something is freed (slotFree clears it): a retry gets ENOSPC again.
    if (fs.full) return ENOSPC;
    // Foreground GC, before user data opens a sector: the free sectors fsGc must keep (a lap at
    // most), and FG steps of its cheap spare work. After fsGc in idle time there is nothing left.
    if (fs.pos + size > fs.sector) {
      const g = gcWork(fs, FG, 1);
      if (g < 0) return g;
    }
  }
  // The reserve is counted in whole sectors, so user data may not use the
  // rest of a head that the collector opened out of it either.
  if (level === 0 && freeCount(fs) < RESERVE) {
    const r = reclaim(fs, RESERVE);
    if (r < 0) return r;
  }
  if (fs.pos + size <= fs.sector) return OK;
  const need = level === 0 ? RESERVE + 1 : 1;
  if (freeCount(fs) < need) {
    if (level === 2) return ENOSPC;
    const r = reclaim(fs, need);
    if (r < 0) return r;
  }
  secAlloc(fs);
  return OK;
}

/** fsGc's work, at most `budget` steps; `fg` 1: inside a write (steps count as gc.forced; the RESERVE + 3 free sectors are kept whatever the budget, a lap at most). */
function gcWork(fs: Fs, budget: number, fg: number): number {
  for (let done = 0; ; done++) {
    // A dirty free sector is found when it is next to be opened (mount does not read the free ones).
    const free = freeCount(fs);
    const dirty = free > 0 && !ready(fs, (fs.head + 1) % fs.count) ? (fs.head + 1) % fs.count : -1;
    if (free >= RESERVE + 3) fs.laps = 0;
    // RESERVE + 3: a cut can close the head a write opens (mount never programs after debris).
    const must = dirty >= 0 || (fs.laps < fs.count && free < RESERVE + 3);
    const want = must || (fs.laps < fs.count && free < fs.spare && tailLive(fs) * 4 <= fs.sector);
    if (!want) return 0;
    if (done >= budget && !(fg && must)) return 1;
    fs.gc.forced += fg;
    if (dirty >= 0) {
      secErase(fs, dirty);
      continue;
    }
    const r = gcStep(fs, 1);
    if (r === ENOSPC) {
      fs.laps = fs.count;
      return 0;
    }
    if (r < 0) return r;
    if (r === 0) return 0;
    if (r === 2) fs.laps++;
  }
}

/**
 * Garbage collection for idle time: at most `budget` steps, each one erase
 * or one batch of moved records. It erases free sectors left dirty by a
 * power cut, keeps RESERVE + 3 sectors free whatever it costs (that work
 * would otherwise fall on a write), and up to `spare` when the tail is
 * mostly dead. Returns 0 when it has nothing left to do, 1 when more work
 * is pending, or a negative code.
 */
export function fsGc(fs: Fs, budget: number): number {
  alive(fs);
  return gcWork(fs, budget, 0);
}
