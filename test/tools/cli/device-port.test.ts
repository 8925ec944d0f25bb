/**
 * Which port a device command talks to: --port, else exo.config.json's, else
 * the one board plugged in (the `exo ports` listing), with errors that say
 * what was found.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MockBinding } from "@serialport/binding-mock";
import { describe, expect, it } from "vitest";
import { devicePort } from "../../../tools/cli/device-port.ts";
import { run as dump } from "../../../tools/cli/commands/dump.ts";

const root = join(import.meta.dirname, "..", "..", "..");

/** A folder outside any project, and a binding listing `ports`. */
function setup(ports: { path: string; vendorId?: string }[]) {
  const cwd = mkdtempSync(join(tmpdir(), "exo-port-"));
  MockBinding.reset();
  for (const p of ports) MockBinding.createPort(p.path, { vendorId: p.vendorId, productId: p.vendorId && "ea60" });
  return { cwd, exo: root, binding: MockBinding };
}

describe("devicePort", () => {
  it("--port, then exo.config.json's port, before any listing", async () => {
    const o = setup([{ path: "/dev/ttyUSB0", vendorId: "10c4" }]);
    expect(await devicePort({ ...o, port: "/dev/ttyACM3" })).toEqual({ port: "/dev/ttyACM3", baud: undefined });
    writeFileSync(join(o.cwd, "exo.config.json"), JSON.stringify({ port: "/dev/ttyUSB9", baud: 921600 }));
    expect(await devicePort(o)).toEqual({ port: "/dev/ttyUSB9", baud: 921600 });
  });

  it("picks the one board plugged in and says so; a built-in UART is not a board", async () => {
    const said: string[] = [];
    const o = setup([{ path: "/dev/ttyS0" }, { path: "/dev/ttyUSB0", vendorId: "10c4" }]);
    expect(await devicePort({ ...o, say: (l) => said.push(l) })).toEqual({ port: "/dev/ttyUSB0", baud: undefined });
    expect(said).toEqual(['using /dev/ttyUSB0, the one board plugged in (set "port" in exo.config.json to fix the choice)']);
  });

  it("several boards, or none: which port?, naming what it found", async () => {
    const two = setup([{ path: "/dev/ttyUSB0", vendorId: "10c4" }, { path: "/dev/ttyACM0", vendorId: "303a" }]);
    await expect(devicePort(two)).rejects.toThrow("which port? 2 boards are plugged in: /dev/ttyUSB0, /dev/ttyACM0");
    const none = setup([{ path: "/dev/ttyS0" }]);
    await expect(devicePort(none)).rejects.toThrow(/which port\? .*no board is plugged in/);
    // A command says the same before it opens anything.
    await expect(dump({ cwd: none.cwd, exo: root, binding: MockBinding })).rejects.toThrow(/no board is plugged in/);
  });

  it("without udevadm: a ttyUSB device file and its by-id link are one board", async () => {
    const dev = mkdtempSync(join(tmpdir(), "exo-dev-"));
    writeFileSync(join(dev, "ttyUSB0"), "");
    writeFileSync(join(dev, "ttyS0"), "");
    mkdirSync(join(dev, "serial", "by-id"), { recursive: true });
    symlinkSync(join(dev, "ttyUSB0"), join(dev, "serial", "by-id", "usb-Silicon_Labs_CP2102-if00-port0"));
    const binding = { ...MockBinding, list: async () => Promise.reject(new Error("spawn udevadm ENOENT")) };
    const cwd = mkdtempSync(join(tmpdir(), "exo-port-"));
    expect(await devicePort({ cwd, exo: root, binding: binding as never, dev, say: () => {} })).toEqual({ port: join(dev, "serial", "by-id", "usb-Silicon_Labs_CP2102-if00-port0"), baud: undefined });
  });
});
