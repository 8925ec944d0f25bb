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

export function scheduler(timer: TimerCap, services: Services, options: SchedOptions | undefined, deadlines: boolean): Sched {
  // The hot loop's state first: Espruino finds a closure variable by scanning the scope in declaration order.
  /** The ready list. `tail` is stale while `head` is undefined. */
  let head: TaskRecord | undefined;
  /** The running task; undefined once it parked, ended or re-queued itself (and between passes). */
  let current: TaskRecord | undefined;
  /** When the running step started. */
  let stepStart = 0;
  let tail: TaskRecord | undefined;
  const now = services.now;
  const opts = options || {};
  const slice = opts.slice || 20;
  const onHog =
    opts.onHog ||
    ((task: Task, ms: number) => services.log("sched: " + task.name + " hogged " + Math.round(ms) + " ms (slice " + slice + ")"));
  const onError =
    opts.onError ||
    ((task: Task, error: unknown) => services.log("sched: " + task.name + " failed: " + ((error as Error).message || error)));
  /** Tasks in state READY, the running one included. */
  let ready = 0;
  /** The running task once it parked, ended or re-queued itself: a throw after that is still its own. */
  let running: TaskRecord | undefined;
  let inPass = false;
  /** Sleepers and parked tasks with a timeout, by wake-up time (ties: first in, first out). */
  const timed: TaskRecord[] = [];
  /** Parked tasks by event. */
  const waiters: Record<string, TaskRecord[]> = {};
  const live: TaskRecord[] = [];
  let ended: TaskRecord[] = [];
  let hook: IdleHook | undefined;
  let hookAgain = false;
  /** The one kernel timer: its id (0: none) and when it fires (-1: soon). */
  let timerId = 0;
  let timerAt = -1;

  /** Put a task into the ready list by its key, after the equal ones. */
  function insert(task: TaskRecord): void {
    const key = task.key;
    task.next = undefined;
    if (!head) head = tail = task;
    else if (tail!.key <= key) tail = tail!.next = task;
    else if (head.key > key) {
      task.next = head;
      head = task;
    } else {
      let p = head;
      while (p.next!.key <= key) p = p.next!;
      task.next = p.next;
      p.next = task;
    }
  }

  /** A sleeping or parked task becomes ready; `due` is when it was due (lateness counts from there). */
  function makeReady(task: TaskRecord, due: number): void {
    task.state = READY;
    task.due = due;
    ready++;
    if (deadlines) task.key = due + task.rel;
    insert(task);
  }

  function untime(task: TaskRecord): void {
    if (task.wake < 0) return;
    task.wake = -1;
    const i = timed.indexOf(task);
    if (i >= 0) timed.splice(i, 1);
  }

  function retime(task: TaskRecord, at: number): void {
    task.wake = at;
    let i = timed.length;
    while (i > 0 && timed[i - 1].wake > at) i--;
    timed.splice(i, 0, task);
  }

  function unpark(task: TaskRecord): void {
    const list = waiters[task.event];
    const i = list ? list.indexOf(task) : -1;
    if (i >= 0) list.splice(i, 1);
    if (list && !list.length) delete waiters[task.event];
  }

  /** Remove a task from the ready list (not found: it is the running one). */
  function unlink(task: TaskRecord): void {
    if (head === task) {
      head = task.next;
      return;
    }
    let p = head;
    while (p && p.next !== task) p = p.next;
    if (p) {
      p.next = task.next;
      if (tail === task) tail = p;
    }
  }

  function finish(task: TaskRecord): void {
    const state = task.state;
    if (state === READY) {
      ready--;
      if (current === task) {
        running = task;
        current = undefined;
      } else unlink(task);
    } else if (state === PARKED) unpark(task);
    untime(task);
    task.state = DONE;
    live.splice(live.indexOf(task), 1);
    ended.push(task);
    if (ended.length > 8) ended.shift(); // bounded: reports of ended tasks are best effort
  }

  /** Hold the one kernel timer the state needs; `time` is now if the caller knows it (saves a call). */
  function arm(time?: number): void {
    if (inPass) return;
    let at = -2;
    if (ready || hookAgain) at = -1;
    else if (timed.length) at = timed[0].wake;
    if (timerId && at === timerAt) return;
    if (timerId) timer.cancel(timerId);
    timerId = 0;
    if (at === -2) return;
    timerAt = at;
    timerId = timer.after(at < 0 ? 0 : Math.max(0, at - (time === undefined ? now() : time)), pass);
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
  function steps(left: number): void {
    // `var`, not const: a const in a loop body costs Espruino a block scope per iteration.
    var task, result, end, start = stepStart;
    for (;;) {
      task = head!;
      head = task.next;
      current = task;
      result = task.due < 0 ? task.step(task) : woken(task);
      end = now();
      task.cpu += end - start;
      task.runs++;
      if (current === task) {
        // A yield that goes last (coop: one priority level; EDF: the latest deadline, set here): append.
        if (result === 0 && (!deadlines || (task.key = end + task.rel)) && (!head || tail!.key <= task.key)) {
          current = task.next = undefined;
          if (head) tail = tail!.next = task;
          else head = tail = task;
        } else settle(task, result, start, end);
      }
      if (!head || --left < 1 || end - start > slice) break;
      stepStart = start = end;
    }
    stepStart = end;
    if (end - start > slice) hog(task, end - start);
  }

  /** What a step's result other than a yield means: sleep, end, or (anything else) yield. */
  function settle(task: TaskRecord, result: unknown, start: number, end: number): void {
    if (result === undefined || result === null) return finish(task);
    current = undefined;
    if ((result as number) > 0) {
      ready--;
      task.state = SLEEP;
      retime(task, start + (result as number));
    } else {
      if (deadlines) task.key = end + task.rel;
      insert(task);
    }
  }

  function hog(task: Task, ms: number): void {
    (task as TaskRecord).hogs++;
    try {
      onHog(task, ms);
    } catch (error) {
      services.log("sched: onHog failed: " + ((error as Error).message || error));
    }
  }

  /** A step after a wake-up: its lateness, then the step with the message the wake-up brought. */
  function woken(task: TaskRecord): unknown {
    return task.step(task, account(task, stepStart));
  }

  /** Move the sleepers and timed-out waiters due by `due` to the ready list. */
  function wakeDue(due: number): void {
    while (timed.length && timed[0].wake <= due) {
      const task = timed.shift()!;
      const wake = task.wake;
      task.wake = -1;
      if (task.state === PARKED) {
        unpark(task);
        task.timedOut = true;
      }
      makeReady(task, wake);
    }
  }

  /** A step threw (it may have parked or re-queued itself first): stop its task, report. */
  function fault(error: unknown): void {
    const task = current || running!;
    const end = now();
    task.cpu += end - stepStart;
    task.runs++;
    stepStart = end;
    if (task.state !== DONE) finish(task);
    current = undefined;
    try {
      onError(task, error);
    } catch (hookError) {
      services.log("sched: onError failed: " + ((hookError as Error).message || hookError));
    }
  }

  function runIdle(): void {
    const until = timed.length ? timed[0].wake - stepStart : Infinity;
    const start = stepStart;
    try {
      hookAgain = hook!(until) === true;
    } catch (error) {
      hook = undefined;
      services.log("sched: idle hook failed: " + ((error as Error).message || error));
    }
    stepStart = now();
    const ms = stepStart - start;
    if (ms > slice) hog({ name: "idle" } as TaskRecord, ms);
  }

  // Every token of a function Espruino runs is read, skipped branches too: the rare
  // paths of a pass are calls, and NOINLINE keeps terser from inlining them back
  // (measured: −10k instructions per switch).
  function pass(): void {
    timerId = 0;
    inPass = true;
    stepStart = now();
    // The wake-up timer fired: what it was armed for is due, even if the clock
    // reads a hair earlier (getTime() * 1000 is not exact in floating point).
    const due = timerAt > stepStart ? timerAt : stepStart;
    timerAt = -1;
    if (timed.length && timed[0].wake <= due) /*@__NOINLINE__*/ wakeDue(due);
    // Each task ready now steps about once. A fault ends `steps`: the pass goes on with the others.
    for (let left = ready; head && left > 0; left--) {
      try {
        steps(left);
        break;
      } catch (error) {
        fault(error);
      }
    }
    current = undefined;
    hookAgain = false;
    if (hook && !ready) /*@__NOINLINE__*/ runIdle();
    inPass = false;
    // Tasks still ready (the usual case while they yield): straight to "soon", else arm() works it out.
    if (ready || hookAgain) {
      timerAt = -1;
      timerId = timer.after(0, pass);
    } else arm(stepStart);
  }

  function park(event: string, timeoutMs: number | undefined): number {
    const task = current;
    if (!task) throw failure("sched: wait/recv outside a running step");
    running = task;
    current = undefined;
    ready--;
    task.state = PARKED;
    task.event = event;
    (waiters[event] || (waiters[event] = [])).push(task);
    if (timeoutMs !== undefined) retime(task, stepStart + timeoutMs);
    return -1;
  }

  function wakeParked(task: TaskRecord, msg: unknown): void {
    unpark(task);
    untime(task);
    task.msg = msg;
    task.timedOut = false;
    makeReady(task, inPass ? stepStart : now());
  }

  const sched: Sched = {
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
        key: deadlines ? (inPass ? stepStart : now()) + rel : -prio,
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
      live.push(task);
      ready++;
      insert(task);
      arm();
      return task;
    },
    wait(event, timeoutMs) {
      return park(event, timeoutMs);
    },
    recv(timeoutMs) {
      const task = current;
      if (task && task.box && task.box.length) {
        // A message is waiting: run again soon with it (still ready).
        running = task;
        current = undefined;
        task.msg = task.box.shift();
        task.timedOut = false;
        task.due = stepStart;
        if (deadlines) task.key = stepStart + task.rel;
        insert(task);
        return -1;
      }
      return park(MAILBOX, timeoutMs);
    },
    signal(event, value) {
      const list = waiters[event];
      if (!list) return 0;
      delete waiters[event];
      for (let i = 0; i < list.length; i++) {
        const task = list[i];
        task.event = "";
        wakeParked(task, value);
      }
      arm();
      return list.length;
    },
    send(to, msg) {
      const task = to as TaskRecord;
      if (task.state === DONE) return false;
      if (task.state === PARKED && task.event === MAILBOX) wakeParked(task, msg);
      else (task.box || (task.box = [])).push(msg);
      arm();
      return true;
    },
    until(at) {
      const ms = at - stepStart;
      return ms > 0 ? ms : 0;
    },
    cancel(which) {
      const task = which as TaskRecord;
      if (task.state === DONE) return false;
      finish(task);
      arm();
      return true;
    },
    idle(fn) {
      hook = fn;
      arm();
    },
    now,
    stats() {
      const all = live.concat(ended);
      ended = [];
      const out: TaskStats[] = [];
      for (let i = 0; i < all.length; i++) {
        const t = all[i];
        out.push({
          name: t.name,
          prio: t.prio,
          state: STATE_NAMES[t === current ? 4 : t.state],
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
  return sched;
}
