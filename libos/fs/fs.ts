/**
 * libos/fs: a power-safe log-structured file system over a flash extent.
 *
 * Usage:
 *   fsFormat(extent, services);                 // once: erases the extent
 *   const fs = fsMount(extent, services);       // an Fs, or a negative code
 *   const h = fileOpen(fs, "log.0", OPEN_CREATE | OPEN_APPEND);
 *   fileWrite(fs, h, bytes); fileSync(fs, h);   // durable once sync returns
 *   fsGc(fs, 4);                                // in idle time: erases live here
 *
 * Errors: expected outcomes return the negative codes of errors.ts (ENOENT,
 * ENOSPC, …); misuse (a handle that is not open, an unmounted fs) throws an
 * Error whose `code` is EBADF or EINVAL.
 *
 * Revocation: the fs holds only the extent and services it was given; if the
 * kernel revokes the extent, every call throws what the extent throws, and
 * the flash stays consistent (every write is an atomic record).
 *
 * Contract: SPEC.md (the on-flash format), DESIGN.md (why).
 */
import type { FlashExtent, Services } from "../../firmware/types.ts";
import { EBADF, EBUSY, ECORRUPT, EEXIST, EINVAL, EMFILE, ENAMETOOLONG, ENFILE, ENOENT, ENOSPC, OK } from "./errors.ts";
import {
  ENTRY, FS_FORMAT_VERSION, HEADER, MAGIC, MARKER, NAME_MAX, NONE, P_DIRTY, P_FOREIGN, P_READY, RESERVE, SNAP_FIXED,
  T_DATA, T_MOVE, T_NAME, T_PEND, T_SNAP, TOMB,
  geometryWord, get16, get32, pad4, put16, put32, recordMax, recordSize, tagMake,
} from "./format.ts";
import { codedError } from "../coded-error.ts";

/**
 * Configuration. Every field may be omitted; the same object (or an equal
 * one) should be given to fsFormat and fsMount.
 */
export interface FsConfig {
  /** Most files that may exist at once, live plus being replaced. Default 64 (fewer on sectors under 4 KiB: as many as fit a snapshot of half a sector); 1..1024; each costs 23 bytes of RAM and 24 bytes of every snapshot (entry and tombstone). */
  files?: number;
  /** Most handles open at once. Default 4; 1..255. */
  handles?: number;
  /** Write-buffer size in data bytes: the size of each record appends go out in (all appends between two syncs become visible together at the sync). Default 512; clamped to 16..min(1024, sector/4) - 28. */
  buffer?: number;
  /** Bytes per read call when scanning a sector. Default min(2048, sector); at least min(1024, sector/4) and the largest snapshot, at most the sector. */
  read?: number;
  /** Free sectors fsGc keeps erased ahead of the log head when the tail it must reclaim is mostly dead. Default 8; at least 4, at most count - 1. */
  spare?: number;
}

/** Garbage-collection counters (fsStats reports them). */
export interface FsGcCounters {
  /** Records moved from a reclaimed sector to the head. */
  moved: number;
  /** Bytes of those records. */
  bytes: number;
  /** Sectors erased (format included). */
  erases: number;
  /** GC steps (moves or erases) done inside a write call instead of fsGc. */
  forced: number;
}

/** A mounted file system. Its fields are private to libos/fs (check.ts reads them too). */
export interface Fs {
  // The medium.
  /** The extent the kernel granted (reads, programs and erases are checked there). */
  flash: FlashExtent;
  /** CRC-32 (E.CRC32 on the device, handed over with the capabilities). */
  crc: (data: Uint8Array | string) => number;
  /** Bytes per sector, sectors in the extent. */
  sector: number;
  count: number;
  /** The largest record a sector takes (recordMax), bytes. */
  record: number;
  /** Data bytes one write buffer holds (FsConfig.buffer, clamped). */
  cap: number;
  /** Bytes per read call when scanning (FsConfig.read). */
  chunk: number;
  /** Free sectors idle GC keeps ahead of the head (FsConfig.spare). */
  spare: number;

  // The log: a ring of sectors from the tail (oldest) to the head (newest), each with a sequence number.
  /** Index of the head sector, and where its next record goes (bytes from the sector's start). */
  head: number;
  pos: number;
  /** Sequence number of the head. */
  seq: number;
  /** Sequence number of the tail, and where its live data starts (records before `cursor` were moved or are dead). */
  tail: number;
  cursor: number;
  /** Where the collector's scan of the tail goes on (bytes from the tail's start). */
  walk: number;
  /** The tail's live bytes (`held`), valid while `probe` is tail * 65536 + cursor (-1: scan again). */
  held: number;
  probe: number;
  /** One bit per sector: its header was checked this mount (in the log: used, with the seq its place implies; outside: ready). */
  ok: Uint8Array;

