/**
 * libos/fs: the API, one import for apps (as littlefs's lfs.h is to lfs.c).
 *
 * Usage: `import { fsMount, fileOpen, OPEN_CREATE } from "../../libos/fs/index.ts"`
 *   (or the object face, file.ts: `files(fs).open("log.a", "a").write(bytes)`)
 *
 * Errors: the negative codes of errors.ts, returned (never thrown) for what
 * can happen to a correct caller (a handle whose file was removed: EBADF);
 * misuse (a call on an unmounted fs, a handle that is not open) throws an
 * Error whose `code` is EINVAL or EBADF.
 * `fsErrorText(code)` says a code in words.
 *
 * Contract: SPEC.md (the on-flash format), DESIGN.md (the design, and its figures).
 *
 * --- The file system: format, mount, unmount (mount.ts, io.ts) -----------------
 *
 * fsFormat(extent, services, config?)  Erases the whole extent and writes an empty file system.
 *   Pre: nothing of value in the extent. Returns OK, or EINVAL (geometry or config not possible).
 * fsMount(extent, services, config?)   Finds the newest state (no write, no format).
 *   Pre: the same config as fsFormat. Returns an Fs, or ECORRUPT (no file system there),
 *   EINVAL (another geometry or format version, a bad config), ENFILE (more files than config.files).
 * fsUnmount(fs)                        Closes every handle (committing replacements) and detaches.
 *   Returns OK or the first error a close returned; unmounted either way, every later call throws.
 *
 * --- Files: open, write, sync, read, close (io.ts) --------------------------------
 *
 * fileOpen(fs, name, flags)   flags 0 read; OPEN_APPEND; OPEN_CREATE (durable on return); OPEN_EXCL (with
 *   CREATE: fail if it exists); OPEN_REPLACE (a new version, swapped in at fileClose). Pre: a name of
 *   1..28 bytes. Returns a handle >= 0, or ENOENT, EEXIST, EINVAL, ENAMETOOLONG, EMFILE, ENFILE, ENOSPC.
 * fileWrite(fs, h, bytes)     Appends (buffered). Pre: h open for writing. Returns the bytes taken (fewer
 *   when the device fills), EBADF or ENOSPC. Visible after a cut only once a sync returns.
 * fileSync(fs, h)             Everything appended so far becomes durable, all together or not at all.
 *   Returns OK, EBADF or ENOSPC.
 * fileRead(fs, h, offset, out) Returns the bytes read (0 at or past the end), EBADF, or ECORRUPT.
 * fileSize(fs, h)             Bytes in the file, buffered appends included; EBADF if stale.
 * fileClose(fs, h)            Flushes; OPEN_REPLACE swaps the new version in atomically. Closed whatever
 *   happens. Returns OK, or ENOSPC (the replacement did not happen; unsynced appends dropped).
 *
 * --- The directory: remove, list, stat (io.ts) ----------------------------------
 *
 * fsRemove(fs, name)   Needs no room (a tombstone): works on a full device after any cuts.
 *   Pre: the file is not open. Returns OK, ENOENT, EBUSY (open), EINVAL.
 * fsList(fs)           Every live file with a readable name: [{ name, size }].
 * fsStat(fs, name)     { name, size }, or ENOENT, EINVAL, ENAMETOOLONG.
 *
 * --- Space and health (gc.ts, check.ts) -----------------------------------------
 *
 * fsGc(fs, budget)     Idle-time collection, at most `budget` steps (writes collect by themselves when
 *   they must; this only makes them faster). Returns 0 (nothing left), 1 (more to do), or a negative code.
 * fsCheck(fs)          fsck: every record's CRC, every file's coverage; a cut last write is told from
 *   damage (CHECK_* problems). fsStats(fs): live and free space, erase counts, GC work.
 */
export { fsFormat, fsMount } from "./mount.ts";
export { fsUnmount, fsRemove, fsList, fsStat, fileOpen, fileWrite, fileSync, fileRead, fileClose, fileSize } from "./io.ts";
export { fsGc } from "./gc.ts";
export { OPEN_APPEND, OPEN_CREATE, OPEN_EXCL, OPEN_REPLACE } from "./fs.ts";
export type { Fs, FsConfig, FsGcCounters } from "./fs.ts";
export type { FileInfo } from "./io.ts";
export { fsCheck, fsStats, CHECK_BAD_RECORD, CHECK_LOST_SECTOR, CHECK_SHORT_FILE, CHECK_BAD_NAME, CHECK_NO_SNAPSHOT, CHECK_LOST_RECORDS, CHECK_BAD_VALUE } from "./check.ts";
export type { FsReport, FsStats } from "./check.ts";
export * from "./errors.ts";
export { FS_FORMAT_VERSION } from "./format.ts";
