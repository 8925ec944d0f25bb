/**
 * Kernel error codes: one closed set. 0 = ok; failures are negative, reusing
 * the errno number where one fits; Exo-only codes start at -200.
 * Plain consts, not enums: they compile to bare literals (STYLE.md).
 *
 * Every Error the kernel throws carries one of these as `code`; the message
 * names the app and the resource. doc/xrd/xrd105-caps.md lists them.
 */
export const OK = 0;
export const ENOENT = -2; // nothing matches (no packet filter for that port, no such capability)
export const EACCES = -13; // app code reached for something confined code may not use (a forbidden member)
export const EBUSY = -16; // resource held by another app, or quota used up
export const EINVAL = -22; // argument outside the granted range (offset, index, period, alignment)
export const ENOSPC = -28; // the board has not enough of a resource for every app
export const ENOBUFS = -105; // a packet ring is full: the packet was dropped and counted
export const EREVOKED = -200; // capability was revoked (released, repossessed or faulted)
export const ENOR = -201; // a flash program would need a 0 bit back to 1 (erase first)
export const ECONFLICT = -202; // two apps ask for one resource (boot refuses the second)

/** An Error carrying a kernel code (no subclass: `extends Error` fails on Espruino). */
export function fail(code: number, message: string): Error {
  const error = new Error(message) as Error & { code: number };
  error.code = code;
  return error;
}
