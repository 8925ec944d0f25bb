/**
 * GPIO pins: one owner each; the capability's `write`/`read` are natives bound
 * once to a holder the kernel keeps (no check on the fast path).
 *
 * Usage: `grantPin(hal, app, "led", 2)` → the Issued entry; `entry.cap` is the PinCap.
 *
 * Errors: after revocation the capability's methods throw EREVOKED; a copy of
 * `write`/`read` an app cached throws the interpreter's `Invalid pin` (the
 * holder is empty), a copy of `mode`/`watch` throws EREVOKED.
 *
 * Revocation: watches cleared, pin reset to input, holder emptied.
 *
 * Contract: doc/xrd/xrd101-pins.md.
 */
import type { Hal } from "../hal/types.ts";
import type { App } from "./apps.ts";
import { issue, revoke, type Issued } from "./caps.ts";
import { EREVOKED, fail } from "./errors.ts";
import type { PinCap } from "./types.ts";
import { guard } from "./upcalls.ts";

export function grantPin(hal: Hal, app: App, local: string, n: number): Issued {
  const bound = hal.pin(n);
  const fast = bound.cap;
  const live = () => {
    if (entry.revoked) throw fail(EREVOKED, "app " + app.name + ": pins." + local + " revoked (" + entry.revoked + ")");
  };
  const cap: PinCap = {
    write: fast.write,
    read: fast.read,
    mode: (mode) => {
      live();
      fast.mode(mode);
    },
    watch: (fn, edge, debounce) => {
      live();
      return bound.watch(guard(app, fn), edge || "both", debounce || 0);
    },
    unwatch: (id) => bound.unwatch(id),
    close: () => revoke(entry, "released"),
  };
  const entry: Issued = issue(app.name, "pins." + local, cap, () => bound.release());
  return entry;
}
