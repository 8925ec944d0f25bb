/**
 * App tests (`exo test`, tools/apptest/): a project of the user's own — the
 * template's button app, an app that crashes on a press, an echo over UDP —
 * built once, and test files that pass, fail, fault, time out, or do not load.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findBoard } from "../../../hal/boards.ts";
import { findAppTests, runAppTests } from "../../../tools/apptest/runner.ts";
import { buildDevice } from "../../../tools/build/device.ts";
import { loadApps, type AppGrant } from "../../../tools/build/manifests.ts";
import { run as exoTest } from "../../../tools/cli/commands/test.ts";

const root = join(import.meta.dirname, "..", "..", "..");
const project = mkdtempSync(join(tmpdir(), "exo-apptest-"));
const board = findBoard("esp32");

function write(file: string, text: string): string {
  mkdirSync(join(project, file, ".."), { recursive: true });
  writeFileSync(join(project, file), text);
  return join(project, file);
}

// The project as `exo new` makes it (exo linked in node_modules, as `npm install` of a folder does), and two apps more.
cpSync(join(root, "templates", "project", "apps"), join(project, "apps"), { recursive: true });
mkdirSync(join(project, "node_modules"));
symlinkSync(root, join(project, "node_modules", "exo"), "dir");
write("exo.config.json", JSON.stringify({ board: "esp32", apps: ["button", "crash", "echo"] }));
write("apps/crash/manifest.json", JSON.stringify({ name: "crash", pins: { trigger: "D4" } }));
write(
  "apps/crash/main.ts",
  [
    'import type { AppCaps } from "exo/firmware/types.ts";',
    "export function start(caps: AppCaps): void {",
    '  caps.pins.trigger.mode("input_pullup");',
    "  caps.pins.trigger.watch(() => {",
    '    throw new Error("crash: pressed");',
    '  }, "falling");',
    '  caps.services.log("crash: armed");',
    "}",
    "",
  ].join("\n"),
);
cpSync(join(root, "test", "fixtures", "apps", "echo"), join(project, "apps", "echo"), { recursive: true });
write("apps/echo/main.ts", 'import type { AppCaps } from "exo/firmware/types.ts";\n' + (await import("node:fs")).readFileSync(join(root, "test/fixtures/apps/echo/main.ts"), "utf8").split("\n").slice(2).join("\n"));

let bundle: string;
let grants: AppGrant[];
beforeAll(async () => {
  bundle = join(project, "dist", "firmware.js");
  grants = loadApps(project, board, ["button", "crash", "echo"], { dirs: [join(root, "apps")] });
  const built = await buildDevice({ root, project, board: "esp32", apps: ["button", "crash", "echo"], out: bundle });
  expect(built.violations).toEqual([]);
});
afterAll(() => rmSync(project, { recursive: true, force: true }));

const HEAD = 'import assert from "node:assert/strict";\nimport { test } from "exo/test";\n';

async function results(name: string, body: string, timeoutMs = 20_000, more: AppGrant[] = []) {
  const file = write(`test/${name}.apptest.ts`, HEAD + body);
  const run = await runAppTests({ files: [file], bundle, grants: [...grants, ...more], board, project, timeoutMs });
  return run.tests.map((t) => ({ name: t.name, status: t.status, message: t.message }));
}

describe("app tests", () => {
  it("the template's tests pass on a fresh board each: pins, console lines, files, a power cut", async () => {
    // Copied into the project: "exo/test" resolves through its node_modules, as in a project `exo new` made.
    const file = join(project, "test", "button.apptest.ts");
    cpSync(join(root, "templates", "project", "test", "button.apptest.ts"), file);
    const run = await runAppTests({ files: [file], bundle, grants, board, project, timeoutMs: 20_000 });
    expect(run.tests.map((t) => [t.name, t.status, t.message])).toEqual([
      ["a press toggles the LED and is logged", "pass", undefined],
      ["a bounce within 20 ms is one press", "pass", undefined],
      ["the count survives a power cut", "pass", undefined],
    ]);
    expect(run.passed).toBe(3);
  });

  it("a failed assertion fails that test only, with its message", async () => {
    const found = await results("fails", [
      'test("wrong count", async (board) => {',
      '  await board.until("button: ready");',
      '  board.press("button");',
      '  await board.run("300ms");',
      '  assert.equal(board.text("button", "presses.log"), "2\\n");',
      "});",
      'test("right count", async (board) => {',
      '  board.press("D0");',
      '  await board.until("button: press 1");',
      '  assert.deepEqual(board.files("button"), ["presses.log"]);',
      "});",
    ].join("\n"));
    expect(found[0]).toMatchObject({ name: "wrong count", status: "fail" });
    expect(found[0].message).toMatch(/Expected values to be strictly equal[\s\S]*'1\\n' !== '2\\n'/);
    expect(found[1]).toEqual({ name: "right count", status: "pass", message: undefined });
  });

  it("an app that faults fails the test, naming the app, the error and its line; unless the test allows it", async () => {
    const found = await results("faults", [
      'test("press the crash button", async (board) => {',
      '  await board.until("crash: armed");',
      '  board.press("trigger");',
      '  await board.run("200ms");',
      "});",
      'test("the fault is expected", { faults: "allowed" }, async (board) => {',
      '  board.press("trigger");',
      '  await board.run("200ms");',
      '  const crash = board.status().apps.find((a) => a.name === "crash");',
      "  assert.equal(crash?.faults, 1);",
      '  assert.equal(board.status().apps.find((a) => a.name === "button")?.faults, 0);',
      "});",
    ].join("\n"));
    expect(found[0]).toMatchObject({ status: "fail" });
    expect(found[0].message).toMatch(/^app crash faulted 1 time \(\w+\): .*crash: pressed — at apps\/crash\/main\.ts:5:\d+$/);
    expect(found[1].status).toBe("pass");
  });

  it("datagrams in and out through the app's packet filter", async () => {
    const found = await results("echo", [
      'test("echo", async (board) => {',
      '  await board.until("echo: on udp 7200");',
      '  await board.send("echo", "hi");',
      '  for (let i = 0; i < 100 && !board.sent.length; i++) await board.run("10ms");',
      '  assert.deepEqual(board.sent.map((d) => Buffer.from(d).toString()), ["echo:hi"]);',
      "});",
      'test("no filter", async (board) => {',
      '  await board.send("button", "x");',
      "});",
    ].join("\n"));
    expect(found[0]).toEqual({ name: "echo", status: "pass", message: undefined });
    expect(found[1].message).toBe('app button has no "packets" in its manifest: nothing listens for datagrams');
  });

  it("says what is wrong with a pin name, a console line that never comes, a test that never ends, a file that does not load", async () => {
    const found = await results("wrong", [
      'test("typo", (board) => { board.press("buton"); });',
      'test("ambiguous", (board) => { board.pin("led"); });',
      'test("never", async (board) => { await board.until(/press 9/, "1s"); });',
      'test("forever", () => new Promise(() => {}));',
    ].join("\n"), 500, [{ ...grants[0], name: "other", pins: { led: 5 } }]);
    expect(found.map((f) => f.status)).toEqual(["fail", "fail", "fail", "timeout"]);
    expect(found[0].message).toMatch(/^no pin "buton": give a manifest pin name \(button \(button, D0\), led \(button, D2\), trigger \(crash, D4\), led \(other, D5\)\) or D0\.\.D39$/);
    expect(found[1].message).toBe('pin "led" names 2 pins: button.led, other.led; write one of those');
    expect(found[2].message).toMatch(/^no console line matched \/press 9\/ within 1s \(at \d+ ms\); the last lines:\n[\s\S]*button: ready/);
    expect(found[3].message).toMatch(/took longer than 500 ms of host time \(--timeout\)/);
    expect(await results("broken", "throw new Error('oops');\n")).toEqual([{ name: "(load)", status: "error", message: "cannot load broken.apptest.ts: oops" }]);
    expect((await results("empty", ""))[0].message).toMatch(/empty\.apptest\.ts registers no test/);
  });

  it("exo test finds the project's app tests, builds it, and exits non-zero on a failure", async () => {
    rmSync(join(project, "test"), { recursive: true, force: true });
    write("test/ok.apptest.ts", HEAD + 'test("led off at start", async (board) => { await board.until("button: ready"); assert.equal(board.pin("button.led"), 0); });\n');
    expect(findAppTests(project)).toEqual(["test/ok.apptest.ts"]);
    const lines: string[] = [];
    const result = await exoTest({ cwd: join(project, "apps"), exo: root, live: (l) => lines.push(l) });
    expect(result).toMatchObject({ passed: 1, failed: 0, files: ["test/ok.apptest.ts"] });
    expect(lines).toEqual(["exo test on simulated esp32 (app tests): test/ok.apptest.ts", expect.stringMatching(/^ {2}✓ ok > led off at start \(\d+ ms\)$/)]);
    write("test/bad.apptest.ts", HEAD + 'test("bad", () => { assert.fail("no"); });\n');
    const failed = await exoTest({ cwd: project, exo: root, junit: "junit.xml" });
    expect(failed).toMatchObject({ passed: 1, failed: 1 });
    // A board cannot press its own buttons: --hil says where app tests run.
    await expect(exoTest({ cwd: project, exo: root, hil: true, port: "/dev/null" })).rejects.toThrow(/--hil runs on-device suites \(test\/hil\/\*\*\/\*\.hil\.ts\), and .* has none/);
  });

  it("the examples' own app tests pass (the checkout is a project too)", async () => {
    // Not a test of --timeout (above): host time is the machine's load, not the app's (once, 5 s ran out here).
    const result = await exoTest({ cwd: root, timeout: "60s" });
    expect(result.files).toEqual(["apps/blinky/blinky.apptest.ts", "apps/logger/logger.apptest.ts"]);
    expect(result.tests.map((t) => [t.suite, t.status, t.message])).toEqual([
      ["blinky", "pass", undefined],
      ["logger", "pass", undefined],
    ]);
    expect(result.notes).toEqual(["1 on-device suite(s) not run: add --sim (the simulated device) or --hil --port P (a board)"]);
  });
});
