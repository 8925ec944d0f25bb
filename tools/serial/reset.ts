/**
 * A hard reset over the modem lines, as esptool does it on the usual ESP32
 * auto-reset circuit (RTS → EN, DTR → IO0, both active when asserted): IO0
 * released so the chip boots its firmware, EN held low for 100 ms, released.
 *
 * Errors: UserError on a link without modem lines (tcp://: the interpreter
 * over telnet has none to pull).
 */
import { UserError } from "../../hal/user-error.ts";
import type { Link } from "./link.ts";
import { sleep, type Timers } from "./host-timers.ts";

export const RESET_PULSE_MS = 100;

export async function hardReset(link: Link, timers: Timers): Promise<void> {
  if (!link.setLines) {
    throw new UserError(`${link.description} has no reset lines (DTR/RTS)`, "--reset needs a serial port or an rfc2217:// port; reset the device another way (its button, or `exo run`)", 2);
  }
  await link.setLines({ dtr: false, rts: true });
  await sleep(timers, RESET_PULSE_MS);
  await link.setLines({ dtr: false, rts: false });
}
