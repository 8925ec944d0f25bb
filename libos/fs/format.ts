/**
 * The on-flash format of libos/fs: constants and little-endian byte helpers.
 *
 * Usage: internal to libos/fs and to host tools that read images; SPEC.md is
 * the normative description of every constant here.
 *
 * Errors: none (pure functions).
 */

/** On-disk format version, major << 16 | minor. SPEC.md states the same number. */
export const FS_FORMAT_VERSION = 0x00020000;
/** Sector header word 0: "ExoF" read as a little-endian uint32. */
export const MAGIC = 0x466f7845;
/** Bytes of the sector header; the first record starts here. */
export const HEADER = 24;
/** Bytes of the ready marker (magic, version, geometry, erase count). */
export const MARKER = 16;

/** Record types (tag bits 12..15). 0, 4 (DEL of format 1) and 7..15 are never written. */
export const T_SNAP = 1;
export const T_NAME = 2;
export const T_DATA = 3;
export const T_MOVE = 5;
/** DATA flushed before its sync: counts only once a later DATA (the sync) of its file covers it; body offset, epoch, bytes. */
export const T_PEND = 6;

/** "No file": the id of records that belong to none, and NAME's empty `old`. */
export const NONE = 0xffff;
/** Bytes per file entry in a snapshot record. */
export const ENTRY = 20;
/** Bytes of a tombstone word: after a NAME record's CRC, and one per snapshot entry after the SNAP's CRC. */
export const TOMB = 4;
/** Bytes of a snapshot body before its entries (next id, tail seq, cursor). */
export const SNAP_FIXED = 12;
/** Free sectors that only the garbage collector and removals may take. */
export const RESERVE = 2;
/** Longest file name, in bytes. */
export const NAME_MAX = 28;

/** What a sector header says, besides a seq (>= 0: used): erased and marked, not trusted, another format or geometry. */
export const P_READY = -1;
export const P_DIRTY = -2;
export const P_FOREIGN = -3;

/** Read a little-endian uint32. */
export function get32(b: Uint8Array, i: number): number {
  return (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
}

/** Write a little-endian uint32. */
export function put32(b: Uint8Array, i: number, v: number): void {
  b[i] = v & 255;
  b[i + 1] = (v >>> 8) & 255;
  b[i + 2] = (v >>> 16) & 255;
  b[i + 3] = (v >>> 24) & 255;
}

/** Read a little-endian uint16. */
export function get16(b: Uint8Array, i: number): number {
  return b[i] | (b[i + 1] << 8);
}

/** Write a little-endian uint16. */
export function put16(b: Uint8Array, i: number, v: number): void {
  b[i] = v & 255;
  b[i + 1] = (v >>> 8) & 255;
}

/** Round up to a multiple of 4. */
export function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** A record tag: body length (12 bits), type (4 bits), file id (16 bits). */
export function tagMake(len: number, type: number, id: number): number {
  return (len | (type << 12) | (id << 16)) >>> 0;
}

/** Bytes a record takes on flash: tag, body padded to 4, CRC. */
export function recordSize(len: number): number {
  return 8 + pad4(len);
}

/** The largest record on a geometry: min(1024, sector / 4). */
export function recordMax(sector: number): number {
  return Math.min(1024, sector >> 2);
}

/** Geometry word of the sector header: count | log2(sector) << 16. */
export function geometryWord(sector: number, count: number): number {
  let log = 0;
  while (1 << log < sector) log++;
  return (count | (log << 16)) >>> 0;
}
