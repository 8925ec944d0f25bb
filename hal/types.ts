/**
 * The hardware interface the kernel uses: one factory per resource, device
 * style (callbacks, no Promises). hal/espruino implements it on the
 * interpreter; the simulator (hal/sim) provides the same Espruino globals, so
 * the very same hal/espruino code runs there.
 *
 * Usage: `firmware/boot.ts` builds one `Hal` from hal/espruino and hands it to
 * the resource managers; nothing else imports hal/.
 *
 * Contract: only firmware/ imports hal/ (DESIGN.md §1); hal imports nothing above it.
 */

/**
 * A pin bound once. `cap.write`/`cap.read` MUST be natives bound to a holder
 * the hal keeps, so `release` reaches every copy an app made of them.
 */
export interface BoundPin {
  /** The fast path: `write`/`read` bound natives, `mode` a closure over the holder. */
  cap: { write(value: number | boolean): void; read(): number; mode(mode: string): void };
  /** Watch the pin: `fn(state, time)` on each edge; returns an id for `unwatch`. */
  watch(fn: (state: boolean, time: number) => void, edge: string, debounce: number): number;
  /** Stop watch `id` (ids of this pin only; unknown ids are ignored). True if it was one. */
  unwatch(id: number): boolean;
  /** Clear every watch, reset the pin to input, make every copy of `write`/`read` throw `Invalid pin`. */
  release(): void;
}

/**
 * Raw flash, absolute addresses, in Espruino's own argument order: the
 * members MUST be natives bound once (no JS layer on the kernel's fast path).
 * The kernel checks every range before calling.
 */
export interface HalFlash {
  /** `length` bytes at `addr`. */
  read(length: number, addr: number): Uint8Array;
  /** Program: new = old AND data. `addr` MUST be 4-byte aligned, `data.length` a multiple of 4. */
  write(data: Uint8Array, addr: number): void;
  /** Erase the sector that contains `addr`: every byte becomes 0xFF. */
  erase(addr: number): void;
}

/**
 * The interpreter's timers, as its natives take them (callback first): no JS
 * layer between the kernel and `setTimeout` (measured: 34k instructions, 7%
 * of an app's after(0) hop). Ids are numbers.
 */
export interface HalTimers {
  after(fn: () => void, ms: number): number;
  every(fn: () => void, ms: number): number;
  cancel(id: number): void;
}

/** One bound UDP socket (hal/espruino/net.ts). */
export interface UdpSocket {
  /** Send one datagram of `data` to `host`:`port`. MUST NOT throw for a send the network drops. */
  send(data: Uint8Array, port: number, host: string): void;
  close(): void;
}

/** The network: Wi-Fi and UDP sockets. Callbacks MUST come on a later tick, never inside the call. */
export interface HalNet {
  /** True when the interpreter has UDP sockets (`dgram`); false: no network, rings only. */
  available(): boolean;
  /** Bring the link up: join Wi-Fi when `ssid` is given, else loopback; `done(error?)` once. */
  up(config: { ssid?: string; password?: string }, done: (error?: string) => void): void;
  /** Bind a socket on `port`; each datagram goes to `onMessage(bytes, fromHost, fromPort)`. Errors go to `log`. */
  bind(port: number, onMessage: (data: Uint8Array, host: string, from: number) => void, log: (text: string) => void): UdpSocket;
}

/** The interpreter: memory, the watchdog, the clock (hal/espruino/system.ts). */
export interface HalSystem {
  /** Variables in use now and in all (no garbage collection; `total` grows on builds with a resizable store). */
  memory(): { usage: number; total: number };
  /** Collect garbage, then the variables in use. */
  collect(): number;
  /** Arm the hardware watchdog in manual mode: the chip resets unless `kick` comes within `seconds`. */
  watchdog(seconds: number): void;
  kick(): void;
  /** A clock function (ms, as `now`), a new function object on each call where the interpreter allows. */
  clock(): () => number;
}

/** Everything the kernel takes from the hardware. */
export interface Hal {
  pin(n: number): BoundPin;
  flash: HalFlash;
  timers: HalTimers;
  /** Milliseconds, monotonic; advances while JavaScript runs (used to time upcalls). */
  now(): number;
  log(text: string): void;
  crc32(data: Uint8Array | string): number;
  /** Sum of the bytes (a native, as `E.sum`): a whole-buffer test costs one call, not a JS loop. */
  sum(data: Uint8Array): number;
  /** Publish one global for the host (the kernel's status function). */
  publish(name: string, value: unknown): void;
  net: HalNet;
  system: HalSystem;
}
