/**
 * The demo apps that use libos/fs run for a long stretch of simulated time
 * without a failed write: the logger's two-file rotation fits its extent on
 * both boards (on the Linux board's 6 x 1 KiB it used to fill up at 40.6 s,
 * `write failed` every 200 ms from then on), and telemetry runs beside it.
 * 24 simulated hours take about 6 minutes of wall time here (1 h ≈ 15 s),
 * so the test runs 10 min on linux (its busiest sector is erased ~44 times
 * by then) and 5 min on the esp32 (~20 times); EXO_LONG_HOURS=24 runs the
 * full day.
 */
import { describe, expect, it } from "vitest";
import { findBoard } from "../../hal/boards.ts";
import { SimDevice } from "../../hal/sim/device.ts";
import { build } from "../firmware/helpers.ts";

const hours = Number(process.env.EXO_LONG_HOURS ?? 0);

describe.each([
  ["linux", hours || 1 / 6],
  ["esp32", hours || 1 / 12],
])("logger and telemetry on the simulated %s", (board, h) => {
  it(`run ${+(h * 60).toFixed(1)} simulated minutes without a failed write`, async () => {
    const built = await build(["logger", "telemetry"], { board });
    const device = new SimDevice({ board: findBoard(board), seed: 1 });
    device.boot(built.code, { file: built.file, map: built.map });
    const ms = h * 3600_000;
    for (let t = 0; t < ms; t += 600_000) device.run(Math.min(600_000, ms - t));
    expect(device.state).toBe("running");
    const lines = device.console.map((c) => c.line);
    expect(lines.filter((l) => /write failed|full at|Uncaught|rotating early/.test(l))).toEqual([]);
    // The log kept going to the end: the last "synced" line is from the last seconds.
    const synced = device.console.filter((c) => / synced$/.test(c.line));
    expect(synced[synced.length - 1].simMs).toBeGreaterThan(ms - 2000);
    const n = Number(/#(\d+) synced$/.exec(synced[synced.length - 1].line)![1]);
    expect(n).toBeGreaterThan((ms / 200) * 0.99);
  }, 600_000);
});
