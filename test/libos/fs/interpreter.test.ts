/**
 * libos/fs on the real Espruino interpreter built for Linux: LOGCFG W0 with
 * a small N (300 records) through tools/bench/fs-interpreter.ts — the device
 * bundle (gated), the device-dialect driver, the interpreter's own Flash
 * module. Optional: runs only when ESPRUINO_BIN points at the binary. The
 * driver's gate check runs always.
 */
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkDriver, runInterpreter } from "../../../tools/bench/fs-interpreter.ts";

const bin = process.env.ESPRUINO_BIN;
if (!bin) console.log("skipping libos/fs on the real interpreter: set ESPRUINO_BIN to an Espruino binary built for Linux");

describe("the interpreter driver of exo bench fs", () => {
  it("is written in the device dialect (passes the gate)", () => {
    expect(checkDriver()).toEqual([]);
  });

  it("skips the interpreter half with a message when there is no binary", async () => {
    const r = await runInterpreter({ espruino: "/nonexistent/espruino" });
    expect(r).toEqual({ skipped: "no interpreter at /nonexistent/espruino" });
  });
});

describe.skipIf(!bin || !existsSync(bin))("libos/fs on the real interpreter (ESPRUINO_BIN)", () => {
  it("runs 300 LOGCFG W0 records; fsck is clean and every record verifies", async () => {
    const r = await runInterpreter({ espruino: bin, records: 300, timeout: 120, progress: () => {} });
    if (!("runs" in r)) throw new Error(r.skipped);
    const x = r.runs[0];
    expect(x.error).toBeUndefined();
    expect(x.partial).toBe(false);
    expect(x.records_done).toBe(300);
    expect(x.fsck?.ok).toBe(true);
    expect(x.verify).toMatchObject({ ok: true, records_expected: 300, records_verified: 300, config_version: 3, config_ok: true });
    expect(x.payload_matches_host).toBe(true);
    // Format erases all 64 sectors, 4 pages each; data was programmed; the fs holds a bounded number of variables.
    expect(x.format.erases).toBe(64);
    expect(x.erase_pages).toBe(4 * x.erases);
    expect(x.bytes_programmed).toBeGreaterThan(300 * 32);
    expect(x.memory.fresh_mount.size_of_fs).toBeGreaterThan(100);
    expect(x.memory.fresh_mount.size_of_fs).toBeLessThan(1000);
  }, 120_000);
});
