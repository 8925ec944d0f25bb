/**
 * The scheduling mechanism both schedulers share; the policy is the ready-list key.
 *
 * Usage: `scheduler(timer, services, options, deadlines)`: coop.ts passes
 * false (a task's key is its priority, fixed), edf.ts true (its key is the
 * absolute deadline, set each time it becomes ready). Apps import coop.ts or
 * edf.ts, not this file.
 *
 * How a loop pass goes: one kernel timer callback moves the due sleepers to
 * the ready list, then runs at most as many steps as tasks were ready (each
 * ready task about once), timing each step with one `now()` call (the end of
 * one step is the start of the next). A step that overran the slice ends the
 * pass: it is reported at once and the event loop gets its turn. Then the
 * pass arms one timer: "soon" (after 0 ms) if tasks are still ready or the
 * idle hook asked for more, else a wake-up for the earliest sleeper.
 *
 * Cost (espruino.md §2: every token is interpreted, every name and property
 * lookup scans): the yield path — take the head, step, time, re-append — is
 * one loop (`steps`); anything rarer (a wake-up's lateness, a sleep, a park,
 * an out-of-order insert, a fault, a hog) is a function call off that path.
 * The ready list is linked through the tasks (no array to shift),
 * ordered by key, first come first served among equal keys. The whole pass
 * runs inside one try (a throw stops the task that threw and the pass goes
 * on). What a switch costs, and the floor any JavaScript scheduler has on
 * the interpreter: README.md.
 *
 * Errors, revocation, contract: types.ts.
 */
import type { Services, TimerCap } from "../../firmware/types.ts";
import type { IdleHook, Sched, SchedOptions, Step, Task, TaskStats } from "./types.ts";
import { codedError } from "../coded-error.ts";

// Task states: plain consts compile to literals.
const READY = 1;
const SLEEP = 2;
const PARKED = 3;
const DONE = 5;
const STATE_NAMES = ["", "ready", "sleep", "wait", "run", "done"];
/** The event `recv` parks on (user events are not allowed to start with NUL). */
const MAILBOX = "\u0000m";

/** A task with the fields only the scheduler touches. Hot fields first: each lookup scans the keys before it. */
interface TaskRecord extends Task {
  step: Step;
  /** Ready-list link. */
  next: TaskRecord | undefined;
  /** Set when it became ready after a wake-up (its due time, for lateness), else -1. */
  due: number;
  cpu: number;
  runs: number;
  /** Ready-list order: -prio (coop) or the absolute deadline (EDF); smaller runs first. */
  key: number;
  /** EDF: relative deadline. */
  rel: number;
  msg: unknown;
  state: number;
  prio: number;
  /** Wake-up time while sleeping or parked with a timeout (else -1). */
  wake: number;
  /** The event it is parked on. */
  event: string;
  /** Queued messages, created on first use. */
  box: unknown[] | undefined;
  timedOut: boolean;
  wakes: number;
  late: number;
  lateMax: number;
  hogs: number;
  name: string;
}

const failure = (message: string): Error => codedError(-22, message); // EINVAL

/**
 * One scheduler's state. The functions below are the module's, not closures
 * made per scheduler: a LibOS chunk with no module state has one instance for
 * every app (tools/build/confine/shareable.ts), so an app's scheduler costs
 * this object, its API's closures and `pass` (~130 variables on the
 * interpreter, where ~40 closures of its own cost ~320). Hot fields first:
 * Espruino finds a property by scanning the keys in order.
 */
interface State {
  /** The ready list. `tail` is stale while `head` is undefined. */
  head: TaskRecord | undefined;
  /** The running task; undefined once it parked, ended or re-queued itself (and between passes). */
  current: TaskRecord | undefined;
  /** When the running step started. */
  stepStart: number;
  tail: TaskRecord | undefined;
  now: () => number;
  slice: number;
  /** EDF: a task's key is its absolute deadline; coop: its priority, fixed. */
  deadlines: boolean;
  /** Tasks in state READY, the running one included. */
  ready: number;
  /** The running task once it parked, ended or re-queued itself: a throw after that is still its own. */
  running: TaskRecord | undefined;
  inPass: boolean;
  /** Sleepers and parked tasks with a timeout, by wake-up time (ties: first in, first out). */
  timed: TaskRecord[];
  /** Parked tasks by event. */
  waiters: Record<string, TaskRecord[]>;
  live: TaskRecord[];
  ended: TaskRecord[];
  hook: IdleHook | undefined;
  hookAgain: boolean;
  /** The one kernel timer: its id (0: none) and when it fires (-1: soon). */
  timerId: number;
  timerAt: number;
  timer: TimerCap;
  services: Services;
  onHog: (task: Task, ms: number) => void;
  onError: (task: Task, error: unknown) => void;
  /** This scheduler's pass, as the kernel timer's callback. */
  pass: () => void;
}

