/**
 * Upcalls: every call from the kernel into app code goes through `upcall`,
 * which times it, catches what it throws, and reports an overrun.
 *
 * Usage:
 *   configure({ now, slice: 20, fault: (app, e) => …, overrun: (app, ms) => … });
 *   upcall(app, fn, a, b);                 // fn(a, b), guarded
 *   const cb = guard(app, fn);             // a function the hal may call later
 *
 * Errors: nothing escapes: an exception marks the app faulted (the fault
 * handler revokes and schedules a restart); its return value is then undefined.
 *
 * Contract: doc/xrd/xrd105-caps.md §Faults. The kernel cannot pre-empt
 * JavaScript: an upcall that never returns is stopped only by the hardware
 * watchdog; one that returns late is reported in the same pass, with its time.
 */
import type { App } from "./apps.ts";

interface Policy {
  /** Milliseconds; advances while JavaScript runs. */
  now: () => number;
  /** The longest an upcall may take, ms. */
  slice: number;
  fault: (app: App, error: unknown) => void;
  overrun: (app: App, ms: number) => void;
}

let policy: Policy;

export function configure(settings: Policy): void {
  policy = settings;
}

/** Call `fn(a, b)` in `app`, guarded and timed. Skipped if the app is not running. */
export function upcall(app: App, fn: Function, a?: unknown, b?: unknown): unknown {
  if (app.state !== "running") return undefined;
  const now = policy.now;
  const started = now();
  let result: unknown;
  try {
    result = fn(a, b);
  } catch (error) {
    policy.fault(app, error);
  }
  const took = now() - started;
  app.cpu += took;
  app.upcalls++;
  if (took > app.worst) app.worst = took;
  if (took > policy.slice) policy.overrun(app, took);
  return result;
}

/** `fn` wrapped so that every call of it is an upcall into `app`. */
export function guard(app: App, fn: Function): (a?: unknown, b?: unknown) => unknown {
  return (a?: unknown, b?: unknown) => upcall(app, fn, a, b);
}
