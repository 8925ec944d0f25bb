/**
 * A waveform as a terminal picture: one row per pin, high ▀ / low ▁ per column,
 * so `exo sim` shows at a glance what GTKWave would.
 */
import type { LevelChange } from "../../hal/sim/pins.ts";

/** One row per traced pin over [0, endMs], `width` columns; a column that holds an edge shows ╳ . */
export function drawWaveform(changes: readonly LevelChange[], pins: Iterable<number>, endMs: number, width = 60): string[] {
  const rows: string[] = [];
  for (const pin of [...pins].sort((a, b) => a - b)) {
    const edges = changes.filter((c) => c.pin === pin);
    let level = 0;
    let next = 0;
    let row = "";
    for (let column = 0; column < width; column++) {
      const until = ((column + 1) * endMs) / width;
      let toggles = 0;
      const start = level;
      while (next < edges.length && edges[next].ms < until) {
        if (edges[next].level !== level) toggles++;
        level = edges[next++].level;
      }
      row += toggles > 1 || (toggles === 1 && start === level) ? "╳" : level ? "▀" : "▁";
    }
    const count = edges.length;
    rows.push(`D${pin}`.padEnd(4) + row + `  ${count} change${count === 1 ? "" : "s"}`);
  }
  return rows;
}
