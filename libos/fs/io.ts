/**
 * libos/fs file I/O: open, write, sync, read, close, remove, list; the write
 * buffer and the records it goes out as (DATA, PEND, NAME), and reads that
 * scan the log for a file's records.
 *
 * Usage: `const h = fileOpen(fs, "log.0", OPEN_CREATE | OPEN_APPEND); fileWrite(fs, h, bytes); fileSync(fs, h);`
 *
 * Errors: every call returns OK, a count, or a negative code of errors.ts and
 * documents which; a stale or closed handle is EBADF.
 *
 * Contract: DESIGN.md §3.2 (commit rules), §3.4 (reading without an index), SPEC.md.
 */
import { EBADF, EBUSY, ECORRUPT, EEXIST, EMFILE, ENFILE, ENOENT, ENOSPC, OK } from "./errors.ts";
import {
  HEADER, NONE, T_DATA, T_MOVE, T_NAME, T_PEND, TOMB, get32, pad4, put16, put32, recordSize, tagMake,
} from "./format.ts";
import { codedError } from "../coded-error.ts";
import {
  OPEN_APPEND, OPEN_CREATE, OPEN_EXCL, OPEN_REPLACE, K_LIVE, K_PENDING, H_WRITE, H_REPLACE, H_FAILED, END, STOP,
  NOWHERE, alive, secIndex, put, crcOk, recRead, slotNew, slotFree, idNew, secUsed, nameBytes, nameAt, lookup,
} from "./fs.ts";
import type { Fs } from "./fs.ts";
import { room } from "./gc.ts";
/**
 * Fill in the record of the write buffer (its bytes sit at buf[12]): a DATA
 * from buf[4], or with `pend` an unsynced DATA (T_PEND, with this session's
 * epoch) from buf[0]. Returns the index where it ends.
 */
function dataRecord(fs: Fs, s: number, pend: number): number {
  const b = fs.buf;
  const st = pend ? 0 : 4;
  const len = 8 - st + fs.fill;
  const end = st + 4 + pad4(len);
  put32(b, st, tagMake(len, pend ? T_PEND : T_DATA, fs.ids[s]));
  put32(b, st + 4, fs.sizes[s] + fs.pend[s]);
  if (pend) put32(b, 8, fs.epoch);
  for (let k = 12 + fs.fill; k < end; k++) b[k] = 0;
  put32(b, end, fs.crc(b.subarray(st, end)) >>> 0);
  return end + 4;
}

/** Write a NAME record into b at o, then its erased tombstone; returns its size. */
function nameRecord(fs: Fs, b: Uint8Array, o: number, id: number, name: Uint8Array, old: number): number {
  const len = 4 + name.length;
  const body = 4 + pad4(len);
  put32(b, o, tagMake(len, T_NAME, id));
  put16(b, o + 4, old);
  put16(b, o + 6, NONE);
  b.set(name, o + 8);
  for (let k = o + 4 + len; k < o + body; k++) b[k] = 0;
  put32(b, o + body, fs.crc(b.subarray(o, o + body)) >>> 0);
  put32(b, o + body + 4, NOWHERE);
  return body + 4 + TOMB;
}

/**
 * Write the buffered appends as one record. A sync (`sync` 1) writes DATA,
 * which makes the file's unsynced records count too, even with nothing
 * buffered; otherwise a live file's bytes go out unsynced (T_PEND: mount
 * drops them if no sync follows). A replacement's stay DATA: its pending id
 * hides them.
 */
function flush(fs: Fs, sync: number): number {
  const s = fs.owner;
  if (s < 0 || (fs.fill === 0 && !(sync && fs.pend[s]))) return OK;
  const pend = sync || fs.kinds[s] !== K_LIVE ? 0 : 1;
  const r = room(fs, recordSize(4 + 4 * pend + fs.fill), 0);
  if (r < 0) return r;
  if (pend && !fs.epoch) fs.epoch = fs.next++;
  const end = dataRecord(fs, s, pend);
  put(fs, fs.head * fs.sector + fs.pos, fs.buf.subarray(4 - 4 * pend, end));
  fs.pos += end - 4 + 4 * pend;
  if (pend) fs.pend[s] += fs.fill;
  else {
    fs.sizes[s] += fs.pend[s] + fs.fill;
    fs.pend[s] = 0;
  }
  fs.fill = 0;
  return OK;
}

/** Sync slot s: its buffered bytes and unsynced records become durable together. */
function syncSlot(fs: Fs, s: number): number {
  if (fs.owner !== s) {
    if (!fs.pend[s]) return OK;
    const r = flush(fs, 0);
    if (r < 0) return r;
    fs.owner = s;
  }
  return flush(fs, 1);
}

