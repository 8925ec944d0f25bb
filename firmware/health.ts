/**
 * The kernel's own tick: what keeps one app from stopping the others when it
 * hangs, recurses too deep or eats the memory.
 *
 * Usage (boot.ts), before any app starts (a hang in `start` must be caught too):
 *   const quarantined = checkBoot(hal, apps);   // the ledger's boot history → quarantine
 *   startHealth(hal, apps);                     // the watchdog and the tick
 *
 * The watchdog. The kernel arms the hardware watchdog in manual mode and
 * kicks it from its tick (every TICK_MS), so only a callback that never
 * returns (`while (true) {}`) lets it bite. To survive that, every boot is
 * written into the flash ledger, and marked stable once it has run STABLE_MS.
 * A boot that follows an unstable one is suspicious: while suspicious, each
 * upcall writes which app it enters (only when that changes). When the last
 * RESETS boots all ended unstable and every one whose culprit is known
 * names the same app (at least two do), that app is quarantined: persisted
 * in the ledger, not started, its state "quarantined", until the host lets
 * it go (`exo.unquarantine(name)`) or a firmware with another set of apps is
 * booted. A hang later than STABLE_MS after boot is not attributed: the
 * watchdog resets the device each time and the others run in between.
 *
 * Interrupted upcalls (recursion, out of memory: upcalls.ts) are also found
 * by the tick when no upcall comes after them.
 *
 * Memory. Reading it costs the interpreter a walk over every variable
 * (~640k instructions with 16383: more than an upcall), so it is read each
 * tick and after every MEMORY_EVERY_MS of upcall time (an app that allocates
 * fast also spends time: about 2000 variables at most between readings), and
 * what changed is charged to the app whose upcall made the reading
 * (`app.grew`, zeroed while more than half is free). Below LOW free (a
 * quarter) the memory is read after every upcall; below CRITICAL (an eighth)
 * the app that grew most is stopped (not restarted: it would grow again),
 * after the kernel lets go of a small reserve it keeps for its own recovery.
 * An app that takes the rest in one upcall is interrupted by the interpreter
 * itself (OUT OF MEMORY) and stopped the same way (`interrupted`).
 *
 * Contract: doc/xrd/xrd105-caps.md §Faults, §Quotas.
 */
import type { Hal } from "../hal/types.ts";
import { restart, stop, type App } from "./apps.ts";
import { bootHistory, recordBoot, recordRunning, recordStable, setQuarantine, quarantined } from "./ledger.ts";
import { beCareful, checkInterrupted } from "./upcalls.ts";

/** The hardware watchdog's timeout, s. */
export const WATCHDOG_S = 5;
export const TICK_MS = 500;
/** A boot that ran this long is stable: earlier resets are forgiven. */
export const STABLE_MS = 20000;
/** Unstable boots in a row, all blaming one app, that quarantine it. */
export const RESETS = 3;
/**
 * Upcall time, ms, after which the memory is read again: an app that allocates fast also spends time
 * doing it (~10k instructions a variable on the interpreter: about 2000 variables in 20 ms of x86 time),
 * and a reading (~640k instructions) then costs ~3% of the upcalls' time.
 */
export const MEMORY_EVERY_MS = 20;
/** Fractions of the variables free: below LOW every upcall is measured, below CRITICAL the top grower is stopped. */
const LOW = 1 / 4;
const CRITICAL = 1 / 8;
/** An app that kept fewer variables than this since memory was last plentiful is never blamed. */
const MIN_GREW = 64;
/** Bytes the kernel holds back, to free when memory runs out so that it can still revoke and log. */
const RESERVE = 1536;

let hal: Hal;
let apps: App[] = [];
let suspicious = false;
let stable = false;
let tight = false;
let total = 0;
/** The variables the device has at least (a store that grows reports fewer until it must: the board says how many). */
let least = 0;
/** Variables in use at the last reading. */
let last = 0;
let reserve: Uint8Array | undefined;

