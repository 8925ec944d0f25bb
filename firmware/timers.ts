/**
 * The timer service: each app gets its own, with a quota of live timers,
 * multiplexed on the interpreter's timers.
 *
 * Errors: `after`/`every` past the quota throw EBUSY.
 * Revocation: `cancelAll` clears every live timer of the app.
 */
import { after, cancel, every } from "../hal/espruino/timers.ts";
import type { TimerCap } from "./types.ts";
import { EBUSY, fail } from "./errors.ts";

export function timerService(app: string, quota: number): TimerCap & { cancelAll(): void } {
  // Live timer ids; one-shots leave when they fire.
  const live: number[] = [];
  const admit = () => {
    if (live.length >= quota) throw fail(EBUSY, app + ": timer quota " + quota + " used up");
  };
  const forget = (id: number) => {
    const i = live.indexOf(id);
    if (i >= 0) live.splice(i, 1);
  };
  return {
    after: (ms, fn) => {
      admit();
      const id = after(ms, () => {
        forget(id);
        fn();
      });
      live.push(id);
      return id;
    },
    every: (ms, fn) => {
      admit();
      const id = every(ms, fn);
      live.push(id);
      return id;
    },
    cancel: (id) => {
      if (live.indexOf(id) >= 0) {
        forget(id);
        cancel(id);
      }
    },
    cancelAll: () => {
      while (live.length) cancel(live.pop()!);
    },
  };
}
