/**
 * The simulated board an app test drives (the TestBoard of api.ts): one
 * SimDevice booted with the project's bundle, pins named as the manifests
 * name them, the apps' file systems read on the host, datagrams in and out
 * through the simulator's loopback network (only when an app has packets).
 *
 * Usage: `const board = await SimTestBoard.boot({ board, grants, bundle, code, map, seed })`,
 *        then the test function; `board.faults()` after it; `board.close()`.
 */
import dgram from "node:dgram";
import type { Board } from "../../hal/boards.ts";
import { SimDevice } from "../../hal/sim/device.ts";
import { hostServices, norExtent } from "../fs/extent.ts";
import { fileClose, fileOpen, fileRead, fileSize, fsList, fsMount, type Fs } from "../../libos/fs/index.ts";
import type { AppGrant } from "../build/manifests.ts";
import { readKernelStatus } from "../cli/commands/sim.ts";
import { parseDuration } from "../cli/duration.ts";
import { faultSites, type FaultSites } from "../cli/fault-site.ts";
import { bundleGate } from "../gate/check.ts";
import type { Duration, KernelStatus, TestBoard } from "./api.ts";

export interface BootOptions {
  board: Board;
  /** The project: places in messages are relative to it. */
  project: string;
  grants: AppGrant[];
  bundle: string;
  code: string;
  map?: string;
  seed: number;
}

const ms = (time: Duration, what: string): number => {
  if (typeof time === "number") {
    if (!(time >= 0)) throw new RangeError(`${what}: ${time} is not a duration (give ms ≥ 0, or "120ms", "2s")`);
    return time;
  }
  return parseDuration(String(time), what);
};

export class SimTestBoard implements TestBoard {
  readonly sent: Uint8Array[] = [];
  private matched = 0;
  private sites: FaultSites;
  private socket?: dgram.Socket;

  private constructor(private device: SimDevice, private options: BootOptions, socket?: dgram.Socket) {
    this.socket = socket;
    this.sites = faultSites(device, options.bundle, options.code, options.map, options.project);
    socket?.on("message", (payload) => this.sent.push(new Uint8Array(payload)));
  }

  static async boot(options: BootOptions): Promise<SimTestBoard> {
    // The network only when an app filters packets: with sockets open, virtual time waits for real I/O.
    let socket: dgram.Socket | undefined;
    if (options.grants.some((g) => g.packets)) {
      socket = dgram.createSocket("udp4");
      await new Promise<void>((resolve) => socket!.bind(0, "127.0.0.1", resolve));
    }
    let board: SimTestBoard | undefined;
    const device = new SimDevice({
      board: options.board,
      seed: options.seed,
      gate: bundleGate,
      onConsole: (line) => board?.sites.seen(line),
      ...(socket ? { net: { redirect: socket.address().port } } : {}),
    });
    board = new SimTestBoard(device, options, socket);
    device.boot(options.code, { file: options.bundle, map: options.map });
    // The kernel starts each app in a timer of its own at 0 ms: the test begins once all have started.
    for (let i = 0; i <= options.grants.length && !readKernelStatus(device)?.started; i++) device.run(0);
    return board;
  }

  get now(): number {
    return this.device.now;
  }

  get lines(): string[] {
    return this.device.console.map((c) => c.line);
  }

  async run(time: Duration): Promise<void> {
    await this.advance(ms(time, "run"));
  }

