/** The interpreter's timers and clock, for the kernel's timer service. */
// Espruino's timer ids are numbers (Node's typings say Timeout).
export const after = (ms: number, fn: () => void): number => setTimeout(fn, ms) as unknown as number;
export const every = (ms: number, fn: () => void): number => setInterval(fn, ms) as unknown as number;
export const cancel = (id: number): void => clearTimeout(id as never);
/** Milliseconds since boot. */
export const now = (): number => getTime() * 1000;
