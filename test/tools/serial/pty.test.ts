import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { boards } from "../../../hal/boards.ts";
import { run as flash } from "../../../tools/cli/commands/flash.ts";
import { servePty } from "../../../tools/serial/sim-pty.ts";
import { booted, firmware } from "./helpers.ts";

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
    } finally {
      await session.close();
    }
  });
});
