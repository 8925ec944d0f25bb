/**
 * Both schedulers on a fake kernel over the virtual clock: ordering,
 * sleeps, priorities and deadlines, events and messages with timeouts,
 * cancellation, error isolation, hog reports, the idle hook, statistics.
 */
import { describe, expect, it } from "vitest";
import { create as coop } from "../../../libos/sched/coop.ts";
import { create as edf } from "../../../libos/sched/edf.ts";
import { YIELD, type CreateSched, type Sched, type SchedOptions, type Step } from "../../../libos/sched/types.ts";
import { fakeKernel, type FakeKernel } from "./harness.ts";

function setup(create: CreateSched, options?: SchedOptions, quota = 1): { k: FakeKernel; s: Sched; trace: string[] } {
  const k = fakeKernel(quota);
  return { k, s: create(k.timer, k.services, options), trace: [] };
}

describe.each([
  ["coop", coop],
  ["edf", edf],
])("the %s scheduler", (_name, create) => {
  it("runs a new task's first step after spawn returns, not inside it", () => {
    const { k, s, trace } = setup(create);
    s.spawn("a", () => void trace.push("a"));
    expect(trace).toEqual([]);
    k.run(0);
    expect(trace).toEqual(["a"]);
  });

  it("runs equal tasks that yield in turn, in spawn order", () => {
    const { k, s, trace } = setup(create);
    for (const name of ["a", "b", "c"]) {
      let n = 0;
      s.spawn(name, () => (trace.push(name), ++n < 3 ? YIELD : undefined));
    }
    k.run(0);
    expect(trace.join("")).toBe("abcabcabc");
  });

  it("follows a step that swaps in its continuation", () => {
    const { k, s, trace } = setup(create);
    const second: Step = () => void trace.push("second@" + k.clock.now);
    s.spawn("two-stage", (t) => {
      trace.push("first@" + k.clock.now);
      t.step = second;
      return 30;
    });
    k.run(100);
    expect(trace).toEqual(["first@0", "second@30"]);
  });

  it("wakes a sleeper at its time; a sleep counts from when the step started", () => {
    const { k, s, trace } = setup(create, { slice: 1000 });
    s.spawn("p", () => {
      trace.push("p@" + k.clock.now);
      k.burn(3); // the step costs 3 ms: the period stays 10 ms
      return 10;
    });
    k.run(35);
    expect(trace).toEqual(["p@0", "p@10", "p@20", "p@30"]);
  });

  it("sleeps until an absolute time with until()", () => {
    const { k, s, trace } = setup(create);
    s.spawn("u", () => (trace.push("u@" + k.clock.now), s.until(Math.floor(k.clock.now / 7) * 7 + 7)));
    k.run(20);
    expect(trace).toEqual(["u@0", "u@7", "u@14"]);
  });

  it("delivers a signal to a waiter before its timeout, with the value", () => {
    const { k, s, trace } = setup(create);
    s.spawn("w", (t, msg) => {
      if (t.runs === 0) return s.wait("go", 100);
      trace.push(`w@${k.clock.now} ${msg} timedOut=${t.timedOut}`);
    });
    k.run(10);
    expect(s.signal("go", 42)).toBe(1);
    expect(s.signal("go", 43)).toBe(0); // not latched: nobody waits any more
    k.run(200);
    expect(trace).toEqual(["w@10 42 timedOut=false"]);
  });

  it("times a waiter out at its timeout when no signal comes", () => {
    const { k, s, trace } = setup(create);
    s.spawn("w", (t, msg) => {
      if (t.runs === 0) return s.wait("go", 25);
      trace.push(`w@${k.clock.now} ${msg} timedOut=${t.timedOut}`);
    });
    k.run(100);
    expect(trace).toEqual(["w@25 undefined timedOut=true"]);
    expect(s.signal("go")).toBe(0);
  });

  it("wakes every waiter of an event", () => {
    const { k, s, trace } = setup(create);
    for (const name of ["a", "b"]) s.spawn(name, (t, msg) => (t.runs === 0 ? s.wait("tick") : void trace.push(name + msg)));
    k.run(1);
    expect(s.signal("tick", 7)).toBe(2);
    k.run(1);
    expect(trace.sort()).toEqual(["a7", "b7"]);
  });

  it("queues messages and hands them out in order; recv times out when none come", () => {
    const { k, s, trace } = setup(create);
    const rx = s.spawn("rx", (t, msg) => {
      if (t.runs > 0) trace.push(t.timedOut ? `timeout@${k.clock.now}` : `${msg}@${k.clock.now}`);
      return t.runs < 5 ? s.recv(50) : undefined;
    });
    expect(s.send(rx, "m1")).toBe(true);
    expect(s.send(rx, "m2")).toBe(true);
    k.run(10);
    s.send(rx, "m3");
    k.run(55);
    expect(trace).toEqual(["m1@0", "m2@0", "m3@10", "timeout@60"]);
    k.run(100);
    expect(trace).toEqual(["m1@0", "m2@0", "m3@10", "timeout@60", "timeout@110"]);
    expect(s.send(rx, "late")).toBe(false); // it has ended
  });

  it("never runs a cancelled task: ready, sleeping, waiting or receiving", () => {
    const { k, s, trace } = setup(create);
    const ready = s.spawn("ready", () => void trace.push("ready"));
    const sleeper = s.spawn("sleeper", (t) => (t.runs ? void trace.push("sleeper") : 10));
    const waiter = s.spawn("waiter", (t) => (t.runs ? void trace.push("waiter") : s.wait("e", 10)));
    const receiver = s.spawn("receiver", (t) => (t.runs ? void trace.push("receiver") : s.recv()));
    expect(s.cancel(ready)).toBe(true);
    k.run(1);
    for (const task of [sleeper, waiter, receiver]) expect(s.cancel(task)).toBe(true);
    expect(s.cancel(sleeper)).toBe(false);
    expect(s.signal("e")).toBe(0);
    expect(s.send(receiver, 1)).toBe(false);
    k.run(100);
    expect(trace).toEqual([]);
    expect(k.clock.timers).toBe(0); // nothing left to wake: the wake-up timer is gone
  });

  it("lets a task cancel itself, and another task from inside a step", () => {
    const { k, s, trace } = setup(create);
    const victim = s.spawn("victim", () => (trace.push("victim"), 5));
    s.spawn("killer", (t) => {
      trace.push("killer");
      s.cancel(victim);
      s.cancel(t);
      return YIELD; // ignored: it is cancelled
    });
    k.run(50);
    expect(trace).toEqual(["victim", "killer"]);
  });

  it("stops a task that throws, reports it, and runs the others", () => {
    const errors: string[] = [];
    const { k, s, trace } = setup(create, { onError: (t, e) => errors.push(t.name + ": " + (e as Error).message) });
    let n = 0;
    s.spawn("good", () => (trace.push("good"), ++n < 3 ? YIELD : undefined));
    s.spawn("bad", () => {
      trace.push("bad");
      throw new Error("boom");
    });
    s.spawn("late", () => (trace.push("late"), undefined));
    k.run(10);
    expect(trace).toEqual(["good", "bad", "late", "good", "good"]);
    expect(errors).toEqual(["bad: boom"]);
    expect(s.stats().find((x) => x.name === "bad")).toMatchObject({ state: "done", runs: 1 });
  });

  it("stops a task that throws after parking or re-queueing itself, and blames it, not the next one", () => {
    const errors: string[] = [];
    const { k, s, trace } = setup(create, { onError: (t, e) => errors.push(t.name + ": " + (e as Error).message) });
    s.spawn("parks", () => {
      s.wait("e", 5);
      throw new Error("after wait");
    });
    const mailbox = s.spawn("requeues", (t) => {
      if (t.runs > 0) trace.push("requeues ran again");
      s.recv(5);
      throw new Error("after recv");
    });
    s.send(mailbox, "m"); // queued: its recv re-queues it at once
    s.spawn("fine", (t) => (trace.push("fine"), t.runs < 2 ? 3 : undefined));
    k.run(1);
    expect(s.signal("e")).toBe(0);
    k.run(50);
    expect(errors).toEqual(["parks: after wait", "requeues: after recv"]);
    expect(trace).toEqual(["fine", "fine", "fine"]);
    expect(s.stats().filter((x) => x.state !== "done")).toEqual([]);
    expect(k.clock.timers).toBe(0);
  });

  it("reports a throwing task on the console by default", () => {
    const { k, s } = setup(create);
    s.spawn("bad", () => {
      throw new Error("boom");
    });
    k.run(1);
    expect(k.log).toEqual(["sched: bad failed: boom"]);
  });

  it("reports a hog in the same pass, with its name and how long, before the next task runs", () => {
    const { k, s, trace } = setup(create, { slice: 20, onHog: (t, ms) => trace.push(`hog ${t.name} ${ms}`) });
    s.spawn("hog", () => (trace.push("hog"), k.burn(45), undefined));
    s.spawn("next", () => void trace.push("next"));
    k.run(100);
    expect(trace).toEqual(["hog", "hog hog 45", "next"]);
    expect(s.stats().find((x) => x.name === "hog")).toMatchObject({ hogs: 1, cpu: 45 });
  });

  it("reports hogs on the console by default", () => {
    const { k, s } = setup(create, { slice: 10 });
    s.spawn("slow", () => void k.burn(12.4));
    k.run(1);
    expect(k.log).toEqual(["sched: slow hogged 12 ms (slice 10)"]);
  });

  it("calls the idle hook only when no task is ready, with the time to the next wake-up, again while it asks", () => {
    const { k, s, trace } = setup(create);
    let left = 3;
    s.spawn("t", (t) => (trace.push("t@" + k.clock.now), t.runs < 1 ? 50 : undefined));
    s.idle((until) => {
      trace.push(`idle@${k.clock.now} until=${until}`);
      return --left > 0;
    });
    k.run(100);
    expect(trace).toEqual(["t@0", "idle@0 until=50", "idle@0 until=50", "idle@0 until=50", "t@50", "idle@50 until=Infinity"]);
  });

  it("holds one kernel timer at most: a quota of 1 is enough", () => {
    const { k, s } = setup(create, {}, 1);
    for (let i = 0; i < 5; i++) s.spawn("t" + i, (t) => (t.runs < 20 ? (i % 2 ? YIELD : 1 + i) : undefined));
    s.spawn("w", (t) => (t.runs < 10 ? s.wait("never", 3) : undefined));
    k.run(200);
    expect(k.peakTimers).toBe(1);
    expect(s.stats().every((x) => x.state === "done")).toBe(true);
  });

  it("wakes a sleeper when the clock reads a hair before its time (getTime() * 1000 in floating point)", () => {
    const k = fakeKernel(1);
    const s = create(k.timer, { ...k.services, now: () => k.clock.now - 1e-7 });
    const runs: number[] = [];
    s.spawn("p", (t) => (runs.push(k.clock.now), t.runs < 3 ? s.until(50 * (t.runs + 1)) : undefined));
    k.run(200); // throws "no progress" if the scheduler spins on a timer that is due but reads early
    expect(runs).toEqual([0, 50, 100, 150]);
    expect(s.stats()[0].lateMax).toBe(0);
  });

  it("counts CPU time, wake-ups and lateness per task", () => {
    const { k, s } = setup(create, { slice: 1000 });
    s.spawn("periodic", (t) => (t.runs < 4 ? 10 : undefined), { prio: 2, deadline: 1 });
    s.spawn("busy", (t) => (k.burn(7), t.runs < 4 ? 10 : undefined), { prio: 1, deadline: 50 });
    k.run(100);
    const stats = Object.fromEntries(s.stats().map((x) => [x.name, x]));
    expect(stats.busy).toMatchObject({ cpu: 35, runs: 5, wakes: 4 });
    expect(stats.periodic).toMatchObject({ cpu: 0, runs: 5, wakes: 4, late: 0, lateMax: 0 });
  });
});

