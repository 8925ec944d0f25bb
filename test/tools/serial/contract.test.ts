/**
 * One contract suite for every link exo talks to a device over (STYLE §4, bindings-cpp's testBinding):
 * the simulated device in virtual time, the same behind @serialport/binding-mock and behind a pty
 * (@serialport/bindings-cpp), the real interpreter over TCP (`espruino --telnet`, when ESPRUINO_BIN
 * is set) and a real board (when EXO_TEST_PORT is set). Hardware cases skip with a message naming the variable.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MockBinding } from "@serialport/binding-mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { boards } from "../../../hal/boards.ts";
import { crc32 } from "../../../hal/sim/espruino-api.ts";
import { createSerialDevice } from "../../../hal/sim/repl.ts";
import { flashImage } from "../../../tools/serial/flasher.ts";
import { flashSnapshot } from "../../../tools/serial/flash-snapshot.ts";
import { openLink, type Link } from "../../../tools/serial/link.ts";
import { ProtocolClient } from "../../../tools/serial/protocol.ts";
import { SimLine } from "../../../tools/serial/sim-link.ts";
import { servePty } from "../../../tools/serial/sim-pty.ts";
import { realTimers, VirtualTimers, type Timers } from "../../../tools/serial/host-timers.ts";
import { firmware } from "./helpers.ts";
import { storedImage } from "../../../tools/build/pretokenise.ts";

interface Target {
  client: ProtocolClient;
  timers: Timers;
  /** Run an async step (virtual time drives it; real time just awaits). */
  step<T>(p: Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The simulated device behind MockBinding: host writes feed the REPL, its output is emitted as port data. */
async function mockTarget(): Promise<Target> {
  MockBinding.reset();
  MockBinding.createPort("/dev/ttyMOCK0");
  let port: { emitData(d: Buffer): void } | undefined;
  const { device, repl } = createSerialDevice({ board: boards.esp32, write: (b) => port?.emitData(Buffer.from(b)) });
  device.bootFromStorage();
  const binding = {
    ...MockBinding,
    list: () => MockBinding.list(),
    open: async (options: never) => {
      const opened = (await MockBinding.open(options)) as unknown as { write(b: Buffer): Promise<void>; emitData(d: Buffer): void };
      const write = opened.write.bind(opened);
      opened.write = async (buffer: Buffer) => {
        await write(buffer);
        setImmediate(() => repl.feed(new Uint8Array(buffer)));
      };
      port = opened;
      return opened;
    },
  };
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    device.run(now - last);
    last = now;
    repl.tick();
  }, 10);
  const link = await openLink("/dev/ttyMOCK0", { binding: binding as never });
  return { client: new ProtocolClient(link, { timers: realTimers }), timers: realTimers, step: (p) => p, close: async () => (clearInterval(ticker), link.close()) };
}

async function realTarget(link: Link, close: () => Promise<void> = async () => undefined): Promise<Target> {
  return { client: new ProtocolClient(link, { timers: realTimers }), timers: realTimers, step: (p) => p, close: async () => (await link.close(), await close()) };
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port }, () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });

/** Start `espruino --telnet` in `dir`; refuses when something already listens on 2323 (it would answer instead). */
async function startTelnet(dir: string): Promise<ChildProcess> {
  // The previous interpreter (killed) may still hold the port for a moment.
  for (let i = 0; i < 30 && (await listening(2323)); i++) await new Promise((r) => setTimeout(r, 100));
  if (await listening(2323)) throw new Error("something already listens on 127.0.0.1:2323 (an interpreter left running?): stop it first");
  const child = spawn(process.env.ESPRUINO_BIN!, ["--telnet"], { cwd: dir, stdio: ["pipe", "ignore", "ignore"] });
  await waitForPort(2323);
  return child;
}

const waitForPort = async (port: number) => {
  for (let i = 0; i < 50; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: "127.0.0.1", port }, () => (s.destroy(), resolve(true)));
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("espruino --telnet did not listen on 2323");
};

const targets: [string, string | undefined, () => Promise<Target>][] = [
  [
    "simulated device, virtual-time line",
    undefined,
    async () => {
      const time = new VirtualTimers();
      const line = new SimLine({ board: boards.esp32, time });
      return { client: new ProtocolClient(line.connect(), { timers: time }), timers: time, step: (p) => time.drive(p), close: async () => line.stop() };
    },
  ],
  ["simulated device behind @serialport/binding-mock", undefined, mockTarget],
  [
    "simulated device on a pty via @serialport/bindings-cpp",
    undefined,
    async () => {
      const session = await servePty({ board: boards.esp32 });
      return realTarget(await openLink(session.path), () => session.close());
    },
  ],
  [
    "real interpreter over TCP (espruino --telnet)",
    process.env.ESPRUINO_BIN ? undefined : "set ESPRUINO_BIN to an Espruino binary built for Linux to run this",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "exo-contract-espruino-"));
      const child = await startTelnet(dir);
      return realTarget(await openLink("tcp://127.0.0.1:2323"), async () => void child.kill("SIGKILL"));
    },
  ],
  [
    "a board on a serial port",
    process.env.EXO_TEST_PORT ? undefined : "set EXO_TEST_PORT to a board's serial port (it will be flashed) to run this",
    async () => realTarget(await openLink(process.env.EXO_TEST_PORT!)),
  ],
];

