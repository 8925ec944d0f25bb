/** The `exo` binary as a person meets it: messages that say how to fix things, exit codes, no stacks. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const exo = join(import.meta.dirname, "..", "..", "..", "bin", "exo.js");
const scratch = mkdtempSync(join(tmpdir(), "exo-cli-"));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [exo, ...args], { cwd: scratch, encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("exo", () => {
  it("exo sim without a bundle says how to build one, exit 1, no stack", () => {
    const r = run("sim", "--bundle", "missing.js");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/exo sim: no bundle at missing\.js/);
    expect(r.err).toMatch(/exo build/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it("exo build with an unknown board lists the known ones, exit 1", () => {
    const r = run("build", "--board", "esp8266");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/unknown board "esp8266"/);
    expect(r.err).toMatch(/known boards: esp32, linux/);
  });

  it("exo check names the construct and line of a bundle the gate rejects, exit 1", () => {
    writeFileSync(join(scratch, "bad.js"), "var a = 1;\nvar { b } = { b: 2 };\n");
    const r = run("check", "bad.js");
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/bad\.js:2:\d+\s+destructuring/);
  });

  it("exo check --json prints one JSON document on stdout", () => {
    writeFileSync(join(scratch, "good.js"), "var a = [1, 2].map(x => x * 2);\n");
    const r = run("check", "good.js", "--json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ violations: [] });
  });

  it("exo sim --for with a bad duration explains the format", () => {
    writeFileSync(join(scratch, "idle.js"), "print('hi');\n");
    const r = run("sim", "--bundle", "idle.js", "--for", "soon");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--for soon is not a duration.*\n.*10s/);
  });

  it("exo sim refuses to boot a bundle the gate rejects", () => {
    writeFileSync(join(scratch, "spread.js"), "print(Math.max(...[1, 2]));\n");
    const r = run("sim", "--bundle", "spread.js");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/spread/);
  });

  it("exo sim --delay takes milliseconds (a unit is optional)", () => {
    writeFileSync(join(scratch, "quiet.js"), "print('hi');\n");
    const bare = run("sim", "--bundle", "quiet.js", "--for", "100ms", "--net", "--delay", "40", "--json");
    expect(bare.code).toBe(0);
    expect(JSON.parse(bare.out).net.options.delayMs).toBe(40);
    const unit = run("sim", "--bundle", "quiet.js", "--for", "100ms", "--net", "--delay", "0.1s", "--json");
    expect(JSON.parse(unit.out).net.options.delayMs).toBe(100);
  });

  it("an unknown command is a usage error, exit 2", () => {
    const r = run("frobnicate");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown command/);
  });
});
