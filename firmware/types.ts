/**
 * Capability types: what the kernel hands an app, and all a LibOS may code against.
 *
 * Usage: `import type { FlashExtent, Services } from "../../firmware/types.ts"`
 * — types only; LibOS and apps never import kernel code (DESIGN.md §1).
 *
 * Errors: misuse and revoked capabilities throw an `Error` whose `code` is a
 * negative number from firmware/errors.ts; expected outcomes are returned.
 *
 * Revocation: every capability has `close()` (give it back); the kernel may
 * also revoke it (the abort protocol, or a fault). Either way every method —
 * and every copy of one an app kept — throws from then on.
 *
 * Contract: DESIGN.md §2; doc/xrd/xrd101-pins.md … xrd105-caps.md.
 */

/** The modes the interpreter's `pinMode` takes (its src/jswrap_io.c); any other string throws "Unknown pin mode" there. */
export type PinMode = "analog" | "input" | "input_pullup" | "input_pulldown" | "output" | "opendrain" | "opendrain_pullup" | "af_output" | "af_opendrain" | "auto";

/** Which edges a watch sees. */
export type PinEdge = "rising" | "falling" | "both";

/** An exclusive GPIO pin. */
export interface PinCap {
  /** Drive the pin: 1 high, 0 low (a bound native: no check on the fast path). */
  write(value: number | boolean): void;
  /** Read the pin level, 0 or 1. */
  read(): number;
  /** Set the pin mode, e.g. "output", "input", "input_pullup" (a typo is a compile error). */
  mode(mode: PinMode): void;
  /**
   * Call `fn(state, time)` on every edge (`edge` "rising", "falling" or "both",
   * the default; `debounce` in ms, default 0). Returns an id for `unwatch`.
   */
  watch(fn: (state: boolean, time: number) => void, edge?: PinEdge, debounce?: number): number;
  /** Stop a watch of this pin; unknown ids are ignored. */
  unwatch(id: number): void;
  /** Give the pin back: it returns to input, and this capability is revoked. */
  close(): void;
}

/**
 * An extent of whole erase sectors. Offsets are extent-relative bytes; the
 * kernel checks every offset against the extent.
 */
export interface FlashExtent {
  /** Bytes per erase sector. */
  readonly sector: number;
  /** Sectors in the extent; the extent is `sector * count` bytes. */
  readonly count: number;
  /** Read `length` bytes at `offset`. */
  read(offset: number, length: number): Uint8Array;
  /**
   * Program `data` at `offset`: new = old AND data. `offset` MUST be 4-byte
   * aligned and `data.length` a multiple of 4 (Espruino's Flash rule).
   */
  write(offset: number, data: Uint8Array): void;
  /** Erase sector `index` (0 ≤ index < count): every byte becomes 0xFF. */
  erase(index: number): void;
  /** How many times sector `index` has been erased, over the device's life. */
  erases(index: number): number;
  /** Give the extent back until the next restart (the data stays). Optional for stand-ins. */
  close?(): void;
}

/** Pure services that live on Espruino globals, handed over like capabilities. */
export interface Services {
  /** Standard CRC-32 (IEEE, as `E.CRC32`) of bytes or a string. */
  crc32(data: Uint8Array | string): number;
  /**
   * Milliseconds of the device clock, as `Date.now()`: since 1970 once the
   * clock is set (the Linux interpreter reads the host's), else since boot;
   * virtual on the simulator. Use differences.
   */
  now(): number;
  /** Print a line on the device console. */
  log(text: string): void;
}

/** A timer service with a quota, multiplexed by the kernel. */
export interface TimerCap {
  /** Call `fn` once after `ms` (0 allowed: the next turn of the event loop); returns an id for `cancel`. */
  after(ms: number, fn: () => void): number;
  /** Call `fn` every `ms` (at least the kernel's floor, 10 ms); returns an id for `cancel`. */
  every(ms: number, fn: () => void): number;
  /** Cancel a timer of this service; unknown ids are ignored. */
  cancel(id: number): void;
  /** Live timers now (the quota bounds it). */
  live(): number;
  /** Cancel every timer and give the service back. */
  close(): void;
}

/** Counters of a packet capability's rings. */
export interface PacketStats {
  /** Packets waiting in the rx ring. */
  queued: number;
  /** Packets delivered into the rx ring, ever. */
  received: number;
  /** Incoming packets dropped because the rx ring was full. */
  dropped: number;
  /** Packets accepted into the tx ring. */
  sent: number;
  /** Outgoing packets dropped because the tx ring was full. */
  refused: number;
}

/** Rx/tx packet rings behind a filter (protocol, port) the kernel installed. */
export interface PacketCap {
  readonly protocol: string;
  readonly port: number;
  /** The oldest received packet, or undefined when the rx ring is empty. */
  recv(): Uint8Array | undefined;
  /** Queue a packet for sending: 0, or ENOBUFS (-105) when the tx ring is full (dropped, counted). */
  send(data: Uint8Array): number;
  /** Call `fn` when the rx ring goes from empty to not empty (never synchronously). */
  onReadable(fn: () => void): void;
  stats(): PacketStats;
  close(): void;
}

/** Everything an app receives at start: its capabilities, by the names its manifest gave. */
export interface AppCaps {
  pins: Record<string, PinCap>;
  timer: TimerCap;
  services: Services;
  /** Present when the manifest asks for "flash" sectors. */
  flash?: FlashExtent;
  /** Present when the manifest asks for "packets". */
  net?: PacketCap;
}

/** What an app's `start` may return: its upcall handlers. */
export interface AppHandlers {
  /**
   * The abort protocol: the kernel asks for capability `name` ("pins.led",
   * "flash", "timer", "packets") back within `ms`; give it back with its
   * `close()`. Past the deadline the kernel takes it and logs a repossession.
   */
  release?(name: string, ms: number): void;
}

/** An app's entry module: `export function start(caps: AppCaps)`. */
export type AppStart = (caps: AppCaps) => AppHandlers | void;