/** Put a task into the ready list by its key, after the equal ones. */
function insert(S: State, task: TaskRecord): void {
  const key = task.key;
  task.next = undefined;
  const head = S.head;
  if (!head) S.head = S.tail = task;
  else if (S.tail!.key <= key) S.tail = S.tail!.next = task;
  else if (head.key > key) {
    task.next = head;
    S.head = task;
  } else {
    let p = head;
    while (p.next!.key <= key) p = p.next!;
    task.next = p.next;
    p.next = task;
  }
}

/** A sleeping or parked task becomes ready; `due` is when it was due (lateness counts from there). */
function makeReady(S: State, task: TaskRecord, due: number): void {
  task.state = READY;
  task.due = due;
  S.ready++;
  if (S.deadlines) task.key = due + task.rel;
  insert(S, task);
}

function untime(S: State, task: TaskRecord): void {
  if (task.wake < 0) return;
  task.wake = -1;
  const i = S.timed.indexOf(task);
  if (i >= 0) S.timed.splice(i, 1);
}

function retime(S: State, task: TaskRecord, at: number): void {
  const timed = S.timed;
  task.wake = at;
  let i = timed.length;
  while (i > 0 && timed[i - 1].wake > at) i--;
  timed.splice(i, 0, task);
}

function unpark(S: State, task: TaskRecord): void {
  const list = S.waiters[task.event];
  const i = list ? list.indexOf(task) : -1;
  if (i >= 0) list.splice(i, 1);
  if (list && !list.length) delete S.waiters[task.event];
}

/** Remove a task from the ready list (not found: it is the running one). */
function unlink(S: State, task: TaskRecord): void {
  if (S.head === task) {
    S.head = task.next;
    return;
  }
  let p = S.head;
  while (p && p.next !== task) p = p.next;
  if (p) {
    p.next = task.next;
    if (S.tail === task) S.tail = p;
  }
}

function finish(S: State, task: TaskRecord): void {
  const state = task.state;
  if (state === READY) {
    S.ready--;
    if (S.current === task) {
      S.running = task;
      S.current = undefined;
    } else unlink(S, task);
  } else if (state === PARKED) unpark(S, task);
  untime(S, task);
  task.state = DONE;
  S.live.splice(S.live.indexOf(task), 1);
  S.ended.push(task);
  if (S.ended.length > 8) S.ended.shift(); // bounded: reports of ended tasks are best effort
}

/** Hold the one kernel timer the state needs; `time` is now if the caller knows it (saves a call). */
function arm(S: State, time?: number): void {
  if (S.inPass) return;
  let at = -2;
  if (S.ready || S.hookAgain) at = -1;
  else if (S.timed.length) at = S.timed[0].wake;
  if (S.timerId && at === S.timerAt) return;
  if (S.timerId) S.timer.cancel(S.timerId);
  S.timerId = 0;
  if (at === -2) return;
  S.timerAt = at;
  const now = S.now;
  S.timerId = S.timer.after(at < 0 ? 0 : Math.max(0, at - (time === undefined ? now() : time)), S.pass);
}

/**
 * A wake-up's lateness (its step starts at `start`); returns the message it
 * brings. Only wake-ups carry one, so a plain run never touches `msg`.
 */
function account(task: TaskRecord, start: number): unknown {
  const late = start - task.due;
  const msg = task.msg;
  task.msg = undefined;
  task.due = -1;
  task.wakes++;
  if (late > 0) {
    task.late += late;
    if (late > task.lateMax) task.lateMax = late;
  }
  return msg;
}

/**
 * The hot loop: ready tasks' steps in turn until none is ready or `left`
 * steps ran, or a step overran the slice: that hog ends the pass (the
 * event loop has waited long enough) and is reported once, after the loop.
 */
