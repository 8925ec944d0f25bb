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
import { checkBundle } from "../../../tools/gate/check.ts";
import { blockExpression, run as dump } from "../../../tools/cli/commands/dump.ts";
import { run as flash } from "../../../tools/cli/commands/flash.ts";
import { render, run as fs } from "../../../tools/cli/commands/fs.ts";
import { servePty } from "../../../tools/serial/sim-pty.ts";

const root = join(import.meta.dirname, "..", "..", "..");

describe("exo dump", () => {
  it("sends device code the dialect gate passes", () => {
    expect(checkBundle(blockExpression(0x310000, 1024) + ";\n", { file: "dump.js" })).toEqual([]);
  });

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
      const image = readFileSync(join(dir, "board.img"));
      expect(Buffer.compare(image, Buffer.from(session.device.flash.read(region.base, region.size)))).toBe(0);
      expect([...image.subarray(15 * 4096)]).toEqual([...noise]);
      // An erased ledger: exo fs says so, naming the image.
      await expect(fs({ cwd: dir, image: "board.img" })).rejects.toThrow(/board\.img/);
    } finally {
      await session.close();
    }
  }, 120_000);

  it("a board running the firmware: exo fs lists the logger's files from the dump", async () => {
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
    } finally {
      await session.close();
    }
  }, 120_000);
});
