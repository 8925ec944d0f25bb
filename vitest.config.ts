import { defineConfig } from "vitest/config";
import SummaryReporter from "./tools/test/summary-reporter.ts";

// .vitest/summary.json is what .ci/run turns into the "N passed, N failed" line (failed suites and hooks counted).
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    reporters: ["default", new SummaryReporter()],
    testTimeout: 60_000,
  },
});