function steps(S: State, left: number): void {
  // `var`, not const: a const in a loop body costs Espruino a block scope per iteration.
  var task, result, end, start = S.stepStart, now = S.now, slice = S.slice;
  for (;;) {
    task = S.head!;
    S.head = task.next;
    S.current = task;
    result = task.due < 0 ? task.step(task) : task.step(task, account(task, start));
    end = now();
    task.cpu += end - start;
    task.runs++;
    if (S.current === task) {
      // A yield that goes last (coop: one priority level; EDF: the latest deadline, set here): append.
      if (result === 0 && (!S.deadlines || (task.key = end + task.rel)) && (!S.head || S.tail!.key <= task.key)) {
        S.current = task.next = undefined;
        if (S.head) S.tail = S.tail!.next = task;
        else S.head = S.tail = task;
      } else settle(S, task, result, start, end);
    }
    if (!S.head || --left < 1 || end - start > slice) break;
    S.stepStart = start = end;
  }
  S.stepStart = end;
  if (end - start > slice) hog(S, task, end - start);
}

/** What a step's result other than a yield means: sleep, end, or (anything else) yield. */
function settle(S: State, task: TaskRecord, result: unknown, start: number, end: number): void {
  if (result === undefined || result === null) return finish(S, task);
  S.current = undefined;
  if ((result as number) > 0) {
    S.ready--;
    task.state = SLEEP;
    retime(S, task, start + (result as number));
  } else {
    if (S.deadlines) task.key = end + task.rel;
    insert(S, task);
  }
}

function hog(S: State, task: Task, ms: number): void {
  (task as TaskRecord).hogs++;
  const onHog = S.onHog;
  try {
    onHog(task, ms);
  } catch (error) {
    S.services.log("sched: onHog failed: " + ((error as Error).message || error));
  }
}

/** Move the sleepers and timed-out waiters due by `due` to the ready list. */
function wakeDue(S: State, due: number): void {
  const timed = S.timed;
  while (timed.length && timed[0].wake <= due) {
    const task = timed.shift()!;
    const wake = task.wake;
    task.wake = -1;
    if (task.state === PARKED) {
      unpark(S, task);
      task.timedOut = true;
    }
    makeReady(S, task, wake);
  }
}

/** A step threw (it may have parked or re-queued itself first): stop its task, report. */
function fault(S: State, error: unknown): void {
  const task = S.current || S.running!;
  const now = S.now;
  const end = now();
  task.cpu += end - S.stepStart;
  task.runs++;
  S.stepStart = end;
  if (task.state !== DONE) finish(S, task);
  S.current = undefined;
  const onError = S.onError;
  try {
    onError(task, error);
  } catch (hookError) {
    S.services.log("sched: onError failed: " + ((hookError as Error).message || hookError));
  }
}

function runIdle(S: State): void {
  const until = S.timed.length ? S.timed[0].wake - S.stepStart : Infinity;
  const start = S.stepStart;
  const hook = S.hook!;
  try {
    S.hookAgain = hook(until) === true;
  } catch (error) {
    S.hook = undefined;
    S.services.log("sched: idle hook failed: " + ((error as Error).message || error));
  }
  const now = S.now;
  S.stepStart = now();
  const ms = S.stepStart - start;
  if (ms > S.slice) hog(S, { name: "idle" } as TaskRecord, ms);
}

// Every token of a function Espruino runs is read, skipped branches too: the rare
// paths of a pass are calls, and NOINLINE keeps terser from inlining them back
// (measured: −10k instructions per switch).
function pass(S: State): void {
  S.timerId = 0;
  S.inPass = true;
  const now = S.now;
  const start = (S.stepStart = now());
  // The wake-up timer fired: what it was armed for is due, even if the clock
  // reads a hair earlier (getTime() * 1000 is not exact in floating point).
  const due = S.timerAt > start ? S.timerAt : start;
  S.timerAt = -1;
  if (S.timed.length && S.timed[0].wake <= due) /*@__NOINLINE__*/ wakeDue(S, due);
  // Each task ready now steps about once. A fault ends `steps`: the pass goes on with the others.
  for (let left = S.ready; S.head && left > 0; left--) {
    try {
      steps(S, left);
      break;
    } catch (error) {
      fault(S, error);
    }
  }
  S.current = undefined;
  S.hookAgain = false;
  if (S.hook && !S.ready) /*@__NOINLINE__*/ runIdle(S);
  S.inPass = false;
  // Tasks still ready (the usual case while they yield): straight to "soon", else arm() works it out.
  if (S.ready || S.hookAgain) {
    S.timerAt = -1;
    S.timerId = S.timer.after(0, S.pass);
  } else arm(S, S.stepStart);
}

