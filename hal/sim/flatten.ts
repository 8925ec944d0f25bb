/**
 * Espruino's flattening of data into bytes (src/jsvariterator.c,
 * jsvIterateCallback), as `E.toUint8Array` and `Flash.write` use it.
 *
 * Usage:
 *   const { bytes, error } = flatten(data, options);   // two passes, as the interpreter does
 *
 * Errors: what the interpreter throws, as a DeviceError of type TypeError:
 * "Expecting Number or iterable, got null" (and undefined), "If specifying an
 * object, it must be of the form {data : ..., count : N} or {callback : fn} - got …".
 * A flattening error does not stop the bytes read before it (see `flatten`).
 *
 * Contract (measured on Espruino 2v29, ESP32-like build):
 *   - a number, boolean or pin: one byte, its integer part modulo 256
 *     (1.9 → 1, -1.9 → 255, 300.5 → 44; NaN and ±Infinity → 0);
 *   - a string: one byte per character (char code & 0xff: no Unicode);
 *   - a typed array or ArrayBuffer: its elements' integer values, one byte
 *     each (a Uint16Array [258, 65535] → 2, 255); a DataView is an object;
 *   - an array: each element in turn, nested to any depth; a hole or an
 *     undefined/null element throws; a function: its own enumerable values;
 *   - an object: `{callback: f}` calls f() and flattens what it returns
 *     (undefined: nothing); else `{data, count}` (own properties, getters
 *     called, count a number/boolean/pin) flattens data count times (count
 *     truncated; ≤ 0 gives nothing); anything else throws.
 * The interpreter walks the data twice — once to count, once to copy — so a
 * callback or getter runs twice and may answer differently: the count pass
 * decides the length, the copy pass fills it (extra bytes dropped, missing
 * ones left 0 here; on the chip `Flash.write` leaves stack garbage there).
 */
import { types } from "node:util";
import { formatValue, type FormatHooks } from "./console.ts";
import { DeviceError } from "./device-error.ts";

export interface FlattenOptions {
  /** Pin objects stand for their numbers. */
  pinNumber(value: unknown): number | undefined;
  /** True for the simulator's interruption (recursion, out of memory): never swallowed. */
  isInterruption(error: unknown): boolean;
  /** How errors show the value (%j). */
  format?: FormatHooks;
}

export interface Flattened {
  bytes: Uint8Array;
  /** The error of the counting pass, after the bytes counted before it (the caller decides whether to use them). */
  error?: unknown;
}

/** Both passes of the interpreter over `data`. */
export function flatten(data: unknown, options: FlattenOptions): Flattened {
  const counted: number[] = [];
  let error: unknown;
  try {
    walk(data, (b) => counted.push(b), options);
  } catch (e) {
    if (options.isInterruption(e)) throw e;
    error = e;
  }
  if (error !== undefined) return { bytes: Uint8Array.from(counted), error };
  // The copy pass: callbacks and getters run again.
  const bytes = new Uint8Array(counted.length);
  let i = 0;
  try {
    walk(data, (b) => {
      if (i < bytes.length) bytes[i] = b;
      i++;
    }, options);
  } catch (e) {
    if (options.isInterruption(e)) throw e;
    // The interpreter raises it after the copy; the count pass did not see it.
    error = e;
  }
  return { bytes, error };
}

/** The integer part modulo 256, as `(unsigned char)jsvGetInteger(x)`. */
export function toByte(value: number): number {
  if (!Number.isFinite(value)) return 0;
  const n = Math.trunc(value) % 256;
  return n < 0 ? n + 256 : n;
}

function isTypedData(value: object): boolean {
  return types.isArrayBuffer(value) || types.isTypedArray(value);
}

const typedArrayLengthGetter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), "length")!.get!;

/** A typed array's element count from its internal slot (an own `length` property device code added does not count). */
export function typedArrayLength(view: ArrayBufferView): number {
  return typedArrayLengthGetter.call(view) as number;
}

function own(object: object, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(object, key) ? (object as Record<string, unknown>)[key] : undefined;
}

function walk(data: unknown, emit: (byte: number) => void, options: FlattenOptions): void {
  if (typeof data === "number") return emit(toByte(data));
  if (typeof data === "boolean") return emit(data ? 1 : 0);
  const pin = options.pinNumber(data);
  if (pin !== undefined) return emit(pin & 0xff);
  if (typeof data === "string") {
    for (let i = 0; i < data.length; i++) emit(data.charCodeAt(i) & 0xff);
    return;
  }
  if (data === undefined || data === null) {
    throw new DeviceError(`Expecting Number or iterable, got ${data === null ? "null" : "undefined"}`, "TypeError");
  }
  if (typeof data === "function") {
    for (const key of Object.keys(data)) walk((data as unknown as Record<string, unknown>)[key], emit, options);
    return;
  }
  const object = data as object;
  if (isTypedData(object)) {
    const view = types.isTypedArray(object) ? (object as Uint8Array) : new Uint8Array(object as ArrayBuffer);
    const length = typedArrayLength(view);
    for (let i = 0; i < length; i++) emit(toByte(Number(view[i])));
    return;
  }
  if (Array.isArray(object)) {
    const length = object.length;
    for (let i = 0; i < length; i++) walk(object[i], emit, options);
    return;
  }
  const callback = own(object, "callback");
  if (typeof callback === "function") {
    const result = Reflect.apply(callback, undefined, []);
    if (result !== undefined) walk(result, emit, options);
    return;
  }
  const count = own(object, "count");
  const inner = own(object, "data");
  const numeric = typeof count === "number" || typeof count === "boolean" || options.pinNumber(count) !== undefined;
  if (count !== undefined && inner !== undefined && numeric) {
    let n = typeof count === "number" ? (Number.isFinite(count) ? Math.trunc(count) : 0) : typeof count === "boolean" ? Number(count) : options.pinNumber(count)!;
    while (n-- > 0) walk(inner, emit, options);
    return;
  }
  throw new DeviceError(
    `If specifying an object, it must be of the form {data : ..., count : N} or {callback : fn} - got ${formatValue(data, options.format)}`,
    "TypeError",
  );
}
