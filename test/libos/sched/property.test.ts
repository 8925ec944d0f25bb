/**
 * Property tests: random programs of tasks that sleep, yield, wait for
 * events, receive messages, signal, send and cancel — plus signals and
 * messages from outside (interrupts, at fractions of a ms chosen so that they
 * never tie with a timeout) — checked step by step against a model of the contract:
 * no wake-up is lost or early or late (the clock only moves between steps
 * here, so every run is exactly on time), every message arrives once and in
 * order, a cancelled or ended task never runs, and one kernel timer suffices.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { create as coop } from "../../../libos/sched/coop.ts";
import { create as edf } from "../../../libos/sched/edf.ts";
import { YIELD, type CreateSched, type Task } from "../../../libos/sched/types.ts";
import { fakeKernel } from "./harness.ts";

type Ret =
  | { op: "sleep"; ms: number }
  | { op: "yield" }
  | { op: "wait"; event: string; timeout?: number }
  | { op: "recv"; timeout?: number }
  | { op: "end" };
type Side = { op: "none" } | { op: "signal"; event: string } | { op: "send"; to: number } | { op: "cancel"; to: number };
interface StepSpec {
  side: Side;
  ret: Ret;
}
interface Outside {
  at: number;
  side: Side;
}

const events = ["a", "b"];
const timeout = fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined });
const ret: fc.Arbitrary<Ret> = fc.oneof(
  fc.record({ op: fc.constant("sleep" as const), ms: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ op: fc.constant("yield" as const) }),
  fc.record({ op: fc.constant("wait" as const), event: fc.constantFrom(...events), timeout }),
  fc.record({ op: fc.constant("recv" as const), timeout }),
  fc.record({ op: fc.constant("end" as const) }),
);
const side = (tasks: number): fc.Arbitrary<Side> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.record({ op: fc.constant("none" as const) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant("signal" as const), event: fc.constantFrom(...events) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant("send" as const), to: fc.nat(tasks - 1) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("cancel" as const), to: fc.nat(tasks - 1) }) },
  );
const program = fc.integer({ min: 1, max: 6 }).chain((tasks) =>
  fc.record({
    tasks: fc.array(fc.array(fc.record({ side: side(tasks), ret }), { minLength: 1, maxLength: 12 }), { minLength: tasks, maxLength: tasks }),
    prios: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: tasks, maxLength: tasks }),
    deadlines: fc.array(fc.integer({ min: 1, max: 50 }), { minLength: tasks, maxLength: tasks }),
    // Each at its own binary fraction of a ms (exact in floating point): a task woken from outside runs at
    // that fraction, and so do its later timeouts, so no timeout ever ties with another outside event.
    outside: fc
      .array(fc.record({ at: fc.integer({ min: 0, max: 150 }), side: side(tasks) }), { maxLength: 8 })
      .map((list) => list.map((o, i) => ({ at: o.at + 0.5 + i / 64, side: o.side }))),
  }),
);

type Program = typeof program extends fc.Arbitrary<infer T> ? T : never;

/** What the model expects of a task's next run. */
type Expect =
  | { kind: "ready"; at: number; msg: unknown }
  | { kind: "sleep"; at: number }
  | { kind: "parked"; event: string | null; deadline?: number; since: number }
  | { kind: "woken"; at: number; msg: unknown }
  | { kind: "gone" };

const HORIZON = 400;

