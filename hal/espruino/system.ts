/**
 * The interpreter itself, as the kernel's guards need it: memory in use, the
 * hardware watchdog, a fresh clock function per app.
 *
 * Costs (Linux build, 16383 variables, measured): `process.memory(false)`
 * walks every variable without collecting garbage, ~0.15 ms on x86 — the
 * kernel reads it once a tick, and per upcall only while memory is low.
 * The Linux build has no watchdog (E.enableWatchdog does nothing there); the
 * ESP32's and the simulator's reset the chip.
 */
import type { HalSystem } from "../types.ts";

export const system: HalSystem = {
  memory: () => process.memory(false),
  collect: () => process.memory().usage,
  watchdog: (seconds) => E.enableWatchdog(seconds, false),
  kick: () => E.kickWatchdog(),
  // A native read afresh: each app gets its own function object (natives are made per access on Espruino).
  clock: () => Date.now,
};
