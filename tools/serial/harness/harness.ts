/**
 * The on-device test harness: registers tests, runs them one at a time, reports each over the console.
 *
 * Usage (a suite, test/hil/<name>.hil.ts):
 *   import { test } from "../../tools/serial/harness/harness.ts";
 *   test("adds", () => { if (1 + 1 !== 2) throw new Error("math"); });
 *   test("waits", (done) => { setTimeout(done, 10); });          // callback style
 *   test("promises", () => new Promise((ok) => setTimeout(ok, 10)));
 *
 * Errors: a test fails when it throws, calls `done(error)`, or its promise
 * rejects; the message is reported. Timeouts are the host's to enforce
 * (`exo test --timeout`): it calls `global.__exoHarness.skip()` to go on.
 *
 * Contract (the framed format; tools/serial/hil.ts parses it): one line per
 * event, `EXO1 <crc32 of json, 8 hex> <json>`, json = {r: run id, s: sequence
 * number from 0, e: "plan"|"start"|"pass"|"fail"|"end", …}: plan {n, names},
 * start {i}, pass {i, ms}, fail {i, ms, m}, end {pass, fail}. The CRC and
 * the sequence let the host tell a lost or garbled line from a result.
 * Device code: passes the dialect gate (no destructuring, no async, no
 * default parameters).
 */

declare const E: { CRC32(data: string): number };
declare function print(...args: unknown[]): void;
declare function getTime(): number;
declare const global: Record<string, unknown>;

type Done = (error?: unknown) => void;
interface Entry {
  suite: string;
  name: string;
  fn: (done: Done) => unknown;
}

const entries: Entry[] = [];
let suiteName = "";
let run = 0;
let sequence = 0;
let current = -1;
let passed = 0;
let failedCount = 0;
let started = 0;

function hex8(n: number): string {
  let text = (n >>> 0).toString(16);
  while (text.length < 8) text = "0" + text;
  return text;
}

function emit(event: Record<string, unknown>): void {
  event.r = run;
  event.s = sequence++;
  const json = JSON.stringify(event);
  print("EXO1 " + hex8(E.CRC32(json)) + " " + json);
}

function message(error: unknown): string {
  if (error && typeof error === "object" && (error as { message?: unknown }).message !== undefined) return String((error as { message: unknown }).message);
  return String(error);
}

/** The suite the following `test` calls belong to (the bundle sets it per file). */
export function suite(name: string): void {
  suiteName = name;
}

/** Register a test. `fn` may take `done`, return a promise, or just return. */
export function test(name: string, fn: (done: Done) => unknown): void {
  entries.push({ suite: suiteName, name: name, fn: fn });
}

function finish(index: number, error: unknown): void {
  if (index !== current) return; // a late callback of a test the host skipped
  const ms = Math.round((getTime() - started) * 1000);
  if (error === undefined) {
    passed++;
    emit({ e: "pass", i: index, ms: ms });
  } else {
    failedCount++;
    emit({ e: "fail", i: index, ms: ms, m: message(error) });
  }
  next(index + 1);
}

function next(index: number): void {
  current = index;
  if (index >= entries.length) {
    emit({ e: "end", pass: passed, fail: failedCount });
    return;
  }
  // A fresh turn of the event loop per test: the host's EVAL that started the run has returned.
  setTimeout(function () {
    if (current !== index) return;
    const entry = entries[index];
    emit({ e: "start", i: index });
    started = getTime();
    let settled = false;
    const done: Done = function (error?: unknown) {
      if (settled) return;
      settled = true;
      finish(index, error === undefined || error === null ? undefined : error);
    };
    try {
      const result = entry.fn(done) as { then?: (ok: () => void, bad: (e: unknown) => void) => void } | undefined;
      if (result && typeof result.then === "function") {
        result.then(function () { done(); }, function (error: unknown) { done(error === undefined ? "rejected" : error); });
      } else if (entry.fn.length === 0) {
        done();
      }
    } catch (error) {
      done(error === undefined ? "threw" : error);
    }
  }, 1);
}

declare function setTimeout(fn: () => void, ms: number): number;

/** Start the run: `id` identifies it (a reset mid-run loses it, which is how the host sees one). */
export function start(id: number): void {
  run = id;
  sequence = 0;
  passed = 0;
  failedCount = 0;
  const names: string[] = [];
  for (let i = 0; i < entries.length; i++) names.push(entries[i].suite + " > " + entries[i].name);
  emit({ e: "plan", n: entries.length, names: names });
  next(0);
}

global.__exoHarness = {
  start: start,
  /** The host gave up on the current test (timeout): report it and go on. */
  skip: function () {
    const index = current;
    if (index < 0 || index >= entries.length) return;
    failedCount++;
    emit({ e: "fail", i: index, ms: Math.round((getTime() - started) * 1000), m: "timeout (skipped by the host)" });
    next(index + 1);
  },
  id: function () {
    return run;
  },
};
