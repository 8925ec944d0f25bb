/**
 * `exo build` type-checks each app against its own manifest (tools/build/typecheck.ts): the newcomer's
 * button app from issue 14 — a misspelt pin, mode and edge, and a capability that may be absent — fails
 * with file and line for each; the example apps pass.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { findBoard } from "../../../hal/boards.ts";
import { listApps, loadApps } from "../../../tools/build/manifests.ts";
import { typecheckApps } from "../../../tools/build/typecheck.ts";

const root = join(import.meta.dirname, "..", "..", "..");
const board = findBoard("esp32");

describe("the apps' type check", () => {
  it("names each mistake of a newcomer's app with its file and line", () => {
    const dir = mkdtempSync(join(tmpdir(), "exo-typecheck-"));
    mkdirSync(join(dir, "button"));
    writeFileSync(join(dir, "button", "manifest.json"), JSON.stringify({ name: "button", pins: { button: "D0", led: "LED" }, flash: 2 }));
    const types = relative(join(dir, "button"), join(root, "firmware", "types.ts"));
    writeFileSync(
      join(dir, "button", "main.ts"),
      [
        `import type { AppCaps } from "${types}";`,
        "export function start(caps: AppCaps): void {",
        '  caps.pins.buton.mode("input_pullup");',
        '  caps.pins.button.mode("inptu_pullup");',
        '  caps.pins.button.watch(() => caps.pins.led.write(1), "rasing");',
        "  caps.flash.erase(0);",
        "}",
        "",
      ].join("\n"),
    );
    const errors = typecheckApps(root, loadApps(root, board, ["button"], { dirs: [dir] }));
    const file = join(dir, "button", "main.ts");
    expect(errors).toEqual([
      expect.stringMatching(new RegExp(`^${file}:3:13  TS2551: Property 'buton' does not exist .*Did you mean 'button'\\?`)),
      expect.stringMatching(new RegExp(`^${file}:4:25  TS2345: Argument of type '"inptu_pullup"' is not assignable to parameter of type 'PinMode'`)),
      expect.stringMatching(new RegExp(`^${file}:5:56  TS2345: Argument of type '"rasing"' is not assignable to parameter of type 'PinEdge`)),
      expect.stringMatching(new RegExp(`^${file}:6:3  TS18048: 'caps.flash' is possibly 'undefined'`)),
    ]);
  });

  it("passes every example app", () => {
    expect(typecheckApps(root, loadApps(root, board, listApps(root)))).toEqual([]);
  });
});