  // The read window: one read call's bytes, reused while a scan stays inside it.
  /** The bytes, and the extent offset they start at. */
  win: Uint8Array;
  base: number;
  /** The last record recRead looked at: its size on flash and its index in `win`. */
  size: number;
  at: number;

  // The file table, one slot per file (FsConfig.files), as typed arrays (an Array costs a variable per element on Espruino).
  /** File id (0: the slot is free), and K_LIVE or K_PENDING (a replacement not yet committed). */
  ids: Uint16Array;
  kinds: Uint8Array;
  /** Synced bytes, and bytes gone out unsynced (PEND records) since the last sync. */
  sizes: Uint32Array;
  pend: Uint32Array;
  /** The oldest sequence number that may hold the file's data (reads start there). */
  lows: Uint32Array;
  /** Name hash, where the name is stored (extent offset), where its tombstone word is. */
  hashes: Uint32Array;
  locs: Uint32Array;
  tombs: Uint32Array;
  /** The next id to hand out (ids and epochs come from this counter). */
  next: number;
  /** The epoch of this session's unsynced records (0: none taken yet). */
  epoch: number;

  // The write buffer: one file's appends, gone out as a record when full or at a sync.
  /** Record bytes (tag, offset, epoch, data) and the data bytes in it, and the slot they belong to (-1: empty). */
  buf: Uint8Array;
  fill: number;
  owner: number;

  // Handles (FsConfig.handles).
  /** Slot (-1 free, -2 stale: the file went), H_* mode bits, the sequence a read goes on from, the name (replace commits under it). */
  hslot: Int16Array;
  hmode: Uint8Array;
  hseq: Uint32Array;
  hname: string[];
  /** Set by a read that met PEND bytes: copy again by rank (fileRead). */
  pn: number;

  // Space.
  /** 1: the last write found the device full after a whole lap of collection (ENOSPC is final until a file goes). */
  full: number;
  /** Tail sectors idle GC erased since free space was last comfortable (at `count`: it stops, a lap is enough). */
  laps: number;
  /** 0 once unmounted: every call then throws. */
  open: number;
  gc: FsGcCounters;
}

/** fileOpen flags. 0 opens an existing file for reading. */
export const OPEN_APPEND = 1;
export const OPEN_CREATE = 2;
export const OPEN_EXCL = 4;
/** Write a new version that atomically replaces the file (or creates it) at fileClose. */
export const OPEN_REPLACE = 8;

/** @internal */
export const K_LIVE = 1;
const K_PENDING = 2;
const H_WRITE = 1;
const H_REPLACE = 2;
const H_FAILED = 4;
const END = 0;
const STOP = -1;
const BAD = -2;
const NOWHERE = 0xffffffff;
/** Spare-work GC steps (each one erase or one MOVE batch) a write opening a sector does when fsGc has not. */
const FG = 1;

function alive(fs: Fs): void {
  if (!fs || !fs.open) throw codedError(EINVAL, "fs is not mounted");
}

/** Free sectors: the arc after the head, up to the tail. */
/** @internal */
export function freeCount(fs: Fs): number {
  return fs.count - (fs.seq - fs.tail + 1);
}

/** Sector index of a sequence number inside the log (or the next one). */
/** @internal */
export function secIndex(fs: Fs, seq: number): number {
  return (fs.head + fs.count - (fs.seq - seq)) % fs.count;
}

/** Make [off, off+len) readable in fs.win; returns the index of off in it. */
/** @internal */
export function winAt(fs: Fs, off: number, len: number): number {
  const w = fs.win;
  if (off >= fs.base && off + len <= fs.base + w.length) return off - fs.base;
  const end = off - (off % fs.sector) + fs.sector;
  let n = fs.chunk;
  if (off + n > end) n = end - off;
  if (n < len) n = len;
  fs.win = fs.flash.read(off, n);
  fs.base = off;
  return 0;
}

/** Program `data` at `off` and keep the read window coherent. */
function put(fs: Fs, off: number, data: Uint8Array): void {
  fs.flash.write(off, data);
  const w = fs.win;
  const d = off - fs.base;
  if (d < w.length && d + data.length > 0) {
    for (let k = 0; k < data.length; k++) {
      const j = d + k;
      if (j >= 0 && j < w.length) w[j] &= data[k];
    }
  }
}

