/**
 * The timer service: each app gets its own, with a quota of live timers and a
 * floor on periods, multiplexed on the interpreter's timers.
 *
 * Usage: `grantTimers(hal, app, quota)` → the Issued entry; `entry.cap` is the TimerCap.
 *
 * Errors (thrown, with `code`): `after`/`every` past the quota throw EBUSY;
 * `every` with a period under FLOOR_MS (or not a number) and `after` with a
 * delay that is not a number throw EINVAL — `after(0, fn)` is allowed (a
 * scheduler yields with it); after revocation
 * EREVOKED. A callback that is not a function faults the app when it is due
 * (that is its own upcall).
 *
 * Revocation: every live timer of the app is cancelled; the quota drops to
 * nothing inside the closures, so every copy of `after`/`every` throws.
 *
 * Contract: doc/xrd/xrd103-timers.md.
 */
import type { Hal } from "../hal/types.ts";
import type { App } from "./apps.ts";
import { issue, revoke, type Issued } from "./caps.ts";
import { EBUSY, EINVAL, EREVOKED, fail } from "./errors.ts";
import type { TimerCap } from "./types.ts";
import { upcall } from "./upcalls.ts";

/** The shortest period `every` accepts, ms. */
export const FLOOR_MS = 10;

export function grantTimers(hal: Hal, app: App, quota: number): Issued<TimerCap> {
  const timers = hal.timers;
  // Live timer ids as keys (one-shots leave when they fire) and how many. An object and a count
  // cost ~88k instructions less per after(0) hop than an array's push, indexOf and splice
  // (measured), and a scheduler makes one hop per pass.
  const live: Record<number, number> = {};
  let count = 0;
  let limit = quota;
  /** Called when the quota is used up: throws why. */
  const refuse = () => {
    if (entry.revoked) throw fail(EREVOKED, "app " + app.name + ": timer revoked (" + entry.revoked + ")");
    throw fail(EBUSY, "app " + app.name + ": timer quota of " + quota + " live timers used up");
  };
  const cap: TimerCap = {
    after: (ms, fn) => {
      if (count >= limit) refuse();
      // typeof first: comparing an object would run its valueOf, app code inside this call, between the
      // quota check and the count (it could call after or close again).
      if (typeof ms !== "number") throw fail(EINVAL, "app " + app.name + ": timer delay of type " + typeof ms + " (give a number of ms)");
      const id = timers.after(() => {
        delete live[id];
        count--;
        upcall(app, fn);
      }, ms > 0 ? ms : 0);
      live[id] = 1;
      count++;
      return id;
    },
    every: (ms, fn) => {
      if (count >= limit) refuse();
      // typeof first: a period is read once as a number (an object's valueOf could say 10 to the check and 0.1 to the timer).
      if (!(typeof ms === "number" && ms >= FLOOR_MS)) throw fail(EINVAL, "app " + app.name + ": timer period " + (typeof ms === "number" ? ms + " ms" : "of type " + typeof ms) + " is under the floor of " + FLOOR_MS + " ms");
      const id = timers.every(() => upcall(app, fn), ms);
      live[id] = 1;
      count++;
      return id;
    },
    cancel: (id) => {
      // A number, as before (never "1" for 1); and === 1: "constructor" finds Object.prototype's.
      if (typeof id === "number" && live[id] === 1) {
        delete live[id];
        count--;
        timers.cancel(id);
      }
    },
    live: () => count,
    close: () => revoke(entry, "released"),
  };
  const entry = issue(app.name, "timer", cap, () => {
    limit = -1;
    // Keys first: deleting inside `for…in` ends Espruino's iteration after the first key.
    for (const id of Object.keys(live)) {
      timers.cancel(Number(id));
      delete live[id as unknown as number];
    }
    count = 0;
  });
  return entry;
}
