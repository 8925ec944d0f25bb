/**
 * The cooperative task scheduler: fixed priorities, round-robin within one.
 *
 * Usage:
 *   import { create } from "../../libos/sched/coop.ts";
 *   const s = create(caps.timer, caps.services);
 *   s.spawn("sensor", (t) => { sample(); return 100; }, { prio: 3 });
 *
 * Policy: the ready task with the highest `prio` runs next; equal
 * priorities take turns in the order they became ready (a yield goes to the
 * back of its level). Strict: a lower level runs only when no higher one is
 * ready. (core.ts keeps the ready list ordered by -prio.)
 *
 * Errors, revocation, contract: types.ts.
 */
import type { CreateSched } from "./types.ts";
import { scheduler } from "./core.ts";

export const create: CreateSched = (timer, services, options) => scheduler(timer, services, options, false);
