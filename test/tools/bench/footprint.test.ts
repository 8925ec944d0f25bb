/**
 * The footprint table of `exo bench kernel` (issue 12): three real builds,
 * their bytes, and with ESPRUINO_BIN their variables on the interpreter,
 * booted from Storage and run as a file.
 */
import { describe, expect, it } from "vitest";
import { footprint } from "../../../tools/bench/footprint.ts";
import { holdMachineLock, INTERPRETER_UDP } from "../../../tools/test/machine-lock.ts";

const bin = process.env.ESPRUINO_BIN;
if (!bin) console.log("footprint: variables on the interpreter skipped: set ESPRUINO_BIN to an Espruino binary built for Linux");

describe("exo bench kernel's footprint", () => {
  it("builds the three firmwares, each holding the one before", async () => {
    const [trivial, libos, every] = await footprint(process.cwd());
    expect([trivial.apps, libos.apps]).toEqual([["trivial"], ["withlibos"]]);
    expect(trivial.bytes).toBeGreaterThan(5000);
    // fs + sched add code; the default firmware's five apps use both and the network LibOS.
    expect(libos.bytes).toBeGreaterThan(trivial.bytes + 5000);
    expect(every.bytes).toBeGreaterThan(libos.bytes);
    // What exo flash stores is the pretokenised text: smaller, never larger.
    for (const f of [trivial, libos, every]) expect(f.stored).toBeLessThan(f.bytes);
    expect(trivial.storage).toBeUndefined();
  }, 120_000);

  it.skipIf(!bin)("reads variables on the interpreter: booted from Storage, function text stays in flash", async () => {
    // The default firmware's telemetry binds UDP 5700: one interpreter at a time on this machine (machine-lock.ts).
    const [trivial, libos, every] = await holdMachineLock(INTERPRETER_UDP, () => footprint(process.cwd(), bin));
    for (const f of [trivial, libos, every]) {
      // Run as a file, the source text is in RAM after the top level, and every function's text after it.
      expect(f.storage!.top).toBeLessThan(f.file!.top);
      expect(f.storage!.started).toBeLessThan(f.file!.started);
    }
    expect(libos.storage!.started).toBeGreaterThan(trivial.storage!.started);
    expect(every.storage!.started).toBeGreaterThan(libos.storage!.started);
  }, 900_000);
});
