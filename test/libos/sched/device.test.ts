/**
 * The two demo apps in one real device bundle, each linking a different
 * scheduler (morse → coop.ts, sampler → edf.ts): built by the real build,
 * passed by the dialect gate, booted on the simulated ESP32.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { findBoard } from "../../../hal/boards.ts";
import { SimDevice } from "../../../hal/sim/device.ts";
import { checkBundle } from "../../../tools/gate/check.ts";
import { buildDevice, type DeviceBuildResult } from "../../../tools/build/device.ts";

const root = join(import.meta.dirname, "..", "..", "..");
const UNIT = 60; // apps/morse: one Morse unit, ms

/** Edge times of "SOS" keyed from time 0, straight from the Morse rules (1 on per dot, 3 per dash, 1 off between marks, 3 between letters). */
function sosEdges(): { ms: number; level: number }[] {
  const edges: { ms: number; level: number }[] = [];
  let t = 0;
  for (const letter of ["...", "---", "..."]) {
    [...letter].forEach((mark, i) => {
      edges.push({ ms: t, level: 1 });
      t += (mark === "." ? 1 : 3) * UNIT;
      edges.push({ ms: t, level: 0 });
      t += (i === letter.length - 1 ? 3 : 1) * UNIT;
    });
  }
  return edges;
}

describe("two apps on one simulated ESP32, each with its own scheduler", () => {
  const board = findBoard("esp32");
  let built: DeviceBuildResult;
  let device: SimDevice;
  let code: string;

  beforeAll(async () => {
    const out = join(mkdtempSync(join(tmpdir(), "exo-sched-")), "firmware.js");
    built = await buildDevice({ root, board: "esp32", apps: ["morse", "sampler"], out });
    code = readFileSync(out, "utf8");
    device = new SimDevice({ board, seed: 1 });
    device.boot(code, { file: out, map: readFileSync(out + ".map", "utf8") });
    device.run(6000);
  });

  it("builds a bundle holding both schedulers that passes the dialect gate", () => {
    expect(built.apps).toEqual(["morse", "sampler"]);
    expect(built.violations).toEqual([]);
    expect(checkBundle(code, { file: built.file, map: readFileSync(built.file + ".map", "utf8") })).toEqual([]);
    const sources: string[] = JSON.parse(readFileSync(built.file + ".map", "utf8")).sources;
    for (const file of ["libos/sched/coop.ts", "libos/sched/edf.ts", "libos/sched/core.ts"]) {
      expect(sources.some((s) => s.endsWith(file))).toBe(true);
    }
  });

  it("prints each app's greeting and the sampler's report, and nothing uncaught", () => {
    const lines = device.console.map((c) => c.line);
    expect(lines).toContain("morse: SOS on D4 every 2 s (coop scheduler)");
    expect(lines).toContain("sampler: D5 every 50 ms, deadline 2 ms (edf scheduler)");
    expect(lines).toContain("sampler: 100 samples by 5 s, worst lateness 0 ms, 20 filter runs (edf scheduler)");
    expect(lines.join("\n")).not.toMatch(/Uncaught|HUNG|failed|hogged/);
    expect(device.state).toBe("running");
  });

  it("keys SOS on D4 on the coop scheduler, once every 2 s, on time to the ms", () => {
    const d4 = device.waveform.changes.filter((c) => c.pin === 4).map((c) => ({ ms: c.ms, level: c.level }));
    const word = sosEdges();
    const expected = [0, 2000, 4000, 6000]
      .flatMap((start) => word.map((e) => ({ ms: e.ms + start, level: e.level })))
      .filter((e) => e.ms <= 6000);
    expect(d4).toEqual(expected);
  });

  it("toggles D5 every 50 ms on the edf scheduler, without drift", () => {
    const d5 = device.waveform.changes.filter((c) => c.pin === 5);
    expect(d5.length).toBe(121); // 0, 50, …, 6000
    d5.forEach((c, i) => {
      expect(c.ms).toBe(i * 50);
      expect(c.level).toBe(i % 2 ? 0 : 1);
    });
  });
});
