/**
 * libos/fs: a power-safe log-structured file system over a flash extent.
 * This file holds the mounted state (Fs), sectors, records and the file
 * table; mount.ts, gc.ts and io.ts the rest; index.ts is the API apps import.
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
import { EINVAL, ENAMETOOLONG } from "./errors.ts";
import {
  ENTRY, FS_FORMAT_VERSION, HEADER, MAGIC, MARKER, NAME_MAX, NONE, P_DIRTY, P_FOREIGN, P_READY, RESERVE, SNAP_FIXED,
  T_DATA, T_MOVE, T_NAME, T_PEND, T_SNAP, TOMB, geometryWord, get32, pad4, put16, put32, recordMax, recordSize,
  tagMake,
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
/** @internal */
export const K_PENDING = 2;
/** @internal */
export const H_WRITE = 1;
/** @internal */
export const H_REPLACE = 2;
/** @internal */
export const H_FAILED = 4;
/** @internal */
export const END = 0;
/** @internal */
export const STOP = -1;
/** @internal */
export const BAD = -2;
/** @internal */
export const NOWHERE = 0xffffffff;
/** @internal */
export function alive(fs: Fs): void {
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
/** @internal */
export function put(fs: Fs, off: number, data: Uint8Array): void {
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

/** @internal */
export function slotNew(fs: Fs, id: number, kind: number): number {
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
/** @internal */
export function slotFree(fs: Fs, s: number): void {
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

/** @internal */
export function idNew(fs: Fs): number {
  for (;;) {
    const id = fs.next & 0xffff;
    fs.next = (fs.next + 1) >>> 0;
    if (id !== NONE && slotFind(fs, id) < 0) return id;
  }
}

/** A replayed record used `id`: never hand it out again. */
/** @internal */
export function idSeen(fs: Fs, id: number): void {
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

/** @internal */
export function mark(fs: Fs, i: number): void {
  fs.ok[i >> 3] |= 1 << (i & 7);
}

/** Is free sector i erased and marked? Read from its header the first time this mount. */
/** @internal */
export function ready(fs: Fs, i: number): boolean {
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
/** @internal */
export function secErase(fs: Fs, i: number): void {
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
/** @internal */
export function secAlloc(fs: Fs): void {
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

/** Name bytes (printable ASCII, 1..28), or EINVAL / ENAMETOOLONG. */
/** @internal */
export function nameBytes(name: string): Uint8Array | number {
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

/** @internal */
export function lookup(fs: Fs, name: Uint8Array, hash: number): number {
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
/** @internal */
export function fsNew(flash: FlashExtent, services: Services, config: FsConfig | undefined): Fs | number {
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
