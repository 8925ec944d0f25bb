/**
 * Apps: start each with its capabilities, fault and restart it, and run the
 * abort protocol (ask for a capability back by a deadline, then take it).
 *
 * Usage (boot.ts):
 *   const app = newApp(grant);  startApp(hal, services, app);
 *   fault(app, error)                    // upcalls.ts calls it when an upcall throws
 *   reclaim("blinky", "pins.led", 100, "the host asked")
 *
 * Errors: nothing here throws into the kernel. `reclaim` returns ENOENT for an
 * unknown app or capability, else OK.
 *
 * Revocation: a fault revokes everything the app holds (its timers are
 * cancelled, its pins reset to input, its flash and rings closed); the
 * restart grants it afresh, except what was repossessed. Restarts back off:
 * 100, 200, 400 ms; after RETRIES faults the app stays stopped.
 *
 * Contract: doc/xrd/xrd105-caps.md.
 */
import type { Hal } from "../hal/types.ts";
import { find, held, revoke, revokeAll } from "./caps.ts";
import { ENOENT, OK } from "./errors.ts";
import { grantExtent } from "./flash.ts";
import { grantPackets } from "./packets.ts";
import { grantPin } from "./pins.ts";
import { grantTimers } from "./timers.ts";
import type { AppCaps, AppHandlers, AppStart, PinCap, Services } from "./types.ts";
import { upcall } from "./upcalls.ts";

/** Faults after which an app is not restarted. */
export const RETRIES = 3;
/** First restart delay, ms; it doubles with each fault. */
export const BACKOFF_MS = 100;

/** What the build resolved from an app's manifest (exo:apps). */
export interface Grant {
  name: string;
  pins: Record<string, number>;
  timers: number;
  flash: number;
  packets?: { protocol: string; port: number; rx: number; tx: number; peer?: number };
  start: AppStart;
}

/** The kernel's record of one app. */
export interface App {
  name: string;
  grant: Grant;
  /** "running", "faulted" (a restart is due), "stopped" (too many faults) or "refused" (at boot). */
  state: string;
  /** Why it was refused, or the last fault's message. */
  error: string;
  faults: number;
  restarts: number;
  overruns: number;
  upcalls: number;
  /** Milliseconds spent in upcalls, in all, and the longest one. */
  cpu: number;
  worst: number;
  /** Capabilities repossessed or released on request: not granted again on restart. */
  withdrawn: string[];
  handlers: AppHandlers | undefined;
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
let services: Services;

export function newApp(grant: Grant): App {
  return {
    name: grant.name, grant, state: "running", error: "", faults: 0, restarts: 0, overruns: 0,
    upcalls: 0, cpu: 0, worst: 0, withdrawn: [], handlers: undefined,
  };
}

/** Grant `app` its capabilities (all but the withdrawn) and call its start. */
export function startApp(h: Hal, s: Services, app: App): void {
  hal = h;
  services = s;
  app.state = "running";
  app.handlers = undefined;
  const gone = app.withdrawn;
  const pins: Record<string, PinCap> = {};
  for (const local in app.grant.pins) {
    if (gone.indexOf("pins." + local) < 0) pins[local] = grantPin(h, app, local, app.grant.pins[local]).cap as unknown as PinCap;
  }
  const caps: AppCaps = {
    pins,
    timer: grantTimers(h, app, gone.indexOf("timer") < 0 ? app.grant.timers : 0).cap as unknown as AppCaps["timer"],
    services: s,
  };
  const flash = gone.indexOf("flash") < 0 ? grantExtent(h, app) : undefined;
  if (flash) caps.flash = flash.cap as unknown as AppCaps["flash"];
  const net = gone.indexOf("packets") < 0 ? grantPackets(app) : undefined;
  if (net) caps.net = net.cap as unknown as AppCaps["net"];
  const handlers = upcall(app, app.grant.start, caps);
  if (app.state === "running" && handlers && typeof handlers === "object") app.handlers = handlers as AppHandlers;
}

/** An upcall of `app` threw: revoke everything it holds, restart it later (or stop it). */
export function fault(app: App, error: unknown): void {
  if (app.state !== "running") return;
  const e = error as { message?: string; code?: number };
  app.faults++;
  app.error = String(e && e.message !== undefined ? e.message : error) + (e && e.code ? " (" + e.code + ")" : "");
  app.state = "faulted";
  revokeAll(app.name, "faulted");
  if (app.faults > RETRIES) {
    app.state = "stopped";
    hal.log("kernel: app " + app.name + " faulted: " + app.error + "; stopped after " + app.faults + " faults");
    return;
  }
  const delay = BACKOFF_MS << (app.faults - 1);
  hal.log("kernel: app " + app.name + " faulted: " + app.error + "; restart " + app.faults + " of " + RETRIES + " in " + delay + " ms");
  hal.timers.after(delay, () => {
    if (app.state !== "faulted") return;
    app.restarts++;
    startApp(hal, services, app);
  });
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
 */
export function reclaim(apps: App[], appName: string, name: string, ms: number, reason: string): number {
  let app: App | undefined;
  for (const a of apps) if (a.name === appName) app = a;
  const entry = app && find(appName, name);
  if (!app || !entry) return ENOENT;
  const target = app;
  if (target.withdrawn.indexOf(name) < 0) target.withdrawn.push(name);
  const handlers = target.handlers;
  if (handlers && typeof handlers.release === "function") upcall(target, handlers.release, name, ms);
  hal.timers.after(ms, () => {
    if (entry.revoked) return;
    revoke(entry, "repossessed");
    repossessions.push({ app: appName, name, reason, at: Math.round(hal.now()) });
    hal.log("kernel: repossessed " + name + " from app " + appName + " (" + reason + ")");
  });
  return OK;
}

/** Names of the capabilities `app` holds now. */
export const holding = (app: App): string[] => held(app.name).map((entry) => entry.name);