describe("the coop scheduler's priorities", () => {
  it("runs the highest ready priority first, and a lower one only when no higher is ready", () => {
    const { k, s, trace } = setup(coop);
    s.spawn("low", (t) => (trace.push("low"), t.runs < 1 ? YIELD : undefined), { prio: 0 });
    s.spawn("mid", (t) => (trace.push("mid"), t.runs < 1 ? YIELD : undefined), { prio: 1 });
    s.spawn("high", (t) => (trace.push("high"), t.runs < 2 ? YIELD : undefined), { prio: 5 });
    k.run(0);
    expect(trace).toEqual(["high", "high", "high", "mid", "mid", "low", "low"]);
  });

  it("runs a woken urgent task before the ready background ones", () => {
    const { k, s, trace } = setup(coop);
    s.spawn("urgent", (t) => (t.runs ? void trace.push("urgent@" + k.clock.now) : s.wait("irq")), { prio: 7 });
    s.spawn("bg", (t) => (trace.push("bg"), t.runs === 1 && s.signal("irq"), t.runs < 3 ? YIELD : undefined), { prio: 0 });
    k.run(0);
    expect(trace).toEqual(["bg", "bg", "urgent@0", "bg", "bg"]);
  });

  it("charges a late wake-up to the task that was kept waiting", () => {
    const { k, s } = setup(coop, { slice: 1000 });
    // Both due at 10 and 20: the urgent one burns 8 ms first each time.
    s.spawn("hog", (t) => (k.burn(8), t.runs < 2 ? s.until(10 * (t.runs + 1)) : undefined), { prio: 3 });
    s.spawn("victim", (t) => (t.runs < 2 ? s.until(10 * (t.runs + 1)) : undefined), { prio: 1 });
    k.run(50);
    const victim = s.stats().find((x) => x.name === "victim")!;
    expect(victim.lateMax).toBe(8);
    expect(victim.late).toBe(16);
  });
});

describe("the edf scheduler's deadlines", () => {
  it("runs the ready task with the earliest deadline first, whatever its priority", () => {
    const { k, s, trace } = setup(edf);
    s.spawn("lazy", () => void trace.push("lazy"), { deadline: 500, prio: 7 });
    s.spawn("soon", () => void trace.push("soon"), { deadline: 5, prio: 0 });
    s.spawn("mid", () => void trace.push("mid"), { deadline: 50 });
    k.run(0);
    expect(trace).toEqual(["soon", "mid", "lazy"]);
  });

  it("lets a task with a short deadline overtake a yielding long one only until their deadlines cross", () => {
    const { k, s, trace } = setup(edf, { slice: 1000 });
    s.spawn("long", (t) => (trace.push("L"), k.burn(1), t.runs < 5 ? YIELD : undefined), { deadline: 3 });
    s.spawn("short", (t) => (trace.push("S"), k.burn(1), t.runs < 5 ? YIELD : undefined), { deadline: 1 });
    k.run(100);
    // Ready at 0: L due by 3, S by 1; each yield re-queues at (end of step) + deadline, ties first come first served.
    expect(trace.join("")).toBe("SSLSSLSSLLLL");
  });
});