/** Decide from the ledger which apps are quarantined, and record this boot. Returns the quarantined names. */
export function checkBoot(h: Hal, list: App[]): string[] {
  hal = h;
  const names = list.map((app) => app.name);
  const history = bootHistory(names);
  suspicious = history.length > 0;
  if (history.length >= RESETS) {
    const recent = history.slice(history.length - RESETS);
    const known = recent.filter((i) => i >= 0);
    const culprit = known[0];
    if (known.length >= 2 && known.every((i) => i === culprit) && list[culprit]) {
      setQuarantine(list[culprit].name, true);
      hal.log("kernel: app " + list[culprit].name + " quarantined: the device reset " + RESETS + " times in a row while it ran");
    }
  }
  recordBoot(names);
  return quarantined();
}

/** The running app that kept the most variables since memory was last plentiful (at least MIN_GREW), if any. */
function topGrower(): App | undefined {
  let worst: App | undefined;
  for (const app of apps) if (app.state === "running" && app.grew >= MIN_GREW && (!worst || app.grew > worst.grew)) worst = app;
  return worst;
}

/** Memory is nearly gone: stop `culprit` (or the top grower), then collect the garbage. */
function relieve(culprit: App | undefined): void {
  reserve = undefined;
  if (culprit) stop(culprit, "out of memory: it kept " + culprit.grew + " more variables while memory ran low (" + (total - last) + " of " + total + " free)");
  last = hal.system.collect();
}

/**
 * Read the memory; charge what changed since the last reading to `app`
 * (whose upcall made the reading), and act on what is left.
 */
export function readMemory(app?: App): void {
  const m = hal.system.memory();
  total = m.total > least ? m.total : least;
  if (app) app.grew += m.usage - last;
  last = m.usage;
  const free = total - m.usage;
  if (free > total / 2) for (const a of apps) a.grew = 0;
  tight = free < total * LOW;
  if (!tight && !reserve) reserve = new Uint8Array(RESERVE);
  if (free < total * CRITICAL) relieve(topGrower());
  beCareful(suspicious || tight);
}

/** Around every upcall while careful: write who runs (suspicious); the memory is read after each (memory low). */
export function before(app: App): void {
  if (suspicious && app.state === "running") recordRunning(app.index);
}

export function after(app: App): void {
  if (tight) readMemory(app);
}

/**
 * The interpreter interrupted an upcall of `app` (too much recursion, or out
 * of memory: whoever allocated last when it ran out). No catch ran, so its
 * state may be half-updated, and it would do the same again: it is stopped,
 * not restarted (and each time the interpreter prints a stack trace a frame
 * a line: a recursion costs it a quarter of a second on the Linux build).
 * Out of memory, the app that grew most is stopped instead when it is
 * another one; the interrupted bystander is restarted without a fault (the
 * interpreter also dropped the interval it was in).
 */
export function interrupted(app: App): void {
  reserve = undefined;
  const m = hal.system.memory();
  total = m.total > least ? m.total : least;
  last = m.usage;
  const culprit = total - m.usage < total * CRITICAL ? topGrower() || app : app;
  if (culprit === app) {
    app.faults++;
    stop(app, "execution interrupted (too much recursion, or out of memory)");
  } else {
    relieve(culprit);
    restart(app, "interrupted when app " + culprit.name + " ran the memory out");
  }
  last = hal.system.collect();
}

/** Arm the watchdog and start the tick; `variables`: what the device has at least (the board's). */
export function startHealth(h: Hal, list: App[], variables: number): void {
  hal = h;
  apps = list;
  least = variables;
  const born = hal.now();
  hal.system.watchdog(WATCHDOG_S);
  readMemory();
  hal.timers.every(() => {
    hal.system.kick();
    checkInterrupted();
    if (!stable && hal.now() - born >= STABLE_MS) {
      recordStable();
      stable = true;
      suspicious = false;
    }
    readMemory();
  }, TICK_MS);
}

/** The host lets a quarantined app run again, from the next boot on. */
export function unquarantine(name: string): boolean {
  if (quarantined().indexOf(name) < 0) return false;
  setQuarantine(name, false);
  return true;
}
