/**
 * The test run's closing count, as `.ci/run` prints it: a vitest reporter that
 * writes `.vitest/summary.json` = { passed, failed, skipped, failures }.
 *
 * A failure is a failed test, and also everything that failed outside a test,
 * each once: a suite or file whose hook or collection failed (its tests are
 * then reported as skipped, so counting tests alone says "0 failed"), and an
 * error no test caught (an unhandled rejection).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Reporter, TestModule } from "vitest/node";

interface Failure {
  /** "test/x.test.ts > suite > test", or the suite / file / "unhandled error". */
  name: string;
  message: string;
}

export default class SummaryReporter implements Reporter {
  constructor(private file = ".vitest/summary.json") {}

  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandled: ReadonlyArray<{ message?: string }>): void {
    let passed = 0;
    let skipped = 0;
    const failures: Failure[] = [];
    const first = (errors: ReadonlyArray<{ message?: string }> | undefined) => (errors?.[0]?.message ?? "").split("\n")[0];
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        const r = t.result();
        if (r.state === "passed") passed++;
        else if (r.state === "failed") failures.push({ name: `${m.relativeModuleId} > ${t.fullName}`, message: first(r.errors) });
        else skipped++;
      }
      // What failed outside its tests: the file (collection, a top-level hook) and each suite (its hooks).
      for (const s of [m, ...m.children.allSuites()]) {
        if (s.state() !== "failed" || !s.errors().length) continue;
        failures.push({ name: s.type === "module" ? m.relativeModuleId : `${m.relativeModuleId} > ${s.fullName}`, message: first(s.errors()) });
      }
    }
    for (const e of unhandled) failures.push({ name: "unhandled error", message: first([e]) });
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileSync(this.file, JSON.stringify({ passed, failed: failures.length, skipped, failures }, null, 2) + "\n");
  }
}
