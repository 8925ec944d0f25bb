import { defineConfig } from "vitest/config";

// The JSON report is what .ci/run turns into the "N passed, N failed" line.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    reporters: ["default", ["json", { outputFile: ".vitest/report.json" }]],
    testTimeout: 60_000,
  },
});
