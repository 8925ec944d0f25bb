/** The interpreter's timers and clock, for the kernel's timer service. */
// Espruino's timer ids are numbers (Node's typings say Timeout).
export const after = (ms: number, fn: () => void): number => setTimeout(fn, ms) as unknown as number;
export const every = (ms: number, fn: () => void): number => setInterval(fn, ms) as unknown as number;
export const cancel = (id: number): void => clearTimeout(id as never);
/**
 * Milliseconds of the device clock (getTime() × 1000). The native itself, not
 * a JS closure: every upcall and scheduler step reads it, and a JS layer
 * costs ~2.5× (espruino.md §2; measured: −29k instructions per task switch).
 */
export const now: () => number = Date.now;
