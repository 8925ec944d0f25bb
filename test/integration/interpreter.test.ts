/**
 * The default firmware on the real Espruino interpreter built for Linux.
 * Optional: runs only when ESPRUINO_BIN points at the binary (the project
 * never ships or builds it; see the README).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildDevice } from "../../tools/build/device.ts";
import { pretokenise } from "../../tools/build/pretokenise.ts";
import { DONE, bootFromStorage, firstTickProbe } from "../../tools/bench/storage-boot.ts";
import { holdMachineLock, INTERPRETER_UDP } from "../../tools/test/machine-lock.ts";

const bin = process.env.ESPRUINO_BIN;
if (!bin) console.log("skipping the real-interpreter test: set ESPRUINO_BIN to an Espruino binary built for Linux");

describe.skipIf(!bin)("the default firmware on the real interpreter (ESPRUINO_BIN)", () => {
  it.each(["pretokenised, as exo flash stores it", "as text, as exo flash --text stores it"])("boots from Storage as a device does, %s: banner, every app started and running, no uncaught error", async (how) => {
    const dir = mkdtempSync(join(tmpdir(), "exo-espruino-"));
    const out = join(dir, "firmware.js");
    await buildDevice({ root: join(import.meta.dirname, "..", ".."), board: "linux", out });
    const probe = firstTickProbe + `setTimeout(function(){print("STATES "+exo.status().apps.map(function(a){return a.name+":"+a.state}).join());print("${DONE}")},1500);`;
    const text = readFileSync(out, "utf8");
    // Telemetry binds UDP 5700: another interpreter holding it (net.test.ts) would stop it here (machine-lock.ts).
    const stdout = await holdMachineLock(INTERPRETER_UDP, () => bootFromStorage(bin!, how.startsWith("pretokenised") ? pretokenise(text) : text, probe, { ms: 1500 }));
    const lines = stdout.split("\n");
    expect(lines.some((l) => /^Exo 0\.1\.0 on linux, \d+ apps?$/.test(l))).toBe(true);
    expect(lines).toContain("blinky: LED toggles every 250 ms");
    expect(lines.find((l) => l.startsWith("STATES")) ?? stdout).toBe("STATES blinky:running,logger:running,morse:running,sampler:running,telemetry:running");
    expect(lines.some((l) => /^FIRST-TICK \d+$/.test(l))).toBe(true);
    expect(stdout).not.toMatch(/Uncaught|ASSERT|OUT OF MEMORY/);
  }, 900_000);

  it("a two-app bundle also runs as a file (the way `exo test --hil` and a RAM upload run it)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "exo-espruino-"));
    const out = join(dir, "firmware.js");
    await buildDevice({ root: join(import.meta.dirname, "..", ".."), board: "linux", apps: ["blinky", "morse"], out });
    // The apps' intervals keep the interpreter running: stop it once they have started (from a timer:
    // a quit() while the script loads is ignored). stdin must be empty: the interpreter evaluates it.
    writeFileSync(join(dir, "run.js"), readFileSync(out, "utf8") + '\nsetTimeout(function(){quit()},500);\n');
    const run = spawnSync(bin!, ["run.js"], { cwd: dir, input: "", timeout: 20_000, killSignal: "SIGKILL", encoding: "utf8" });
    // Apps print from timer callbacks, after the script: the REPL's prompt (">" and a clear) comes first.
    const lines = run.stdout.replace(/\r/g, "").replace(/>\x1b\[J/g, "").split("\n");
    expect(lines).toContain("blinky: LED toggles every 250 ms");
    expect(lines).toContain("morse: SOS on D4 every 2 s (coop scheduler)");
    expect(run.stdout).not.toMatch(/Uncaught|ASSERT|OUT OF MEMORY/);
  });
});
