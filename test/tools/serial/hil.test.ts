import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { boards } from "../../../hal/boards.ts";
import { render, run as testCommand } from "../../../tools/cli/commands/test.ts";
import { bundleSuites, consoleTap, junitXml, parseFrame, runSuites } from "../../../tools/serial/hil.ts";
import { ProtocolClient } from "../../../tools/serial/protocol.ts";
import { SimLine } from "../../../tools/serial/sim-link.ts";
import { VirtualTimers } from "../../../tools/serial/host-timers.ts";

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
  const time = new VirtualTimers();
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
    const result = await testCommand({ cwd: root, sim: true, files: ["test/hil/smoke.hil.ts"], junit });
    expect(result.tests.length).toBeGreaterThan(0);
    expect(result.failed).toBe(0);
    expect(result.aborted).toBeUndefined();
  });

  it("exo test streams each result once, times in whole ms, and the report repeats only what did not pass", async () => {
    const file = suite({ ok: `() => {}`, "never calls done": `(done) => {}` });
    const lines: string[] = [];
    const result = await testCommand({ cwd: root, sim: true, files: [file], timeout: "1s", live: (l) => lines.push(l) });
    expect(lines[0]).toMatch(/^exo test on simulated esp32/);
    expect(lines.slice(1)).toEqual([expect.stringMatching(/^ {2}✓ faults > ok \(\d+ ms\)$/), expect.stringMatching(/^ {2}⏱ faults > never calls done \(\d+ ms\).*\[timeout\]$/)]);
    const report = render(result).split("\n");
    expect(report.filter((l) => l.includes("faults > ok"))).toEqual([]);
    expect(report).toContain(lines[2]);
    expect(report.some((l) => /^1 passed, 1 failed/.test(l))).toBe(true);
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

  it("writes valid JUnit XML whatever a message holds: markup, line breaks, control characters, lone surrogates", () => {
    const message = 'a <b> & "c"\nline 2\ttab\x01\x1b[31mred\ud800 end';
    const xml = junitXml({ tests: [{ suite: "s\x00", name: "n", status: "fail", ms: 1, message }], passed: 0, failed: 1, durationMs: 1, badLines: 0, aborted: "cut -- off" });
    // Nothing XML 1.0 forbids, anywhere in the document.
    expect(/[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udfff]/.test(xml)).toBe(false);
    expect(xml).toContain('<failure message="a &lt;b&gt; &amp; &quot;c&quot;&#10;line 2&#9;tab\\x01\\x1b[31mred\\ud800 end"/>');
    expect(xml).toContain('classname="s\\x00"');
    expect(xml).toContain("<!-- aborted: cut - - off -->");
  });

  it("a run that lost its device before any result is an error in JUnit, not an empty green report", () => {
    const xml = junitXml({ tests: [], passed: 0, failed: 0, durationMs: 5, badLines: 0, aborted: "the link failed: the device stopped answering" });
    expect(xml).toMatch(/<testsuites name="exo test" tests="1" failures="0" errors="1"/);
    expect(xml).toContain('<testcase classname="(run)" name="the run" time="0.000"><error type="error" message="the link failed: the device stopped answering"/></testcase>');
    // When a test already carries the reason, no extra case.
    const carried = junitXml({ tests: [{ suite: "s", name: "n", status: "error", ms: 1, message: "reset" }], passed: 0, failed: 1, durationMs: 1, badLines: 0, aborted: "reset" });
    expect(carried).toMatch(/tests="1" failures="0" errors="1"/);
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
