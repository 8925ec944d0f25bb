/**
 * Hardware-in-the-loop test runs: bundle on-device suites with the harness, run them over a link, collect results.
 *
 * Usage:
 *   const code = await bundleSuites(root, ["test/hil/smoke.hil.ts"]);
 *   const run = await runSuites(client, code, { timers, timeoutMs: 5000 });   // client: a ProtocolClient
 *   writeFileSync("junit.xml", junitXml(run));
 *
 * Errors: `bundleSuites` throws a UserError when the gate rejects the bundle.
 * `runSuites` never throws for device trouble: a device that resets, hangs
 * or stops answering mid-run ends the run with `aborted` set, the test it
 * was in marked "error" and the rest "not run".
 *
 * Contract: tools/serial/harness/harness.ts defines the framed lines. The
 * suite bundle is uploaded to Storage (`exo.test`, verified by CRC-32), the
 * device is `reset()` first (a clean interpreter: the firmware does not run
 * during the tests) and `load()`ed after (unless `restore` is false). A test
 * without a result within `timeoutMs` of its start: the host asks the device
 * whether the run is still alive (its run id); alive → "timeout" and the
 * harness skips to the next; another id or none → the device was reset;
 * no answer → it hung or crashed.
 */
import { basename, join, resolve } from "node:path";
import { rollup, type Plugin } from "rollup";
import { crc32 } from "node:zlib";
import { deviceMinifier } from "../build/device.ts";
import { typescript } from "../build/transpile.ts";
import { UserError } from "../../hal/user-error.ts";
import { findRoot } from "../cli/root.ts";
import { checkBundle, formatViolation } from "../gate/check.ts";
import { ProtocolError, type ProtocolClient } from "./protocol.ts";
import { sleep, type Timers } from "./host-timers.ts";

export type TestStatus = "pass" | "fail" | "timeout" | "error" | "not run";

export interface TestResult {
  suite: string;
  name: string;
  status: TestStatus;
  /** Device-measured ms (pass/fail), host-measured for timeouts. */
  ms: number;
  message?: string;
}

export interface SuiteRun {
  tests: TestResult[];
  passed: number;
  failed: number;
  /** Why the run ended early (a reset, a hang, the link). */
  aborted?: string;
  /** Framed lines that failed their CRC or were missing (sequence gaps). */
  badLines: number;
  durationMs: number;
}

// From the checkout's root: the built CLI (dist/cli/) runs from another folder than this file.
const HARNESS = join(findRoot(import.meta.dirname), "tools", "serial", "harness", "harness.ts");
export const TEST_FILE = "exo.test";

/** One device bundle: the harness, then each suite file under its name. */
export async function bundleSuites(root: string, files: string[]): Promise<string> {
  const entry = "\0exo-hil-entry";
  const lines: string[] = [];
  files.forEach((file, i) => {
    lines.push(`import "\0exo-hil-suite:${i}";`, `import ${JSON.stringify(resolve(root, file))};`);
  });
  const virtual: Plugin = {
    name: "exo-hil-entry",
    resolveId: (id) => (id === entry || id.startsWith("\0exo-hil-suite:") ? id : null),
    load: (id) => {
      if (id === entry) return lines.join("\n");
      if (id.startsWith("\0exo-hil-suite:")) {
        const file = files[Number(id.slice("\0exo-hil-suite:".length))];
        return `import { suite } from ${JSON.stringify(HARNESS)};\nsuite(${JSON.stringify(basename(file).replace(/\.hil\.ts$/, ""))});`;
      }
      return null;
    },
  };
  const bundle = await rollup({ input: entry, plugins: [virtual, typescript("ES2015"), deviceMinifier()], treeshake: { moduleSideEffects: true } });
  try {
    const { output } = await bundle.generate({ format: "iife", strict: false, freeze: false });
    const code = output[0].code;
    const violations = checkBundle(code, { file: "hil-bundle.js" });
    if (violations.length) {
      throw new UserError(
        `the test bundle fails the dialect gate:\n${violations.slice(0, 5).map((v) => "  " + formatViolation(v)).join("\n")}`,
        "rewrite those constructs in the suites (the gate's rules: README, Device code)",
      );
    }
    return code;
  } finally {
    await bundle.close();
  }
}

interface Frame {
  r: number;
  s: number;
  e: "plan" | "start" | "pass" | "fail" | "end";
  i?: number;
  n?: number;
  names?: string[];
  ms?: number;
  m?: string;
  pass?: number;
  fail?: number;
}

