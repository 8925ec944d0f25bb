/**
 * GPIO pins: one owner each; the capability's `write`/`read` are natives bound
 * once to a holder the kernel keeps (no check on the fast path).
 *
 * Usage: `grantPin(hal, app, "led", 2)` → the Issued entry; `entry.cap` is the PinCap.
 *
 * Errors: after revocation the capability's methods throw EREVOKED; a copy of
 * `write`/`read` an app cached throws the interpreter's `Invalid pin` (the
 * holder is empty), a copy of `mode`/`watch` throws EREVOKED. `mode` takes a
 * string, `watch` a function, an edge of EDGES and a debounce of 0..MAX_DEBOUNCE
 * ms, else EINVAL; more than MAX_WATCHES live watches on one pin is EBUSY
 * (each costs the interpreter a record and a callback: unbounded, an app
 * could run the device out of memory).
 *
 * Re-binding: `write`/`read` are natives bound to the holder, and Espruino's
 * `bind` of a bound native copies the holder (espruino.md §2): the build
 * refuses `bind` in app code (tools/build/confine/dialect.ts), which is what
 * keeps the holder the only one.
 *
 * Revocation: watches cleared, pin reset to input, holder emptied.
 *
 * Contract: doc/xrd/xrd101-pins.md.
 */
import type { Hal } from "../hal/types.ts";
import type { App } from "./apps.ts";
import { issue, revoke, type Issued } from "./caps.ts";
import { EBUSY, ECONFLICT, EINVAL, EREVOKED, fail } from "./errors.ts";
import type { PinCap } from "./types.ts";
import { guard } from "./upcalls.ts";

/** Live watches one pin may have. */
export const MAX_WATCHES = 4;
/** The longest debounce, ms. */
export const MAX_DEBOUNCE = 10000;
export const EDGES = ["rising", "falling", "both"];

/**
 * Give each pin one owner among the board's `count` (at boot, before any
 * grant): `refuse` an app that asks for a pin the board does not have, or one
 * another app holds (naming both).
 */
export function reservePins(apps: App[], count: number, board: string, refuse: (app: App, code: number, why: string) => void): void {
  const owner: string[] = [];
  for (const app of apps) {
    // Own keys only (Object.keys, not for…in): the kernel trusts no inherited property.
    for (const local of Object.keys(app.grant.pins)) {
      const n = app.grant.pins[local];
      if (!(n >= 0 && n < count)) refuse(app, EINVAL, "pin " + local + " is D" + n + ", which board " + board + " does not have");
      else if (owner[n] !== undefined) refuse(app, ECONFLICT, "apps " + owner[n] + " and " + app.name + " both ask for pin D" + n);
      else owner[n] = app.name;
    }
  }
}

export function grantPin(hal: Hal, app: App, local: string, n: number): Issued<PinCap> {
  const bound = hal.pin(n);
  const fast = bound.cap;
  const live = () => {
    if (entry.revoked) throw fail(EREVOKED, "app " + app.name + ": pins." + local + " revoked (" + entry.revoked + ")");
  };
  const invalid = (what: string) => fail(EINVAL, "app " + app.name + ": pins." + local + ": " + what);
  let watches = 0;
  const cap: PinCap = {
    write: fast.write,
    read: fast.read,
    mode: (mode) => {
      live();
      if (typeof mode !== "string") throw invalid("a pin mode is a string such as \"output\"");
      fast.mode(mode);
    },
    watch: (fn, edge, debounce) => {
      live();
      const e = edge === undefined ? "both" : edge;
      const d = debounce === undefined ? 0 : debounce;
      if (typeof fn !== "function") throw invalid("watch takes a function");
      if (typeof e !== "string" || EDGES.indexOf(e) < 0) throw invalid("the edge is one of " + EDGES.join(", "));
      if (!(typeof d === "number" && d >= 0 && d <= MAX_DEBOUNCE)) throw invalid("debounce is 0.." + MAX_DEBOUNCE + " ms");
      if (watches >= MAX_WATCHES) throw fail(EBUSY, "app " + app.name + ": pins." + local + " has " + MAX_WATCHES + " watches already");
      watches++;
      return bound.watch(guard(app, fn), e, d);
    },
    unwatch: (id) => {
      if (typeof id === "number" && bound.unwatch(id)) watches--;
    },
    close: () => revoke(entry, "released"),
  };
  const entry = issue(app.name, "pins." + local, cap, () => bound.release());
  return entry;
}
