/**
 * Apps: load and start each with its capabilities, fault and restart it, stop
 * it, and run the abort protocol (ask for a capability back by a deadline,
 * then take it).
 *
 * Usage (boot.ts):
 *   const app = newApp(grant);  startApp(hal, app);
 *   fault(app, error)                    // upcalls.ts calls it when an upcall throws
 *   stop(app, why)                       // the memory guard, the watchdog's quarantine
 *   reclaim(apps, "blinky", "pins.led", 100, "the host asked")
 *
 * Errors: nothing here throws into the kernel, whatever the app threw,
 * returned or defined: a thrown value is described without trusting it (its
 * getters and toString run inside a try, after its capabilities are
 * revoked); `start`'s return value is read once, inside the guard. `reclaim`
 * returns ENOENT for an unknown app or capability, else OK.
 *
 * Loading: an app's modules (its own and its instances of every LibOS it
 * links) are instantiated once, at boot, inside the guard (their top-level
 * code runs there); `dropFactories` then lets go of the code that made them.
 *
 * Revocation: a fault revokes everything the app holds (its timers are
 * cancelled, its pins reset to input, its flash and rings closed) before any
 * of its code can run again; the restart calls its `start` again (same
 * module instance) and grants it afresh, except what was repossessed.
 * Restarts back off: 100, 200, 400 ms; after RETRIES faults the app stays
 * stopped, and the kernel lets go of its instance.
 *
 * Contract: doc/xrd/xrd105-caps.md.
 */
import type { Hal } from "../hal/types.ts";
import { find, revoke, revokeAll } from "./caps.ts";
import { ENOENT, OK } from "./errors.ts";
import { grantExtent } from "./flash.ts";
import { grantPackets } from "./packets.ts";
import { grantPin } from "./pins.ts";
import { printable, servicesFor } from "./services.ts";
import { grantTimers } from "./timers.ts";
import type { AppCaps, PinCap } from "./types.ts";
import { upcall } from "./upcalls.ts";

/** Faults after which an app is not restarted. */
export const RETRIES = 3;
/** First restart delay, ms; it doubles with each fault. */
export const BACKOFF_MS = 100;
/** The longest error text kept from what an app threw. */
const ERROR_TEXT = 160;

/** What the build resolved from an app's manifest (exo:apps). */
export interface Grant {
  name: string;
  pins: Record<string, number>;
  timers: number;
  flash: number;
  packets?: { protocol: string; port: number; rx: number; tx: number; peer?: number };
  /** Instantiates the app's modules (their top-level code runs) and returns its `start`; once, at boot. */
  load: () => unknown;
}

/** The kernel's record of one app. */
export interface App {
  name: string;
  grant: Grant;
  /** Its position in the build's list (the ledger's boot records name apps by it). */
  index: number;
  /**
   * "running", "faulted" (a restart is due), "stopped" (too many faults, or
   * stopped by the kernel), "refused" (at boot) or "quarantined" (it hung the
   * device at boot several times in a row: see boot.ts).
   */
  state: string;
  /** Why it was refused or stopped, or the last fault's message. */
  error: string;
  faults: number;
  restarts: number;
  overruns: number;
  upcalls: number;
  /** Milliseconds spent in upcalls, in all, and the longest one. */
  cpu: number;
  worst: number;
  /** Variables charged to its upcalls since memory was last plentiful (health.ts). */
  grew: number;
  /** Console lines over its quota, dropped (services.ts). */
  logDropped: number;
  /** Capabilities repossessed or released on request: not granted again on restart. */
  withdrawn: string[];
  /** Its abort-protocol handler, read once from what `start` returned. */
  release: Function | undefined;
  /** Its entry's `start`, once loaded; undefined before, and once stopped (its instance is let go). */
  start: unknown;
}

/** One repossession: the app missed the deadline to give `name` back. */
export interface Repossession {
  app: string;
  name: string;
  reason: string;
  /** Kernel time, ms. */
  at: number;
}

export const repossessions: Repossession[] = [];
let hal: Hal;

export function newApp(grant: Grant, index: number): App {
  return {
    name: grant.name, grant, index, state: "running", error: "", faults: 0, restarts: 0, overruns: 0,
    upcalls: 0, cpu: 0, worst: 0, grew: 0, logDropped: 0, withdrawn: [], release: undefined, start: undefined,
  };
}

/**
 * Runs inside the guard: start the app and read its abort-protocol handler
 * once (a getter on what it returned runs here, as the app's own code).
 */
function startAndRead(start: unknown, caps: AppCaps): Function | undefined {
  if (typeof start !== "function") throw new Error("its entry's `start` is not a function");
  const handlers = start(caps);
  if (!handlers || typeof handlers !== "object") return undefined;
  const release = handlers.release;
  return typeof release === "function" ? release : undefined;
}

