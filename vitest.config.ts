import { defineConfig } from "vitest/config";
import SummaryReporter from "./tools/test/summary-reporter.ts";

/** Files that replace a module (vi.mock): with a shared module cache the mock would leak into the files after them. */
export const MOCKING = ["test/libos/fs/fuzz.test.ts"];

const shared = {
  testTimeout: 60_000,
  // Hooks build bundles: under load (a second suite beside this one) a build takes well over vitest's 10 s default.
  hookTimeout: 120_000,
};

// .vitest/summary.json is what .ci/run turns into the "N passed, N failed" line (failed suites and hooks counted).
export default defineConfig({
  test: {
    reporters: ["default", new SummaryReporter()],
    maxWorkers: 2,
    projects: [
      {
        // Files share a worker's module cache: each file importing rollup, TypeScript and the simulator anew cost ~40 s a run.
        test: { ...shared, name: "exo", include: ["test/**/*.test.ts"], exclude: MOCKING, isolate: false },
      },
      { test: { ...shared, name: "isolated", include: MOCKING } },
    ],
  },
});
