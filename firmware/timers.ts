/**
 * The timer service: each app gets its own, with a quota of live timers and a
 * floor on periods, multiplexed on the interpreter's timers.
 *
 * Usage: `grantTimers(hal, app, quota)` → the Issued entry; `entry.cap` is the TimerCap.
 *
 * Errors (thrown, with `code`): `after`/`every` past the quota throw EBUSY;
 * `every` with a period under FLOOR_MS (or not a number) throws EINVAL —
 * `after(0, fn)` is allowed (a scheduler yields with it); after revocation
 * EREVOKED.
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

export function grantTimers(hal: Hal, app: App, quota: number): Issued {
  const timers = hal.timers;
  // Live timer ids; one-shots leave when they fire.
  const live: number[] = [];
  let limit = quota;
  const admit = () => {
    if (live.length >= limit) {
      if (entry.revoked) throw fail(EREVOKED, "app " + app.name + ": timer revoked (" + entry.revoked + ")");
      throw fail(EBUSY, "app " + app.name + ": timer quota of " + quota + " live timers used up");
    }
  };
  const forget = (id: number) => {
    const i = live.indexOf(id);
    if (i >= 0) live.splice(i, 1);
  };
  const cap: TimerCap = {
    after: (ms, fn) => {
      // The quota test inline, the throws in admit(): calling admit() cost 41k instructions per
      // after(0) hop (measured), and a scheduler makes one hop per pass.
      if (live.length >= limit) admit();
      const id = timers.after(ms > 0 ? ms : 0, () => {
        forget(id);
        upcall(app, fn);
      });
      live.push(id);
      return id;
    },
    every: (ms, fn) => {
      admit();
      if (!(ms >= FLOOR_MS)) throw fail(EINVAL, "app " + app.name + ": timer period " + ms + " ms is under the floor of " + FLOOR_MS + " ms");
      const id = timers.every(ms, () => upcall(app, fn));
      live.push(id);
      return id;
    },
    cancel: (id) => {
      if (live.indexOf(id) >= 0) {
        forget(id);
        timers.cancel(id);
      }
    },
    live: () => live.length,
    close: () => revoke(entry, "released"),
  };
  const entry: Issued = issue(app.name, "timer", cap, () => {
    limit = -1;
    while (live.length) timers.cancel(live.pop()!);
  });
  return entry;
}
