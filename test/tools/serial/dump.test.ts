/**
 * `exo dump`: the kernel's flash region read off a running device through the
 * packet protocol, every block checked against the device's own CRC, into an
 * image `exo fs` opens.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { boards } from "../../../hal/boards.ts";
import { run as dump } from "../../../tools/cli/commands/dump.ts";
import { run as flash } from "../../../tools/cli/commands/flash.ts";
import { render, run as fs } from "../../../tools/cli/commands/fs.ts";
import { servePty } from "../../../tools/serial/sim-pty.ts";

const root = join(import.meta.dirname, "..", "..", "..");

describe("exo dump", () => {
  it("reads the region byte for byte, finds the board by asking, and exo fs opens the image", async () => {
    const dir = mkdtempSync(join(tmpdir(), "exo-dump-"));
    const session = await servePty({ board: boards.esp32 });
    try {
      // Something worth reading: a file system made by the device's own code, and a sector of noise.
      const region = boards.esp32.kernelFlash;
      const noise = Uint8Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) & 0xff);
      session.device.flash.erase(region.base + 15 * 4096);
      session.device.flash.program(region.base + 15 * 4096, noise);
      const result = await dump({ cwd: dir, port: session.path, out: "board.img", onProgress: () => {} });
      expect(result).toMatchObject({ board: "esp32", base: region.base, bytes: region.size, rereads: 0 });
      expect(result.note).toMatch(/^one moment of the flash/);
      const image = readFileSync(join(dir, "board.img"));
      expect(Buffer.compare(image, Buffer.from(session.device.flash.read(region.base, region.size)))).toBe(0);
      expect([...image.subarray(15 * 4096)]).toEqual([...noise]);
      // An erased ledger: exo fs says so, naming the image; read live, it says what to do on the device.
      await expect(fs({ cwd: dir, image: "board.img" })).rejects.toThrow(/board\.img/);
      await expect(fs({ cwd: dir, port: session.path, onProgress: () => {} })).rejects.toThrow(/the kernel's flash region on the device holds no ledger/);
    } finally {
      await session.close();
    }
  }, 120_000);

  it("a device that goes away mid-read: says so and how to go on, not a crash", async () => {
    const session = await servePty({ board: boards.esp32 });
    let closing: Promise<void> | undefined;
    const dir = mkdtempSync(join(tmpdir(), "exo-dump-"));
    const read = dump({ cwd: dir, port: session.path, onProgress: (done) => void (done >= 3 * 4096 && (closing ??= session.close())) });
    await expect(read).rejects.toThrow(new RegExp(`reading the flash of the device on ${session.path} failed`));
    await closing;
  }, 60_000);

  it("a board running the firmware: exo fs lists the logger's files from the dump, and off the live device", async () => {
    // A project whose build is Exo's logger example: exo flash builds it first.
    const dir = mkdtempSync(join(tmpdir(), "exo-dump-"));
    writeFileSync(join(dir, "exo.config.json"), JSON.stringify({ examples: ["logger"] }));
    const session = await servePty({ board: boards.esp32 });
    try {
      expect(await flash({ cwd: dir, exo: root, port: session.path, onProgress: () => {} })).toMatchObject({ built: true, action: "flashed" });
      const synced = () => session.device.console.filter((c) => /logger: #\d+ synced/.test(c.line)).length;
      for (let i = 0; i < 100 && synced() < 2; i++) await new Promise((r) => setTimeout(r, 100));
      await dump({ cwd: dir, port: session.path, out: "board.img", onProgress: () => {} });
      const listed = await fs({ cwd: dir, image: "board.img", action: "ls", app: "logger" });
      expect(render(listed)).toMatch(/log\.a\s+\d+/);
      // Live, while the logger keeps writing: `exo fs --port P ls --app logger` (the action comes first on the command line).
      const live = await fs({ cwd: dir, port: session.path, image: "ls", app: "logger", onProgress: () => {} });
      expect(live).toMatchObject({ action: "ls", image: `--port ${session.path} (app logger)`, device: { port: session.path, board: "esp32" } });
      expect(render(live)).toMatch(new RegExp(`^read off ${session.path} \\(esp32\\) in [\\d.]+ s: one moment of the flash`));
      expect(render(live)).toMatch(/log\.a\s+\d+/);
      // One moment of a file system in use: fsck finds nothing wrong (a mix of moments could lose or double a record).
      const checked = await fs({ cwd: dir, port: session.path, action: "check", app: "logger", onProgress: () => {} });
      expect(checked.action === "check" && checked.report.ok).toBe(true);
      const cat = await fs({ cwd: dir, port: session.path, action: "cat", name: "log.a", app: "logger", onProgress: () => {} });
      expect(cat.action === "cat" && cat.size % 8).toBe(0);
      // The port from exo.config.json when no image is named; a typo'd file name is not taken for an action.
      writeFileSync(join(dir, "exo.config.json"), JSON.stringify({ examples: ["logger"], port: session.path }));
      expect(await fs({ cwd: dir, onProgress: () => {} })).toMatchObject({ action: "apps", board: "esp32", region: { address: 0x310000 }, device: { port: session.path } });
      // --board (the device's layout given, not asked) reads the region the same way.
      expect(await fs({ cwd: dir, board: "esp32", image: "ls", app: "logger", onProgress: () => {} })).toMatchObject({ action: "ls", geometry: { sector: 4096 } });
      await expect(fs({ cwd: dir, image: "bord.img" })).rejects.toThrow(/cannot read bord\.img/);
      await expect(fs({ cwd: dir, image: "board.img", port: session.path })).rejects.toThrow(/an image file or the device at --port, not both/);
      await expect(fs({ cwd: dir, port: session.path, image: "rm", action: "log.a", app: "logger" })).rejects.toThrow(/does not remove files/);
    } finally {
      await session.close();
    }
  }, 120_000);
});
