/**
 * The pure services each app gets (CRC-32, the clock, the console), one set
 * per app: an app that overwrites its own `log` or `now` changes nothing for
 * the others.
 *
 * Usage: `servicesFor(hal, app)` once per start → Services.
 *
 * Errors: `crc32` of anything but a string, an array or a typed array throws
 * EINVAL (the interpreter's CRC32 would also walk `{data, count}` objects
 * `count` times).
 *
 * The console is a shared resource, so it has a quota: a line is at most
 * LOG_LINE characters (longer ones are cut, marked "..."), an app may print
 * LOG_BURST lines at once and LOG_RATE a second after that; the rest are
 * dropped and counted (`app.logDropped`, in the status). A line always
 * starts with the app's name ("blinky: …") and holds no control character
 * (a new line shows as \n): an app cannot print a line that looks like the
 * kernel's, another app's or the host's.
 *
 * Contract: firmware/types.ts `Services`; doc/xrd/xrd105-caps.md §Quotas.
 */
import type { Hal } from "../hal/types.ts";
import type { App } from "./apps.ts";
import { EINVAL, fail } from "./errors.ts";
import type { Services } from "./types.ts";

export const LOG_LINE = 200;
export const LOG_BURST = 50;
/** Lines a second, after the burst. */
export const LOG_RATE = 20;

const CONTROL = /[\x00-\x1f\x7f]/;

/** `text` on one console line: new lines shown as \n and \r, other control characters (terminal escapes) as "?". */
export function printable(text: string): string {
  return CONTROL.test(text) ? text.replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/[\x00-\x1f\x7f]/g, "?") : text;
}

export function servicesFor(hal: Hal, app: App): Services {
  const prefix = app.name + ": ";
  let tokens = LOG_BURST;
  let last = hal.now();
  return {
    crc32: (data) => {
      if (!(typeof data === "string" || data instanceof Uint8Array || Array.isArray(data))) throw fail(EINVAL, "app " + app.name + ": crc32 takes a string, an array or a Uint8Array");
      return hal.crc32(data);
    },
    now: hal.system.clock(),
    log: (text) => {
      const t = hal.now();
      tokens += ((t - last) * LOG_RATE) / 1000;
      last = t;
      if (tokens > LOG_BURST) tokens = LOG_BURST;
      if (tokens < 1) {
        app.logDropped++;
        return;
      }
      tokens--;
      let line = typeof text === "string" ? text : "" + text;
      if (line.length > LOG_LINE) line = line.slice(0, LOG_LINE) + "...";
      line = printable(line);
      hal.log(line.indexOf(prefix) === 0 ? line : prefix + line);
    },
  };
}
