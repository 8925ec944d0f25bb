/**
 * `exo test [files…]`: run the
 * project's tests, one result per test, JUnit XML for CI:
 *  - app tests (`*.apptest.ts`, tools/apptest/): host-side tests that boot the project's build on
 *    the simulated board, drive its inputs, advance virtual time and assert on pins, console lines,
 *    files and datagrams. Simulator only: they run unless --hil is given.
 *  - on-device suites (`test/hil/**\/*.hil.ts`): code that runs on the device, on the simulated
 *    device (--sim) or on a board (--hil --port P).
 * Without files, every app test of the project and, with --sim or --hil, its suites. Board, port and
 * baud default to exo.config.json. Exit 1 when a test fails, times out, or the device resets or
 * hangs mid-run.
 */
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { findBoard } from "../../../hal/boards.ts";
import { findAppTests, runAppTests, APPTEST_SUFFIX } from "../../apptest/runner.ts";
import { loadBuildApps } from "../../build/device.ts";
import { bundleSuites, consoleTap, junitXml, runSuites, type SuiteRun, type TestResult } from "../../serial/hil.ts";
import { DEFAULT_BAUD, openLink, type Binding } from "../../serial/link.ts";
import { ProtocolClient } from "../../serial/protocol.ts";
import { SimLine } from "../../serial/sim-link.ts";
import { realTimers, VirtualTimers } from "../../serial/host-timers.ts";
import { parseDuration } from "../duration.ts";
import { UserError } from "../../../hal/user-error.ts";
import { shown } from "../paths.ts";
import { run as build } from "./build.ts";
import { devicePort } from "../device-port.ts";
import { EXO_ROOT, findProject, projectApps, type Project } from "../project.ts";