/** Parse one console line: a frame, "bad" (an EXO1 line that fails its CRC), or undefined (other output). */
export function parseFrame(line: string): Frame | "bad" | undefined {
  const at = line.indexOf("EXO1 ");
  if (at < 0) return undefined;
  const m = /^EXO1 ([0-9a-f]{8}) (\{.*\})\s*$/.exec(line.slice(at));
  if (!m) return "bad";
  if (crc32(Buffer.from(m[2], "latin1")) !== parseInt(m[1], 16)) return "bad";
  try {
    return JSON.parse(m[2]) as Frame;
  } catch {
    return "bad";
  }
}

export interface RunSuitesOptions {
  timers: Timers;
  /** Per-test limit, ms. Default 5000. */
  timeoutMs?: number;
  /** `load()` the firmware again afterwards. Default true. */
  restore?: boolean;
  /** Each test as it ends. */
  onResult?: (result: TestResult) => void;
  /** Attach to the client's console (ProtocolClient's onConsole must forward here). */
  console: { listen(fn: (text: string) => void): void };
  /** Run id (default: from the clock). */
  runId?: number;
}

/** A console tap: the client's onConsole writes here, the runner listens. */
export function consoleTap(): { write(text: string): void; listen(fn: (text: string) => void): void } {
  let listener: ((text: string) => void) | undefined;
  return { write: (text) => listener?.(text), listen: (fn) => (listener = fn) };
}

export async function runSuites(client: ProtocolClient, code: string, options: RunSuitesOptions): Promise<SuiteRun> {
  const { timers } = options;
  const timeoutMs = options.timeoutMs ?? 5000;
  const startedAt = timers.now();
  const runId = options.runId ?? (Math.floor(timers.now() * 1000) % 1_000_000_000) + 1;
  const tests: TestResult[] = [];
  let badLines = 0;
  let expected = 0;
  let aborted: string | undefined;
  let plan = false;
  let ended = false;
  let wake: (() => void) | undefined;
  const events: Frame[] = [];
  let partial = "";
  options.console.listen((text) => {
    partial += text;
    const lines = partial.split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      const frame = parseFrame(line.replace(/\r/g, ""));
      if (frame === undefined) continue;
      if (frame === "bad") {
        badLines++;
        continue;
      }
      if (frame.r !== runId) continue;
      if (frame.s !== expected) badLines += Math.max(0, frame.s - expected);
      expected = frame.s + 1;
      events.push(frame);
      wake?.();
    }
  });
  const nextEvent = (ms: number) =>
    new Promise<Frame | undefined>((resolve) => {
      if (events.length) return resolve(events.shift());
      const timer = timers.setTimeout(() => {
        wake = undefined;
        resolve(undefined);
      }, ms);
      wake = () => {
        wake = undefined;
        timers.clearTimeout(timer);
        resolve(events.shift());
      };
    });

  try {
    // A clean interpreter, then the suites into Storage, verified.
    await client.eval("reset()", 5000).catch(() => undefined);
    await sleep(timers, 300);
    const data = Uint8Array.from(Buffer.from(code, "latin1"));
    await client.sendFile(TEST_FILE, data, { packetSize: 1024 });
    const stored = await client.eval(`E.CRC32(require("Storage").read(${JSON.stringify(TEST_FILE)}))`);
    if (stored !== crc32(data)) throw new ProtocolError("nak", "the test bundle did not verify in Storage");
    await client.eval(`eval(require("Storage").read(${JSON.stringify(TEST_FILE)}));__exoHarness.start(${runId});`, 10_000);

    let current = -1;
    let testStart = timers.now();
    for (;;) {
      const frame = await nextEvent(plan ? timeoutMs : 10_000);
      if (!frame) {
        const name = current >= 0 ? tests[current]?.name : "the start of the run";
        // Alive? Ask for the run id.
        let id: unknown;
        try {
          id = await client.eval('typeof __exoHarness=="object"?__exoHarness.id():-1', 3000);
        } catch (error) {
          if (!(error instanceof ProtocolError)) throw error;
          aborted = `the device stopped answering during ${JSON.stringify(name)} (hung or crashed): ${error.message}`;
          break;
        }
        if (id !== runId) {
          aborted = `the device was reset during ${JSON.stringify(name)} (its test run is gone)`;
          break;
        }
        if (current >= 0 && tests[current].status === "not run") {
          tests[current] = { ...tests[current], status: "timeout", ms: timers.now() - testStart, message: `no result within ${timeoutMs} ms` };
          options.onResult?.(tests[current]);
          await client.eval("__exoHarness.skip()", 3000).catch(() => undefined);
        }
        continue;
      }
      if (frame.e === "plan") {
        plan = true;
        for (const full of frame.names ?? []) {
          const cut = full.indexOf(" > ");
          tests.push({ suite: full.slice(0, cut), name: full.slice(cut + 3), status: "not run", ms: 0 });
        }
      } else if (frame.e === "start") {
        current = frame.i!;
        testStart = timers.now();
      } else if (frame.e === "pass" || frame.e === "fail") {
        const t = tests[frame.i!];
        if (t && t.status === "not run") {
          tests[frame.i!] = { ...t, status: frame.e, ms: frame.ms ?? 0, ...(frame.m !== undefined ? { message: frame.m } : {}) };
          options.onResult?.(tests[frame.i!]);
        }
      } else if (frame.e === "end") {
        ended = true;
        break;
      }
    }
    if (aborted) {
      const stuck = tests.findIndex((t) => t.status === "not run");
      if (stuck >= 0) {
        tests[stuck] = { ...tests[stuck], status: "error", message: aborted };
        options.onResult?.(tests[stuck]);
      }
    }
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    aborted = `the link failed: ${error.message}`;
  }
  if (!aborted && !ended) aborted = "the run did not finish";
  if (options.restore !== false && !aborted) await client.eval("load()", 3000).catch(() => undefined);
  return {
    tests,
    passed: tests.filter((t) => t.status === "pass").length,
    failed: tests.filter((t) => t.status !== "pass").length,
    ...(aborted ? { aborted } : {}),
    badLines,
    durationMs: timers.now() - startedAt,
  };
}

