/**
 * The simulated device's network: `require("dgram")` gives real host UDP
 * sockets on 127.0.0.1, so a host program can talk to the device; `Wifi`
 * answers `connect` after 100 ms. Loss, duplication and delay are injected from a seed.
 *
 * Usage:
 *   const device = new SimDevice({ board, net: { loss: 0.2, delayMs: 30 } });
 *   device.boot(code);
 *   const port = await device.net!.hostPort(5700);   // where the device's port 5700 listens on the host
 *   await device.runNetworked(20_000);               // virtual time, paced by the network (below)
 *   device.net!.close();
 *
 * Time: the device runs on a virtual clock far faster than real time, while
 * datagrams arrive in real time. `run(ms)` advances virtual time in steps
 * (`stepMs`); between steps it lets the host's event loop run, and after a
 * step in which the device sent a datagram it waits in real time (up to
 * `settleMs`) for an answer. An arriving datagram becomes a device callback
 * at the current virtual time (plus any injected delay). So a conversation
 * over loopback costs about one step of virtual time per round trip, and a
 * device that does not talk runs as fast as without a network.
 *
 * Errors: `send` with a Uint8Array throws what the interpreter's assertion
 * stands for (espruino.md §6: dgram sends Strings; use `E.toString`). Host
 * socket errors are printed on the device console as `[sim] net: …`.
 *
 * Contract: every destination is 127.0.0.1 (the board's peer host is mapped
 * to loopback); `redirect` sends every datagram to one host port instead (a
 * user's listener, `exo sim --listen`). Device ports bind ephemeral host
 * ports unless `samePorts` (then the device's own port numbers). Sockets
 * close on reboot and power cut (RAM is gone). Injections apply to both
 * directions, drawn from one xorshift stream: same seed, same fate per packet.
 */
import dgram from "node:dgram";
import type { ApiKit } from "./espruino-api.ts";
import type { VirtualClock } from "./clock.ts";
import { DeviceError } from "./device-error.ts";
import { xorshift32 } from "./flash.ts";
import type { RunReport } from "./device.ts";

export interface SimNetOptions {
  /** Probability each datagram (either direction) is lost. Default 0. */
  loss?: number;
  /** Probability a datagram is delivered twice. Default 0. */
  duplicate?: number;
  /** Each datagram is delayed uniformly in [0, delayMs] virtual ms (so they reorder). Default 0. */
  delayMs?: number;
  /** Seed of the injections. Default: the device's seed. */
  seed?: number;
  /** Send every device datagram to 127.0.0.1:redirect instead of its destination port. */
  redirect?: number;
  /** Bind the device's port numbers on the host (default: ephemeral ports; see hostPort). */
  samePorts?: boolean;
  /** Virtual ms per step of `run`. Default 10. */
  stepMs?: number;
  /** Real ms `run` waits for an answer after a step in which the device sent. Default 20. */
  settleMs?: number;
}

/** What the network reaches inside a SimDevice. */
export interface NetTarget {
  clock: VirtualClock;
  run(ms: number): RunReport;
  /** True while the device is powered and not hung. */
  alive(): boolean;
  log(text: string): void;
}

export interface NetCounters {
  /** Datagrams the device sent / received (after injections). */
  sent: number;
  received: number;
  /** Datagrams dropped by injected loss, duplicated, and arriving for a device that is off. */
  lost: number;
  duplicated: number;
  missed: number;
}

interface Bound {
  socket: dgram.Socket;
  port: Promise<number>;
}

export class SimNet {
  readonly counters: NetCounters = { sent: 0, received: 0, lost: 0, duplicated: 0, missed: 0 };
  private random: () => number;
  private sockets: dgram.Socket[] = [];
  private ports = new Map<number, Bound>();
  private waiters = new Map<number, ((port: number) => void)[]>();
  private wake?: () => void;

  constructor(private target: NetTarget, private options: SimNetOptions, seed: number) {
    this.random = xorshift32((options.seed ?? seed) * 2654435761 + 12345);
  }

  /** The device's `require("dgram")` and `require("Wifi")` for one boot. */
  modules(kit: ApiKit): Record<string, object> {
    const createSocket = kit.fn("createSocket", (type: unknown) => {
      const kind = typeof type === "object" && type ? (type as { type?: unknown }).type : type;
      if (kind !== "udp4") throw new DeviceError(`dgram.createSocket: only "udp4" is simulated, got ${JSON.stringify(kind)}`);
      return this.socket(kit);
    });
    const dgramModule = kit.object({ createSocket });
    const wifi = kit.object({
      connect: kit.fn("connect", (_ssid: unknown, _options: unknown, callback: unknown) => {
        if (typeof callback === "function") this.target.clock.add({ kind: "callback", fn: callback as () => void, args: [null], label: "Wifi.connect" }, 100);
      }),
      getIP: kit.fn("getIP", () => kit.object({ ip: "127.0.0.1" })),
    });
    return { dgram: dgramModule, Wifi: wifi };
  }

  /** The host port the device's socket on `devicePort` listens on, once bound. */
  hostPort(devicePort: number): Promise<number> {
    const bound = this.ports.get(devicePort);
    if (bound) return bound.port;
    return new Promise((resolve) => this.waiters.set(devicePort, [...(this.waiters.get(devicePort) ?? []), resolve]));
  }

  /** Whether a device socket is bound to `devicePort` now. */
  isBound(devicePort: number): boolean {
    return this.ports.has(devicePort);
  }

  /** Open sockets now. */
  get open(): number {
    return this.sockets.length;
  }

  /** Close every socket (a reboot, a power cut, or the end of a run). */
  close(): void {
    for (const socket of this.sockets) {
      try {
        socket.close();
      } catch {
        // already closed
      }
    }
    this.sockets = [];
    this.ports.clear();
  }

