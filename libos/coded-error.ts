/**
 * An Error carrying a negative code from libos/fs/errors.ts (EINVAL -22, …),
 * for misuse the LibOS throws rather than returns. A function, not a
 * subclass: `extends Error` fails on Espruino (espruino.md §1).
 *
 * Usage: `throw codedError(-22, "fs is not mounted")`
 */
export function codedError(code: number, message: string): Error & { code: number } {
  const error = new Error(message) as Error & { code: number };
  error.code = code;
  return error;
}