function check(create: CreateSched, p: Program): void {
  const k = fakeKernel(1);
  const s = create(k.timer, k.services, { onError: (t, e) => problems.push(`${t.name} threw ${(e as Error).message}`) });
  const problems: string[] = [];
  const model: Expect[] = [];
  const boxes: unknown[][] = [];
  const handles: Task[] = [];
  let serial = 0;
  const now = () => k.clock.now;
  const gone = (i: number) => model[i].kind === "gone";

  const doSide = (sideOp: Side, self: number | null) => {
    if (sideOp.op === "signal") {
      const value = ++serial;
      let woken = 0;
      model.forEach((m, i) => {
        if (m.kind === "parked" && m.event === sideOp.event && (m.deadline === undefined || now() < m.deadline)) {
          model[i] = { kind: "woken", at: now(), msg: value };
          woken++;
        }
      });
      const got = s.signal(sideOp.event, value);
      if (got !== woken) problems.push(`signal ${sideOp.event}@${now()} woke ${got}, model ${woken}`);
    } else if (sideOp.op === "send") {
      const to = sideOp.to;
      const value = ++serial;
      const m = model[to];
      const live = m.kind !== "gone";
      if (m.kind === "parked" && m.event === null && (m.deadline === undefined || now() < m.deadline)) {
        model[to] = { kind: "woken", at: now(), msg: value };
      } else if (live) boxes[to].push(value);
      const got = s.send(handles[to], value);
      if (got !== live) problems.push(`send to ${to} returned ${got}, model ${live}`);
    } else if (sideOp.op === "cancel") {
      const live = model[sideOp.to].kind !== "gone";
      model[sideOp.to] = { kind: "gone" };
      const got = s.cancel(handles[sideOp.to]);
      if (got !== live) problems.push(`cancel ${sideOp.to} returned ${got}, model ${live}`);
    }
    void self;
  };

  p.tasks.forEach((specs, i) => {
    boxes.push([]);
    model.push({ kind: "ready", at: 0, msg: undefined });
    let pc = 0;
    handles.push(
      s.spawn(
        "t" + i,
        (task, msg) => {
          const t = now();
          const m = model[i];
          const where = `t${i} run ${pc} @${t}`;
          // Is this run the one the model expects?
          if (m.kind === "gone") problems.push(`${where}: ran after it was cancelled or ended`);
          // (timedOut is only set by wake-ups from wait/recv: checked on those runs.)
          else if (m.kind === "sleep" && (t !== m.at || msg !== undefined)) problems.push(`${where}: sleeper due ${m.at}`);
          else if ((m.kind === "ready" || m.kind === "woken") && (t !== m.at || msg !== m.msg || (m.msg !== undefined && task.timedOut)))
            problems.push(`${where}: expected ${m.kind} at ${m.at} with ${m.msg}, got ${msg} timedOut=${task.timedOut}`);
          else if (m.kind === "parked" && (m.deadline === undefined || t !== m.deadline || msg !== undefined || !task.timedOut))
            problems.push(`${where}: expected a timeout at ${m.deadline}, got ${msg} timedOut=${task.timedOut}`);
          const spec: StepSpec | undefined = specs[pc++];
          if (!spec) {
            model[i] = { kind: "gone" };
            return undefined;
          }
          model[i] = { kind: "ready", at: t, msg: undefined }; // provisional: running
          doSide(spec.side, i);
          if (gone(i)) return YIELD; // it cancelled itself: ignored
          const r = spec.ret;
          switch (r.op) {
            case "sleep":
              model[i] = { kind: "sleep", at: t + r.ms };
              return r.ms;
            case "yield":
              model[i] = { kind: "ready", at: t, msg: undefined };
              return YIELD;
            case "wait":
              model[i] = { kind: "parked", event: r.event, deadline: r.timeout === undefined ? undefined : t + r.timeout, since: t };
              return s.wait(r.event, r.timeout);
            case "recv":
              if (boxes[i].length) model[i] = { kind: "ready", at: t, msg: boxes[i].shift() };
              else model[i] = { kind: "parked", event: null, deadline: r.timeout === undefined ? undefined : t + r.timeout, since: t };
              return s.recv(r.timeout);
            case "end":
              model[i] = { kind: "gone" };
              return undefined;
          }
        },
        { prio: p.prios[i], deadline: p.deadlines[i] },
      ),
    );
  });
  for (const o of p.outside) k.clock.add({ kind: "host", fn: () => doSide(o.side, null), args: [], label: "irq" }, o.at);
  k.run(HORIZON);

  // Nothing is left behind: every wake-up due by the horizon happened.
  model.forEach((m, i) => {
    if (m.kind === "ready" || m.kind === "woken") problems.push(`t${i} still ${m.kind} (due ${m.at}) at the end`);
    if (m.kind === "sleep" && m.at <= HORIZON) problems.push(`t${i} slept through its wake-up at ${m.at}`);
    if (m.kind === "parked" && m.deadline !== undefined && m.deadline <= HORIZON) problems.push(`t${i} missed its timeout at ${m.deadline}`);
  });
  if (k.peakTimers > 1) problems.push(`held ${k.peakTimers} kernel timers at once`);
  expect(problems).toEqual([]);
}

describe.each([
  ["coop", coop],
  ["edf", edf],
])("random programs on the %s scheduler", (_name, create) => {
  it("never lose a wake-up or a message, and never run a cancelled task", () => {
    fc.assert(
      fc.property(program, (p) => check(create, p)),
      { numRuns: 400 },
    );
  });
});
