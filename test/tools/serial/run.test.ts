/**
 * `exo run`: code into the device's RAM through EVAL packets, run at the top
 * level of the REPL, its console streamed; Storage untouched; the flashed
 * firmware back afterwards. On the simulated device over a pty (the real
 * interpreter over --telnet was checked by hand: see the README).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { boards } from "../../../hal/boards.ts";
import { checkBundle } from "../../../tools/gate/check.ts";
import { nextPiece, PACKET_CODE, run } from "../../../tools/cli/commands/run.ts";
import { servePty } from "../../../tools/serial/sim-pty.ts";

const root = join(import.meta.dirname, "..", "..", "..");

describe("exo run", () => {
  it("runs a script in RAM: its console, its uncaught error (exit 1), Storage untouched, the firmware back after", async () => {
    const dir = mkdtempSync(join(tmpdir(), "exo-run-"));
    writeFileSync(join(dir, "tick.js"), 'var n = 0;\nfunction tick() { n++; print("tick " + n); if (n === 3) throw new Error("three"); }\nsetInterval(tick, 100);\n');
    const session = await servePty({ board: boards.esp32 });
    try {
      session.device.storage.write(".bootcde", 'print("stored firmware")');
      const before = JSON.stringify(session.device.storage.list());
      const live: string[] = [];
      const result = await run({ cwd: dir, file: "tick.js", port: session.path, for: "700ms", live: (l) => live.push(l), onProgress: () => {} });
      expect(result.lines.slice(0, 4)).toEqual(["tick 1", "tick 2", "tick 3", "Uncaught Error: three"]);
      expect(result.errors).toEqual(["Uncaught Error: three"]);
      expect(result).toMatchObject({ ended: "time", restored: true });
      expect(live[0]).toMatch(/^── running tick\.js on .* for 700ms$/);
      expect(JSON.stringify(session.device.storage.list())).toBe(before);
      // load(): the RAM program is gone and the stored one runs again.
      expect(session.device.eval("typeof n")).toBe("undefined");
      expect(session.device.console.map((c) => c.line)).toContain("stored firmware");
    } finally {
      await session.close();
    }
  }, 60_000);

  it("runs an app of the project alone, built for the purpose", async () => {
    const session = await servePty({ board: boards.esp32 });
    try {
      const result = await run({ cwd: root, exo: root, app: "blinky", port: session.path, for: "300ms", onProgress: () => {} });
      expect(result.code).toMatch(/dist\/run\/firmware\.js \(blinky\)/);
      expect(result.lines).toContain("blinky: LED toggles every 250 ms");
      expect(result.errors).toEqual([]);
    } finally {
      await session.close();
    }
  }, 60_000);

  it("refuses a script the gate rejects, or that is not a script, before connecting", async () => {
    const dir = mkdtempSync(join(tmpdir(), "exo-run-"));
    writeFileSync(join(dir, "bad.js"), "var { a } = { a: 1 };\n");
    await expect(run({ cwd: dir, file: "bad.js", port: "/dev/null" })).rejects.toThrow(/the dialect gate rejects .*bad\.js:\n {2}.*destructuring/);
    writeFileSync(join(dir, "app.ts"), "export {};\n");
    await expect(run({ cwd: dir, file: "app.ts", port: "/dev/null" })).rejects.toThrow(/app\.ts is not a \.js script/);
    await expect(run({ cwd: dir, file: "nope.js", port: "/dev/null" })).rejects.toThrow(/no file at nope\.js/);
  });

  it("sends pieces that fit the interpreter's 1 KiB input buffer, and device code the gate passes", () => {
    const code = 'a="\\n\\\\"+"'.repeat(500);
    for (let at = 0; at < code.length; ) {
      const piece = nextPiece(code, at);
      // What the client's wrapper carries: the expression as one JSON string (the packet adds ~130 bytes).
      expect(JSON.stringify(`__exoRun+=${JSON.stringify(piece)};0`).length).toBeLessThan(PACKET_CODE + 20);
      at += piece.length;
    }
    for (const expression of ['__exoRun=""', `__exoRun+=${JSON.stringify("x")};0`, "E.CRC32(__exoRun)", "eval(__exoRun);__exoRun=undefined"]) {
      expect(checkBundle(expression + ";\n", { file: "run.js" }), expression).toEqual([]);
    }
  });
});
