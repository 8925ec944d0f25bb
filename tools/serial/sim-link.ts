/**
 * An in-process serial line to a simulated device, paced at a baud rate in virtual time, with faults.
 *
 * Usage:
 *   const time = new VirtualTimers();
 *   const sim = createSerialDevice({ board, write: (b) => line.fromDevice(b) });  // see createSimLine
 *   const { link, device } = createSimLine({ board, time, baud: 115200, faults: { dropRate: 0.001 } });
 *   await time.drive(flash({ link, timers: time, … }));
 *
 * Errors: after `disconnect()` (or `faults.disconnectAfter` bytes) writes
 * reject with LinkClosed and the host's onClose listeners run.
 *
 * Contract: a byte takes 10 bit times (8N1) on the wire, each direction has
 * its own wire; the device handles bytes when they arrive (its simulated
 * clock follows the link's) and answers after the flash time it spent
 * (NorFlash's model). Faults apply to host → device bytes, drawn from a
 * seeded generator: `dropRate` loses a byte, `garbageRate` inserts a random
 * byte after it, `stallEvery`/`stallMs` hold the wire, `disconnectAfter`
 * cuts the link after that many bytes, `nakRate` makes the device NAK whole packets. The device stays powered across a
 * disconnect; a new `connect()` gives a fresh link to the same device.
 */
import type { Board } from "../../hal/boards.ts";
import type { SimDevice } from "../../hal/sim/device.ts";
import { xorshift32 } from "../../hal/sim/flash.ts";
import { createSerialDevice, type SimRepl } from "../../hal/sim/repl.ts";
import { LinkBase, LinkClosed, type Link } from "./link.ts";
import type { Timers } from "./host-timers.ts";

export interface LineFaults {
  /** Probability that a host → device byte is lost. */
  dropRate?: number;
  /** Probability that a random byte is inserted after a host → device byte. */
  garbageRate?: number;
  /** Hold the wire for `stallMs` after every `stallEvery` bytes. */
  stallEvery?: number;
  stallMs?: number;
  /** Close the link after this many host → device bytes. */
  disconnectAfter?: number;
  seed?: number;
  /** Probability that the device NAKs a packet instead of handling it (the packet is dropped). */
  nakRate?: number;
}

export interface SimLineOptions {
  board: Board;
  time: Timers;
  /** Bits per second; a byte is 10 bits. Default 115200. */
  baud?: number;
  faults?: LineFaults;
  /** Sim seed. */
  seed?: number;
  /** A chip image to start from. */
  flashImage?: Uint8Array;
  /** Power on from Storage now (default true). */
  boot?: boolean;
  onConsole?: (line: string) => void;
  /** Host ms a device callback may run before it counts as hung (SimOptions.hangTimeoutMs). */
  hangTimeoutMs?: number;
}

class SimLink extends LinkBase implements Link {
  readonly description: string;
  constructor(
    private line: SimLine,
    description: string,
  ) {
    super();
    this.description = description;
  }
  write(bytes: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new LinkClosed(this.closeReason));
    this.line.fromHost(this, bytes);
    return Promise.resolve();
  }
  close(): Promise<void> {
    this.ended("closed by exo");
    return Promise.resolve();
  }
  receive(bytes: Uint8Array): void {
    this.deliver(bytes);
  }
  drop(reason: string): void {
    this.ended(reason);
  }
}

/** A simulated device on the far end of a paced, faulty line. */
export class SimLine {
  readonly device: SimDevice;
  readonly repl: SimRepl;
  readonly byteMs: number;
  faults: LineFaults;
  /** Host → device bytes sent so far (before faults). */
  sentBytes = 0;
  private random: () => number;
  private link?: SimLink;
  private toDeviceFree = 0;
  private toHostFree = 0;
  private deviceBase = 0;

  constructor(private options: SimLineOptions) {
    this.byteMs = 10_000 / (options.baud ?? 115200);
    this.faults = options.faults ?? {};
    this.random = xorshift32(this.faults.seed ?? 7);
    const { device, repl } = createSerialDevice({
      board: options.board,
      seed: options.seed,
      flashImage: options.flashImage,
      hangTimeoutMs: options.hangTimeoutMs,
      write: (bytes) => this.fromDevice(bytes),
      onConsole: options.onConsole && ((line) => options.onConsole!(line)),
    });
    this.device = device;
    this.repl = repl;
    this.deviceBase = options.time.now();
    if (options.boot !== false) device.bootFromStorage();
  }

  /** A fresh host-side link (the previous one, if any, is closed). */
  connect(): Link {
    this.link?.drop("replaced by a new connection");
    this.link = new SimLink(this, `sim ${this.options.board.name} @ ${this.options.baud ?? 115200} baud (virtual time)`);
    return this.link;
  }

