/**
 * libos/fs format and mount: erase and open an empty file system; find the
 * head (a binary search over sector headers), load its snapshot and replay
 * the records after it. Mount never writes.
 *
 * Usage: `fsFormat(extent, services)` once; `fsMount(extent, services)` → an Fs, or a negative code.
 *
 * Errors: EINVAL (bad geometry or config), ECORRUPT (no valid file system).
 *
 * Contract: DESIGN.md §3.1 (finding the head), §3.2 (what a cut leaves), SPEC.md.
 */
import type { FlashExtent, Services } from "../../firmware/types.ts";
import { ECORRUPT, EINVAL, ENFILE, OK } from "./errors.ts";
import {
  ENTRY, HEADER, NAME_MAX, NONE, P_DIRTY, P_FOREIGN, P_READY, SNAP_FIXED, T_DATA, T_MOVE, T_NAME, T_PEND, T_SNAP,
  TOMB, get16, get32, pad4,
} from "./format.ts";
import {
  K_LIVE, K_PENDING, END, BAD, NOWHERE, freeCount, secIndex, winAt, recRead, slotFind, slotNew, idSeen, secProbe,
  mark, ready, secErase, secAlloc, fsNew,
} from "./fs.ts";
import type { FsConfig, Fs } from "./fs.ts";
/**
 * Format: erase every sector of the extent, mark it, open sector 0 with an
 * empty snapshot. Destroys all data. Returns 0 or EINVAL (bad geometry/config).
 */
export function fsFormat(flash: FlashExtent, services: Services, config?: FsConfig): number {
  const f = fsNew(flash, services, config);
  if (typeof f === "number") return f;
  for (let i = 0; i < f.count; i++) secErase(f, i);
  secAlloc(f);
  return OK;
}

/**
 * Load the snapshot record at extent offset a, fs.at in the window (body
 * length len); entries whose tombstone is programmed are removed files. ECORRUPT if a field is
 * impossible (an entry that does not fit, a cursor outside the sector, id
 * 0xFFFF, a size larger than the extent): mount then tries the sector before.
 * Name locations are checked where they are read (nameAt), tail and lows by fsMount.
 */
function snapLoad(fs: Fs, len: number, a: number, gone: number[]): number {
  const w = fs.win;
  const i = fs.at;
  const c = get32(w, i + 12);
  if (len < SNAP_FIXED || (len - SNAP_FIXED) % ENTRY || c < HEADER || c > fs.sector || c & 3) return ECORRUPT;
  fs.next = get32(w, i + 4);
  fs.tail = get32(w, i + 8);
  fs.cursor = c;
  const top = fs.count * fs.sector;
  for (let s = 0; s < fs.kinds.length; s++) fs.kinds[s] = 0;
  let t = 8 + pad4(len);
  for (let o = i + 4 + SNAP_FIXED; o < i + 4 + len; o += ENTRY) {
    if (get16(w, o) === NONE || get32(w, o + 4) > top) return ECORRUPT;
    t += TOMB;
    if (get32(w, i + t - TOMB) !== NOWHERE) {
      gone.push(get16(w, o));
      continue;
    }
    const s = slotNew(fs, get16(w, o), get16(w, o + 2) === K_LIVE ? K_LIVE : K_PENDING);
    if (s < 0) return ENFILE;
    fs.sizes[s] = get32(w, o + 4);
    fs.lows[s] = get32(w, o + 8);
    fs.hashes[s] = get32(w, o + 12);
    fs.locs[s] = get32(w, o + 16);
    fs.tombs[s] = a + t - TOMB;
  }
  return OK;
}

/**
 * Apply one record found after the snapshot of the head sector. ECORRUPT
 * (nothing applied) if its fields are impossible: the log ends there, as at
 * a bad CRC. MOVE records were checked by recRead (moveOk).
 */
