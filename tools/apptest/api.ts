/**
 * App tests: `import { test } from "exo/test"` in a `*.apptest.ts` file, run
 * by `exo test` on the simulated board (virtual time, a fresh erased flash
 * per test, the project's own build).
 *
 *   import assert from "node:assert/strict";
 *   import { test } from "exo/test";
 *
 *   test("a press toggles the LED", async (board) => {
 *     await board.until("button: ready");
 *     board.press("button");                  // a manifest pin name, or "D0"
 *     await board.run("200ms");
 *     assert.equal(board.pin("led"), 1);
 *     assert.match(board.text("button", "presses.log") ?? "", /^1\n/);
 *   });
 *
 * A test fails when its function throws (an assertion), when the time limit
 * passes, when the device hangs, and when an app faults (unless the test says
 * `{ faults: "allowed" }`): the message names the app, the error and its
 * place in the source.
 *
 * The registry lives on globalThis (Symbol.for), so a test file that reached
 * this module through another path (node_modules/exo, the checkout, the built
 * CLI) still registers with the runner.
 */
import type { status as kernelStatus } from "../../firmware/status.ts";

/** The kernel's status (firmware/status.ts), as `exo.status()` gives it. */
export type KernelStatus = ReturnType<typeof kernelStatus>;

/** A duration: milliseconds, or text as `exo sim --for` takes it ("120ms", "2s"). */
export type Duration = number | string;

/** The simulated board a test drives. Pins are a manifest pin name ("led", or "blinky.led" when two apps use it) or "D<n>". */
export interface TestBoard {
  /** Simulated milliseconds since the first power-on. */
  readonly now: number;
  /** Every console line so far, in order. */
  readonly lines: readonly string[];
  /** Advance virtual time (the apps run). */
  run(time: Duration): Promise<void>;
  /**
   * Advance until a console line not yet matched by `until` matches `pattern`
   * (a substring or a RegExp) and return it; throws when `within` (default 10 s
   * of simulated time) passes without one.
   */
  until(pattern: string | RegExp, within?: Duration): Promise<string>;
  /** A button to ground: drive the pin low now, let go after `time` (default 100 ms). */
  press(pin: string, time?: Duration): void;
  /** The outside world holds the pin at `level` from now on … */
  drive(pin: string, level: 0 | 1): void;
  /** … and lets it go. */
  release(pin: string): void;
  /** The pin's level now, 0 or 1. */
  pin(pin: string): 0 | 1;
  /** Level changes of the pin so far. */
  edges(pin: string): number;
  /** Power cut now; the board boots again at once with its flash as it was. */
  cut(): void;
  /** Names of the files in `app`'s file system (libos/fs on its flash extent); [] when it has none. */
  files(app: string): string[];
  /** A file's bytes from `app`'s file system, read on the host; undefined when absent. */
  file(app: string, name: string): Uint8Array | undefined;
  /** The same as text (latin1). */
  text(app: string, name: string): string | undefined;
  /** Send a UDP datagram to the app's packet filter (the manifest's `packets.port`). */
  send(app: string, data: Uint8Array | string): Promise<void>;
  /** Datagrams the device sent so far, as bytes, oldest first. */
  readonly sent: readonly Uint8Array[];
  /** The kernel's status: apps with state and faults, grants, repossessions, the ledger. */
  status(): KernelStatus;
}

export interface TestOptions {
  /** "allowed": an app's fault does not fail the test (check it with `board.status()`). */
  faults?: "allowed";
  /** Seed of Math.random and torn flash states (default 1). */
  seed?: number;
}

export type TestFunction = (board: TestBoard) => void | Promise<void>;

export interface RegisteredTest {
  name: string;
  options: TestOptions;
  fn: TestFunction;
}

const REGISTRY = Symbol.for("exo.apptest.registry");

/** The tests registered since the runner last took them. */
export function registered(): RegisteredTest[] {
  const store = globalThis as unknown as Record<symbol, RegisteredTest[] | undefined>;
  return (store[REGISTRY] ??= []);
}

/** Register a test; `exo test` runs it. */
export function test(name: string, fn: TestFunction): void;
export function test(name: string, options: TestOptions, fn: TestFunction): void;
export function test(name: string, a: TestOptions | TestFunction, b?: TestFunction): void {
  const fn = typeof a === "function" ? a : b;
  if (typeof name !== "string" || !name) throw new TypeError("test(name, fn): give the test a name");
  if (typeof fn !== "function") throw new TypeError(`test("${name}"): the last argument must be the test function`);
  registered().push({ name, options: typeof a === "function" ? {} : a, fn });
}
