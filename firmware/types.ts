/**
 * Capability types: what the kernel hands an app, and all a LibOS may code against.
 *
 * Usage: `import type { FlashExtent, Services } from "../../firmware/types.ts"`
 * — types only; LibOS and apps never import kernel code (DESIGN.md §1).
 *
 * Errors: misuse and revoked capabilities throw an `Error` whose `code` is a
 * negative number from firmware/errors.ts; expected outcomes are returned.
 *
 * Contract: DESIGN.md §2.
 */

/** An exclusive GPIO pin. */
export interface PinCap {
  /** Drive the pin: 1 high, 0 low (a bound native: no check on the fast path). */
  write(value: number | boolean): void;
  /** Read the pin level, 0 or 1. */
  read(): number;
  /** Set the pin mode, e.g. "output", "input", "input_pullup". */
  mode(mode: string): void;
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
}

/** Pure services that live on Espruino globals, handed over like capabilities. */
export interface Services {
  /** Standard CRC-32 (IEEE, as `E.CRC32`) of bytes or a string. */
  crc32(data: Uint8Array | string): number;
  /** Milliseconds since boot (the device clock; virtual on the simulator). */
  now(): number;
  /** Print a line on the device console. */
  log(text: string): void;
}

/** A timer service with a quota, multiplexed by the kernel. */
export interface TimerCap {
  /** Call `fn` once after `ms`; returns an id for `cancel`. */
  after(ms: number, fn: () => void): number;
  /** Call `fn` every `ms`; returns an id for `cancel`. */
  every(ms: number, fn: () => void): number;
  /** Cancel a timer of this service; unknown ids are ignored. */
  cancel(id: number): void;
}

/** Everything an app receives at start: its capabilities, by the names its manifest gave. */
export interface AppCaps {
  pins: Record<string, PinCap>;
  timer: TimerCap;
  services: Services;
}

/** An app's entry module: `export function start(caps: AppCaps)`. */
export type AppStart = (caps: AppCaps) => void;