for (const [name, skip, make] of targets) {
  describe.skipIf(!!skip)(`link contract: ${name}${skip ? ` (skipped: ${skip})` : ""}`, () => {
    let t: Target;
    beforeAll(async () => {
      t = await make();
    }, 30_000);
    afterAll(async () => t?.close());

    it("EVAL returns the value, and an error as ProtocolError 'eval' with the Uncaught text", async () => {
      expect(await t.step(t.client.eval("6*7"))).toBe(42);
      expect(await t.step(t.client.evalJSON("{a:[1,'x']}"))).toEqual({ a: [1, "x"] });
      await expect(t.step(t.client.eval("nope.x"))).rejects.toMatchObject({ kind: "eval", message: expect.stringMatching(/Uncaught .*nope/) });
    });

    it("FILE_SEND/DATA write Storage (also from an offset), E.CRC32 and FILE_RECV read it back", async () => {
      const data = Uint8Array.from({ length: 3000 }, (_, i) => (i * 31) & 0xff);
      await t.step(t.client.eval('require("Storage").erase("exo.ct")'));
      await t.step(t.client.sendFile("exo.ct", data.subarray(0, 1000), { size: data.length, packetSize: 256 }));
      await t.step(t.client.sendFile("exo.ct", data.subarray(1000), { offset: 1000, size: data.length, packetSize: 512 }));
      expect(await t.step(t.client.eval('E.CRC32(require("Storage").read("exo.ct"))'))).toBe(crc32(data));
      const back = await t.step(t.client.recvFile("exo.ct"));
      expect(back && Buffer.from(back).equals(Buffer.from(data))).toBe(true);
      await t.step(t.client.eval('require("Storage").erase("exo.ct")'));
    });

    it("reads the kernel's flash region as one moment, sector by sector (exo dump's and exo fs --port's reader)", async () => {
      const board = boards[String(await t.step(t.client.eval("process.env.BOARD"))).toLowerCase()];
      const g = { base: board.kernelFlash.base, size: board.kernelFlash.size, sector: board.chip.sectorSize };
      const snapshot = await t.step(flashSnapshot(t.client, g));
      expect(snapshot.unsettled).toEqual([]);
      const sums = (await t.step(t.client.eval(`(function(F){var v=[];for(var k=0;k<${g.size / g.sector};k++)v.push(E.CRC32(F.read(${g.sector},${g.base}+k*${g.sector})));return v;})(require("Flash"))`))) as number[];
      expect(sums.map((c, i) => crc32(snapshot.bytes.subarray(i * g.sector, (i + 1) * g.sector)) === c >>> 0)).toEqual(sums.map(() => true));
    }, 60_000);

    it("flashes an image, then skips the same image", async () => {
      const data = firmware("C", 5000);
      const first = await t.step(flashImage(t.client, { data, timers: t.timers, run: false }));
      expect(["flashed", "resumed", "skipped"]).toContain(first.action);
      const again = await t.step(flashImage(t.client, { data, timers: t.timers, run: false }));
      expect(again.action).toBe("skipped");
    });
  });
}

describe.skipIf(!process.env.ESPRUINO_BIN)(
  `the real interpreter boots what exo flash wrote${process.env.ESPRUINO_BIN ? "" : " (skipped: set ESPRUINO_BIN to an Espruino binary built for Linux)"}`,
  () => {
    it.each(["text", "pretokenised"])("flashes over --telnet (%s), then a fresh interpreter in the same folder boots the image through the stub", async (how) => {
      const dir = mkdtempSync(join(tmpdir(), "exo-boot-espruino-"));
      const server = await startTelnet(dir);
      try {
        const link = await openLink("tcp://127.0.0.1:2323");
        const client = new ProtocolClient(link, { timers: realTimers });
        const text = firmware("R", 8000);
        const data = how === "text" ? text : storedImage(Buffer.from(text).toString("latin1"));
        const report = await flashImage(client, { data, timers: realTimers, run: false, board: "linux" });
        expect(report.action).toBe("flashed");
        await link.close();
      } finally {
        server.kill("SIGKILL");
      }
      // `-e` autoloads the boot code from ./espruino.flash (NOTES.md); the stub picks the committed image.
      const out = await new Promise<string>((resolve) => {
        const child = spawn(process.env.ESPRUINO_BIN!, ["-e", 'print("image", global.__exoImage)'], { cwd: dir, stdio: ["ignore", "pipe", "ignore"] });
        let text = "";
        child.stdout!.on("data", (d) => (text += d));
        const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
        child.on("exit", () => (clearTimeout(timer), resolve(text)));
      });
      expect(out).toContain("FW R up");
      expect(out).toMatch(/image exo\.[0-9a-f]{8}/);
    }, 30_000);
  },
);
