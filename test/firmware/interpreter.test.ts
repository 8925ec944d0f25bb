/**
 * The hostile-app suite's bundle on the real Espruino interpreter built for
 * Linux. Optional: runs only when ESPRUINO_BIN points at the binary. The host
 * part (the abort protocol's request) is appended to the bundle as a timer.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { EBUSY, EINVAL, ENOR, EREVOKED } from "../../firmware/errors.ts";
import { libraryBundle } from "../../tools/build/library.ts";
import { build } from "./helpers.ts";

const bin = process.env.ESPRUINO_BIN;
if (!bin) console.log("skipping the kernel's real-interpreter tests: set ESPRUINO_BIN to an Espruino binary built for Linux");

describe.skipIf(!bin)("hostile apps on the real interpreter (ESPRUINO_BIN)", () => {
  let out: string[];
  let status: { apps: { name: string; state: string; faults: number }[]; repossessions: { app: string; name: string }[]; ledger: { owners: string[] } };
  beforeAll(async () => {
    const built = await build(["blinky", "forger", "flasher", "timerhog", "cacher", "thrower"], { board: "linux" });
    const dir = mkdtempSync(join(tmpdir(), "exo-kernel-espruino-"));
    const host = [
      'setTimeout(function(){exo.reclaim("cacher","pins.out",50,"test")},300);',
      'setTimeout(function(){print("STATUS "+JSON.stringify(exo.status()));quit()},2500);',
    ].join("");
    writeFileSync(join(dir, "bench.js"), "echo(0);\n" + built.code + "\n" + host + "\n");
    const run = spawnSync(bin!, ["bench.js"], { cwd: dir, input: "", timeout: 20_000, killSignal: "SIGKILL", encoding: "utf8" });
    out = run.stdout.replace(/\r/g, "").split("\n");
    const line = out.find((l) => l.startsWith("STATUS "));
    if (!line) throw new Error("no status from the interpreter:\n" + run.stdout.slice(-3000));
    status = JSON.parse(line.slice(7));
  }, 120_000);

  it("stops each attack with the right code", () => {
    expect(out).toContain(`forger: fake extent read refused ${EINVAL}`);
    expect(out).toContain(`forger: read with a forged this refused ${EINVAL}`);
    expect(out).toContain(`flasher: read the neighbour's sector refused ${EINVAL}`);
    expect(out).toContain(`flasher: program 0 to 1 refused ${ENOR}`);
    expect(out).toContain(`flasher: program 0 to 1 in a long write refused ${ENOR}`);
    expect(out).toContain("flasher: program a long write again worked");
    expect(out).toContain(`timerhog: a third timer refused ${EBUSY}`);
    expect(out).toContain(`timerhog: every 1 ms refused ${EINVAL}`);
    expect(out).not.toContain("Uncaught");
  });

  it("a cached pin method throws Invalid pin after repossession, the swapped one EREVOKED", () => {
    expect(out).toContain("cacher: cached write: Invalid pin");
    expect(out.find((l) => l.startsWith("cacher: swapped write:"))).toMatch(new RegExp(`revoked \\(repossessed\\) ${EREVOKED}$`));
    expect(status.repossessions).toMatchObject([{ app: "cacher", name: "pins.out" }]);
  });

  it("faults, restarts and stops the thrower; the others keep running", () => {
    expect(out.filter((l) => l.startsWith("kernel: app thrower faulted"))).toHaveLength(4);
    expect(status.apps.find((a) => a.name === "thrower")).toMatchObject({ state: "stopped", faults: 4 });
    expect(status.apps.find((a) => a.name === "blinky")).toMatchObject({ state: "running", faults: 0 });
    expect(status.ledger.owners.filter((o) => o === "kernel")).toHaveLength(8);
  });
});

describe.skipIf(!bin)("the timer service on the real interpreter (ESPRUINO_BIN)", () => {
  // Espruino ends a `for…in` after the first key when the loop deletes keys; V8 does not, so only the interpreter shows it.
  it("revocation cancels every live timer of the app", async () => {
    const { code } = await libraryBundle(join(import.meta.dirname, "../../firmware/timers.ts"), "exoTimers");
    const script = [
      "echo(0);",
      code,
      "var cancelled = [];",
      "var hal = { timers: { after: setTimeout, every: setInterval,",
      "  cancel: function (id) { cancelled.push(id); clearTimeout(id); } } };",
      "var entry = exoTimers.grantTimers(hal, { name: 't', state: 'running', cpu: 0, upcalls: 0, worst: 0 }, 4);",
      "entry.cap.every(1000, function () {}); entry.cap.every(1000, function () {}); entry.cap.after(5000, function () {});",
      "entry.cap.close();",
      'print("CANCELLED " + cancelled.length);',
    ].join("\n");
    const dir = mkdtempSync(join(tmpdir(), "exo-timers-espruino-"));
    writeFileSync(join(dir, "timers.js"), script);
    const run = spawnSync(bin!, ["timers.js"], { cwd: dir, input: "", timeout: 20_000, killSignal: "SIGKILL", encoding: "utf8" });
    expect(run.stdout).toContain("CANCELLED 3");
    expect(run.stdout).not.toContain("Uncaught");
  });
});

describe.skipIf(!bin)("exhaustion on the real interpreter (ESPRUINO_BIN)", () => {
  it("an app that keeps allocating is stopped; an endless recursion is interrupted and faulted; the others run on", async () => {
    const built = await build(["blinky", "hoarder", "recurser"], { board: "linux" });
    const dir = mkdtempSync(join(tmpdir(), "exo-exhaust-espruino-"));
    const host = 'setTimeout(function(){print("STATUS "+JSON.stringify(exo.status()));quit()},3000);';
    writeFileSync(join(dir, "run.js"), "echo(0);\n" + built.code + "\n" + host + "\n");
    const run = spawnSync(bin!, ["run.js"], { cwd: dir, input: "", timeout: 30_000, killSignal: "SIGKILL", encoding: "utf8" });
    const out = run.stdout.replace(/\r/g, "").split("\n");
    const line = out.find((l) => l.startsWith("STATUS "));
    expect(line, run.stdout.slice(-3000)).toBeDefined();
    const s = JSON.parse(line!.slice(7)) as { apps: { name: string; state: string; faults: number; error: string }[] };
    const app = (name: string) => s.apps.find((a) => a.name === name)!;
    expect(app("hoarder").state).toBe("stopped");
    expect(app("hoarder").error).toMatch(/out of memory/);
    expect(app("recurser")).toMatchObject({ state: "stopped", faults: 1 });
    expect(app("recurser").error).toMatch(/execution interrupted/);
    expect(app("blinky")).toMatchObject({ state: "running", faults: 0 });
    expect(out.some((l) => l.startsWith("recurser: caught"))).toBe(false);
    expect(run.stdout).not.toMatch(/ASSERT/);
  }, 60_000);
});
