/** DESIGN.md §1's layers hold in the sources: no import points up (tools/test/layers.ts). */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { importsOf, layerOf, layerViolations, violation } from "../../../tools/test/layers.ts";

const root = join(import.meta.dirname, "..", "..", "..");

describe("the layer rule", () => {
  it("holds: no file imports from a layer above it", () => {
    expect(layerViolations(root)).toEqual([]);
  });

  it("finds every form of import", () => {
    const text = [
      'import { a } from "./a.ts";',
      'import type { B } from "../b.ts";',
      'import * as c from "./c.ts";',
      'import "./side.ts";',
      'export { d } from "./d.ts";',
      'export * from "./e.ts";',
      'const f = await import("./f.ts");',
      'import { g } from "node:fs";',
    ].join("\n");
    expect(importsOf(text)).toEqual(["./a.ts", "../b.ts", "./c.ts", "./side.ts", "./d.ts", "./e.ts", "./f.ts"]);
  });

  it("names each upward import it is shown, and lets the allowed ones pass", () => {
    // The arrows issue 16 found, before they were turned around.
    expect(violation("hal/sim/device.ts", "../../tools/gate/check.ts")).toMatch(/hal\/sim\/device\.ts imports tools\/gate\/check\.ts \(hal\/sim may import hal\/sim, hal\)/);
    expect(violation("hal/types.ts", "../firmware/types.ts")).toMatch(/hal may import hal\)/);
    expect(violation("libos/fs/fs.ts", "../../firmware/flash.ts")).toMatch(/libos may import libos, firmware\/types\.ts/);
    expect(violation("firmware/boot.ts", "../libos/fs/index.ts")).toMatch(/firmware may import firmware, hal/);
    expect(violation("apps/x/main.ts", "../../hal/espruino/pins.ts")).toMatch(/apps may import/);
    expect(violation("tools/cli/main.ts", "../../test/firmware/helpers.ts")).toMatch(/tools may import/);
    for (const [from, spec] of [
      ["apps/x/main.ts", "../../firmware/types.ts"],
      ["apps/x/main.ts", "../../libos/fs/index.ts"],
      ["libos/sched/core.ts", "../../firmware/types.ts"],
      ["firmware/boot.ts", "../hal/espruino/pins.ts"],
      ["hal/sim/repl.ts", "../packet.ts"],
      ["tools/cli/commands/fs.ts", "../../../libos/fs/fs.ts"],
      ["test/x.test.ts", "../firmware/apps.ts"],
    ]) expect(violation(from, spec), `${from} → ${spec}`).toBeUndefined();
  });

  it("places every folder in its layer", () => {
    expect(["apps/blinky/main.ts", "libos/fs/fs.ts", "firmware/boot.ts", "hal/types.ts", "hal/espruino/pins.ts", "hal/sim/device.ts", "tools/cli/main.ts", "bin/exo.js", "test/x.test.ts"].map(layerOf)).toEqual([
      "apps", "libos", "firmware", "hal", "hal", "hal/sim", "tools", "tools", "test",
    ]);
    expect(layerOf("node_modules/x/index.js")).toBeUndefined();
  });
});
