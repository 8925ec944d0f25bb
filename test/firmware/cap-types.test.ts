/**
 * The capability types catch a newcomer's typos at compile time: `npm test`
 * runs `tsc -p .` first, and each `@ts-expect-error` below fails that check
 * if the line it marks ever compiles.
 */
import { describe, expect, it } from "vitest";
import type { PinCap, PinMode } from "../../firmware/types.ts";

/** Never called: only compiled. */
function typos(pin: PinCap): void {
  // @ts-expect-error "inptu_pullup" is not a pin mode
  pin.mode("inptu_pullup");
  // @ts-expect-error "rasing" is not an edge
  pin.watch(() => {}, "rasing");
  // @ts-expect-error a mode is not any string
  pin.mode("Output");
  pin.mode("input_pullup");
  pin.watch((state, time) => void [state, time], "falling", 20);
}

describe("capability types", () => {
  it("name the interpreter's pin modes", () => {
    // The list of src/jswrap_io.c's pinMode; a mode missing here would be a compile error in an app that needs it.
    const modes: PinMode[] = ["analog", "input", "input_pullup", "input_pulldown", "output", "opendrain", "opendrain_pullup", "af_output", "af_opendrain", "auto"];
    expect(modes).toHaveLength(10);
    expect(typeof typos).toBe("function");
  });
});
