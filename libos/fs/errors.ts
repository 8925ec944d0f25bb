/**
 * libos/fs error codes: one closed set, negative errno numbers (littlefs style).
 *
 * Usage: `const r = fileWrite(fs, h, data); if (r < 0) …` — expected outcomes
 * are returned as these codes; misuse (a bad handle, an unmounted fs) throws
 * an `Error` whose `code` is one of them.
 *
 * Errors: this file is the list.
 */

/** Success. */
export const OK = 0;
/** No such file. */
export const ENOENT = -2;
/** Bad or stale file handle (the file was replaced or removed under it). */
export const EBADF = -9;
/** The file is open and cannot be removed. */
export const EBUSY = -16;
/** The file exists and OPEN_EXCL was given. */
export const EEXIST = -17;
/** Invalid argument or configuration (name, flags, geometry, config field). */
export const EINVAL = -22;
/** The file table is full (`FsConfig.files` live and pending files). */
export const ENFILE = -23;
/** Too many open handles (`FsConfig.handles`). */
export const EMFILE = -24;
/** No space left: the live data does not leave room for the write. */
export const ENOSPC = -28;
/** File name longer than 28 bytes. */
export const ENAMETOOLONG = -36;
/** No valid file system, or the data needed is damaged. */
export const ECORRUPT = -84;

export type FsCode =
  | typeof OK | typeof ENOENT | typeof EBADF | typeof EBUSY | typeof EEXIST | typeof EINVAL
  | typeof ENFILE | typeof EMFILE | typeof ENOSPC | typeof ENAMETOOLONG | typeof ECORRUPT;

/** A code in words for a person ("ENOSPC: no space left (-28)"); a byte count or other number as it is. */
export function fsErrorText(code: number): string {
  // A switch, not a table: no object in every app that links this.
  let words = "";
  switch (code) {
    case ENOENT: words = "ENOENT: no such file"; break;
    case EBADF: words = "EBADF: bad or stale file handle"; break;
    case EBUSY: words = "EBUSY: the file is open"; break;
    case EEXIST: words = "EEXIST: the file exists"; break;
    case EINVAL: words = "EINVAL: invalid argument or configuration"; break;
    case ENFILE: words = "ENFILE: the file table is full"; break;
    case EMFILE: words = "EMFILE: too many open handles"; break;
    case ENOSPC: words = "ENOSPC: no space left"; break;
    case ENAMETOOLONG: words = "ENAMETOOLONG: name longer than 28 bytes"; break;
    case ECORRUPT: words = "ECORRUPT: no valid file system, or damaged data"; break;
  }
  return words ? words + " (" + code + ")" : "" + code;
}
