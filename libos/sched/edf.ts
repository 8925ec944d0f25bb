/**
 * The earliest-deadline-first scheduler: same shape as coop.ts, another policy.
 *
 * Usage:
 *   import { create } from "../../libos/sched/edf.ts";
 *   const s = create(caps.timer, caps.services);
 *   s.spawn("control", (t) => { regulate(); return 10; }, { deadline: 2 });
 *
 * Policy: a task that becomes ready at time T (its wake-up time, the
 * signal's time, the end of its step for a yield, or its spawn) gets the
 * absolute deadline T + its relative `deadline` (SpawnOptions, default
 * 100 ms); the ready task with the earliest deadline runs next, ties in the
 * order they became ready — so equal tasks that yield take turns. `prio` is
 * ignored. EDF meets every deadline whenever any order could (independent
 * tasks, one CPU, and here: steps short enough, since nothing pre-empts a
 * step), where fixed priorities may not; under overload every task is late
 * a little rather than the low priorities a lot. (core.ts keeps the ready
 * list ordered by absolute deadline.)
 *
 * Errors, revocation, contract: types.ts.
 */
import type { CreateSched } from "./types.ts";
import { scheduler } from "./core.ts";

export const create: CreateSched = (timer, services, options) => scheduler(timer, services, options, true);
