/**
 * Boot: board facts and resolved manifests → capabilities → each app's start.
 * The only place that wires hal → kernel services → apps.
 *
 * Errors: an app that throws in `start` is reported on the console and its
 * timers are cancelled; the other apps still start.
 */
import board from "exo:board";
import apps from "exo:apps";
import { bindPin } from "../hal/espruino/pins.ts";
import { crc32, log } from "../hal/espruino/console.ts";
import { now } from "../hal/espruino/timers.ts";
import { timerService } from "./timers.ts";
import type { PinCap } from "./types.ts";

export function boot(): void {
  log("Exo " + board.version + " on " + board.name + ", " + apps.length + " app" + (apps.length === 1 ? "" : "s"));
  const services = { crc32, now, log };
  for (const app of apps) {
    const pins: Record<string, PinCap> = {};
    for (const name in app.pins) pins[name] = bindPin(app.pins[name]).cap;
    const timer = timerService(app.name, app.timers);
    try {
      app.start({ pins, timer, services });
    } catch (e) {
      log("app " + app.name + " faulted at start: " + (e as Error).message);
      timer.cancelAll();
    }
  }
}
