/**
 * GPIO pins as bound natives: the capability's fast path is Espruino's own
 * `digitalWrite`, bound once to a one-pin array the kernel keeps.
 *
 * Revocation: `release()` sets the array's element to undefined, so every copy
 * of `write`/`read` — even one an app cached — throws `Invalid pin`
 * (espruino.md §2: bound to `[p]` costs 6.1k instructions per call, the raw
 * call 8.7k).
 */
import type { BoundPin } from "../types.ts";

export function bindPin(n: number): BoundPin {
  const holder: (Pin | undefined)[] = [Pin(n)];
  return {
    cap: {
      write: digitalWrite.bind(undefined, holder),
      read: digitalRead.bind(undefined, holder),
      // pinMode takes no array: the closure reads the holder, so it follows revocation too.
      mode: (mode: string) => pinMode(holder[0], mode),
    },
    release: () => {
      pinMode(holder[0], "input");
      holder[0] = undefined;
    },
  };
}