function replay(fs: Fs, type: number, a: number, gone: number[]): number {
  const w = fs.win;
  const i = fs.at;
  const tag = get32(w, i);
  const id = tag >>> 16;
  const len = tag & 0xfff;
  if (type === T_PEND) {
    // Unsynced data cut off by the power: it never counts; only keep its epoch from coming back.
    if (!recOk(fs, i)) return ECORRUPT;
    if (((get32(w, i + 8) - fs.next) | 0) >= 0) fs.next = (get32(w, i + 8) + 1) >>> 0;
  } else if (type === T_DATA || type === T_NAME) {
    if (!recOk(fs, i)) return ECORRUPT;
    idSeen(fs, id);
    let s = slotFind(fs, id);
    // A removed file's records after its tombstoned entry or NAME: ignore.
    if (s < 0 && gone.indexOf(id) >= 0) return OK;
    if (s < 0) s = slotNew(fs, id, K_PENDING);
    if (s < 0) return ENFILE;
    if (type === T_DATA) {
      const e = get32(w, i + 4) + len - 4;
      if (e > fs.sizes[s]) fs.sizes[s] = e;
    } else {
      fs.kinds[s] = K_LIVE;
      fs.hashes[s] = fs.crc(w.subarray(i + 8, i + 4 + len)) >>> 0;
      fs.locs[s] = a;
      fs.tombs[s] = a + fs.size - TOMB;
      const old = get16(w, i + 4);
      const o = old === NONE || old === id ? -1 : slotFind(fs, old);
      if (o >= 0) fs.kinds[o] = 0;
      // A programmed tombstone: removed after it was created.
      if (get32(w, i + fs.size - TOMB) !== NOWHERE) {
        fs.kinds[s] = 0;
        gone.push(id);
      }
    }
  } else if (type === T_MOVE) {
    fs.tail = get32(w, i + 4);
    fs.cursor = get32(w, i + 8);
    for (let p = 12; p < len + 4; ) {
      const t = get32(w, i + p);
      if (((t >>> 12) & 15) === T_NAME) {
        const s = slotFind(fs, t >>> 16);
        if (s >= 0) fs.locs[s] = a + p;
      }
      p += 4 + pad4(t & 0xfff);
    }
  }
  return OK;
}

/**
 * Are the fields of the CRC-valid NAME or DATA record at fs.win[i] possible:
 * a file id, a name of 1..28 bytes, data that ends inside the extent?
 */
/** @internal */
export function recOk(fs: Fs, i: number): boolean {
  const tag = get32(fs.win, i);
  const len = tag & 0xfff;
  if (tag >>> 16 === NONE) return false;
  if (((tag >>> 12) & 15) === T_NAME) return len > 4 && len <= 4 + NAME_MAX;
  const h = ((tag >>> 12) & 15) === T_PEND ? 8 : 4;
  return len >= h && get32(fs.win, i + 4) + len - h <= fs.count * fs.sector;
}

/** Rebuild the state from head sector h: its snapshot, then every record after it. */
function mountHead(fs: Fs, h: number, seq: number): number {
  fs.head = h;
  fs.seq = seq;
  const base = h * fs.sector;
  const end = base + fs.sector;
  let t = recRead(fs, base + HEADER, end, true);
  if (t !== T_SNAP) return ECORRUPT;
  const gone: number[] = [];
  let r = snapLoad(fs, get32(fs.win, fs.at) & 0xfff, base + HEADER, gone);
  if (r < 0) return r;
  let a = base + HEADER + fs.size;
  for (;;) {
    t = recRead(fs, a, end, true);
    if (t <= 0) break;
    if (t !== T_SNAP) {
      r = replay(fs, t, a, gone);
      if (r === ECORRUPT) {
        t = BAD;
        break;
      }
      if (r < 0) return r;
    }
    a += fs.size;
  }
  fs.pos = a - base;
  if (t !== END) fs.pos = fs.sector;
  for (let p = a; p < end && fs.pos < fs.sector; ) {
    const i = winAt(fs, p, 4);
    const m = Math.min(fs.win.length - i, end - p);
    for (let k = 0; k < m; k++) if (fs.win[i + k] !== 255) fs.pos = fs.sector;
    p += m;
  }
  for (let s = 0; s < fs.kinds.length; s++) if (fs.kinds[s] === K_PENDING) fs.kinds[s] = 0;
  return OK;
}

