import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { boards } from "../../../hal/boards.ts";
import { run as testCommand } from "../../../tools/cli/commands/test.ts";
import { bundleSuites, consoleTap, junitXml, parseFrame, runSuites } from "../../../tools/serial/hil.ts";
import { ProtocolClient } from "../../../tools/serial/protocol.ts";
import { SimLine } from "../../../tools/serial/sim-link.ts";
import { VirtualTime } from "../../../tools/serial/timers.ts";

const harness = resolve(import.meta.dirname, "../../../tools/serial/harness/harness.ts");
const root = resolve(import.meta.dirname, "../../..");

/** A suite file in a temporary folder, with the given test bodies. */
function suite(tests: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "exo-hil-"));
  const file = join(dir, "faults.hil.ts");
  const body = Object.entries(tests).map(([name, fn]) => `test(${JSON.stringify(name)}, ${fn});`).join("\n");
  writeFileSync(file, `import { test } from ${JSON.stringify(harness)};\ndeclare function setTimeout(f: () => void, ms: number): number;\ndeclare function reset(): void;\ndeclare const global: object;\n${body}\n`);
  return file;
}

async function runOnSim(file: string, timeoutMs = 1000) {
  const time = new VirtualTime();
  const line = new SimLine({ board: boards.esp32, time, hangTimeoutMs: 300 });
  const tap = consoleTap();
  const client = new ProtocolClient(line.connect(), { timers: time, onConsole: tap.write });
  const code = await bundleSuites(root, [file]);
  const run = await time.drive(runSuites(client, code, { timers: time, timeoutMs, console: tap, restore: false }));
  line.stop();
  return run;
}

describe("exo test: on-device suites over the link", () => {
  it("runs the repository's smoke suite on the simulated device and writes JUnit XML", async () => {
    const junit = join(mkdtempSync(join(tmpdir(), "exo-junit-")), "junit.xml");
    const result = await testCommand({ cwd: root, sim: true, junit });
    expect(result.tests.length).toBeGreaterThan(0);
    expect(result.failed).toBe(0);
    expect(result.aborted).toBeUndefined();
  });

  it("reports a failure, enforces the per-test timeout, and goes on to the next test", async () => {
    const run = await runOnSim(
      suite({ throws: `() => { throw new Error("boom"); }`, "never calls done": `(done) => {}`, "passes after": `(done) => { setTimeout(() => done(), 10); }` }),
    );
    expect(run.tests.map((t) => [t.name, t.status])).toEqual([
      ["throws", "fail"],
      ["never calls done", "timeout"],
      ["passes after", "pass"],
    ]);
    expect(run.tests[0].message).toBe("boom");
    const xml = junitXml(run);
    expect(xml).toContain('<failure message="boom"/>');
    expect(xml).toContain('<error type="timeout"');
  });

  it("detects a device reset mid-run", async () => {
    const run = await runOnSim(suite({ first: `() => {}`, resets: `(done) => { setTimeout(() => reset(), 5); }`, later: `() => {}` }));
    expect(run.aborted).toMatch(/reset during "resets"/);
    expect(run.tests.map((t) => t.status)).toEqual(["pass", "error", "not run"]);
  });

  it("detects a device that hangs mid-run", async () => {
    const run = await runOnSim(suite({ first: `() => {}`, spins: `() => { const g = global as unknown as { n: number }; g.n = 0; for (;;) g.n++; }`, later: `() => {}` }));
    expect(run.aborted).toMatch(/stopped answering during "spins"/);
    expect(run.tests[1].status).toBe("error");
  });

  it("rejects a garbled result line instead of trusting it", () => {
    expect(parseFrame('EXO1 00000000 {"r":1,"s":0,"e":"pass","i":0}')).toBe("bad");
    expect(parseFrame("hello")).toBeUndefined();
  });
});