export interface TestOptions {
  /** Where exo runs (the project is found from here). */
  cwd: string;
  /** The Exo package (default: the one this code is in). */
  exo?: string;
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
  /** What was found and not run, and how to run it. */
  notes: string[];
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

/** The project's build for its app tests (dist/apptest/): type-checked and gated as `exo build`'s is. */
async function buildForTests(project: Project, boardName: string) {
  const out = join(project.dir, "dist", "apptest", "firmware.js");
  await build({ cwd: project.dir, exo: project.exo, board: boardName, out });
  const board = findBoard(boardName);
  const grants = loadBuildApps({ root: project.exo, project: project.dir, apps: projectApps(project) }, board);
  return { bundle: out, grants, board };
}

export async function run(options: TestOptions): Promise<TestCommandResult> {
  if (options.sim && options.hil) throw new UserError("--sim and --hil both given", "choose where on-device suites run: `exo test --sim`, or `exo test --hil --port /dev/ttyUSB0`", 2);
  const project = findProject(options.cwd, options.exo ?? EXO_ROOT);
  const root = project.dir;
  const given = options.files ?? [];
  for (const f of given) if (!existsSync(resolve(options.cwd, f))) throw new UserError(`no test file at ${f}`, "check the path");
  const named = given.map((f) => relative(root, resolve(options.cwd, f)));
  const strange = named.filter((f) => !f.endsWith(APPTEST_SUFFIX) && !f.endsWith(".hil.ts"));
  if (strange.length) throw new UserError(`${strange.join(", ")}: not a test file`, `app tests end in ${APPTEST_SUFFIX}, on-device suites in .hil.ts`, 2);
  const appTests = given.length ? named.filter((f) => f.endsWith(APPTEST_SUFFIX)) : findAppTests(root);
  const suites = given.length ? named.filter((f) => f.endsWith(".hil.ts")) : findSuites(root);
  const notes: string[] = [];
  const runApps = appTests.length > 0 && !options.hil;
  const runSuitesToo = suites.length > 0 && (options.sim || options.hil);
  if (appTests.length && options.hil) notes.push(`${appTests.length} app test file(s) not run: they run on the simulator (drop --hil)`);
  if (suites.length && !runSuitesToo) {
    if (!runApps) throw new UserError("on-device suites need a place to run: --sim or --hil --port P", "e.g. `exo test --sim`, or `exo test --hil --port /dev/ttyUSB0`", 2);
    notes.push(`${suites.length} on-device suite(s) not run: add --sim (the simulated device) or --hil --port P (a board)`);
  }
  if (options.hil && !suites.length) {
    throw new UserError(
      `--hil runs on-device suites (test/hil/**/*.hil.ts), and ${shown(root)} has none`,
      appTests.length ? `its app tests run on the simulator: \`exo test\` without --hil` : "write one (Exo's test/hil/smoke.hil.ts is an example)",
      2,
    );
  }
  if (!runApps && !runSuitesToo) {
    throw new UserError(
      `no tests in ${shown(root)}: no *${APPTEST_SUFFIX} file, and no test/hil/*.hil.ts`,
      `write an app test (README, "Testing an app"), e.g. test/button${APPTEST_SUFFIX}`,
    );
  }
  // Before building: a missing port is the user's to fix first.
  const hil = options.hil ? await devicePort({ cwd: root, exo: project.exo, port: options.port, baud: options.baud, binding: options.binding }) : undefined;
  const timeoutMs = parseDuration(options.timeout ?? "5s", "--timeout");
  const stream = options.live && ((t: TestResult) => options.live!(resultLine(t)));
  const boardName = options.board ?? project.config.board;
  const targets: string[] = [];
  const runs: SuiteRun[] = [];
  if (runApps) {
    const built = await buildForTests(project, boardName);
    const target = `simulated ${built.board.name} (app tests)`;
    targets.push(target);
    options.live?.(heading(target, appTests));
    runs.push(await runAppTests({ files: appTests.map((f) => join(root, f)), ...built, project: root, timeoutMs, onResult: stream }));
  }
  if (runSuitesToo) {
    const code = await bundleSuites(root, suites);
    const tap = consoleTap();
    if (options.sim) {
      const board = findBoard(boardName);
      const time = new VirtualTimers();
      const line = new SimLine({ board, time });
      const client = new ProtocolClient(line.connect(), { timers: time, onConsole: tap.write });
      const target = `simulated ${board.name} (virtual time)`;
      targets.push(target);
      options.live?.(heading(target, suites));
      runs.push(await time.drive(runSuites(client, code, { timers: time, timeoutMs, console: tap, onResult: stream, restore: false })));
      line.stop();
    } else {
      const baud = Number(hil!.baud ?? DEFAULT_BAUD);
      const link = await openLink(hil!.port, { baud, binding: options.binding });
      try {
        const client = new ProtocolClient(link, { timers: realTimers, baud, onConsole: tap.write });
        targets.push(link.description);
        options.live?.(heading(link.description, suites));
        runs.push(await runSuites(client, code, { timers: realTimers, timeoutMs, console: tap, onResult: stream }));
      } finally {
        await link.close();
      }
    }
  }
  const result: SuiteRun = {
    tests: runs.flatMap((r) => r.tests),
    passed: runs.reduce((n, r) => n + r.passed, 0),
    failed: runs.reduce((n, r) => n + r.failed, 0),
    badLines: runs.reduce((n, r) => n + r.badLines, 0),
    durationMs: runs.reduce((n, r) => n + r.durationMs, 0),
    ...(runs.find((r) => r.aborted) ? { aborted: runs.find((r) => r.aborted)!.aborted } : {}),
  };
  const junit = options.junit ? resolve(options.cwd, options.junit) : undefined;
  if (junit) writeFileSync(junit, junitXml(result));
  const files = [...(runApps ? appTests : []), ...(runSuitesToo ? suites : [])];
  return { target: targets.join(" and "), files, ...result, notes, ...(junit ? { junit } : {}), ...(stream ? { streamed: true } : {}) };
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
    ...result.notes,
  ].join("\n");
}

export const failed = (result: TestCommandResult): boolean => result.failed > 0 || !!result.aborted;
