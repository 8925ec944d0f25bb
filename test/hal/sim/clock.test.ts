import { describe, expect, it } from "vitest";
import { boards } from "../../../hal/boards.ts";
import { VirtualClock, type ClockAction } from "../../../hal/sim/clock.ts";
import { SimDevice } from "../../../hal/sim/device.ts";

const action = (label: string, kind: ClockAction["kind"] = "timeout"): ClockAction => ({ kind, fn: () => {}, args: [], label });

/** Labels in firing order up to `limit` ms, with the time each fired at. */
const drain = (clock: VirtualClock, limit: number) => {
  const fired: string[] = [];
  for (let entry; (entry = clock.next(limit)); ) fired.push(`${entry.action.label}@${clock.now}`);
  return fired;
};

describe("VirtualClock", () => {
  it("fires in time order, ties in scheduling order", () => {
    const clock = new VirtualClock();
    clock.add(action("b"), 20);
    clock.add(action("a"), 10);
    clock.add(action("c"), 20);
    clock.add(action("d"), 0);
    expect(drain(clock, 100)).toEqual(["d@0", "a@10", "b@20", "c@20"]);
  });

  it("re-arms intervals without drift and stops them on remove", () => {
    const clock = new VirtualClock();
    const id = clock.add(action("tick", "interval"), 3, 3);
    clock.add(action("once"), 7);
    expect(drain(clock, 10)).toEqual(["tick@3", "tick@6", "once@7", "tick@9"]);
    expect(clock.timers).toBe(1);
    expect(clock.remove(id)).toBe(true);
    expect(clock.remove(id)).toBe(false);
    expect(drain(clock, 100)).toEqual([]);
  });

  it("changeInterval moves the next firing to now + period", () => {
    const clock = new VirtualClock();
    const id = clock.add(action("tick", "interval"), 10, 10);
    expect(drain(clock, 10)).toEqual(["tick@10"]);
    clock.advanceTo(12);
    expect(clock.change(id, 5)).toBe(true);
    expect(drain(clock, 30)).toEqual(["tick@17", "tick@22", "tick@27"]);
    expect(clock.change(999, 5)).toBe(false);
  });

  it("removeAll clears device timers but keeps simulator events", () => {
    const clock = new VirtualClock();
    clock.add(action("timer"), 5);
    clock.add(action("event", "host"), 5);
    clock.removeAll();
    expect(clock.timers).toBe(0);
    expect(drain(clock, 10)).toEqual(["event@5"]);
  });

  it("never moves time backwards and floors tiny periods so time advances", () => {
    const clock = new VirtualClock();
    clock.add(action("spin", "interval"), 0, 0.000001);
    let count = 0;
    while (clock.next(1)) count++;
    expect(count).toBe(11); // at 0, 0.1, …, 1.0 ms
    clock.advanceTo(0.5);
    expect(clock.now).toBe(1);
  });
});

describe("simulated time on the device", () => {
  const bundle = `
    var t0 = getTime();
    var n = 0;
    var fast = setInterval(function fast() { n++; digitalWrite(D4, n & 1); }, 7);
    setInterval(function slow() { print("slow", n, (getTime() - t0).toFixed(3), Math.random().toFixed(6)); }, 50);
    setTimeout(function () { changeInterval(fast, 3); print("changed"); }, 120);
    setTimeout(function () { clearInterval(fast); print("stopped", n); }, 200);
    setTimeout(function a() { print("tie a"); }, 100);
    setTimeout(function b() { print("tie b"); }, 100);
  `;
  const run = (seed: number) => {
    const device = new SimDevice({ board: boards.esp32, seed });
    device.boot(bundle);
    const report = device.run(300);
    return { device, report };
  };

  it("runs timers in simulated-time order and stamps each line with its time", () => {
    const { device, report } = run(1);
    const lines = device.console.map((l) => `${l.simMs} ${l.line.replace(/ 0\.\d{6}$/, "")}`);
    expect(lines.slice(0, 5)).toEqual(["50 slow 7 0.050", "100 slow 14 0.100", "100 tie a", "100 tie b", "120 changed"]);
    expect(lines).toContain("200 stopped 43"); // 17 ticks every 7 ms, then 26 every 3 ms from 123
    expect(report).toMatchObject({ simulatedMs: 300, timersPending: 1, state: "running" });
    expect(report.ratio).toBeGreaterThan(1);
  });

  it("gives the same console and waveform for the same seed, and other randomness for another", () => {
    const first = run(7).device;
    const second = run(7).device;
    expect(second.console).toEqual(first.console);
    expect(second.vcd()).toBe(first.vcd());
    expect(run(8).device.console.map((l) => l.line)).not.toEqual(first.console.map((l) => l.line));
  });

  it("getTime is seconds since power-on, and run() advances time even with no timers", () => {
    const device = new SimDevice({ board: boards.esp32 });
    device.boot(`setTimeout(function () { print(getTime()); }, 1500);`);
    expect(device.run(1000)).toMatchObject({ simulatedMs: 1000, state: "running" });
    expect(device.run(1000)).toMatchObject({ simulatedMs: 1000, state: "idle", timersPending: 0 });
    expect(device.console.map((l) => l.line)).toEqual(["1.5"]);
    expect(device.now).toBe(2000);
  });

  it("passes extra setTimeout arguments, clears all timers with clearTimeout(), rejects clearTimeout(undefined)", () => {
    const device = new SimDevice({ board: boards.esp32 });
    device.boot(`
      setTimeout(function (a, b) { print(a, b); }, 1, "x", 7);
      setTimeout(function () {
        setTimeout(function () { print("never"); }, 5);
        setInterval(function () { print("never"); }, 5);
        clearTimeout();
        try { clearTimeout(undefined); } catch (e) { print(e.message); }
        try { changeInterval(99, 5); } catch (e) { print(e.message); }
      }, 2);`);
    device.run(50);
    expect(device.console.map((l) => l.line)).toEqual([
      "x 7",
      "clearTimeout(undefined) not allowed. Use clearTimeout() instead",
      "Unknown Interval",
    ]);
  });
});
