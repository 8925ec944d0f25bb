import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../../hal/sim/clock.ts";
import type { RunReport } from "../../../hal/sim/device.ts";
import { SimNet, type NetTarget } from "../../../hal/sim/net.ts";

/** A target that only moves its clock, as SimDevice.run does when nothing is due. */
function target(now: number): NetTarget & { steps: number } {
  const clock = new VirtualClock();
  clock.now = now;
  const t = {
    clock,
    steps: 0,
    alive: () => true,
    log: () => {},
    run(ms: number): RunReport {
      // A spinning loop would hang the worker (no await between steps without sockets): fail instead.
      if (++t.steps > 1000) throw new Error("run() was stepped 1000 times: the loop does not end");
      const started = clock.now;
      clock.advanceTo(started + ms);
      return { state: "idle", simulatedMs: clock.now - started, wallMs: 0, ratio: 0 } as unknown as RunReport;
    },
  };
  return t;
}

describe("SimNet.run", () => {
  // Under load a callback that hogs the CPU moves the clock by a fractional
  // wall-time amount; summing steps then fell 5e-11 ms short of the request and
  // the loop spun forever (it hung the apptest runner with two suites running).
  it("ends on a fractional clock, after the steps the time needs", async () => {
    const t = target(1234567.1);
    const report = await new SimNet(t, {}, 1).run(3.7);
    expect(t.clock.now).toBe(1234567.1 + 3.7);
    expect(report.simulatedMs).toBeCloseTo(3.7, 9);
    expect(t.steps).toBe(1);
  });

  it("runs a long span in steps of stepMs", async () => {
    const t = target(0.3);
    await new SimNet(t, { stepMs: 10 }, 1).run(95);
    expect(t.steps).toBe(10);
    expect(t.clock.now).toBe(95.3);
  });
});
