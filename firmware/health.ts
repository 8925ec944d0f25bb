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
 * Memory. The tick reads the variables in use. Below LOW free (a quarter),
 * the kernel becomes careful: every upcall counts the variables it kept
 * (`app.grew`); when free falls below CRITICAL (an eighth), the app that grew
 * most since memory went low is stopped (it is not restarted: it would grow
 * again) and the garbage collected. Above LOW again, counting stops. An app
 * that takes everything in one upcall is stopped by the interpreter itself
 * (OUT OF MEMORY interrupts it) and faulted as interrupted.
 *
 * Contract: doc/xrd/xrd105-caps.md §Faults, §Quotas.
 */
import type { Hal } from "../hal/types.ts";
import { stop, type App } from "./apps.ts";
import { bootHistory, recordBoot, recordRunning, recordStable, setQuarantine, quarantined } from "./flash.ts";
import { beCareful, checkInterrupted } from "./upcalls.ts";

/** The hardware watchdog's timeout, s. */
export const WATCHDOG_S = 5;
export const TICK_MS = 1000;
/** A boot that ran this long is stable: earlier resets are forgiven. */
export const STABLE_MS = 20000;
/** Unstable boots in a row, all blaming one app, that quarantine it. */
export const RESETS = 3;

let hal: Hal;
let apps: App[] = [];
let suspicious = false;
let stable = false;
let tight = false;
let total = 0;

/** Decide from the ledger which apps are quarantined, and record this boot. Returns the quarantined names. */
export function checkBoot(h: Hal, apps: App[]): string[] {
  hal = h;
  const names = apps.map((app) => app.name);
  const history = bootHistory(names);
  suspicious = history.length > 0;
  if (history.length >= RESETS) {
    const recent = history.slice(history.length - RESETS);
    const known = recent.filter((i) => i >= 0);
    const culprit = known[0];
    if (known.length >= 2 && known.every((i) => i === culprit) && apps[culprit]) {
      setQuarantine(apps[culprit].name, true);
      hal.log("kernel: app " + apps[culprit].name + " quarantined: the device reset " + RESETS + " times in a row while it ran");
    }
  }
  recordBoot(names);
  return quarantined();
}

/** Around every upcall while careful: write who runs (suspicious), count what it keeps (memory low). */
export function before(app: App): number {
  if (suspicious && app.state === "running") recordRunning(app.index);
  return tight ? hal.system.memory().usage : 0;
}

export function after(app: App, mark: number): void {
  if (!tight) return;
  const m = hal.system.memory();
  app.grew += m.usage - mark;
  total = m.total;
  if (total - m.usage < total / 8) stopGrower(m.usage);
}

/** Memory is nearly gone: stop the app that kept the most since it went low. */
function stopGrower(used: number): void {
  let worst: App | undefined;
  for (const app of apps) if (app.state === "running" && app.grew > 0 && (!worst || app.grew > worst.grew)) worst = app;
  if (!worst) return;
  stop(worst, "out of memory: it kept " + worst.grew + " more variables while memory was low (" + (total - used) + " of " + total + " free)");
  hal.system.collect();
}

/** Arm the watchdog and start the tick. */
export function startHealth(h: Hal, list: App[]): void {
  hal = h;
  apps = list;
  const born = hal.now();
  hal.system.watchdog(WATCHDOG_S);
  beCareful(suspicious);
  hal.timers.every(TICK_MS, () => {
    hal.system.kick();
    checkInterrupted();
    if (!stable && hal.now() - born >= STABLE_MS) {
      recordStable();
      stable = true;
      suspicious = false;
    }
    const m = hal.system.memory();
    total = m.total;
    const free = total - m.usage;
    if (!tight && free < total / 4) {
      tight = true;
      for (const app of apps) app.grew = 0;
    } else if (tight && free > total / 3) {
      tight = false;
    }
    if (tight && free < total / 8) stopGrower(total - free);
    beCareful(suspicious || tight);
  });
}

/** The host lets a quarantined app run again, from the next boot on. */
export function unquarantine(name: string): boolean {
  if (quarantined().indexOf(name) < 0) return false;
  setQuarantine(name, false);
  return true;
}
