/**
 * The closing count .ci/run prints (tools/test/summary-reporter.ts): a nested vitest run over test files
 * that fail in every way a run can — an assertion, a hook that times out inside a suite and at the top of a
 * file, an import that fails, a rejection nobody catches — counts each failure once.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..", "..");
// Inside the checkout, so the nested run finds vitest; outside test/, so the outer run does not collect it.
const dir = join(root, ".vitest", "summary-fixture-" + process.pid);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FILES: Record<string, string> = {
  "a.test.ts": 'import { it, expect } from "vitest";\nit("passes", () => expect(1).toBe(1));\nit("fails", () => expect(1).toBe(2));\n',
  "b.test.ts": [
    'import { beforeAll, describe, it, expect } from "vitest";',
    'describe("slow setup", () => {',
    "  beforeAll(() => new Promise((r) => setTimeout(r, 2000)), 50);",
    '  it("never runs", () => expect(1).toBe(1));',
    "});",
    'it("passes", () => expect(1).toBe(1));',
    "",
  ].join("\n"),
  "c.test.ts": 'import { beforeAll, it, expect } from "vitest";\nbeforeAll(() => new Promise((r) => setTimeout(r, 2000)), 50);\nit("never runs", () => expect(1).toBe(1));\n',
  "d.test.ts": 'import { nothing } from "./missing.ts";\nimport { it } from "vitest";\nit("x", () => nothing());\n',
  "e.test.ts": 'import { it, expect } from "vitest";\nit("leaves a rejection", () => { Promise.reject(new Error("nobody catches me")); expect(1).toBe(1); });\n',
};

describe("the run's closing count", () => {
  it("counts a failed test, hooks that failed, an import that failed and an unhandled error, once each", () => {
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(FILES)) writeFileSync(join(dir, name), text);
    const reporter = join(root, "tools", "test", "summary-reporter.ts");
    writeFileSync(
      join(dir, "vitest.config.ts"),
      `import { defineConfig } from "vitest/config";\nimport R from ${JSON.stringify(reporter)};\n` +
        `export default defineConfig({ test: { include: ["*.test.ts"], reporters: [new R(${JSON.stringify(join(dir, "summary.json"))})] } });\n`,
    );
    const run = spawnSync(process.execPath, [join(root, "node_modules", "vitest", "vitest.mjs"), "run", "--root", dir], { cwd: dir, encoding: "utf8", timeout: 120_000 });
    expect(run.status).toBe(1);
    const summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8"));
    expect(summary).toMatchObject({ passed: 3, failed: 5, skipped: 2 });
    expect(summary.failures.map((f: { name: string }) => f.name).sort()).toEqual(["a.test.ts > fails", "b.test.ts > slow setup", "c.test.ts", "d.test.ts", "unhandled error"]);
  });
});