  /**
   * Advance virtual time by `ms`, letting socket I/O in between steps (see
   * the header). While no socket is open it only steps (a socket may open at any step).
   */
  async run(ms: number): Promise<RunReport> {
    const step = this.options.stepMs ?? 10;
    const settle = this.options.settleMs ?? 20;
    const wallStart = performance.now();
    const { clock } = this.target;
    // An end on the clock, not a sum of steps: once a hogging callback has made
    // the clock fractional, summed steps can fall 1e-11 short of `ms` and a step
    // that small no longer moves the clock, so the loop would spin forever.
    const start = clock.now;
    const end = start + ms;
    let last: RunReport | undefined;
    while (clock.now < end) {
      const sentBefore = this.counters.sent;
      last = this.target.run(Math.min(step, end - clock.now));
      if (!this.target.alive() || last.simulatedMs <= 0) break;
      // No socket open (yet): nothing can arrive, so no need to yield.
      if (!this.sockets.length) continue;
      await (this.counters.sent > sentBefore ? this.answer(settle) : new Promise((resolve) => setImmediate(resolve)));
    }
    const wallMs = performance.now() - wallStart;
    last ??= this.target.run(0);
    const simulated = clock.now - start;
    return { ...last, simulatedMs: simulated, wallMs, ratio: simulated / Math.max(wallMs, 0.001) };
  }

  // ---- inside ----

  /** Wait until a datagram arrives (then a moment more, for its burst) or `ms` pass. */
  private answer(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = () => {
        this.wake = undefined;
        clearTimeout(timer);
        setTimeout(resolve, 1);
      };
    });
  }

  /** How many copies of a datagram get through (0 lost, 2 duplicated), and each one's delay. */
  private fate(): number[] {
    if (this.random() < (this.options.loss ?? 0)) {
      this.counters.lost++;
      return [];
    }
    const copies = this.random() < (this.options.duplicate ?? 0) ? 2 : 1;
    if (copies === 2) this.counters.duplicated++;
    const delay = this.options.delayMs ?? 0;
    const out: number[] = [];
    for (let i = 0; i < copies; i++) out.push(delay ? Math.floor(this.random() * (delay + 1)) : 0);
    return out;
  }

  private socket(kit: ApiKit): object {
    const socket = dgram.createSocket("udp4");
    this.sockets.push(socket);
    const handlers: { message?: (...args: unknown[]) => void; error?: (...args: unknown[]) => void } = {};
    let devicePort = 0;
    socket.on("error", (error) => {
      this.target.log(`[sim] net: udp port ${devicePort}: ${error.message}`);
      if (handlers.error) this.target.clock.add({ kind: "callback", fn: handlers.error, args: [error.message], label: "dgram error" }, 0);
    });
    socket.on("message", (data, from) => {
      if (!this.target.alive() || !this.sockets.includes(socket)) {
        this.counters.missed++;
        return;
      }
      this.wake?.();
      if (!handlers.message) return;
      for (const delay of this.fate()) {
        this.counters.received++;
        const info = kit.object({ address: from.address, port: from.port, size: data.length, family: "IPv4" });
        this.target.clock.add({ kind: "callback", fn: handlers.message, args: [data.toString("latin1"), info], label: `dgram message on port ${devicePort}` }, delay);
      }
    });
    const self = kit.object({});
    Object.assign(self, {
      bind: kit.fn("bind", (port: unknown, callback?: unknown) => {
        devicePort = Number(port) || 0;
        const bound = new Promise<number>((resolve) => {
          socket.bind(this.options.samePorts ? devicePort : 0, "127.0.0.1", () => {
            const hostPort = socket.address().port;
            resolve(hostPort);
            for (const waiter of this.waiters.get(devicePort) ?? []) waiter(hostPort);
            this.waiters.delete(devicePort);
            if (typeof callback === "function" && this.sockets.includes(socket)) {
              this.target.clock.add({ kind: "callback", fn: callback as () => void, args: [], label: "dgram bind" }, 0);
            }
          });
        });
        this.ports.set(devicePort, { socket, port: bound });
        return self;
      }),
      send: kit.fn("send", (...args: unknown[]) => {
        const [data] = args;
        if (typeof data !== "string") {
          throw new DeviceError("dgram send: the interpreter sends only a String (a Uint8Array trips an assertion in jswrap_net.c); pass E.toString(bytes)");
        }
        // send(msg, port, address[, cb]) or send(msg, offset, length, port, address[, cb])
        const long = typeof args[2] === "number";
        const text = long ? data.substr(Number(args[1]), Number(args[2])) : data;
        const port = Number(long ? args[3] : args[1]);
        const to = this.options.redirect ?? port;
        const bytes = Buffer.from(text, "latin1");
        for (const delay of this.fate()) {
          this.counters.sent++;
          const go = () => {
            if (this.sockets.includes(socket)) socket.send(bytes, to, "127.0.0.1");
          };
          if (delay) this.target.clock.add({ kind: "host", fn: go, args: [], label: "dgram send" }, delay);
          else go();
        }
      }),
      on: kit.fn("on", (event: unknown, fn: unknown) => {
        if (event === "message" || event === "error") handlers[event] = fn as (...args: unknown[]) => void;
        return self;
      }),
      close: kit.fn("close", () => {
        this.sockets = this.sockets.filter((s) => s !== socket);
        if (this.ports.get(devicePort)?.socket === socket) this.ports.delete(devicePort);
        socket.close();
      }),
      address: kit.fn("address", () => kit.object({ address: "127.0.0.1", port: devicePort })),
    });
    return self;
  }
}
