/**
 * The real bundle, built by the real build, boots on the simulated device:
 * banner, the LED app toggling its pin at its period, a VCD of it.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { findBoard } from "../../hal/boards.ts";
import { SimDevice } from "../../hal/sim/device.ts";
import { buildDevice, type DeviceBuildResult } from "../../tools/build/device.ts";

const root = join(import.meta.dirname, "..", "..");

describe.each(["esp32", "linux"])("the default firmware on the simulated %s", (boardName) => {
  const board = findBoard(boardName);
  let built: DeviceBuildResult;
  let device: SimDevice;

  beforeAll(async () => {
    const out = join(mkdtempSync(join(tmpdir(), "exo-boot-")), "firmware.js");
    // Blinky alone: other apps in apps/ have tests of their own.
    built = await buildDevice({ root, board: boardName, apps: ["blinky"], out });
    device = new SimDevice({ board, seed: 1 });
    device.boot(readFileSync(out, "utf8"), { file: out, map: readFileSync(out + ".map", "utf8") });
    device.run(2000);
  });

  it("builds one minified script that passes the dialect gate", () => {
    expect(built.violations).toEqual([]);
    expect(built.apps).toEqual(["blinky"]);
    const code = readFileSync(built.file, "utf8");
    // Short lines (an error's stack quotes each frame's whole line), the sourceMappingURL comment last.
    const lines = code.trim().split("\n");
    expect(Math.max(...lines.slice(0, -1).map((l) => l.length))).toBeLessThanOrEqual(400); // terser breaks near 120 where it can
    expect(lines.at(-1)).toMatch(/^\/\/# sourceMappingURL=/);
    expect(code).not.toMatch(/timerService|bindPin/); // module-level names are mangled
  });

  it("prints the boot banner and the app's greeting", () => {
    const lines = device.console.map((c) => c.line);
    expect(lines[0]).toBe(`Exo 0.1.0 on ${boardName}, 1 app`);
    expect(lines).toContain("blinky: LED toggles every 250 ms");
    expect(lines.join("\n")).not.toMatch(/Uncaught/);
  });

  it("toggles the board's LED every 250 ms", () => {
    const edges = device.waveform.changes.filter((c) => c.pin === board.led);
    expect(edges.map((c) => c.ms)).toEqual([250, 500, 750, 1000, 1250, 1500, 1750, 2000]);
    expect(edges.map((c) => c.level)).toEqual([1, 0, 1, 0, 1, 0, 1, 0]);
    expect(device.vcd()).toContain(`$var wire 1 `);
  });

  it("keeps running: its interval is still pending", () => {
    expect(device.state).toBe("running");
  });
});
