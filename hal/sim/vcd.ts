/**
 * The recorded pin waveform as a Value Change Dump (IEEE 1364 §18), for GTKWave.
 *
 * Usage:
 *   writeFileSync("blinky.vcd", toVcd(pins.changes, pins.traced, { board: "esp32", endMs: clock.now }));
 *
 * Errors: none; an empty pin set gives a valid file with no wires.
 *
 * Contract: timescale 1 us; one 1-bit wire per traced pin, named like `D2`,
 * in pin order, inside a scope named after the board. Values start at each
 * pin's level after every change at time 0 (default 0). When a pin changes
 * several times within one simulated instant (one callback takes no simulated
 * time), only its final level is dumped. The output is deterministic: no date.
 */
import type { LevelChange } from "./pins.ts";

export interface VcdOptions {
  /** Scope name (the board). Default "device". */
  board?: string;
  /** Simulated end time in ms: a final timestamp so viewers show the whole run. */
  endMs?: number;
}

/** Short identifier codes from the printable ASCII range, as VCD allows. */
function identifier(index: number): string {
  let code = "";
  do {
    code += String.fromCharCode(33 + (index % 94));
    index = Math.floor(index / 94);
  } while (index > 0);
  return code;
}

const micros = (ms: number): number => Math.round(ms * 1000);

/** Render the waveform of `pins` from `changes` (in time order, as PinBank records them). */
export function toVcd(changes: readonly LevelChange[], pins: Iterable<number>, options: VcdOptions = {}): string {
  const wires = [...new Set(pins)].sort((a, b) => a - b);
  const ids = new Map(wires.map((pin, i) => [pin, identifier(i)]));
  const scope = (options.board ?? "device").replace(/\s+/g, "_");
  const out: string[] = [
    "$version exo sim $end",
    "$timescale 1 us $end",
    `$scope module ${scope} $end`,
    ...wires.map((pin) => `$var wire 1 ${ids.get(pin)} D${pin} $end`),
    "$upscope $end",
    "$enddefinitions $end",
  ];

  // Final level per (time, pin), in time order.
  const steps = new Map<number, Map<number, 0 | 1>>();
  for (const change of changes) {
    if (!ids.has(change.pin)) continue;
    const us = micros(change.ms);
    let step = steps.get(us);
    if (!step) steps.set(us, (step = new Map()));
    step.set(change.pin, change.level);
  }
  const current = new Map<number, 0 | 1>(wires.map((pin) => [pin, 0]));
  const atZero = steps.get(0);
  if (atZero) for (const [pin, level] of atZero) current.set(pin, level);
  out.push("#0", "$dumpvars", ...wires.map((pin) => `${current.get(pin)}${ids.get(pin)}`), "$end");

  let last = 0;
  for (const us of [...steps.keys()].sort((a, b) => a - b)) {
    if (us === 0) continue;
    const lines: string[] = [];
    for (const [pin, level] of [...steps.get(us)!].sort((a, b) => a[0] - b[0])) {
      if (current.get(pin) === level) continue;
      current.set(pin, level);
      lines.push(`${level}${ids.get(pin)}`);
    }
    if (lines.length) {
      out.push(`#${us}`, ...lines);
      last = us;
    }
  }
  const end = options.endMs === undefined ? last : micros(options.endMs);
  if (end > last) out.push(`#${end}`);
  return out.join("\n") + "\n";
}