function handleSlot(fs: Fs, h: number): number {
  alive(fs);
  if (!(h >= 0 && h < fs.hslot.length) || fs.hslot[h] === -1) throw codedError(EBADF, "file handle is not open");
  return fs.hslot[h];
}

/**
 * Open `name`. flags: 0 read; OPEN_APPEND write at the end; OPEN_CREATE
 * create if missing (durable when this returns); OPEN_EXCL with CREATE fail
 * if it exists; OPEN_REPLACE write a new version, invisible until fileClose
 * atomically swaps it in. Returns a handle >= 0, or ENOENT, EEXIST, EINVAL,
 * ENAMETOOLONG, EMFILE, ENFILE, ENOSPC.
 */
export function fileOpen(fs: Fs, name: string, flags: number): number {
  alive(fs);
  const nb = nameBytes(name);
  if (typeof nb === "number") return nb;
  let h = 0;
  while (h < fs.hslot.length && fs.hslot[h] !== -1) h++;
  if (h === fs.hslot.length) return EMFILE;
  const hash = fs.crc(nb) >>> 0;
  let s = lookup(fs, nb, hash);
  let mode = flags & OPEN_APPEND ? H_WRITE : 0;
  if (flags & OPEN_REPLACE) {
    s = slotNew(fs, idNew(fs), K_PENDING);
    if (s < 0) return ENFILE;
    fs.hashes[s] = hash;
    mode = H_WRITE | H_REPLACE;
  } else if (s < 0) {
    if (!(flags & OPEN_CREATE)) return ENOENT;
    const r = room(fs, recordSize(4 + nb.length) + TOMB, 0);
    if (r < 0) return r;
    s = slotNew(fs, idNew(fs), K_LIVE);
    if (s < 0) return ENFILE;
    const b = new Uint8Array(recordSize(4 + nb.length) + TOMB);
    nameRecord(fs, b, 0, fs.ids[s], nb, NONE);
    fs.locs[s] = fs.head * fs.sector + fs.pos;
    fs.tombs[s] = fs.locs[s] + b.length - TOMB;
    fs.hashes[s] = hash;
    put(fs, fs.locs[s], b.subarray(0, b.length - TOMB));
    fs.pos += b.length;
  } else if (flags & OPEN_CREATE && flags & OPEN_EXCL) return EEXIST;
  fs.hslot[h] = s;
  fs.hmode[h] = mode;
  fs.hseq[h] = 0;
  fs.hname[h] = name;
  return h;
}

/**
 * Append `data` to the file. Buffered (a full buffer goes to flash): durable,
 * and visible after a power cut, only once fileSync or fileClose returns. Returns the bytes taken (fewer than
 * given when the device fills up), or EBADF (not open for writing, or
 * stale) or ENOSPC. After a short or failed write on an OPEN_REPLACE
 * handle, fileClose discards the new version (it would be truncated).
 */
export function fileWrite(fs: Fs, h: number, data: Uint8Array): number {
  const s = handleSlot(fs, h);
  if (s < 0 || !(fs.hmode[h] & H_WRITE)) return EBADF;
  if (fs.owner !== s) {
    const r = flush(fs, 0);
    if (r < 0) {
      fs.hmode[h] |= H_FAILED;
      return r;
    }
    fs.owner = s;
  }
  let done = 0;
  while (done < data.length) {
    if (fs.fill === fs.cap) {
      const r = flush(fs, 0);
      if (r < 0) {
        fs.hmode[h] |= H_FAILED;
        return done > 0 ? done : r;
      }
    }
    const k = Math.min(fs.cap - fs.fill, data.length - done);
    fs.buf.set(data.subarray(done, done + k), 12 + fs.fill);
    fs.fill += k;
    done += k;
  }
  return done;
}

/**
 * Make every byte appended so far durable: after this returns 0 the data
 * survives any power cut. Everything appended between two syncs becomes
 * durable (and visible after a cut) all together or not at all. Returns 0,
 * EBADF or ENOSPC.
 */
export function fileSync(fs: Fs, h: number): number {
  const s = handleSlot(fs, h);
  if (s < 0) return EBADF;
  return syncSlot(fs, s);
}

/** Swap a replacing version in: its last data and its NAME record in one program. */
function commit(fs: Fs, h: number, p: number): number {
  const nb = nameBytes(fs.hname[h]) as Uint8Array;
  if (fs.owner !== p && fs.fill) {
    const r = flush(fs, 0);
    if (r < 0) return r;
  }
  const n = fs.owner === p ? fs.fill : 0;
  const dsize = n ? recordSize(4 + n) : 0;
  const r = room(fs, dsize + recordSize(4 + nb.length) + TOMB, 0);
  if (r < 0) return r;
  const old = lookup(fs, nb, fs.hashes[p]);
  if (n) dataRecord(fs, p, 0);
  const size = dsize + nameRecord(fs, fs.buf, 4 + dsize, fs.ids[p], nb, old >= 0 ? fs.ids[old] : NONE);
  const at = fs.head * fs.sector + fs.pos;
  put(fs, at, fs.buf.subarray(4, 4 + size - TOMB));
  fs.pos += size;
  fs.tombs[p] = at + size - TOMB;
  fs.sizes[p] += n;
  if (fs.owner === p) {
    fs.fill = 0;
    fs.owner = -1;
  }
  fs.kinds[p] = K_LIVE;
  fs.locs[p] = at + dsize;
  if (old >= 0) slotFree(fs, old);
  return OK;
}

