/** Sampler: a 50 ms periodic task and a background one on the EDF scheduler; one report at 5 s. */
import type { AppCaps } from "../../firmware/types.ts";
import { create } from "../../libos/sched/edf.ts";

const PERIOD = 50;

export function start(caps: AppCaps): void {
  const s = create(caps.timer, caps.services);
  const out = caps.pins.out;
  out.mode("output");
  let level = 0;
  let next = s.now();
  // Periodic without drift: sleep until the next multiple of the period.
  const sampler = s.spawn(
    "sample",
    () => {
      out.write((level ^= 1));
      next += PERIOD;
      return s.until(next);
    },
    { deadline: 2 },
  );
  let sums = 0;
  s.spawn(
    "filter",
    (t) => {
      sums++;
      return t.runs < 20 ? 250 : undefined;
    },
    { deadline: 200 },
  );
  s.spawn("report", (t) => {
    if (t.runs === 0) return 5000;
    const stats = s.stats();
    for (let i = 0; i < stats.length; i++) {
      const x = stats[i];
      if (x.name === sampler.name) caps.services.log("sampler: " + x.wakes + " samples by 5 s, worst lateness " + x.lateMax + " ms, " + sums + " filter runs (edf scheduler)");
    }
  });
  caps.services.log("sampler: D5 every 50 ms, deadline 2 ms (edf scheduler)");
}
