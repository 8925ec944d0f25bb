/**
 * The two demo apps (morse on coop.ts, sampler on edf.ts) in one bundle on
 * the real Espruino interpreter built for Linux. Optional: runs only when
 * ESPRUINO_BIN points at the binary. Its clock is real, so nothing here
 * checks timing: only that both schedulers run and the sampler's report
 * comes out.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildDevice } from "../../../tools/build/device.ts";

const bin = process.env.ESPRUINO_BIN;
if (!bin) console.log("skipping the schedulers on the real interpreter: set ESPRUINO_BIN to an Espruino binary built for Linux");

describe.skipIf(!bin)("the scheduler demo apps on the real interpreter (ESPRUINO_BIN)", () => {
  it("runs both schedulers: greetings, the sampler's report at 5 s, nothing uncaught", async () => {
    const dir = mkdtempSync(join(tmpdir(), "exo-sched-espruino-"));
    const out = join(dir, "firmware.js");
    const built = await buildDevice({ root: join(import.meta.dirname, "..", "..", ".."), board: "linux", apps: ["morse", "sampler"], out });
    expect(built.violations).toEqual([]);
    // The apps run forever: give them 6 s, then stop the interpreter. stdin must be empty.
    const run = spawnSync(bin!, [out], { cwd: dir, input: "", timeout: 6500, killSignal: "SIGKILL", encoding: "utf8" });
    const lines = run.stdout.replace(/\r/g, "").replace(/>\x1b\[J/g, "").split("\n");
    expect(lines).toContain("morse: SOS on D4 every 2 s (coop scheduler)");
    expect(lines).toContain("sampler: D5 every 50 ms, deadline 2 ms (edf scheduler)");
    expect(lines.some((l) => /^sampler: \d+ samples by 5 s, worst lateness [\d.]+ ms, 20 filter runs \(edf scheduler\)$/.test(l))).toBe(true);
    expect(run.stdout).not.toMatch(/Uncaught|ASSERT|failed|HUNG/);
  }, 30_000);
});
