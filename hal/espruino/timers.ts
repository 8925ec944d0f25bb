/** The interpreter's timers and clock, for the kernel's timer service. */
// The natives themselves (HalTimers); Espruino's timer ids are numbers (Node's typings say Timeout).
export const after = setTimeout as unknown as (fn: () => void, ms: number) => number;
export const every = setInterval as unknown as (fn: () => void, ms: number) => number;
export const cancel = clearTimeout as unknown as (id: number) => void;
/**
 * Milliseconds of the device clock (getTime() × 1000). The native itself, not
 * a JS closure: every upcall and scheduler step reads it, and a JS layer
 * costs ~2.5× (espruino.md §2; measured: −29k instructions per task switch).
 */
export const now: () => number = Date.now;