/**
 * Mount: find the head without reading every header (SPEC.md "Mounting"),
 * rebuild the state from its snapshot and the records after it. Never
 * writes, never formats. Returns the Fs, or ECORRUPT (no file system found),
 * EINVAL (formatted for another geometry or format version, or a bad
 * config), ENFILE (more files than `config.files`).
 */
export function fsMount(flash: FlashExtent, services: Services, config?: FsConfig): Fs | number {
  const f = fsNew(flash, services, config);
  if (typeof f === "number") return f;
  const fs = f;
  const n = fs.count;
  let foreign = 0;
  const ready: number[] = [];
  const look = (i: number): number => {
    const p = secProbe(fs, i);
    if (p === P_FOREIGN) foreign++;
    if (p === P_READY) ready.push(i);
    return p;
  };
  // Seq - index is the same for every used sector of the head's lap at or before it, and differs after it.
  // 1. A used sector: sector 0 (1 if 0 is dirty), else by bisection (the log is long once the ring has wrapped).
  let a = -1;
  let p = look(0);
  if (p >= 0) a = 0;
  else if (p === P_DIRTY && n > 1 && (p = look(1)) >= 0) a = 1;
  let top = 1;
  while (top * 2 < n) top *= 2;
  for (let step = top; a < 0 && step >= 1; step >>= 1) {
    for (let i = step; i < n && a < 0; i += 2 * step) if ((p = look(i)) >= 0) a = i;
  }
  if (a < 0) return foreign ? EINVAL : ECORRUPT;
  // 2. Binary search for the last sector with the same seq - index: the head (log2(count) header reads).
  const key = p - a;
  const same = (i: number): boolean => {
    const q = look(i);
    return q >= 0 && q - i === key;
  };
  let lo = a;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    const q = look(mid);
    if (q >= 0 && q - mid === key) lo = mid;
    // A dirty sector followed by one of the lap: a lost sector inside the log, not its end.
    else if (q === P_DIRTY && mid < hi && same(mid + 1)) lo = mid + 1;
    else hi = mid - 1;
  }
  // 3. Its snapshot, or (cut while it was opened) the sector before; anything else: every header, newest first.
  let r = mountHead(fs, lo, key + lo);
  const b = (lo + n - 1) % n;
  if (r === ECORRUPT && look(b) === key + lo - 1) r = mountHead(fs, b, key + lo - 1);
  if (r === ECORRUPT) {
    const seqs = new Float64Array(n);
    for (let i = 0; i < n; i++) seqs[i] = look(i);
    for (;;) {
      let h = -1;
      for (let i = 0; i < n; i++) if (seqs[i] >= 0 && (h < 0 || seqs[i] > seqs[h])) h = i;
      if (h < 0) return foreign ? EINVAL : ECORRUPT;
      r = mountHead(fs, h, seqs[h]);
      if (r !== ECORRUPT) break;
      seqs[h] = -1;
    }
  }
  if (r < 0) return r;
  if (fs.tail > fs.seq || fs.seq - fs.tail >= n) {
    fs.tail = fs.seq - n + 1;
    fs.cursor = HEADER;
  }
  // The tail: skip sectors whose reclaim was under way when the power went.
  while (fs.tail < fs.seq && look(secIndex(fs, fs.tail)) !== fs.tail) {
    fs.tail++;
    fs.cursor = HEADER;
  }
  fs.walk = HEADER;
  mark(fs, fs.head);
  mark(fs, secIndex(fs, fs.tail));
  // The search read the sector after the head (the next to be opened): keep what it saw.
  const nx = (fs.head + 1) % n;
  if (freeCount(fs) > 0 && ready.indexOf(nx) >= 0) mark(fs, nx);
  for (let s = 0; s < fs.kinds.length; s++) if (fs.kinds[s] && (fs.lows[s] < fs.tail || fs.lows[s] > fs.seq)) fs.lows[s] = fs.tail;
  return fs;
}