/**
 * Close a handle: flush its appends; for OPEN_REPLACE, atomically replace
 * the file with the new version. The handle is closed whatever happens.
 * Returns 0, or ENOSPC: then a replacement did not happen (the old version
 * stays, the new one is discarded) and appends not yet synced are dropped;
 * everything synced before stays.
 */
export function fileClose(fs: Fs, h: number): number {
  const s = handleSlot(fs, h);
  let r = OK;
  if (s >= 0) {
    const replace = fs.hmode[h] & H_REPLACE;
    r = replace ? (fs.hmode[h] & H_FAILED ? ENOSPC : commit(fs, h, s)) : syncSlot(fs, s);
    if (r < 0 && replace) slotFree(fs, s);
    else if (r < 0) {
      if (fs.owner === s) {
        fs.owner = -1;
        fs.fill = 0;
      }
      // Its unsynced records stay on flash: a new epoch keeps later ones of the same offsets apart.
      fs.pend[s] = 0;
      fs.epoch = 0;
    }
  }
  fs.hslot[h] = -1;
  fs.hname[h] = "";
  return r;
}

/**
 * Copy the overlap of the DATA or T_PEND record/entry at fs.win[j] with
 * [lo, hi) into out; returns the bytes copied. With `rank` (one per byte of
 * out), a byte is taken only over one of lower rank (none < T_PEND by epoch
 * < DATA), and only newly filled bytes count: records cut off before their
 * sync may overlap later ones (fileRead).
 */
function copyData(fs: Fs, j: number, lo: number, hi: number, out: Uint8Array, rank: Uint32Array | null): number {
  const w = fs.win;
  const tag = get32(w, j);
  const p = ((tag >>> 12) & 15) === T_PEND ? 4 : 0;
  const off = get32(w, j + 4);
  const x = Math.max(lo, off);
  const y = Math.min(hi, off + (tag & 0xfff) - 4 - p);
  if (x >= y) return 0;
  if (p) fs.pn = 1;
  if (!rank) {
    out.set(w.subarray(j + 8 + p + x - off, j + 8 + p + y - off), x - lo);
    return y - x;
  }
  const r = p ? get32(w, j + 8) + 1 : 0xffffffff;
  let n = 0;
  for (let k = x - lo; k < y - lo; k++) {
    if (rank[k] >= r) continue;
    if (!rank[k]) n++;
    rank[k] = r;
    out[k] = w[j + 8 + p + k + lo - off];
  }
  return n;
}

/** Collect the bytes of file `id` in [lo, hi) found in sector i from offset `from`. */
function scanSector(fs: Fs, i: number, from: number, id: number, lo: number, hi: number, out: Uint8Array, rank: Uint32Array | null): number {
  const base = i * fs.sector;
  const end = base + fs.sector;
  const min = base + from;
  let a = base + HEADER;
  let got = 0;
  for (;;) {
    const t = recRead(fs, a, end, false);
    if (t === END || t === STOP) break;
    const size = fs.size;
    const j = fs.at;
    if ((t === T_DATA || t === T_PEND) && a >= min && get32(fs.win, j) >>> 16 === id && crcOk(fs, j)) {
      got += copyData(fs, j, lo, hi, out, rank);
    } else if (t === T_MOVE && a + size > min && crcOk(fs, j)) {
      for (let p = 12; p < size - 4; ) {
        const tag = get32(fs.win, j + p);
        const e = (tag >>> 12) & 15;
        if (a + p >= min && tag >>> 16 === id && (e === T_DATA || e === T_PEND)) got += copyData(fs, j + p, lo, hi, out, rank);
        p += 4 + pad4(tag & 0xfff);
      }
    }
    a += size;
  }
  return got;
}

/**
 * Read up to out.length bytes of the file at `offset` into `out`. Returns
 * the bytes read (0 at or past the end), EBADF (stale), or ECORRUPT (part
 * of the range is missing or fails its CRC).
 */