/** Load `app` (the first time), grant it its capabilities (all but the withdrawn) and call its start. */
export function startApp(h: Hal, app: App): void {
  hal = h;
  app.state = "running";
  app.release = undefined;
  if (app.start === undefined) {
    app.start = upcall(app, app.grant.load);
    if (app.state !== "running") return;
  }
  const gone = app.withdrawn;
  const pins: Record<string, PinCap> = {};
  for (const local of Object.keys(app.grant.pins)) {
    if (gone.indexOf("pins." + local) < 0) pins[local] = grantPin(h, app, local, app.grant.pins[local]).cap;
  }
  const caps: AppCaps = {
    pins,
    timer: grantTimers(h, app, gone.indexOf("timer") < 0 ? app.grant.timers : 0).cap,
    services: servicesFor(h, app),
  };
  const flash = gone.indexOf("flash") < 0 ? grantExtent(h, app) : undefined;
  if (flash) caps.flash = flash.cap;
  const net = gone.indexOf("packets") < 0 ? grantPackets(app) : undefined;
  if (net) caps.net = net.cap;
  const release = upcall(app, startAndRead, app.start, caps) as Function | undefined;
  if (app.state === "running") app.release = release;
}

/**
 * What an app threw, as text, without trusting it: its getters and toString
 * are app code (they run here, inside a try, with its capabilities already
 * revoked); a string or a number is used as it is, an object's `message` and
 * `code` only when they are a string and a number.
 */
function describe(error: unknown): string {
  try {
    if (typeof error === "string") return error.slice(0, ERROR_TEXT);
    if (typeof error !== "object" || !error) return typeof error === "function" ? "a function" : "" + (error as number);
    const message = (error as { message?: unknown }).message;
    const code = (error as { code?: unknown }).code;
    return (typeof message === "string" ? message.slice(0, ERROR_TEXT) : "a thrown " + (Array.isArray(error) ? "array" : "object")) +
      (typeof code === "number" ? " (" + code + ")" : "");
  } catch (e) {
    return "an error that could not be described";
  }
}

/** Start the faulted `app` again after `delay` ms, unless something else happened to it meanwhile. */
function restartAfter(app: App, delay: number): void {
  hal.timers.after(() => {
    if (app.state !== "faulted") return;
    app.restarts++;
    startApp(hal, app);
  }, delay);
}

/** Restart `app` after its back-off, or stop it after RETRIES faults. */
function scheduleRestart(app: App): void {
  if (app.faults > RETRIES) {
    app.state = "stopped";
    app.start = undefined;
    hal.log("kernel: app " + app.name + " faulted: " + app.error + "; stopped after " + app.faults + " faults");
    return;
  }
  const delay = BACKOFF_MS << (app.faults - 1);
  hal.log("kernel: app " + app.name + " faulted: " + app.error + "; restart " + app.faults + " of " + RETRIES + " in " + delay + " ms");
  restartAfter(app, delay);
}

/** An upcall of `app` threw: revoke everything it holds, restart it later (or stop it). */
export function fault(app: App, error: unknown): void {
  if (app.state !== "running") return;
  app.faults++;
  app.state = "faulted";
  app.release = undefined;
  revokeAll(app.name, "faulted");
  app.error = printable(describe(error));
  scheduleRestart(app);
}

/**
 * Restart `app` now without counting a fault (it was a bystander: the
 * interpreter interrupted its upcall, and dropped the interval it was in,
 * when another app ran the memory out): revoke everything, start again.
 */
export function restart(app: App, why: string): void {
  if (app.state !== "running") return;
  app.state = "faulted";
  app.release = undefined;
  revokeAll(app.name, "restarted");
  hal.log("kernel: app " + app.name + " restarted: " + why);
  restartAfter(app, 0);
}

/** Stop `app` for good (until the next boot): revoke everything, no restart. */
export function stop(app: App, why: string): void {
  if (app.state === "stopped") return;
  app.state = "stopped";
  app.error = why;
  app.release = undefined;
  app.start = undefined;
  revokeAll(app.name, "stopped");
  hal.log("kernel: app " + app.name + " stopped: " + why);
}

/** An upcall of `app` took `ms`, over its slice: reported now, counted in the status. */
export function overrun(app: App, ms: number, slice: number): void {
  app.overruns++;
  hal.log("kernel: app " + app.name + " overran: an upcall took " + Math.round(ms) + " ms, its slice is " + slice + " ms");
}

/**
 * The abort protocol: ask `appName` (its `release` handler) to give
 * capability `name` back within `ms`; at the deadline, if it has not, revoke
 * it and log a repossession. Either way it is not granted again on restart.
 * The deadline is armed before the app is asked, so nothing the handler does
 * (throw, loop, re-enter) can stop the repossession.
 */
export function reclaim(apps: App[], appName: string, name: string, ms: number, reason: string): number {
  let app: App | undefined;
  for (const a of apps) if (a.name === appName) app = a;
  const entry = app && typeof name === "string" && find(appName, name);
  if (!app || !entry) return ENOENT;
  const target = app;
  const deadline = typeof ms === "number" && ms >= 0 ? ms : 0;
  if (target.withdrawn.indexOf(name) < 0) target.withdrawn.push(name);
  hal.timers.after(() => {
    if (entry.revoked) return;
    revoke(entry, "repossessed");
    repossessions.push({ app: appName, name, reason, at: Math.round(hal.now()) });
    hal.log("kernel: repossessed " + name + " from app " + appName + " (" + reason + ")");
  }, deadline);
  if (target.release) upcall(target, target.release, name, deadline);
  return OK;
}

