/**
 * The hardware interface the kernel uses: one factory per resource, device
 * style (callbacks, no Promises). hal/espruino implements it on the
 * interpreter; the simulator (hal/sim) provides the same Espruino globals, so
 * the very same hal/espruino code runs there.
 *
 * Contract: only firmware/ imports hal/ (DESIGN.md §1).
 */
import type { PinCap } from "../firmware/types.ts";

/** A pin bound once; `release` resets it to input and makes every copy of its methods throw. */
export interface BoundPin {
  cap: PinCap;
  release(): void;
}