export function fileRead(fs: Fs, h: number, offset: number, out: Uint8Array): number {
  const s = handleSlot(fs, h);
  if (s < 0) return EBADF;
  const flashed = fs.sizes[s] + fs.pend[s];
  const size = flashed + (fs.owner === s ? fs.fill : 0);
  if (offset >= size) return 0;
  const n = Math.min(out.length, size - offset);
  if (offset + n > flashed) {
    const from = Math.max(offset, flashed);
    out.set(fs.buf.subarray(12 + from - flashed, 12 + offset + n - flashed), from - offset);
  }
  const need = Math.min(offset + n, flashed) - offset;
  if (need <= 0) return n;
  fs.pn = 0;
  let got = readScan(fs, h, s, offset, need, out, null);
  // Unsynced records a cut left behind may overlap later ones: where any took part, copy again by rank.
  if (fs.pn) got = readScan(fs, h, s, offset, need, out, new Uint32Array(need));
  return got !== need ? ECORRUPT : n;
}

/** Scan the log for file s's bytes [offset, offset + need) into out, from the handle's hint on. */
function readScan(fs: Fs, h: number, s: number, offset: number, need: number, out: Uint8Array, rank: Uint32Array | null): number {
  const first = Math.max(fs.lows[s], fs.tail);
  const span = fs.seq - first + 1;
  let start = fs.hseq[h];
  if (start < first || start > fs.seq) start = first;
  let got = 0;
  for (let k = 0; k < span && (rank || got < need); k++) {
    let q = start + k;
    if (q > fs.seq) q -= span;
    const i = secIndex(fs, q);
    if (!secUsed(fs, i, q)) continue;
    const g = scanSector(fs, i, q === fs.tail ? fs.cursor : HEADER, fs.ids[s], offset, offset + need, out, rank);
    if (g > 0) {
      got += g;
      fs.hseq[h] = q;
    }
  }
  return got;
}

/** Bytes in the file, buffered appends included; EBADF if stale. */
export function fileSize(fs: Fs, h: number): number {
  const s = handleSlot(fs, h);
  if (s < 0) return EBADF;
  return fs.sizes[s] + fs.pend[s] + (fs.owner === s ? fs.fill : 0);
}

/**
 * Remove a file: program its tombstone (in the head's snapshot, or after its
 * NAME record in the head). Needs no room, so it works on a full device
 * after any cuts. Returns 0, ENOENT, EBUSY (open), EINVAL.
 */
export function fsRemove(fs: Fs, name: string): number {
  alive(fs);
  const nb = nameBytes(name);
  if (typeof nb === "number") return nb;
  const s = lookup(fs, nb, fs.crc(nb) >>> 0);
  if (s < 0) return ENOENT;
  for (let h = 0; h < fs.hslot.length; h++) if (fs.hslot[h] === s) return EBUSY;
  put(fs, fs.tombs[s], new Uint8Array(TOMB));
  slotFree(fs, s);
  return OK;
}

/** A file's name and size. */
export interface FileInfo {
  name: string;
  size: number;
}

/** A file's name and size, or null if its name is unreadable (damaged: fsCheck reports it). */
/** @internal */
export function infoOf(fs: Fs, s: number): FileInfo | null {
  const m = nameAt(fs, fs.locs[s], fs.ids[s]);
  if (m === null || fs.crc(m) >>> 0 !== fs.hashes[s]) return null;
  let name = "";
  for (let k = 0; k < m.length; k++) {
    if (m[k] < 32 || m[k] > 126) return null;
    name += String.fromCharCode(m[k]);
  }
  return { name: name, size: fs.sizes[s] + fs.pend[s] + (fs.owner === s ? fs.fill : 0) };
}

/** Every live file whose name is readable, in file-table order (fsCheck reports the others). */
export function fsList(fs: Fs): FileInfo[] {
  alive(fs);
  const r: FileInfo[] = [];
  for (let s = 0; s < fs.kinds.length; s++) {
    if (fs.kinds[s] !== K_LIVE) continue;
    const f = infoOf(fs, s);
    if (f !== null) r.push(f);
  }
  return r;
}

/** One file's name and size, or ENOENT / EINVAL / ENAMETOOLONG. */
export function fsStat(fs: Fs, name: string): FileInfo | number {
  alive(fs);
  const nb = nameBytes(name);
  if (typeof nb === "number") return nb;
  const s = lookup(fs, nb, fs.crc(nb) >>> 0);
  return s < 0 ? ENOENT : infoOf(fs, s) || ECORRUPT;
}

/**
 * Close every handle (committing replacements) and detach. Returns 0 or
 * the first error a close returned (see fileClose); the fs is unmounted
 * either way.
 */
export function fsUnmount(fs: Fs): number {
  alive(fs);
  let r = OK;
  for (let h = 0; h < fs.hslot.length; h++) {
    if (fs.hslot[h] !== -1) {
      const c = fileClose(fs, h);
      if (c < 0 && r === OK) r = c;
    }
  }
  fs.open = 0;
  return r;
}
