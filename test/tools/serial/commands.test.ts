import { PassThrough } from "node:stream";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MockBinding } from "@serialport/binding-mock";
import { describe, expect, it } from "vitest";
import { boards } from "../../../hal/boards.ts";
import { run as ports, render as renderPorts } from "../../../tools/cli/commands/ports.ts";
import { run as monitor } from "../../../tools/cli/commands/monitor.ts";
import { run as flash } from "../../../tools/cli/commands/flash.ts";
import { servePty } from "../../../tools/serial/sim-pty.ts";
import { openLink } from "../../../tools/serial/link.ts";
import type { Timers } from "../../../tools/serial/host-timers.ts";
import { UserError } from "../../../hal/user-error.ts";

describe("exo ports", () => {
  it("lists what the binding lists", async () => {
    MockBinding.reset();
    MockBinding.createPort("/dev/ttyUSB7", { manufacturer: "Espressif" });
    const result = await ports({ binding: MockBinding });
    expect(result.source).toBe("udev");
    expect(result.ports[0]).toMatchObject({ path: "/dev/ttyUSB7", manufacturer: "Espressif" });
  });

  it("falls back to device files and says how to install udevadm when it is missing", async () => {
    const dev = mkdtempSync(join(tmpdir(), "exo-dev-"));
    writeFileSync(join(dev, "ttyUSB0"), "");
    writeFileSync(join(dev, "ttyS0"), "");
    mkdirSync(join(dev, "serial", "by-id"), { recursive: true });
    const missing = { ...MockBinding, list: () => Promise.reject(new Error("spawn udevadm ENOENT")) };
    const result = await ports({ binding: missing as never, dev });
    expect(result.source).toBe("dev-scan");
    expect(result.ports.map((p) => p.path)).toEqual([join(dev, "ttyUSB0")]);
    expect(renderPorts(result)).toContain("apt-get install udev");
  });
});

describe("opening ports", () => {
  it("names a missing port and how to find the right one", async () => {
    MockBinding.reset();
    await expect(openLink("/dev/ttyNOPE", { binding: MockBinding })).rejects.toBeInstanceOf(UserError);
    const dir = mkdtempSync(join(tmpdir(), "exo-nope-"));
    writeFileSync(join(dir, "fw.js"), 'print("x");');
    await expect(flash({ cwd: dir, port: "/dev/ttyNOPE", bundle: join(dir, "fw.js"), binding: MockBinding })).rejects.toThrow(/no serial port|cannot open/);
  });

  it("says a port is busy when another program holds it", async () => {
    MockBinding.reset();
    MockBinding.createPort("/dev/ttyUSB0");
    const first = await openLink("/dev/ttyUSB0", { binding: MockBinding });
    await expect(openLink("/dev/ttyUSB0", { binding: MockBinding })).rejects.toThrow(/busy/);
    await first.close();
  });

  it("says nobody answers when the port is open but silent", async () => {
    MockBinding.reset();
    MockBinding.createPort("/dev/ttyUSB0");
    const dir = mkdtempSync(join(tmpdir(), "exo-silent-"));
    writeFileSync(join(dir, "fw.js"), 'print("x");');
    // The protocol's timeouts (two pings 8 s apart) on a clock 20× the host's.
    const fast: Timers = { now: () => performance.now() * 20, setTimeout: (fn, ms) => setTimeout(fn, ms / 20), clearTimeout: (t) => clearTimeout(t as NodeJS.Timeout) };
    await expect(flash({ cwd: dir, port: "/dev/ttyUSB0", bundle: join(dir, "fw.js"), binding: MockBinding, onProgress: () => {}, timers: fast })).rejects.toThrow(
      /no device answering/,
    );
  }, 60_000);
});

describe("exo monitor", () => {
  it("shows the console, sends keys, and ends on Ctrl-]", async () => {
    const session = await servePty({ board: boards.esp32 });
    try {
      const input = new PassThrough();
      let seen = "";
      const done = monitor({ port: session.path, input, output: (b) => (seen += Buffer.from(b).toString("latin1")), status: () => {} });
      await new Promise((r) => setTimeout(r, 300));
      input.write("print(6*7)\r");
      for (let i = 0; i < 50 && !seen.includes("42"); i++) await new Promise((r) => setTimeout(r, 50));
      input.write(Buffer.from([0x1d]));
      const result = await done;
      expect(seen).toContain("42");
      expect(result.ended).toBe("ctrl-]");
    } finally {
      await session.close();
    }
  });
});

describe("exo monitor --reset", () => {
  it("pulses RTS with DTR released (esptool's hard reset) and never asserts DTR with EN released; tcp:// has no lines", async () => {
    MockBinding.reset();
    MockBinding.createPort("/dev/ttyUSB0");
    const sets: object[] = [];
    const binding = {
      ...MockBinding,
      open: async (options: never) => {
        const port = (await MockBinding.open(options)) as unknown as { set(o: object): Promise<void> };
        const set = port.set.bind(port);
        port.set = (o: object) => (sets.push(o), set(o));
        return port;
      },
    };
    const statuses: string[] = [];
    await monitor({ port: "/dev/ttyUSB0", binding: binding as never, reset: true, for: "300ms", input: new PassThrough(), output: () => {}, status: (l) => statuses.push(l) });
    expect(sets.map((o) => ({ dtr: (o as { dtr: boolean }).dtr, rts: (o as { rts: boolean }).rts }))).toEqual([{ dtr: false, rts: true }, { dtr: false, rts: false }]);
    expect(statuses).toContain("reset the board (RTS pulsed, DTR released)");
    const net = await import("node:net");
    const server = net.createServer(() => {});
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `tcp://127.0.0.1:${(server.address() as { port: number }).port}`;
    await expect(monitor({ port: url, reset: true, input: new PassThrough(), output: () => {}, status: () => {} })).rejects.toThrow(/has no reset lines/);
    server.close();
  });
});

describe("exo monitor reconnects", () => {
  it("says the device went away and reopens the port when it is back", async () => {
    const net = await import("node:net");
    let connections = 0;
    const server = net.createServer((socket) => {
      connections++;
      socket.write(`hello ${connections}\r\n`);
      if (connections === 1) setTimeout(() => socket.destroy(), 100); // unplugged
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = `tcp://127.0.0.1:${(server.address() as { port: number }).port}`;
    const statuses: string[] = [];
    let seen = "";
    let stop!: () => void;
    const done = monitor({ port, input: new PassThrough(), output: (b) => (seen += Buffer.from(b).toString()), status: (l) => statuses.push(l), stop: new Promise((r) => (stop = r)) });
    for (let i = 0; i < 60 && !seen.includes("hello 2"); i++) await new Promise((r) => setTimeout(r, 50));
    stop();
    const result = await done;
    server.close();
    expect(seen).toContain("hello 2");
    expect(result.reconnects).toBe(1);
    expect(statuses.some((s) => s.includes("went away"))).toBe(true);
  });
});
