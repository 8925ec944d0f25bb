/**
 * A waveform as a terminal picture: one row per pin, high ▀ / low ▁ per column,
 * so `exo sim` shows at a glance what GTKWave would.
 *
 * A column never spans more than half the shortest pulse, so every pulse
 * shows with its true width; when that cannot cover the whole run, the
 * picture shows its start (the caller prints the window).
 */
import type { LevelChange } from "../../hal/sim/pins.ts";

export interface WaveformPicture {
  /** The picture covers [0, windowMs]. */
  windowMs: number;
  rows: string[];
}

export function drawWaveform(changes: readonly LevelChange[], pins: Iterable<number>, endMs: number, width = 64): WaveformPicture {
  let shortest = Infinity;
  for (let i = 1; i < changes.length; i++) {
    const gap = changes[i].ms - changes[i - 1].ms;
    if (gap > 0 && changes[i].pin === changes[i - 1].pin) shortest = Math.min(shortest, gap);
  }
  const columnMs = Math.min(endMs / width, shortest / 2) || 1;
  const rows: string[] = [];
  for (const pin of [...pins].sort((a, b) => a - b)) {
    const edges = changes.filter((c) => c.pin === pin);
    let level = 0;
    let next = 0;
    let row = "";
    for (let column = 1; column <= width; column++) {
      while (next < edges.length && edges[next].ms < column * columnMs) level = edges[next++].level;
      row += level ? "▀" : "▁";
    }
    rows.push(`D${pin}`.padEnd(4) + row + `  ${edges.length} change${edges.length === 1 ? "" : "s"}`);
  }
  return { windowMs: columnMs * width, rows };
}
