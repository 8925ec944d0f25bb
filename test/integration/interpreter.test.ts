/**
 * The default firmware on the real Espruino interpreter built for Linux.
 * Optional: runs only when ESPRUINO_BIN points at the binary (the project
 * never ships or builds it; see the README).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildDevice } from "../../tools/build/device.ts";

const bin = process.env.ESPRUINO_BIN;
if (!bin) console.log("skipping the real-interpreter test: set ESPRUINO_BIN to an Espruino binary built for Linux");

describe.skipIf(!bin)("the default firmware on the real interpreter (ESPRUINO_BIN)", () => {
  it("boots: banner, the app's greeting, no uncaught error", async () => {
    const dir = mkdtempSync(join(tmpdir(), "exo-espruino-"));
    const out = join(dir, "firmware.js");
    await buildDevice({ root: join(import.meta.dirname, "..", ".."), board: "linux", out });
    // Blinky's interval keeps the interpreter running: let it run a second, then stop it.
    // stdin must be empty: the interpreter evaluates whatever arrives there.
    const run = spawnSync(bin!, [out], { cwd: dir, input: "", timeout: 1500, killSignal: "SIGKILL", encoding: "utf8" });
    const lines = run.stdout.replace(/\r/g, "").split("\n");
    expect(lines.some((l) => /^Exo 0\.1\.0 on linux, \d+ apps?$/.test(l))).toBe(true);
    expect(lines).toContain("blinky: LED toggles every 250 ms");
    expect(run.stdout).not.toMatch(/Uncaught|ASSERT/);
  });
});
