/**
 * GPIO pins as bound natives: the capability's fast path is Espruino's own
 * `digitalWrite`, bound once to a one-pin array the kernel keeps.
 *
 * Revocation: `release()` clears the pin's watches, sets it to input and the
 * array's element to undefined, so every copy of `write`/`read` — even one an
 * app cached — throws `Invalid pin` (espruino.md §2: bound to `[p]` costs
 * 6.1k instructions per call, the raw call 8.7k).
 */
import type { BoundPin } from "../types.ts";

export function bindPin(n: number): BoundPin {
  const holder: (Pin | undefined)[] = [Pin(n)];
  const watches: number[] = [];
  return {
    cap: {
      write: digitalWrite.bind(undefined, holder),
      read: digitalRead.bind(undefined, holder),
      // pinMode takes no array: the closure reads the holder, so it follows revocation too.
      mode: (mode: string) => pinMode(holder[0], mode),
    },
    watch: (fn, edge, debounce) => {
      const id = setWatch((e) => fn(e.state, e.time), holder[0]!, { repeat: true, edge, debounce });
      watches.push(id);
      return id;
    },
    unwatch: (id) => {
      const i = watches.indexOf(id);
      if (i < 0) return false;
      watches.splice(i, 1);
      clearWatch(id);
      return true;
    },
    release: () => {
      while (watches.length) clearWatch(watches.pop());
      if (holder[0] !== undefined) pinMode(holder[0], "input");
      holder[0] = undefined;
    },
  };
}
