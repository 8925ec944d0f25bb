/**
 * A waveform as a terminal picture, so `exo sim` shows at a glance what
 * GTKWave would: one row per pin, ▀ high and ▁ low. The picture covers the
 * whole run at the terminal's width; a column where the pin was both high
 * and low (pulses narrower than a column) shows ▒. When there are such
 * columns, a detail picture of the run's start follows in which a column is
 * at most half the shortest pulse, so every pulse shows with its true width.
 */
import type { LevelChange } from "../../hal/sim/pins.ts";

export interface WaveformRows {
  /** The rows cover [0, windowMs]. */
  windowMs: number;
  /** Milliseconds per column. */
  columnMs: number;
  rows: string[];
}

export interface WaveformPicture extends WaveformRows {
  /** The start of the run at pulse resolution, when the whole-run rows hold ▒. */
  detail?: WaveformRows;
}

/** Columns for a terminal `columns` wide (the pin label and change count take the rest); 64 off a terminal. */
export const waveformWidth = (columns: number | undefined): number => (columns ? Math.max(16, Math.min(200, columns - 20)) : 64);

function rowsOf(changes: readonly LevelChange[], pins: number[], columnMs: number, width: number): WaveformRows {
  const rows: string[] = [];
  for (const pin of pins) {
    const edges = changes.filter((c) => c.pin === pin);
    let level = 0;
    let next = 0;
    let row = "";
    for (let column = 0; column < width; column++) {
      // The level when the column starts, then whatever else it took before the column ends.
      while (next < edges.length && edges[next].ms <= column * columnMs) level = edges[next++].level;
      let seen = 1 << level;
      while (next < edges.length && edges[next].ms < (column + 1) * columnMs) {
        level = edges[next++].level;
        seen |= 1 << level;
      }
      row += seen === 3 ? "▒" : level ? "▀" : "▁";
    }
    rows.push(`D${pin}`.padEnd(4) + row + `  ${edges.length} change${edges.length === 1 ? "" : "s"}`);
  }
  return { windowMs: columnMs * width, columnMs, rows };
}

export function drawWaveform(changes: readonly LevelChange[], pins: Iterable<number>, endMs: number, width = 64): WaveformPicture {
  const sorted = [...pins].sort((a, b) => a - b);
  const whole = rowsOf(changes, sorted, endMs / width || 1, width);
  if (!whole.rows.some((r) => r.includes("▒"))) return whole;
  let shortest = Infinity;
  for (const pin of sorted) {
    const edges = changes.filter((c) => c.pin === pin);
    for (let i = 1; i < edges.length; i++) if (edges[i].ms > edges[i - 1].ms) shortest = Math.min(shortest, edges[i].ms - edges[i - 1].ms);
  }
  return { ...whole, detail: rowsOf(changes, sorted, Math.min(whole.columnMs, shortest / 2), width) };
}
