/**
 * The capability table: every capability the kernel issued, per app, and how
 * to revoke it.
 *
 * Usage:
 *   const entry = issue(app, "pins.led", cap, () => bound.release());
 *   revoke(entry, "repossessed");   // one capability
 *   revokeAll(app, "faulted");      // everything the app holds
 *
 * Errors: a method of a revoked capability throws EREVOKED naming the app,
 * the capability and why ("app blinky: pins.led revoked (faulted)").
 *
 * Revocation: `revoke` runs the manager's own revoke, which reaches the copies
 * an app may have cached (a bound native's holder emptied, a closure's range
 * set to nothing) and resets the hardware; then, for a clearer error, it
 * swaps the methods still on the capability object for one that throws
 * EREVOKED. It runs no app code: the object is the app's to change, so only
 * the keys the kernel put there, and only where they are still plain data
 * properties (not a getter or setter the app defined), are swapped.
 * Idempotent.
 *
 * Contract: doc/xrd/xrd105-caps.md. Capabilities are plain objects made by the
 * kernel; their authority is their identity (closures over kernel state), so a
 * look-alike object an app builds reaches nothing.
 */
import { EREVOKED, fail } from "./errors.ts";

/** One issued capability, `C` the object's type (PinCap, TimerCap, FlashExtent, PacketCap). */
export interface Issued<C extends object = object> {
  /** The app that holds it. */
  app: string;
  /** Its name as the status and the abort protocol use it: "pins.led", "flash", "timer", "packets". */
  name: string;
  /** The object handed to the app. */
  cap: C;
  /** The manager's revoke: reach cached copies, reset the hardware. */
  undo: () => void;
  /** Why it was revoked, or "" while live. */
  revoked: string;
  /** The method names the kernel put on `cap`. */
  methods: string[];
}

const table: Issued[] = [];

/** Record a capability the kernel just made for `app`. */
export function issue<C extends object>(app: string, name: string, cap: C, undo: () => void): Issued<C> {
  const methods = Object.keys(cap).filter((key) => typeof (cap as Record<string, unknown>)[key] === "function");
  const entry: Issued<C> = { app, name, cap, undo, revoked: "", methods };
  table.push(entry);
  return entry;
}

/** Revoke one capability: the manager's revoke, then the methods on the object swapped for throwers. */
export function revoke(entry: Issued, why: string): void {
  if (entry.revoked) return;
  entry.revoked = why;
  entry.undo();
  const message = "app " + entry.app + ": " + entry.name + " revoked (" + why + ")";
  const thrower = () => {
    throw fail(EREVOKED, message);
  };
  const cap = entry.cap as Record<string, unknown>;
  for (const key of entry.methods) {
    const property = Object.getOwnPropertyDescriptor(cap, key);
    if (property && !property.get && !property.set) cap[key] = thrower;
  }
}

/** The live capability `name` of `app`, or undefined. */
export function find(app: string, name: string): Issued | undefined {
  for (const entry of table) if (entry.app === app && entry.name === name && !entry.revoked) return entry;
  return undefined;
}

/** The live capabilities of `app`. */
export function held(app: string): Issued[] {
  return table.filter((entry) => entry.app === app && !entry.revoked);
}

/** Revoke everything `app` holds; forget its revoked entries. Returns how many were live. */
export function revokeAll(app: string, why: string): number {
  let count = 0;
  for (const entry of table) {
    if (entry.app === app && !entry.revoked) {
      revoke(entry, why);
      count++;
    }
  }
  // Drop the app's dead entries so restarts do not grow the table.
  for (let i = table.length - 1; i >= 0; i--) if (table[i].app === app && table[i].revoked) table.splice(i, 1);
  return count;
}