function park(S: State, event: string, timeoutMs: number | undefined): number {
  const task = S.current;
  if (!task) throw failure("sched: wait/recv outside a running step");
  S.running = task;
  S.current = undefined;
  S.ready--;
  task.state = PARKED;
  task.event = event;
  (S.waiters[event] || (S.waiters[event] = [])).push(task);
  if (timeoutMs !== undefined) retime(S, task, S.stepStart + timeoutMs);
  return -1;
}

function wakeParked(S: State, task: TaskRecord, msg: unknown): void {
  unpark(S, task);
  untime(S, task);
  task.msg = msg;
  task.timedOut = false;
  const now = S.now;
  makeReady(S, task, S.inPass ? S.stepStart : now());
}

export function scheduler(timer: TimerCap, services: Services, options: SchedOptions | undefined, deadlines: boolean): Sched {
  const opts = options || {};
  const slice = opts.slice || 20;
  const now = services.now;
  const S: State = {
    head: undefined,
    current: undefined,
    stepStart: 0,
    tail: undefined,
    now,
    slice,
    deadlines,
    ready: 0,
    running: undefined,
    inPass: false,
    timed: [],
    waiters: {},
    live: [],
    ended: [],
    hook: undefined,
    hookAgain: false,
    timerId: 0,
    timerAt: -1,
    timer,
    services,
    onHog: opts.onHog || ((task: Task, ms: number) => services.log("sched: " + task.name + " hogged " + Math.round(ms) + " ms (slice " + slice + ")")),
    onError: opts.onError || ((task: Task, error: unknown) => services.log("sched: " + task.name + " failed: " + ((error as Error).message || error))),
    pass: () => pass(S),
  };

  return {
    spawn(name, step, spawnOptions) {
      const o = spawnOptions || {};
      const prio = o.prio === undefined ? 1 : o.prio;
      const rel = o.deadline === undefined ? 100 : o.deadline;
      const task: TaskRecord = {
        step,
        next: undefined,
        due: -1,
        cpu: 0,
        runs: 0,
        key: deadlines ? (S.inPass ? S.stepStart : now()) + rel : -prio,
        rel,
        msg: undefined,
        state: READY,
        prio,
        wake: -1,
        event: "",
        box: undefined,
        timedOut: false,
        wakes: 0,
        late: 0,
        lateMax: 0,
        hogs: 0,
        name,
      };
      S.live.push(task);
      S.ready++;
      insert(S, task);
      arm(S);
      return task;
    },
    wait(event, timeoutMs) {
      return park(S, event, timeoutMs);
    },
    recv(timeoutMs) {
      const task = S.current;
      if (task && task.box && task.box.length) {
        // A message is waiting: run again soon with it (still ready).
        S.running = task;
        S.current = undefined;
        task.msg = task.box.shift();
        task.timedOut = false;
        task.due = S.stepStart;
        if (deadlines) task.key = S.stepStart + task.rel;
        insert(S, task);
        return -1;
      }
      return park(S, MAILBOX, timeoutMs);
    },
    signal(event, value) {
      const list = S.waiters[event];
      if (!list) return 0;
      delete S.waiters[event];
      for (let i = 0; i < list.length; i++) {
        const task = list[i];
        task.event = "";
        wakeParked(S, task, value);
      }
      arm(S);
      return list.length;
    },
    send(to, msg) {
      const task = to as TaskRecord;
      if (task.state === DONE) return false;
      if (task.state === PARKED && task.event === MAILBOX) wakeParked(S, task, msg);
      else (task.box || (task.box = [])).push(msg);
      arm(S);
      return true;
    },
    until(at) {
      const ms = at - S.stepStart;
      return ms > 0 ? ms : 0;
    },
    cancel(which) {
      const task = which as TaskRecord;
      if (task.state === DONE) return false;
      finish(S, task);
      arm(S);
      return true;
    },
    idle(fn) {
      S.hook = fn;
      arm(S);
    },
    now,
    stats() {
      const all = S.live.concat(S.ended);
      S.ended = [];
      const out: TaskStats[] = [];
      for (let i = 0; i < all.length; i++) {
        const t = all[i];
        out.push({
          name: t.name,
          prio: t.prio,
          state: STATE_NAMES[t === S.current ? 4 : t.state],
          cpu: t.cpu,
          runs: t.runs,
          wakes: t.wakes,
          late: t.late,
          lateMax: t.lateMax,
          hogs: t.hogs,
        });
      }
      return out;
    },
  };
}
