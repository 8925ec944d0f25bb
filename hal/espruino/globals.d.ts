/**
 * The Espruino API that hal/espruino names (and nothing else may).
 * Reference: espruino.md; https://www.espruino.com/Reference
 *
 * Names Node also has (setTimeout, console, process, require) are left to
 * @types/node, which the host side needs in the same project; hal/espruino
 * casts where the two differ (Espruino's timer ids are numbers).
 */
declare class Pin {
  constructor(n: number);
}
declare function Pin(n: number): Pin;
declare function digitalWrite(pin: Pin | (Pin | undefined)[], value: number | boolean): void;
declare function digitalRead(pin: Pin | (Pin | undefined)[]): number;
declare function pinMode(pin: Pin | undefined, mode: string): void;
declare function setWatch(fn: (e: { state: boolean; time: number; lastTime: number }) => void, pin: Pin, options?: object): number;
declare function clearWatch(id?: number): void;
declare function getTime(): number;
declare function print(...text: unknown[]): void;
declare const E: {
  CRC32(data: string | ArrayLike<number>): number;
  sum(data: ArrayLike<number>): number;
  /** Bytes of a String (each char code & 255) as a new Uint8Array. */
  toUint8Array(data: string | ArrayLike<number>): Uint8Array;
  /** A String of the given bytes. */
  toString(data: ArrayLike<number>): string;
  getSizeOf(value: unknown): number;
  enableWatchdog(seconds: number, automatic?: boolean): void;
  kickWatchdog(): void;
};
/** Espruino's `process.memory(gc?)` (Node's `process` has none): variables in use and in all. */
declare namespace NodeJS {
  interface Process {
    memory(gc?: boolean): { usage: number; total: number; free: number };
  }
}
