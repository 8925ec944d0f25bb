/**
 * libos/fs public API: one import for apps.
 *
 * Usage: `import { fsMount, fileOpen, OPEN_CREATE } from "../../libos/fs/index.ts"`
 *
 * Errors: see errors.ts; every function documents the codes it returns.
 *
 * Contract: SPEC.md (format), DESIGN.md (design and figures).
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
