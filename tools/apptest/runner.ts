/**
 * Run app tests (`*.apptest.ts`, api.ts) on the simulated board: each file
 * is loaded through tsx, each test it registers gets a fresh board booted
 * with the project's bundle (built once for the run), and its result is a
 * line like an on-device suite's (tools/serial/hil.ts's TestResult).
 *
 * Usage: `const run = await runAppTests({ files, bundle, grants, board, timeoutMs, onResult })`
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { tsImport } from "tsx/esm/api";
import type { Board } from "../../hal/boards.ts";
import type { AppGrant } from "../build/manifests.ts";
import type { SuiteRun, TestResult } from "../serial/hil.ts";
import { registered, type RegisteredTest } from "./api.ts";
import { SimTestBoard } from "./board.ts";

export const APPTEST_SUFFIX = ".apptest.ts";

/** `*.apptest.ts` in a project's test/ and apps/ folders (relative to the project, sorted). */
export function findAppTests(dir: string): string[] {
  const out: string[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(APPTEST_SUFFIX)) out.push(relative(dir, path));
    }
  };
  for (const folder of ["test", "apps"]) if (existsSync(join(dir, folder))) walk(join(dir, folder));
  return out.sort();
}

export interface AppTestOptions {
  /** Absolute paths of the test files. */
  files: string[];
  /** The built bundle (and its .map beside it). */
  bundle: string;
  grants: AppGrant[];
  board: Board;
  /** The project (places in messages are relative to it). */
  project: string;
  /** Host time one test may take. */
  timeoutMs: number;
  onResult?: (result: TestResult) => void;
}

/** Each file's tests, in file order; a file that fails to load is one "error" result. */
async function load(file: string): Promise<{ tests: RegisteredTest[]; error?: string }> {
  registered().splice(0);
  try {
    await tsImport(pathToFileURL(file).href, import.meta.url);
  } catch (e) {
    return { tests: [], error: `cannot load ${basename(file)}: ${(e as Error).message}` };
  }
  const tests = registered().splice(0);
  return tests.length ? { tests } : { tests, error: `${basename(file)} registers no test: call test("name", async (board) => { … }) from "exo/test"` };
}

function limit<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new TimeoutError(ms)), ms))),
  ]).finally(() => clearTimeout(timer));
}

class TimeoutError extends Error {
  constructor(ms: number) {
    super(`took longer than ${ms} ms of host time (--timeout)`);
  }
}

export async function runAppTests(options: AppTestOptions): Promise<SuiteRun> {
  const started = performance.now();
  const code = readFileSync(options.bundle, "utf8");
  const mapFile = options.bundle + ".map";
  const map = existsSync(mapFile) ? readFileSync(mapFile, "utf8") : undefined;
  const tests: TestResult[] = [];
  const record = (result: TestResult) => {
    tests.push(result);
    options.onResult?.(result);
  };
  for (const file of options.files) {
    const suite = basename(file, APPTEST_SUFFIX);
    const { tests: found, error } = await load(file);
    if (error) record({ suite, name: "(load)", status: "error", ms: 0, message: error });
    for (const t of found) {
      const begin = performance.now();
      let board: SimTestBoard | undefined;
      let result: TestResult;
      try {
        board = await SimTestBoard.boot({ board: options.board, project: options.project, grants: options.grants, bundle: options.bundle, code, map, seed: t.options.seed ?? 1 });
        await limit(Promise.resolve(t.fn(board)), options.timeoutMs);
        const faults = t.options.faults === "allowed" ? [] : board.faults();
        result = faults.length
          ? { suite, name: t.name, status: "fail", ms: performance.now() - begin, message: faults.join("; ") }
          : { suite, name: t.name, status: "pass", ms: performance.now() - begin };
      } catch (e) {
        const message = (e as Error)?.message ?? String(e);
        const faults = board && t.options.faults !== "allowed" ? board.faults() : [];
        result = { suite, name: t.name, status: e instanceof TimeoutError ? "timeout" : "fail", ms: performance.now() - begin, message: [message, ...faults].join("; ") };
      } finally {
        board?.close();
      }
      record(result);
    }
  }
  const passed = tests.filter((t) => t.status === "pass").length;
  return { tests, passed, failed: tests.length - passed, badLines: 0, durationMs: performance.now() - started };
}
