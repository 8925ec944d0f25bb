/**
 * The scheduler contract: what an app codes against, whichever scheduler it links.
 *
 * Usage:
 *   import { create } from "../../libos/sched/coop.ts";   // or ./edf.ts: same shape
 *   const s = create(caps.timer, caps.services, { slice: 20 });
 *   s.spawn("blink", (t) => { led.write((on ^= 1)); return 250; });      // sleep 250 ms, again
 *   s.spawn("rx", (t, msg) => t.timedOut ? s.recv(1000) : (use(msg), s.recv(1000)));
 *
 * Task model: no generators or async on Espruino, so a task is a **step
 * function**. The scheduler calls it; what it returns says when to call it
 * again: a number of ms > 0 sleeps (counted from when the step started, so
 * `return 10` is a 10 ms period whatever the step cost); 0 (`YIELD`) yields
 * to the other ready tasks; the value of `wait`/`recv` parks the task on an
 * event or its mailbox with a timeout; nothing (`undefined`) ends the task.
 * Local state lives in the closure or on the task object; a multi-stage task
 * keeps a stage number, or swaps `task.step` to its next continuation.
 *
 * Errors: a step that throws is reported (`onError`, default a console line)
 * and its task stopped; the other tasks run on. `wait`/`recv` outside a step
 * throw an Error (code -22). Hogs: a step that runs past `slice` ms is
 * reported (`onHog`, default a console line) right after it returns, in
 * the same loop pass; Espruino cannot pre-empt JavaScript, so a step that
 * never returns is the hardware watchdog's job.
 *
 * Revocation: a scheduler holds one kernel timer at a time (a wake-up for
 * the earliest sleeper, or a "soon" timer when tasks are ready), so a timer
 * quota of 1 is enough; 2 leaves room for the app's own. If the kernel
 * revokes the timer service, every call that arms a timer throws what it
 * throws.
 *
 * Contract: the two implementations (coop.ts: fixed priorities, round-robin
 * within one; edf.ts: earliest deadline first) differ only in which ready
 * task runs next.
 */

/** Return from a step: run again after the other ready tasks. */
export const YIELD = 0;
/** What `wait` and `recv` return: the task is parked (return it from the step). */
export const WAIT = -1;

/**
 * A step: called with its task and, after a wake-up from `wait`/`recv`,
 * the value signalled or the message (undefined on a timeout, plain runs).
 * Returns ms to sleep (> 0), YIELD, the value of wait/recv, or nothing to end.
 */
// `any` for the message: a step knows what its events carry, and casts cost nothing at runtime.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Step = (task: Task, msg?: any) => number | void;

/** A task, as its step and the app see it. Fields are read-only except `step`. */
export interface Task {
  /** The function the scheduler calls next; a step may replace it (its continuation). */
  step: Step;
  /** Its name, for reports. */
  readonly name: string;
  /** Coop: its priority (higher runs first). EDF: ignored. */
  readonly prio: number;
  /** Set at each wake-up from `wait`/`recv`: true if the timeout fired, false for an event or message (left alone by other runs). */
  readonly timedOut: boolean;
  /** Milliseconds spent in its steps. */
  readonly cpu: number;
  /** Steps run. */
  readonly runs: number;
  /** Wake-ups: runs after a sleep, a timeout, an event or a message. */
  readonly wakes: number;
  /** Sum and largest lateness (ms) over its wake-ups: step start minus when it was due (its wake-up time, or the signal's). */
  readonly late: number;
  readonly lateMax: number;
  /** Steps that ran past the slice. */
  readonly hogs: number;
}

/** Per-task figures, as `stats()` reports them. */
export interface TaskStats {
  name: string;
  prio: number;
  /** "ready", "sleep", "wait", "run" or "done". */
  state: string;
  cpu: number;
  runs: number;
  wakes: number;
  late: number;
  lateMax: number;
  hogs: number;
}

export interface SpawnOptions {
  /** Coop: priority, 0 (background) … 7 (most urgent). Default 1. */
  prio?: number;
  /** EDF: relative deadline in ms: a task ready at time T must run by T + deadline. Default 100. */
  deadline?: number;
}

/**
 * The idle hook: called when no task is ready, with the ms until the next
 * wake-up (Infinity if none). Return true to be called again soon (more
 * work left, e.g. a file system's garbage collection step by step); any
 * other return lets the device sleep until the next wake-up.
 */
export type IdleHook = (untilMs: number) => boolean | void;

export interface SchedOptions {
  /** A step running longer than this (ms) is reported as a hog. Default 20. */
  slice?: number;
  /** Called when a step overruns the slice, in the same pass. Default: a console line. */
  onHog?: (task: Task, ms: number) => void;
  /** Called when a step throws; the task is stopped. Default: a console line. */
  onError?: (task: Task, error: unknown) => void;
}

/** A scheduler: one per app (or per group of tasks), over the app's timer service. */
export interface Sched {
  /** Start a task: its first step runs soon (not inside this call). */
  spawn(name: string, step: Step, options?: SpawnOptions): Task;
  /**
   * Park the running task until `signal(event)` or `timeoutMs` (from when the
   * step started; omit for no timeout), then step it with the value. Return
   * its result from the step. Events are not latched: a signal with no
   * waiter is dropped (use messages for that).
   */
  wait(event: string, timeoutMs?: number): number;
  /** Park the running task until a message (at once if one is queued) or `timeoutMs`. */
  recv(timeoutMs?: number): number;
  /** Wake every task waiting on `event`, passing `value`; returns how many. Callable from anywhere. */
  signal(event: string, value?: unknown): number;
  /** Queue `msg` for `task` (never lost; delivered in order by recv). False if the task has ended. */
  send(task: Task, msg: unknown): boolean;
  /** Sleep until the absolute time `at` (ms): return it from the step. */
  until(at: number): number;
  /** Stop a task wherever it is; it never runs again. False if it had already ended. */
  cancel(task: Task): boolean;
  /** Set (or clear, with undefined) the idle hook. */
  idle(hook: IdleHook | undefined): void;
  /** `Services.now`, for steps that compute times. */
  now(): number;
  /** Per-task figures of the live tasks, and of ended tasks until they are read once. */
  stats(): TaskStats[];
}

/** A scheduler module's entry: both coop.ts and edf.ts export `create` of this type. */
export type CreateSched = (
  timer: import("../../firmware/types.ts").TimerCap,
  services: import("../../firmware/types.ts").Services,
  options?: SchedOptions,
) => Sched;