/** Does the record at fs.win[i] match its CRC (after the padded body; tombstones follow it, outside)? */
/** @internal */
export function crcOk(fs: Fs, i: number): boolean {
  const n = 4 + pad4(get32(fs.win, i) & 0xfff);
  return (fs.crc(fs.win.subarray(i, i + n)) >>> 0) === get32(fs.win, i + n);
}

/**
 * Look at the record at `a` (sector ends at `end`): its type, END (erased),
 * STOP (unparseable), or BAD (CRC mismatch, skippable by fs.size). Sets
 * fs.size and fs.at (its index in fs.win).
 */
/** @internal */
export function recRead(fs: Fs, a: number, end: number, verify: boolean): number {
  if (a + 8 > end) return END;
  let i = winAt(fs, a, 4);
  const tag = get32(fs.win, i);
  if (tag === 0xffffffff) return END;
  const type = (tag >>> 12) & 15;
  const len = tag & 0xfff;
  // Tombstones follow a NAME (one) and a SNAP (one per entry).
  const size = recordSize(len) + (type === T_NAME ? TOMB : type === T_SNAP ? TOMB * (((len - SNAP_FIXED) / ENTRY) | 0) : 0);
  if (type < T_SNAP || type > T_PEND || a + size > end || size > fs.chunk || (type !== T_SNAP && size > fs.record)) return STOP;
  fs.size = size;
  i = winAt(fs, a, size);
  fs.at = i;
  if (verify && !crcOk(fs, i)) return BAD;
  if (type === T_MOVE && !moveOk(fs, i, size)) return BAD;
  return type;
}

/**
 * Is the MOVE record at fs.win[i] well formed: a cursor inside a sector, and
 * NAME/DATA entries that tile its body exactly? Checked where a MOVE is read,
 * so no reader steps out of the record on a hostile one.
 */
function moveOk(fs: Fs, i: number, size: number): boolean {
  const w = fs.win;
  const c = get32(w, i + 8);
  if (size < 16 || c < HEADER || c > fs.sector || c & 3) return false;
  let p = 12;
  while (p < size - 4) {
    const tag = get32(w, i + p);
    const len = tag & 0xfff;
    const type = (tag >>> 12) & 15;
    if (type === T_DATA ? len < 4 : type === T_PEND ? len < 8 : type !== T_NAME || len <= 4 || len > 4 + NAME_MAX) return false;
    p += 4 + pad4(len);
  }
  return p === size - 4;
}

/** @internal */
export function slotFind(fs: Fs, id: number): number {
  for (let s = 0; s < fs.kinds.length; s++) if (fs.kinds[s] && fs.ids[s] === id) return s;
  return -1;
}

function slotNew(fs: Fs, id: number, kind: number): number {
  for (let s = 0; s < fs.kinds.length; s++) {
    if (!fs.kinds[s]) {
      fs.ids[s] = id;
      fs.kinds[s] = kind;
      fs.sizes[s] = 0;
      fs.pend[s] = 0;
      fs.lows[s] = fs.seq;
      fs.hashes[s] = 0;
      fs.locs[s] = NOWHERE;
      return s;
    }
  }
  return -1;
}

/** Forget a file: its buffered data goes, handles on it go stale. */
function slotFree(fs: Fs, s: number): void {
  fs.kinds[s] = 0;
  if (fs.owner === s) {
    fs.owner = -1;
    fs.fill = 0;
  }
  for (let h = 0; h < fs.hslot.length; h++) if (fs.hslot[h] === s) fs.hslot[h] = -2;
  fs.full = 0;
  fs.laps = 0;
  fs.probe = -1;
}

function idNew(fs: Fs): number {
  for (;;) {
    const id = fs.next & 0xffff;
    fs.next = (fs.next + 1) >>> 0;
    if (id !== NONE && slotFind(fs, id) < 0) return id;
  }
}

/** A replayed record used `id`: never hand it out again. */
function idSeen(fs: Fs, id: number): void {
  const d = (id - fs.next) & 0xffff;
  if (d < 0x8000) fs.next = (fs.next + d + 1) >>> 0;
}

function headerCrc(fs: Fs, seq: number): number {
  const t = new Uint8Array(16);
  put32(t, 0, MAGIC);
  put32(t, 4, FS_FORMAT_VERSION);
  put32(t, 8, geometryWord(fs.sector, fs.count));
  put32(t, 12, seq);
  return fs.crc(t) >>> 0;
}

