/** Blinky: the LED on, off, twice a second — the smallest app that uses a pin and a timer. */
import type { AppCaps } from "../../firmware/types.ts";

export function start(caps: AppCaps): void {
  const led = caps.pins.led;
  let on = 0;
  led.mode("output");
  caps.timer.every(250, () => led.write((on ^= 1)));
  caps.services.log("blinky: LED toggles every 250 ms");
}
