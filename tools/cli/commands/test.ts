/**
 * `exo test --sim | --hil --port P [files…] [--timeout 5s] [--junit FILE] [--json]`:
 * run on-device test suites (test/hil/*.hil.ts by default) on the simulated
 * device or on a board, one result per test, JUnit XML for CI.
 *
 * Options (for the registration in main.ts; `[files...]` is a variadic argument):
 *   --sim              run on the simulated device (in-process serial line, virtual time)
 *   --hil              run on a board (or `exo sim --pty`, or tcp://…) at --port
 *   --port <path>      serial port, pty, or tcp://host:port (with --hil)
 *   --baud <n>         baud rate (default 115200)
 *   --board <name>     the simulated board (with --sim; default esp32)
 *   --timeout <time>   per-test limit: 500ms, 5s (default 5s)
 *   --junit <file>     also write JUnit XML there
 *   --json             print the result as JSON
 * Exit 1 when a test fails, times out, or the device resets/hangs mid-run.
 */
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { findBoard } from "../../../hal/boards.ts";
import { bundleSuites, consoleTap, junitXml, runSuites, type SuiteRun, type TestResult } from "../../serial/hil.ts";
import { DEFAULT_BAUD, openLink, type Binding } from "../../serial/link.ts";
import { ProtocolClient } from "../../serial/protocol.ts";
import { SimLine } from "../../serial/sim-link.ts";
import { realTimers, VirtualTime } from "../../serial/timers.ts";
import { parseDuration } from "../duration.ts";
import { UserError } from "../errors.ts";

export interface TestOptions {
  cwd: string;
  files?: string[];
  sim?: boolean;
  hil?: boolean;
  port?: string;
  baud?: string | number;
  board?: string;
  timeout?: string;
  junit?: string;
  json?: boolean;
  binding?: Binding;
  /** Where the human view streams each test's line as it ends (the final report then lists only what did not pass). */
  live?: (line: string) => void;
}

export interface TestCommandResult extends SuiteRun {
  target: string;
  files: string[];
  junit?: string;
  /** The results were streamed as they ended. */
  streamed?: boolean;
}

function findSuites(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".hil.ts")) out.push(relative(root, path));
    }
  };
  walk(join(root, "test", "hil"));
  return out.sort();
}

export async function run(options: TestOptions): Promise<TestCommandResult> {
  if (options.sim === options.hil) throw new UserError("choose where the tests run: --sim or --hil --port P", "e.g. `exo test --sim`, or `exo test --hil --port /dev/ttyUSB0`", 2);
  if (options.hil && !options.port) throw new UserError("--hil needs --port", "e.g. --port /dev/ttyUSB0 (see `exo ports`), or the pty `exo sim --pty` prints", 2);
  const root = options.cwd;
  const files = options.files?.length ? options.files : findSuites(root);
  if (!files.length) throw new UserError("no test suites: nothing matches test/hil/**/*.hil.ts", "write one (see test/hil/smoke.hil.ts) or name files");
  for (const f of files) if (!existsSync(resolve(root, f))) throw new UserError(`no suite at ${f}`, "check the path");
  const timeoutMs = parseDuration(options.timeout ?? "5s");
  const code = await bundleSuites(root, files);
  const tap = consoleTap();
  const stream = options.live && ((t: TestResult) => options.live!(resultLine(t)));
  const header = (target: string) => heading(target, files);
  let result: SuiteRun;
  let target: string;
  if (options.sim) {
    const board = findBoard(options.board);
    const time = new VirtualTime();
    const line = new SimLine({ board, time });
    const client = new ProtocolClient(line.connect(), { timers: time, onConsole: tap.write });
    target = `simulated ${board.name} (virtual time)`;
    options.live?.(header(target));
    result = await time.drive(runSuites(client, code, { timers: time, timeoutMs, console: tap, onResult: stream, restore: false }));
    line.stop();
  } else {
    const baud = Number(options.baud ?? DEFAULT_BAUD);
    const link = await openLink(options.port!, { baud, binding: options.binding });
    try {
      const client = new ProtocolClient(link, { timers: realTimers, baud, onConsole: tap.write });
      target = link.description;
      options.live?.(header(target));
      result = await runSuites(client, code, { timers: realTimers, timeoutMs, console: tap, onResult: stream });
    } finally {
      await link.close();
    }
  }
  const junit = options.junit ? resolve(options.cwd, options.junit) : undefined;
  if (junit) writeFileSync(junit, junitXml(result));
  return { target, files, ...result, ...(junit ? { junit } : {}), ...(stream ? { streamed: true } : {}) };
}

const MARK: Record<string, string> = { pass: "✓", fail: "✗", timeout: "⏱", error: "!", "not run": "-" };

const heading = (target: string, files: string[]): string => `exo test on ${target}: ${files.join(", ")}`;

/** "  ✓ smoke > a timer fires (20 ms)", with what went wrong when it did not pass. */
export const resultLine = (t: TestResult): string =>
  `  ${MARK[t.status]} ${t.suite} > ${t.name} (${Math.round(t.ms)} ms)` + (t.message ? `: ${t.message}` : "") + (t.status === "timeout" || t.status === "error" || t.status === "not run" ? ` [${t.status}]` : "");

export function render(result: TestCommandResult): string {
  // Streamed lines were seen already: the report repeats only what did not pass.
  const shown = result.streamed ? result.tests.filter((t) => t.status !== "pass") : result.tests;
  return [
    ...(result.streamed ? [] : [heading(result.target, result.files)]),
    ...(result.streamed && shown.length ? ["not passed:"] : []),
    ...shown.map(resultLine),
    `${result.passed} passed, ${result.failed} failed` + (result.badLines ? `, ${result.badLines} result lines lost or garbled on the link` : "") + ` in ${(result.durationMs / 1000).toFixed(2)} s`,
    ...(result.aborted ? [`run aborted: ${result.aborted}`] : []),
    ...(result.junit ? [`JUnit XML: ${result.junit}`] : []),
  ].join("\n");
}

export const failed = (result: TestCommandResult): boolean => result.failed > 0 || !!result.aborted;