/**
 * What the 24-byte header at b[j] says: the sector's seq (used), P_READY,
 * P_DIRTY (not trusted: erase before use) or P_FOREIGN (another format or geometry).
 */
/** @internal */
export function hdrState(fs: Fs, b: Uint8Array, j: number): number {
  if (get32(b, j) !== MAGIC) return P_DIRTY;
  if (get32(b, j + 4) >>> 16 !== FS_FORMAT_VERSION >>> 16 || get32(b, j + 8) !== geometryWord(fs.sector, fs.count)) return P_FOREIGN;
  const seq = get32(b, j + 16);
  if (seq === 0xffffffff && get32(b, j + 20) === 0xffffffff) return P_READY;
  return get32(b, j + 20) === headerCrc(fs, seq) ? seq : P_DIRTY;
}

/** Read sector i's header alone (one read call of 24 bytes) and say what it is (hdrState). */
/** @internal */
export function secProbe(fs: Fs, i: number): number {
  return hdrState(fs, fs.flash.read(i * fs.sector, HEADER), 0);
}

function mark(fs: Fs, i: number): void {
  fs.ok[i >> 3] |= 1 << (i & 7);
}

/** Is free sector i erased and marked? Read from its header the first time this mount. */
function ready(fs: Fs, i: number): boolean {
  if ((fs.ok[i >> 3] >> (i & 7)) & 1) return true;
  if (secProbe(fs, i) !== P_READY) return false;
  mark(fs, i);
  return true;
}

/**
 * Is sector i of the log whole: does its header hold seq q? Read the first
 * time this mount, through the read window (which then holds the sector's
 * first records too); a sector that fails is lost, its records are skipped.
 */
/** @internal */
export function secUsed(fs: Fs, i: number, q: number): boolean {
  if ((fs.ok[i >> 3] >> (i & 7)) & 1) return true;
  const j = winAt(fs, i * fs.sector, HEADER);
  if (hdrState(fs, fs.win, j) !== q) return false;
  mark(fs, i);
  return true;
}

/** Erase sector i and write its ready marker. */
function secErase(fs: Fs, i: number): void {
  const a = i * fs.sector;
  if (fs.base >= a && fs.base < a + fs.sector) fs.win = new Uint8Array(0);
  fs.flash.erase(i);
  const m = new Uint8Array(MARKER);
  put32(m, 0, MAGIC);
  put32(m, 4, FS_FORMAT_VERSION);
  put32(m, 8, geometryWord(fs.sector, fs.count));
  put32(m, 12, fs.flash.erases(i));
  put(fs, a, m);
  mark(fs, i);
  fs.gc.erases++;
}

/**
 * Header seq + CRC, then the snapshot record: what opens sector i. Each
 * entry's tombstone (erased, after the CRC) is not programmed; fs.pos is
 * set past them.
 */
function snapBuild(fs: Fs, seq: number, i: number): Uint8Array {
  let k = 0;
  for (let s = 0; s < fs.kinds.length; s++) if (fs.kinds[s]) k++;
  const len = SNAP_FIXED + ENTRY * k;
  const b = new Uint8Array(8 + recordSize(len));
  let t = i * fs.sector + 16 + b.length;
  put32(b, 0, seq);
  put32(b, 4, headerCrc(fs, seq));
  put32(b, 8, tagMake(len, T_SNAP, NONE));
  put32(b, 12, fs.next);
  put32(b, 16, fs.tail);
  put32(b, 20, fs.cursor);
  let o = 24;
  for (let s = 0; s < fs.kinds.length; s++) {
    if (!fs.kinds[s]) continue;
    put16(b, o, fs.ids[s]);
    put16(b, o + 2, fs.kinds[s]);
    put32(b, o + 4, fs.sizes[s]);
    put32(b, o + 8, fs.lows[s]);
    put32(b, o + 12, fs.hashes[s]);
    put32(b, o + 16, fs.locs[s]);
    fs.tombs[s] = t;
    t += TOMB;
    o += ENTRY;
  }
  put32(b, o, fs.crc(b.subarray(8, o)) >>> 0);
  fs.pos = t - i * fs.sector;
  return b;
}

/** Open the next sector of the ring as the head. The caller checked free >= 1. */
function secAlloc(fs: Fs): void {
  const i = (fs.head + 1) % fs.count;
  if (!ready(fs, i)) {
    secErase(fs, i);
    fs.gc.forced++;
  }
  const seq = fs.seq + 1;
  const b = snapBuild(fs, seq, i);
  put(fs, i * fs.sector + 16, b);
  fs.head = i;
  fs.seq = seq;
}

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
function room(fs: Fs, size: number, level: number): number {
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

/** Name bytes (printable ASCII, 1..28), or EINVAL / ENAMETOOLONG. */
function nameBytes(name: string): Uint8Array | number {
  const n = name.length;
  if (n < 1) return EINVAL;
  if (n > NAME_MAX) return ENAMETOOLONG;
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c < 32 || c > 126) return EINVAL;
    b[i] = c;
  }
  return b;
}

