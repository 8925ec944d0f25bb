/** Blinky: the LED on, off, twice a second — one task on the cooperative scheduler (libos/sched/coop.ts). */
import type { AppCaps } from "../../firmware/types.ts";
import { create } from "../../libos/sched/coop.ts";

export function start(caps: AppCaps): void {
  const s = create(caps.timer, caps.services);
  const led = caps.pins.led;
  let on = 0;
  led.mode("output");
  // A step returns how long to sleep, counted from when it started: a steady 250 ms
  // period. The first step only sleeps, so the LED first turns on at 250 ms.
  s.spawn("blink", (t) => {
    if (t.runs > 0) led.write((on ^= 1));
    return 250;
  });
  caps.services.log("blinky: LED toggles every 250 ms");
}
