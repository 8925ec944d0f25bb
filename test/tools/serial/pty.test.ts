import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { boards } from "../../../hal/boards.ts";
import { run as flash } from "../../../tools/cli/commands/flash.ts";
import { servePty } from "../../../tools/serial/sim-pty.ts";
import { TOKEN } from "../../../hal/sim/tokens.ts";
import type { SimStorage } from "../../../hal/sim/storage.ts";
import { booted, firmware } from "./helpers.ts";

/** The firmware image exo flash stored (`exo.<crc32>`), one char per byte. */
const imageIn = (storage: SimStorage): string => storage.read(storage.list(/^exo\.[0-9a-f]{8}$/)[0])!;

describe("exo sim --pty: the simulated device on a pseudo-terminal", () => {
  it("takes an upload from exo flash through @serialport/bindings-cpp, then boots it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "exo-pty-"));
    const bundle = join(dir, "fw.js");
    writeFileSync(bundle, firmware("P", 30_000));
    const session = await servePty({ board: boards.esp32, flash: join(dir, "dev.flash") });
    try {
      const first = await flash({ cwd: dir, port: session.path, bundle, onProgress: () => {} });
      expect(first.action).toBe("flashed");
      const again = await flash({ cwd: dir, port: session.path, bundle, onProgress: () => {} });
      expect(again.action).toBe("skipped");
      const from = session.device.console.length;
      session.device.reboot();
      expect(booted(session.device.console.slice(from).map((c) => c.line))).toBe("P");
      // What Storage holds is the bundle pretokenised (`print`, `var` and the strings as the interpreter's tokens).
      const image = imageIn(session.device.storage);
      expect(image.length).toBeLessThan(readFileSync(bundle).length);
      expect(image).toContain(String.fromCharCode(TOKEN.get("var")!));
    } finally {
      await session.close();
    }
  });

  it("exo flash --text stores the bundle exactly as written", async () => {
    const dir = mkdtempSync(join(tmpdir(), "exo-pty-"));
    const bundle = join(dir, "fw.js");
    writeFileSync(bundle, firmware("T", 8_000));
    const session = await servePty({ board: boards.esp32, flash: join(dir, "dev.flash") });
    try {
      expect((await flash({ cwd: dir, port: session.path, bundle, text: true, onProgress: () => {} })).action).toBe("flashed");
      expect(imageIn(session.device.storage)).toBe(readFileSync(bundle, "latin1"));
      const from = session.device.console.length;
      session.device.reboot();
      expect(booted(session.device.console.slice(from).map((c) => c.line))).toBe("T");
    } finally {
      await session.close();
    }
  });

  it("exo flash of a bundle that does not parse says so and names the way out", async () => {
    const dir = mkdtempSync(join(tmpdir(), "exo-pty-"));
    const bundle = join(dir, "fw.js");
    writeFileSync(bundle, "print('half\n");
    await expect(flash({ cwd: dir, port: "/dev/null-no-port", bundle, onProgress: () => {} })).rejects.toThrow(/fw\.js cannot be pretokenised: Unterminated string constant/);
  });
});
