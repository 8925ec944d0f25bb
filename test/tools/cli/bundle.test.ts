/**
 * The built CLI (dist/cli/, `npm run build` and install): inside a bundle a module's `import.meta.url` is
 * its chunk's, so a module's "run when started directly" block must not fire there (the listener and
 * four benches used to start on every command, and `--version` never exited); and paths to sources
 * (the HIL harness) must not lean on where the built file is.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { rollup } from "rollup";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostRollupOptions } from "../../../tools/build/host.ts";

const root = join(import.meta.dirname, "..", "..", "..");
// Inside the checkout, so the bundle finds node_modules as dist/exo.js does.
const dir = join(root, ".vitest", "exo-bundle-" + process.pid);
const file = join(dir, "main.js");

describe("the bundled CLI", () => {
  beforeAll(async () => {
    mkdirSync(dir, { recursive: true });
    const { output, ...input } = hostRollupOptions(root);
    const bundle = await rollup({ ...input, onwarn: () => {} });
    await bundle.write({ ...output, dir, sourcemap: false });
    await bundle.close();
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([["--version"], ["fs", "--help"], ["nosuchcommand"]])("exo %s ends by itself, running nothing else", (...args) => {
    const run = spawnSync(process.execPath, [file, ...args], { encoding: "utf8", timeout: 30_000 });
    expect(run.signal).toBeNull();
    expect(run.stdout + run.stderr).not.toMatch(/listening for libos\/net|powerloss|bench/i);
    if (args[0] === "--version") expect(run.stdout.trim()).toBe("0.1.0");
  });

  it("runs the HIL suites (the harness found from the checkout's root)", () => {
    const run = spawnSync(process.execPath, [file, "test", "--sim", "test/hil/smoke.hil.ts"], { cwd: root, encoding: "utf8", timeout: 60_000 });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/\d+ passed, 0 failed/);
  });
});