  async until(pattern: string | RegExp, within: Duration = "10s"): Promise<string> {
    const limit = this.device.now + ms(within, "until");
    // Without its g/y flags: a RegExp's test() would otherwise go on from its lastIndex.
    const re = typeof pattern === "string" ? undefined : new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ""));
    const hit = (line: string) => (re ? re.test(line) : line.includes(pattern as string));
    let before: number | undefined;
    for (;;) {
      const lines = this.device.console;
      for (let i = this.matched; i < lines.length; i++) {
        if (hit(lines[i].line)) {
          this.matched = i + 1;
          return lines[i].line;
        }
      }
      // A device that is off (or a step too small to move the clock) gets no further.
      if (this.device.now >= limit || this.device.now === before) {
        const recent = lines.slice(-5).map((c) => "  " + c.line).join("\n");
        const stopped = this.device.now < limit ? `; the device is ${this.device.state}` : "";
        throw new Error(`no console line matched ${typeof pattern === "string" ? JSON.stringify(pattern) : pattern} within ${within} (at ${this.device.now} ms${stopped}); the last lines:\n${recent || "  (none)"}`);
      }
      before = this.device.now;
      await this.advance(Math.min(10, limit - this.device.now));
    }
  }

  press(pin: string, time: Duration = 100): void {
    this.device.control.pulsePin(this.pinNumber(pin), 0, ms(time, "press"));
  }

  drive(pin: string, level: 0 | 1): void {
    if (level !== 0 && level !== 1) throw new RangeError(`drive(${JSON.stringify(pin)}, ${level}): the level is 0 or 1`);
    this.device.control.drivePin(this.pinNumber(pin), level);
  }

  release(pin: string): void {
    this.device.control.drivePin(this.pinNumber(pin), undefined);
  }

  pin(pin: string): 0 | 1 {
    return this.device.control.pinLevel(this.pinNumber(pin)) ? 1 : 0;
  }

  edges(pin: string): number {
    const n = this.pinNumber(pin);
    return this.device.waveform.changes.filter((c) => c.pin === n).length;
  }

  cut(): void {
    this.device.control.cutPower(0, "power cut by the test");
    this.device.reboot();
  }

  files(app: string): string[] {
    const fs = this.fs(app);
    return fs ? fsList(fs).map((f) => f.name) : [];
  }

  file(app: string, name: string): Uint8Array | undefined {
    const fs = this.fs(app);
    if (!fs) return undefined;
    const h = fileOpen(fs, name, 0);
    if (h < 0) return undefined;
    const out = new Uint8Array(fileSize(fs, h));
    fileRead(fs, h, 0, out);
    fileClose(fs, h);
    return out;
  }

  text(app: string, name: string): string | undefined {
    const bytes = this.file(app, name);
    return bytes && Buffer.from(bytes).toString("latin1");
  }

  async send(app: string, data: Uint8Array | string): Promise<void> {
    const packets = this.grant(app).packets;
    if (!packets || !this.device.net || !this.socket) throw new Error(`app ${app} has no "packets" in its manifest: nothing listens for datagrams`);
    const port = await this.device.net.hostPort(packets.port);
    const bytes = typeof data === "string" ? Buffer.from(data, "latin1") : data;
    await new Promise<void>((resolve, reject) => this.socket!.send(bytes, port, "127.0.0.1", (e) => (e ? reject(e) : resolve())));
  }

  status(): KernelStatus {
    const status = readKernelStatus(this.device);
    if (!status) throw new Error(`the kernel does not answer: the device is ${this.device.state}` + (this.device.reason ? ` (${this.device.reason})` : ""));
    return status;
  }

  /** What failed on the board: a hung device, or each app that faulted ("app X faulted N times: error — at file:line"). */
  faults(): string[] {
    if (this.device.state === "hung") return [`the device hung: ${this.device.reason ?? "a callback never returned"}`];
    return (readKernelStatus(this.device)?.apps ?? [])
      .filter((a) => a.faults > 0)
      .map((a) => {
        const at = this.sites.of(a.name);
        return `app ${a.name} faulted ${a.faults} time${a.faults > 1 ? "s" : ""} (${a.state}): ${a.error}` + (at ? ` — at ${at}` : "");
      });
  }

  close(): void {
    this.device.net?.close();
    this.socket?.close();
  }

  private async advance(time: number): Promise<void> {
    const report = await this.device.runNetworked(time);
    if (report.state === "hung") throw new Error(`the device hung: ${report.reason ?? "a callback never returned"}`);
  }

  private grant(app: string): AppGrant {
    const grant = this.options.grants.find((g) => g.name === app);
    if (!grant) throw new Error(`no app "${app}" on this board; it runs ${this.options.grants.map((g) => g.name).join(", ")}`);
    return grant;
  }

  private fs(app: string): Fs | undefined {
    this.grant(app);
    const held = this.status().apps.find((a) => a.name === app)?.flash;
    if (!held) return undefined;
    const base = this.device.flash.sectorOf(this.options.board.kernelFlash.base);
    const fs = fsMount(norExtent(this.device.flash, base + held.first, held.count), hostServices());
    return typeof fs === "number" ? undefined : fs;
  }

  /** "D4", "led", or "blinky.led" → the board pin. */
  private pinNumber(name: string): number {
    const d = /^D(\d+)$/.exec(name);
    if (d && Number(d[1]) < this.options.board.pins) return Number(d[1]);
    const dot = name.indexOf(".");
    const owners = this.options.grants.filter((g) => (dot > 0 ? g.name === name.slice(0, dot) : true) && Object.hasOwn(g.pins, dot > 0 ? name.slice(dot + 1) : name));
    const local = dot > 0 ? name.slice(dot + 1) : name;
    const pins = [...new Set(owners.map((g) => g.pins[local]))];
    if (pins.length === 1) return pins[0];
    const known = this.options.grants.flatMap((g) => Object.keys(g.pins).map((p) => `${p} (${g.name}, D${g.pins[p]})`));
    if (pins.length > 1) throw new Error(`pin "${name}" names ${pins.length} pins: ${owners.map((g) => `${g.name}.${local}`).join(", ")}; write one of those`);
    throw new Error(`no pin "${name}": give a manifest pin name (${known.join(", ") || "no app names one"}) or D0..D${this.options.board.pins - 1}`);
  }
}