  /** Unplug: the host's link closes; the device stays powered. */
  disconnect(reason = "the device was unplugged"): void {
    this.link?.drop(reason);
    this.link = undefined;
  }

  /** Move the device's clock up to the link's time. */
  sync(): void {
    const target = this.options.time.now() - this.deviceBase;
    const state = this.device.state;
    if (target > this.device.now && state !== "power-cut" && state !== "hung" && state !== "halted") this.device.run(target - this.device.now);
    else if (target > this.device.now) this.deviceBase = this.options.time.now() - this.device.now;
    this.repl.tick();
  }

  fromHost(link: SimLink, bytes: Uint8Array): void {
    const faults = this.faults;
    if (faults.nakRate && bytes[0] === 0x10 && bytes[1] === 0x01 && this.random() < faults.nakRate) {
      // The device answers NAK (as for a packet that timed out) and forgets it.
      this.sentBytes += bytes.length;
      const time = this.options.time;
      const at = Math.max(time.now(), this.toDeviceFree) + bytes.length * this.byteMs;
      this.toDeviceFree = at;
      time.setTimeout(() => this.fromDevice(Uint8Array.of(0x15)), at - time.now());
      return;
    }
    const out: number[] = [];
    let stall = 0;
    for (const byte of bytes) {
      this.sentBytes++;
      if (faults.disconnectAfter !== undefined && this.sentBytes > faults.disconnectAfter) {
        faults.disconnectAfter = undefined;
        this.schedule(out, stall);
        this.disconnect("the link dropped mid-transfer (fault injection)");
        return;
      }
      if (faults.dropRate && this.random() < faults.dropRate) continue;
      out.push(byte);
      if (faults.garbageRate && this.random() < faults.garbageRate) out.push(Math.floor(this.random() * 256));
      if (faults.stallEvery && this.sentBytes % faults.stallEvery === 0) stall += faults.stallMs ?? 1000;
    }
    if (link !== this.link) return;
    this.schedule(out, stall);
  }

  private schedule(bytes: number[], stallMs: number): void {
    if (!bytes.length) return;
    const time = this.options.time;
    const start = Math.max(time.now(), this.toDeviceFree) + stallMs;
    const arrive = start + bytes.length * this.byteMs;
    this.toDeviceFree = arrive;
    const data = Uint8Array.from(bytes);
    time.setTimeout(() => {
      this.sync();
      const before = this.device.flash.stats.modelMicros;
      this.inFeed = true;
      try {
        this.repl.feed(data);
      } finally {
        this.inFeed = false;
      }
      this.flushPending((this.device.flash.stats.modelMicros - before) / 1000);
      this.keepTicking();
    }, arrive - time.now());
  }

  private ticking = false;

  /** While the device has timers, move its clock every `tickMs` of link time (so they fire while the host waits). */
  keepTicking(tickMs = 1): void {
    if (this.ticking || this.device.state !== "running") return;
    this.ticking = true;
    const tick = () => {
      this.sync();
      if (this.device.state === "running" && !this.stopped) this.options.time.setTimeout(tick, tickMs);
      else this.ticking = false;
    };
    this.options.time.setTimeout(tick, tickMs);
  }

  private stopped = false;

  /** Stop moving the device's clock on its own (end of a test or bench). */
  stop(): void {
    this.stopped = true;
  }

  private inFeed = false;
  private pending: Uint8Array[] = [];

  private fromDevice(bytes: Uint8Array): void {
    this.pending.push(bytes.slice());
    // Console lines printed from timers (not in answer to host bytes) go out now.
    if (!this.inFeed) this.flushPending(0);
  }

  /** Send what the device wrote, after `busyMs` of device work (flash time). */
  private flushPending(busyMs: number): void {
    if (!this.pending.length) return;
    const total = this.pending.reduce((n, b) => n + b.length, 0);
    const data = new Uint8Array(total);
    let at = 0;
    for (const chunk of this.pending) {
      data.set(chunk, at);
      at += chunk.length;
    }
    this.pending = [];
    const time = this.options.time;
    const start = Math.max(time.now() + busyMs, this.toHostFree);
    const arrive = start + total * this.byteMs;
    this.toHostFree = arrive;
    const link = this.link;
    time.setTimeout(() => link?.receive(data), arrive - time.now());
  }
}

/** A simulated device behind a paced, faulty line, and a first link to it. */
export function createSimLine(options: SimLineOptions): { line: SimLine; link: Link; device: SimDevice } {
  const line = new SimLine(options);
  return { line, link: line.connect(), device: line.device };
}
