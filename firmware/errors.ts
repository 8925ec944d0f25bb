/**
 * Kernel error codes: one closed set. 0 = ok; failures are negative, reusing
 * the errno number where one fits; Exo-only codes start at -200.
 * Plain consts, not enums: they compile to bare literals (STYLE.md).
 */
export const OK = 0;
export const EBUSY = -16; // resource held by another app, or quota used up
export const EINVAL = -22; // argument outside the granted range
export const EREVOKED = -200; // capability was revoked

/** An Error carrying a kernel code (no subclass: `extends Error` fails on Espruino). */
export function fail(code: number, message: string): Error {
  const error = new Error(message) as Error & { code: number };
  error.code = code;
  return error;
}
