import { defineConfig } from "vitest/config";
import SummaryReporter from "./tools/test/summary-reporter.ts";

// .vitest/summary.json is what .ci/run turns into the "N passed, N failed" line (failed suites and hooks counted).
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    reporters: ["default", new SummaryReporter()],
    testTimeout: 60_000,
    // Hooks build bundles: under load (a second suite beside this one) a build takes well over vitest's 10 s default.
    hookTimeout: 120_000,
  },
});