/**
 * The name bytes of file `id`'s NAME record or entry at extent offset loc,
 * or null if loc holds no such NAME (a damaged or hostile location).
 */
/** @internal */
export function nameAt(fs: Fs, loc: number, id: number): Uint8Array | null {
  const o = loc % fs.sector;
  if (!(loc < fs.count * fs.sector) || loc & 3 || o < HEADER || o + 8 > fs.sector) return null;
  let i = winAt(fs, loc, 4);
  const tag = get32(fs.win, i);
  const len = tag & 0xfff;
  if (tag >>> 16 !== id || ((tag >>> 12) & 15) !== T_NAME || len <= 4 || len > 4 + NAME_MAX || o + 4 + len > fs.sector) return null;
  i = winAt(fs, loc, 4 + len);
  return fs.win.subarray(i + 8, i + 4 + len);
}

function lookup(fs: Fs, name: Uint8Array, hash: number): number {
  for (let s = 0; s < fs.kinds.length; s++) {
    if (fs.kinds[s] !== K_LIVE || fs.hashes[s] !== hash) continue;
    const m = nameAt(fs, fs.locs[s], fs.ids[s]);
    if (m === null || m.length !== name.length) continue;
    let k = 0;
    while (k < m.length && m[k] === name[k]) k++;
    if (k === m.length) return s;
  }
  return -1;
}

/** Validate a config against the extent and build an unmounted Fs (or a code). */
function fsNew(flash: FlashExtent, services: Services, config: FsConfig | undefined): Fs | number {
  const c: FsConfig = config || {};
  const sector = flash.sector;
  const count = flash.count;
  if (sector < 512 || (sector & (sector - 1)) !== 0 || count < RESERVE + 2 || count > 65535) return EINVAL;
  const files = c.files || Math.min(64, Math.floor((sector / 2 - 8 - SNAP_FIXED) / (ENTRY + TOMB)));
  const handles = c.handles || 4;
  const record = recordMax(sector);
  // A full unsynced record as a MOVE entry (tag, offset, epoch, bytes) plus the MOVE's 16 bytes fits a record.
  const cap = Math.min(c.buffer || 512, record - 28);
  const chunk = c.read || Math.min(2048, sector);
  const snap = 8 + SNAP_FIXED + (ENTRY + TOMB) * files;
  let spare = c.spare || 8;
  if (spare < RESERVE + 2) spare = RESERVE + 2;
  if (spare > count - 1) spare = count - 1;
  if (files > 1024 || handles > 255 || cap < 16 || chunk < record || chunk < snap || chunk > sector || snap > sector / 2) return EINVAL;
  const hname: string[] = [];
  for (let h = 0; h < handles; h++) hname.push("");
  const hslot = new Int16Array(handles);
  for (let h = 0; h < handles; h++) hslot[h] = -1;
  return {
    flash: flash,
    crc: services.crc32,
    pos: sector,
    head: count - 1,
    seq: 0,
    buf: new Uint8Array(recordSize(8 + cap) + recordSize(4 + NAME_MAX) + TOMB),
    fill: 0,
    owner: -1,
    win: new Uint8Array(0),
    base: 0,
    size: 0,
    at: 0,
    ids: new Uint16Array(files),
    kinds: new Uint8Array(files),
    sizes: new Uint32Array(files),
    pend: new Uint32Array(files),
    lows: new Uint32Array(files),
    hashes: new Uint32Array(files),
    locs: new Uint32Array(files),
    tombs: new Uint32Array(files),
    hslot: hslot,
    hmode: new Uint8Array(handles),
    hseq: new Uint32Array(handles),
    hname: hname,
    tail: 1,
    cursor: HEADER,
    walk: HEADER,
    next: 1,
    epoch: 0,
    pn: 0,
    ok: new Uint8Array((count + 7) >> 3),
    sector: sector,
    count: count,
    record: record,
    cap: cap,
    chunk: chunk,
    spare: spare,
    full: 0,
    laps: 0,
    probe: -1,
    held: 0,
    open: 1,
    gc: { moved: 0, bytes: 0, erases: 0, forced: 0 },
  };
}

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