/**
 * Text for an XML 1.0 attribute: markup escaped, line breaks and tabs as
 * character references (an attribute would fold them into spaces), and the
 * characters XML 1.0 cannot hold at all (other control characters, lone
 * surrogates, U+FFFE/U+FFFF) written out as \xNN or \uNNNN.
 */
const xml = (text: string) =>
  text
    .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")
    .replace(/\n/g, "&#10;").replace(/\r/g, "&#13;").replace(/\t/g, "&#9;")
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, (c) => {
      const code = c.charCodeAt(0);
      return code < 256 ? "\\x" + code.toString(16).padStart(2, "0") : "\\u" + code.toString(16).padStart(4, "0");
    });

/** JUnit XML: one <testsuite> per suite file; timeout/error as <error>, fail as <failure>, not run as <skipped>. */
export function junitXml(run: SuiteRun, name = "exo test"): string {
  // A run that ended early with no test carrying why (the device lost before the first result) is an
  // error CI counts, not an empty report: `tests="0" failures="0"` reads as green.
  const carried = run.tests.some((t) => t.status === "error" || t.status === "timeout");
  const all: TestResult[] = run.aborted && !carried ? [...run.tests, { suite: "(run)", name: "the run", status: "error", ms: 0, message: run.aborted }] : run.tests;
  const suites = new Map<string, TestResult[]>();
  for (const t of all) suites.set(t.suite, [...(suites.get(t.suite) ?? []), t]);
  const out = [`<?xml version="1.0" encoding="UTF-8"?>`, `<testsuites name="${xml(name)}" tests="${all.length}" failures="${all.filter((t) => t.status === "fail").length}" errors="${all.filter((t) => t.status === "timeout" || t.status === "error").length}" time="${(run.durationMs / 1000).toFixed(3)}">`];
  for (const [suite, tests] of suites) {
    const count = (s: TestStatus) => tests.filter((t) => t.status === s).length;
    out.push(`  <testsuite name="${xml(suite)}" tests="${tests.length}" failures="${count("fail")}" errors="${count("timeout") + count("error")}" skipped="${count("not run")}" time="${(tests.reduce((n, t) => n + t.ms, 0) / 1000).toFixed(3)}">`);
    for (const t of tests) {
      const open = `    <testcase classname="${xml(suite)}" name="${xml(t.name)}" time="${(t.ms / 1000).toFixed(3)}"`;
      if (t.status === "pass") out.push(`${open}/>`);
      else if (t.status === "fail") out.push(`${open}><failure message="${xml(t.message ?? "")}"/></testcase>`);
      else if (t.status === "not run") out.push(`${open}><skipped message="not run: the run ended early"/></testcase>`);
      else out.push(`${open}><error type="${t.status}" message="${xml(t.message ?? "")}"/></testcase>`);
    }
    out.push("  </testsuite>");
  }
  // A comment may not hold "--".
  if (run.aborted) out.push(`  <!-- aborted: ${xml(run.aborted).replace(/--/g, "- -")} -->`);
  out.push("</testsuites>");
  return out.join("\n") + "\n";
}
