/**
 * A fake kernel for scheduler tests: a TimerCap and Services over the
 * simulator's VirtualClock, with a quota, and `burn(ms)` for a step that
 * takes CPU time (the clock moves while it "runs").
 */
import { VirtualClock } from "../../../hal/sim/clock.ts";
import type { Services, TimerCap } from "../../../firmware/types.ts";

export interface FakeKernel {
  clock: VirtualClock;
  timer: TimerCap;
  services: Services;
  log: string[];
  /** Most kernel timers live at once. */
  peakTimers: number;
  /** Advance the clock as if the running code took `ms`. */
  burn(ms: number): void;
  /** Fire due timers up to `ms` from now; returns how many fired. */
  run(ms: number): number;
}

export function fakeKernel(quota = 2): FakeKernel {
  const clock = new VirtualClock();
  const log: string[] = [];
  const kernel: FakeKernel = {
    clock,
    log,
    peakTimers: 0,
    // Cast: the kernel's TimerCap may grow members the scheduler does not use.
    timer: {
      after(ms: number, fn: () => void) {
        if (clock.timers >= quota) throw new Error("timer quota " + quota + " used up");
        const id = clock.add({ kind: "timeout", fn, args: [], label: "after" }, ms);
        kernel.peakTimers = Math.max(kernel.peakTimers, clock.timers);
        return id;
      },
      every(ms: number, fn: () => void) {
        if (clock.timers >= quota) throw new Error("timer quota " + quota + " used up");
        return clock.add({ kind: "interval", fn, args: [], label: "every" }, ms, ms);
      },
      cancel(id: number) {
        clock.remove(id);
      },
      live: () => clock.timers,
      close: () => clock.removeAll(),
    } as TimerCap,
    services: {
      crc32: () => 0,
      now: () => clock.now,
      log: (text) => log.push(text),
    },
    burn(ms) {
      clock.advanceTo(clock.now + ms);
    },
    run(ms) {
      const limit = clock.now + ms;
      let fired = 0;
      for (let entry; (entry = clock.next(limit)); fired++) {
        if (fired > 1e6) throw new Error("no progress: a million timer callbacks at " + clock.now + " ms");
        entry.action.fn();
      }
      clock.advanceTo(limit);
      return fired;
    },
  };
  return kernel;
}
