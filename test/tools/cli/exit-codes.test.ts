/** The `exo` binary as a person meets it: messages that say how to fix things, exit codes, no stacks. */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const checkout = join(import.meta.dirname, "..", "..", "..");
const exo = join(checkout, "bin", "exo.js");
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

  it("exo build outside a project says how to make one, exit 1", () => {
    const r = run("build");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/exo build: no exo.config.json in .* or any folder above it: this is not an Exo project\n  make one with `npx exo new my-device`/);
  });

  it("exo build with an unknown board lists the known ones, exit 1", () => {
    const r = spawnSync(process.execPath, [exo, "build", "--board", "esp8266"], { cwd: checkout, encoding: "utf8" });
    expect(r.status).toBe(1);
    const err = r.stderr;
    expect(err).toMatch(/unknown board "esp8266"/);
    expect(err).toMatch(/known boards: esp32, linux/);
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

/** A project of the user's own (exo.config.json, apps/bad), built by this checkout's `exo`. */
describe("exo build with a bad app: exit 1, the file and the fix, no stack", () => {
  const project = mkdtempSync(join(tmpdir(), "exo-project-"));
  writeFileSync(join(project, "exo.config.json"), "{}\n");
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  /** `exo build` in the project, whose apps/ holds one app "bad" with this manifest and main.ts. */
  function build(manifest: string, main = "export function start() {}\n") {
    rmSync(join(project, "apps"), { recursive: true, force: true });
    mkdirSync(join(project, "apps", "bad"), { recursive: true });
    writeFileSync(join(project, "apps", "bad", "manifest.json"), manifest);
    writeFileSync(join(project, "apps", "bad", "main.ts"), main);
    const r = spawnSync(process.execPath, [exo, "build"], { cwd: project, encoding: "utf8" });
    return { code: r.status, out: r.stdout, err: r.stderr };
  }

  function userError(r: ReturnType<typeof build>, message: string, hint: RegExp) {
    expect(r.err).not.toMatch(/\n\s+at |this is a bug/);
    expect(r.err.split("\n")[0]).toBe(`exo build: ${message}`);
    expect(r.err.split("\n")[1]).toMatch(hint);
    expect(r.code).toBe(1);
  }

  it("a manifest that is null", () => {
    userError(build("null"), "apps/bad/manifest.json is null, not an object", /^ {2}write an object: \{ "name": "bad"/);
  });

  it('an unknown key "pinz": the keys there are, and the nearest', () => {
    userError(
      build('{ "name": "bad", "pinz": { "led": "LED" } }'),
      'apps/bad/manifest.json: unknown key "pinz" (did you mean pins?)',
      /a manifest has the keys name, description, pins, timers, flash, packets/,
    );
  });

  it("timers 1e9: the limit", () => {
    userError(build('{ "name": "bad", "timers": 1e9 }'), 'apps/bad/manifest.json: "timers" is 1000000000, over the limit of 32 live timers per app', /give a whole number 0\.\.32/);
  });

  it("rx of megabytes: the kernel's packet budget", () => {
    userError(
      build('{ "name": "bad", "packets": { "protocol": "udp", "port": 5700, "rx": 4194304 } }'),
      `apps/bad/manifest.json: "packets" asks for 4194304 bytes of packet rings (rx 4194304 + tx 0), over the kernel's packet budget of 8192 bytes (all apps together)`,
      /shrink the rings/,
    );
  });

  it("a syntax error in main.ts: file:line:col and the compiler's message", () => {
    userError(build('{ "name": "bad" }', "export function start() {\n  let n = 0;\n  n = 1 2;\n}\n"), "apps/bad/main.ts:3:9 ';' expected", /fix the syntax there/);
  });

  it("main.ts without start: what to add", () => {
    userError(build('{ "name": "bad" }', "export default function () {}\n"), "apps/bad/main.ts:1:1 exports a default and no `start`: the kernel calls the named export `start`", /export a named `start`/);
    userError(build('{ "name": "bad" }', "export const go = () => {};\n"), "apps/bad/main.ts exports no `start` (it exports `go`)", /add `export function start\(caps: AppCaps\) \{ … \}`/);
  });
});
