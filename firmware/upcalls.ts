/**
 * Upcalls: every call from the kernel into app code goes through `upcall`,
 * which times it, catches what it throws, and reports an overrun.
 *
 * Usage:
 *   configure({ now, slice: 20, fault: (app, e) => …, overrun: (app, ms) => …, interrupted: (app) => …, before, after });
 *   upcall(app, fn, a, b);                 // fn(a, b), guarded
 *   const cb = guard(app, fn);             // a function the hal may call later
 *   beCareful(true);                       // before/after around every upcall (health.ts)
 *
 * Errors: nothing escapes: an exception marks the app faulted (the fault
 * handler revokes and schedules a restart); its return value is then undefined.
 *
 * Interruption: Espruino ends deep recursion ("Too much recursion") and an
 * allocation that finds no memory ("OUT OF MEMORY") by interrupting the whole
 * callback: no `catch` runs (measured, espruino.md §2b). The app whose upcall
 * it was then stays `running` here; the next upcall finds it set and reports
 * it (`interrupted`), so the app is faulted like one that threw. The kernel
 * never upcalls from inside an upcall, so a set `running` at entry always
 * means an interruption.
 *
 * Care: while the kernel is careful (memory is low, or the watchdog suspects
 * a hang: health.ts), `before` and `after` run around every upcall (to count
 * the variables it kept, to write down who runs). Normal operation pays
 * nothing for it: `upcall` is then a different function.
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
  /** The interpreter interrupted `app`'s last upcall (recursion, out of memory). */
  interrupted: (app: App) => void;
  /** While careful: before and after an upcall of `app`. */
  before: (app: App) => void;
  after: (app: App) => void;
  /** Read the memory, charging what changed to `app`: called after every `memoryEvery` ms of upcall time. */
  memory: (app: App) => void;
  memoryEvery: number;
}

let policy: Policy;
/** The app whose upcall runs now; still set after an interruption. */
let running: App | undefined;
/** Upcall time since the memory was last read, ms. */
let spent = 0;

// Read on every upcall: kept in the module's own variables (a property read costs more on Espruino).
let clock: () => number;
let slice = 0;
let memoryEvery = 0;

export function configure(settings: Policy): void {
  policy = settings;
  clock = settings.now;
  slice = settings.slice;
  memoryEvery = settings.memoryEvery;
}

/** The app whose upcall is running (the watchdog's suspect), or undefined. */
export const current = (): App | undefined => running;

/** Report an interrupted upcall, if there was one (also from the kernel's own tick: no upcall may come for a while). */
export function checkInterrupted(): void {
  const app = running;
  running = undefined;
  if (app) policy.interrupted(app);
}

/** Call `fn(a, b)` in `app`, guarded and timed. Skipped if the app is not running. */
function plain(app: App, fn: Function, a?: unknown, b?: unknown): unknown {
  if (running) checkInterrupted();
  if (app.state !== "running") return undefined;
  const started = clock();
  let result: unknown;
  running = app;
  try {
    result = fn(a, b);
  } catch (error) {
    policy.fault(app, error);
  }
  running = undefined;
  const took = clock() - started;
  app.cpu += took;
  app.upcalls++;
  if (took > app.worst) app.worst = took;
  if (took > slice) policy.overrun(app, took);
  if ((spent += took) >= memoryEvery) {
    spent = 0;
    policy.memory(app);
  }
  return result;
}

/** `plain`, with the careful mode's before and after around it. */
function careful(app: App, fn: Function, a?: unknown, b?: unknown): unknown {
  policy.before(app);
  const result = plain(app, fn, a, b);
  policy.after(app);
  return result;
}

export let upcall: (app: App, fn: Function, a?: unknown, b?: unknown) => unknown = plain;

/** Run `before`/`after` around every upcall, or stop. */
export function beCareful(on: boolean): void {
  upcall = on ? careful : plain;
}

/** `fn` wrapped so that every call of it is an upcall into `app`. */
export function guard(app: App, fn: Function): (a?: unknown, b?: unknown) => unknown {
  return (a?: unknown, b?: unknown) => upcall(app, fn, a, b);
}
