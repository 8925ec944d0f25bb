/**
 * `exo bench sched` on the simulator, small: the result has the shape
 * `--json` prints and the fairness goals hold. No timing thresholds (host
 * time is noisy); the interpreter part is skipped here.
 */
import { describe, expect, it } from "vitest";
import { render, run } from "../../../tools/bench/sched.ts";

describe("exo bench sched (simulator, small)", () => {
  it("measures fairness, switch cost and lateness for both schedulers", async () => {
    const result = await run({ switches: 500, seconds: 2, espruino: "" });
    expect(result.interpreter).toEqual({ skipped: expect.stringMatching(/ESPRUINO_BIN/) });
    expect(result.simulator.fairness.map((f) => [f.scheduler, f.spread, f.jain])).toEqual([
      ["coop", 0, 1],
      ["edf", 0, 1],
    ]);
    const overhead = result.simulator.overhead;
    expect(overhead.schedulers.map((s) => s.switches_per_timer)).toEqual([5, 5]);
    // Both baselines were measured, and each scheduler is reported against both.
    expect(overhead.baseline_us).toBeGreaterThan(0);
    expect(overhead.ring_us).toBeGreaterThan(0);
    for (const s of overhead.schedulers) expect(s.ratio_ring).toBeCloseTo(s.us_per_switch / overhead.ring_us, 2);
    const loaded = result.simulator.lateness.filter((l) => l.load === "fs");
    expect(loaded).toHaveLength(2);
    for (const l of loaded) expect(l.writer!.records).toBeGreaterThan(200);
    // Alone, the periodic task is never late on the virtual clock.
    for (const l of result.simulator.lateness.filter((x) => x.load === "none")) expect(l.max_ms).toBe(0);
    expect(render(result)).toMatch(/Jain 1/);
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });
});
