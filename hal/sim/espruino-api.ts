/**
 * The Espruino API surface of the simulated device: the globals hal/espruino names.
 *
 * Usage:
 *   const api = installEspruinoApi(context, host);   // once per boot, on a fresh context
 *   api.realm.Error                                  // the device's own Error class
 *
 * Errors: misuse throws an `Error` of the device's realm (so `e instanceof Error`
 * holds in device code) with the interpreter's message where it throws one
 * (`Invalid pin`, `Unknown pin mode`, `Unknown Interval`, `Unknown Watch 3`,
 * `Module "x" not found`, `Function or String not supplied!`,
 * `clearTimeout(undefined) not allowed. Use clearTimeout() instead`,
 * `Data is not defined`; flattening data, the interpreter's TypeErrors:
 * flatten.ts), and
 * where the simulator is stricter than the chip a message that says so:
 * `Flash.write` at an address not 4-byte aligned or of a length not a multiple
 * of 4 (after flattening), a write that would need a 0→1 bit, an erase or write outside the free
 * regions and Storage, a pin number outside the board, `Pin(99)` (the chip
 * returns undefined), `setWatch` on a bad pin (the chip only prints) or with
 * an unknown option. After a power cut every call throws the cut's message.
 *
 * Contract: shared/espruino.md §1–§4 and the interpreter's reference; the
 * surface is: Pin, D0..D(n-1), digitalWrite/digitalRead (a pin or an array
 * of pins, the last pin the least significant bit), pinMode, getPinMode,
 * setWatch, clearWatch, setTimeout, setInterval, clearTimeout, clearInterval,
 * changeInterval, getTime, print, console.{log,info,warn,error,debug}, E
 * (CRC32, sum, toUint8Array, toString, getSizeOf, getErrorFlags, enableWatchdog, kickWatchdog, hwRand;
 * toUint8Array flattens all its arguments, as Flash.write does its data: flatten.ts),
 * process (memory, env), require("Flash"), require("Storage"), require("dgram")
 * and require("Wifi") when the device has a network (net.ts), global, btoa,
 * atob; Math.random is seeded.
 */
import vm from "node:vm";
import { crc32 as zlibCrc32 } from "node:zlib";
import type { Board } from "../boards.ts";
import { MIN_PERIOD_MS, type VirtualClock } from "./clock.ts";
import type { DeviceConsole } from "./console.ts";
import { DeviceError } from "./device-error.ts";
import { PowerCut, type NorFlash } from "./flash.ts";
import { types } from "node:util";
import { flatten, typedArrayLength } from "./flatten.ts";
import type { MemoryEstimator } from "./memory.ts";
import type { PinBank } from "./pins.ts";
import type { SimStorage } from "./storage.ts";
import type { WatchEvent, Watches } from "./watch.ts";

/** What the API needs from the device it belongs to. */
export interface ApiHost {
  board: Board;
  flash: NorFlash;
  clock: VirtualClock;
  pins: PinBank;
  watches: Watches;
  console: DeviceConsole;
  /** The estimator for this boot (created after the API is installed). */
  memory(): MemoryEstimator;
  /** Variables held by timers and watches (roots for process.memory()). */
  memoryRoots(): { records: number; values: unknown[] };
  /** Math.random's source, in [0, 1). */
  random(): number;
  /** Throws while the device is off (after a power cut). */
  check(): void;
  /** A flash operation was cut: the device is off from now on. */
  powerCut(cut: PowerCut): void;
  enableWatchdog(seconds: number, automatic: boolean): void;
  kickWatchdog(): void;
  /** Name of the global the device calls back through (see device.ts). */
  callbackGlobal: string;
  invokePending(): unknown;
  /**
   * Host milliseconds the running callback has taken beyond the grace period
   * (device.ts), added to getTime(): the kernel times upcalls with it. 0 for
   * code that does not hog, so such code stays deterministic.
   */
  busyMs?(): number;
  /** Storage, when the device has one: `require("Storage")`, `load()`, `reset()`. */
  storage?: SimStorage;
  /** `load()` (true: run the boot code again) or `reset()` (false: fresh RAM, nothing run). */
  restart?(runBootCode: boolean): void;
  /** More `require`-able modules ("dgram", "Wifi" when the device has a network: hal/sim/net.ts builds them with these helpers). */
  modules?(kit: ApiKit): Record<string, object>;
  /** A string callback (`setTimeout("code")`) as a function, rewritten like the bundle (guard.ts); default: the realm's Function. */
  compile?(body: string): Function;
  /** E.getErrorFlags(): the interpreter's error flags since the last call (guard.ts). */
  errorFlags?(): string[];
  /** True for the simulator's interruptions (never swallowed by the API). */
  isInterruption?(error: unknown): boolean;
}

/** Helpers for building device-realm modules outside this file (net.ts). */
export interface ApiKit {
  realm: DeviceRealm;
  fn<A extends unknown[], R>(name: string, impl: (this: unknown, ...args: A) => R): (...args: A) => R;
  object(fields: Record<string, unknown>): Record<string, unknown>;
}

/** A device-visible function of the simulator (see `fn` in installEspruinoApi). */
export type ApiFunction = <A extends unknown[], R>(name: string, impl: (this: unknown, ...args: A) => R) => (...args: A) => R;

/** The device realm's constructors, for building values the device code receives. */
export interface DeviceRealm {
  global: Record<string, unknown>;
  Error: ErrorConstructor;
  Object: ObjectConstructor;
  Array: ArrayConstructor;
  Uint8Array: Uint8ArrayConstructor;
  Function: FunctionConstructor;
}

export interface InstalledApi {
  realm: DeviceRealm;
  /** Objects of the API itself (modules, functions): ROM for the memory estimate. */
  natives: object[];
  /** The Pin objects, D0 first: native, not counted as memory. */
  pinObjects: object[];
  /** Pin object → number, or undefined. */
  pinNumber(value: unknown): number | undefined;
  /** Build the device-side object a watch callback receives. */
  watchEvent(event: WatchEvent): object;
  /** Convert a host error thrown by the API into what device code sees. */
  toDevice(error: unknown): unknown;
  /** The device errors that stand for a power cut (never printed as Uncaught). */
  isCut(error: unknown): boolean;
  /** Make more device-visible functions (functions.ts). */
  fn: ApiFunction;
  /** True for the API's own functions (those made by `fn`). */
  isApi(value: Function): boolean;
}

/** Standard CRC-32 (IEEE 802.3), as E.CRC32: "123456789" → 0xcbf43926 (node:zlib's, native). */
export function crc32(bytes: ArrayLike<number>): number {
  return zlibCrc32(bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes));
}

/** Bytes of a string (one byte per char, as Espruino without Unicode), array or buffer; undefined otherwise. */
export function toBytes(data: unknown): Uint8Array | undefined {
  if (typeof data === "string") {
    const bytes = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) bytes[i] = data.charCodeAt(i) & 0xff;
    return bytes;
  }
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  if (Object.prototype.toString.call(data) === "[object ArrayBuffer]") return new Uint8Array((data as ArrayBuffer).slice(0));
  if (Array.isArray(data)) return Uint8Array.from(data, (v) => Number(v) & 0xff);
  return undefined;
}

const hex = (n: number): string => "0x" + n.toString(16);

/** Install the API on a fresh context; returns the realm and pin helpers. */
export function installEspruinoApi(context: vm.Context, host: ApiHost): InstalledApi {
  const global = vm.runInContext("this", context) as Record<string, unknown>;
  const realm: DeviceRealm = {
    global,
    Error: global.Error as ErrorConstructor,
    Object: global.Object as ObjectConstructor,
    Array: global.Array as ArrayConstructor,
    Uint8Array: global.Uint8Array as Uint8ArrayConstructor,
    Function: global.Function as FunctionConstructor,
  };
  const functionPrototype = realm.Function.prototype;
  const natives: object[] = [];
  const apiFunctions = new WeakSet<Function>();
  const cuts = new WeakSet<object>();
  let cutError: unknown;

  const toDevice = (error: unknown): unknown => {
    if (error instanceof PowerCut) {
      host.powerCut(error);
      return deviceCut(error.message);
    }
    if (error instanceof DeviceError) {
      return error.type === "TypeError" ? new (global.TypeError as ErrorConstructor)(error.message) : new realm.Error(error.message);
    }
    return error;
  };
  const deviceCut = (message: string): unknown => {
    if (!cutError) {
      cutError = new realm.Error(message);
      cuts.add(cutError as object);
    }
    return cutError;
  };

  /**
   * A device-visible function: checks power, converts errors, and has the
   * device realm's Function.prototype (a host function's prototype chain would
   * hand device code the host's `Function`). A method, so it has no
   * `prototype` and cannot be called with `new`.
   */
  const fn = <A extends unknown[], R>(name: string, impl: (this: unknown, ...args: A) => R): ((...args: A) => R) => {
    const wrapped = {
      [name](this: unknown, ...args: A): R {
        try {
          host.check();
          return impl.apply(this, args);
        } catch (error) {
          throw toDevice(error);
        }
      },
    }[name];
    Object.setPrototypeOf(wrapped, functionPrototype);
    natives.push(wrapped);
    apiFunctions.add(wrapped);
    return wrapped;
  };
  const object = (fields: Record<string, unknown>): Record<string, unknown> => Object.assign(new realm.Object(), fields);
  const array = (items: unknown[]): unknown[] => {
    const out = new realm.Array();
    for (const item of items) out.push(item);
    return out;
  };
  const define = (target: object, name: string, value: unknown) =>
    Object.defineProperty(target, name, { value, writable: true, configurable: true, enumerable: false });

  // ---- pins ----
  const numbers = new WeakMap<object, number>();
  const pinPrototype = new realm.Object() as Record<string, unknown>;
  const pinObjects: object[] = [];
  for (let n = 0; n < host.pins.count; n++) {
    const pin = Object.create(pinPrototype) as object;
    numbers.set(pin, n);
    pinObjects.push(pin);
  }
  const pinNumber = (value: unknown): number | undefined =>
    typeof value === "object" && value !== null ? numbers.get(value) : undefined;
  /** A pin argument: a Pin object or a pin number. */
  const pinArgument = (value: unknown): number => {
    if (value === undefined || value === null) throw new DeviceError("Invalid pin");
    const n = typeof value === "number" ? value : pinNumber(value);
    if (n === undefined) {
      throw new DeviceError(`Invalid pin: ${typeof value === "string" ? JSON.stringify(value) : typeof value} (pass a Pin such as D5, or a pin number)`);
    }
    host.pins.check(n);
    return n;
  };
  const pinOf = (n: number) => pinObjects[n];

  const pinFromArgument = fn("Pin", (value: unknown) => {
    if (typeof value === "number" && !(Number.isInteger(value) && value >= 0 && value < host.pins.count)) {
      throw new DeviceError(`Invalid pin ${value}: this board has D0..D${host.pins.count - 1} (the chip would return undefined)`);
    }
    return pinOf(pinArgument(value));
  });
  // Pin(n) and new Pin(n) both return the board's one object for pin n.
  const PinFn = function Pin(value: unknown) {
    return pinFromArgument(value);
  };
  Object.setPrototypeOf(PinFn, functionPrototype);
  PinFn.prototype = pinPrototype;
  define(pinPrototype, "constructor", PinFn);
  const self = (pin: unknown) => pinArgument(pin);
  define(pinPrototype, "read", fn("read", function (this: unknown) { return host.pins.read(self(this)) === 1; }));
  define(pinPrototype, "write", fn("write", function (this: unknown, v: unknown) { host.pins.write(self(this), v ? 1 : 0); }));
  define(pinPrototype, "set", fn("set", function (this: unknown) { host.pins.write(self(this), 1); }));
  define(pinPrototype, "reset", fn("reset", function (this: unknown) { host.pins.write(self(this), 0); }));
  define(pinPrototype, "toggle", fn("toggle", function (this: unknown) {
    const n = self(this);
    const next = host.pins.level(n) ? 0 : 1;
    host.pins.write(n, next);
    return next === 1;
  }));
  define(pinPrototype, "mode", fn("mode", function (this: unknown, mode: unknown) { host.pins.setMode(self(this), mode); }));
  define(pinPrototype, "getMode", fn("getMode", function (this: unknown) { return host.pins.mode(self(this)); }));
  define(pinPrototype, "toString", fn("toString", function (this: unknown) { return `D${self(this)}`; }));
  // On Espruino a pin is a number (typeof D5 === "number", D5 == 5); here an object that converts to it.
  define(pinPrototype, "valueOf", fn("valueOf", function (this: unknown) { return self(this); }));
  pinObjects.forEach((pin, n) => define(global, `D${n}`, pin));
  define(global, "Pin", PinFn);

  /** The pins of a digitalWrite/digitalRead argument, most significant first. */
  const pinList = (value: unknown): number[] => {
    if (Array.isArray(value)) {
      // Every element is checked before any pin moves: a revoked holder ([undefined]) throws.
      return Array.from({ length: value.length }, (_, i) => pinArgument(value[i]));
    }
    return [pinArgument(value)];
  };
  define(global, "digitalWrite", fn("digitalWrite", (pin: unknown, value: unknown) => {
    if (Array.isArray(pin)) {
      const pins = pinList(pin);
      const bits = Number(value) | 0;
      // The last pin is the least significant bit.
      pins.forEach((n, i) => host.pins.write(n, ((bits >> (pins.length - 1 - i)) & 1) as 0 | 1));
    } else {
      host.pins.write(pinArgument(pin), value ? 1 : 0);
    }
  }));
  define(global, "digitalRead", fn("digitalRead", (pin: unknown) => {
    const pins = pinList(pin);
    return pins.reduce((bits, n) => (bits << 1) | host.pins.read(n), 0);
  }));
  define(global, "pinMode", fn("pinMode", (pin: unknown, mode: unknown) => {
    if (Array.isArray(pin)) throw new DeviceError("Invalid pin"); // pinMode takes no arrays (espruino.md §2)
    host.pins.setMode(pinArgument(pin), mode);
  }));
  define(global, "getPinMode", fn("getPinMode", (pin: unknown) => host.pins.mode(pinArgument(pin))));
  define(global, "setWatch", fn("setWatch", (callback: unknown, pin: unknown, options: unknown) => {
    if (typeof callback === "string") callback = host.compile ? host.compile(callback) : new realm.Function(callback);
    return host.watches.add(callback, pinArgument(pin), options);
  }));
  define(global, "clearWatch", fn("clearWatch", function (...args: unknown[]) {
    if (args.length && args[0] === undefined) throw new DeviceError("clearWatch(undefined) not allowed. Use clearWatch() instead");
    host.watches.remove(args.length ? args[0] : undefined);
  }));

  // ---- timers and time ----
  const callable = (callback: unknown): Function => {
    if (typeof callback === "function") return callback;
    if (typeof callback === "string") return host.compile ? host.compile(callback) : new realm.Function(callback);
    throw new DeviceError("Function or String not supplied!");
  };
  const delay = (ms: unknown): number => {
    const n = Number(ms);
    return Number.isFinite(n) && n > 0 ? n : 0;
  };
  const label = (kind: string, callback: Function) => `${kind} callback ${(callback as { name?: string }).name || "anonymous"}`;
  define(global, "setTimeout", fn("setTimeout", (callback: unknown, ms?: unknown, ...args: unknown[]) => {
    const f = callable(callback);
    return host.clock.add({ kind: "timeout", fn: f, args, label: label("setTimeout", f) }, delay(ms));
  }));
  define(global, "setInterval", fn("setInterval", (callback: unknown, ms?: unknown, ...args: unknown[]) => {
    const f = callable(callback);
    const period = delay(ms);
    return host.clock.add({ kind: "interval", fn: f, args, label: label("setInterval", f) }, period || MIN_PERIOD_MS, period || MIN_PERIOD_MS);
  }));
  for (const name of ["clearTimeout", "clearInterval"]) {
    define(global, name, fn(name, function (...args: unknown[]) {
      if (!args.length) return host.clock.removeAll();
      if (args[0] === undefined) throw new DeviceError(`${name}(undefined) not allowed. Use ${name}() instead`);
      host.clock.remove(Number(args[0])); // an id that already fired is fine, as on the chip
    }));
  }
  define(global, "changeInterval", fn("changeInterval", (id: unknown, ms: unknown) => {
    if (!host.clock.change(Number(id), delay(ms))) throw new DeviceError("Unknown Interval");
  }));
  const millis = () => host.clock.now + (host.busyMs ? host.busyMs() : 0);
  define(global, "getTime", fn("getTime", () => millis() / 1000));
  // The same clock in ms, as on the chip (where both read the system time): the kernel's `now`.
  define(global.Date as object, "now", fn("now", millis));

  // ---- console ----
  const print = fn("print", (...args: unknown[]) => host.console.print(args));
  define(global, "print", print);
  const consoleObject = new realm.Object();
  for (const name of ["log", "info", "warn", "error", "debug"]) define(consoleObject, name, fn(name, (...args: unknown[]) => host.console.print(args)));
  define(global, "console", consoleObject);

  // ---- E and process ----
  const E = new realm.Object();
  define(E, "CRC32", fn("CRC32", (data: unknown) => {
    const bytes = toBytes(data);
    if (!bytes) throw new DeviceError("E.CRC32: expected a string, an array of bytes or a typed array");
    return crc32(bytes);
  }));
  define(E, "sum", fn("sum", (data: unknown) => {
    const bytes = typeof data === "string" ? toBytes(data) : (data as ArrayLike<number>);
    if (!bytes || typeof bytes.length !== "number") throw new DeviceError("E.sum: expected an array, a string or a typed array");
    let total = 0;
    for (let i = 0; i < bytes.length; i++) total += Number(bytes[i]);
    return total;
  }));
  const flattenOptions = {
    pinNumber: (value: unknown) => pinNumber(value),
    isInterruption: (error: unknown) => host.isInterruption?.(error) ?? false,
    format: { pinName: (value: object) => (pinNumber(value) === undefined ? undefined : `D${pinNumber(value)}`) },
  };
  // Its arguments flattened as one array (flatten.ts: nested arrays, strings, {data, count}, {callback}).
  define(E, "toUint8Array", fn("toUint8Array", (...args: unknown[]) => {
    const { bytes, error } = flatten(args, flattenOptions);
    if (error !== undefined) throw error;
    const out = new realm.Uint8Array(bytes.length);
    out.set(bytes);
    return out;
  }));
  define(E, "toString", fn("toString", (data: unknown) => {
    const bytes = toBytes(data);
    if (!bytes) throw new DeviceError("E.toString: expected a string, an array or a typed array");
    return Buffer.from(bytes).toString("latin1");
  }));
  define(E, "getSizeOf", fn("getSizeOf", (value: unknown) => host.memory().sizeOf(value)));
  define(E, "getErrorFlags", fn("getErrorFlags", () => array(host.errorFlags ? host.errorFlags() : [])));
  define(E, "enableWatchdog", fn("enableWatchdog", (seconds: unknown, automatic?: unknown) => {
    const s = Number(seconds);
    if (!(s > 0)) throw new DeviceError(`E.enableWatchdog: timeout must be a number of seconds > 0, got ${String(seconds)}`);
    host.enableWatchdog(s, automatic !== false);
  }));
  define(E, "kickWatchdog", fn("kickWatchdog", () => host.kickWatchdog()));
  define(E, "hwRand", fn("hwRand", () => Math.floor(host.random() * 4294967296) | 0));
  define(global, "E", E);

  const processObject = new realm.Object() as Record<string, unknown>;
  define(processObject, "memory", fn("memory", () => {
    const usage = host.memory().usage(host.memoryRoots());
    const total = host.board.variables;
    return object({ free: total - usage, usage, total, history: 0, gc: 0, gctime: 0, blocksize: host.board.bytesPerVariable });
  }));
  define(processObject, "env", object({ VERSION: "2v29-sim", BOARD: host.board.name }));
  define(processObject, "version", "2v29-sim");
  define(global, "process", processObject);

  // ---- Flash ----
  const chip = host.flash;
  const writable = [...host.board.getFree.map((r) => ({ base: r.addr, size: r.length })), host.board.storage];
  const checkWritable = (what: string, addr: number, length: number) => {
    if (!writable.some((r) => addr >= r.base && addr + length <= r.base + r.size)) {
      throw new DeviceError(
        `${what} ${hex(addr)}+${length}: outside the free flash (getFree()) and Storage of ${host.board.name} ` +
          `(${writable.map((r) => `${hex(r.base)}+${hex(r.size)}`).join(", ")}); on the chip this overwrites firmware`,
      );
    }
  };
  const address = (what: string, addr: unknown): number => {
    if (typeof addr !== "number" || !Number.isInteger(addr)) throw new DeviceError(`${what}: address must be an integer, got ${String(addr)}`);
    return addr;
  };
  /**
   * What Flash.write writes: a typed array's or ArrayBuffer's own bytes (the
   * interpreter's data pointer: as many bytes as the view has elements), a
   * string's characters, anything else flattened as E.toUint8Array does.
   */
  const flashData = (data: unknown): { bytes: Uint8Array; error?: unknown } => {
    if (typeof data === "string") return { bytes: toBytes(data)! };
    if (types.isTypedArray(data)) {
      // The view's own length, not a `length` property device code may have put on it.
      const view = data as Uint8Array;
      const length = typedArrayLength(view);
      return { bytes: new Uint8Array(view.buffer, view.byteOffset, Math.min(length, view.byteLength)).slice() };
    }
    if (types.isArrayBuffer(data)) return { bytes: new Uint8Array((data as ArrayBuffer).slice(0)) };
    return flatten(data, flattenOptions);
  };
  const Flash = new realm.Object();
  define(Flash, "getFree", fn("getFree", () => array(host.board.getFree.map((r) => object({ addr: r.addr, length: r.length })))));
  define(Flash, "getPage", fn("getPage", (addr: unknown) => {
    const a = address("Flash.getPage", addr);
    if (a < chip.base || a >= chip.base + chip.size) return undefined;
    const start = a - ((a - chip.base) % chip.sectorSize);
    return object({ addr: start, length: chip.sectorSize });
  }));
  define(Flash, "erasePage", fn("erasePage", (addr: unknown) => {
    const a = address("Flash.erasePage", addr);
    if (a < chip.base || a >= chip.base + chip.size) throw new DeviceError(`Flash.erasePage ${hex(a)}: not a flash address`);
    const start = a - ((a - chip.base) % chip.sectorSize);
    checkWritable("Flash.erasePage", start, chip.sectorSize);
    chip.erase(start);
  }));
  define(Flash, "write", fn("write", (data: unknown, addr: unknown) => {
    const a = address("Flash.write", addr);
    if (data === undefined) throw new DeviceError("Data is not defined"); // the interpreter's message
    const { bytes, error } = flashData(data);
    if (error !== undefined && bytes.length === 0) throw error;
    if (a % 4 !== 0) {
      throw new DeviceError(`Flash.write: address ${hex(a)} is not 4-byte aligned (the simulator requires addr % 4 == 0; the interpreter pads silently)`);
    }
    if (bytes.length % 4 !== 0) {
      throw new DeviceError(`Flash.write: length ${bytes.length} is not a multiple of 4 (the simulator requires whole 4-byte words; the interpreter pads silently)`);
    }
    if (a < chip.base || a + bytes.length > chip.base + chip.size) throw new DeviceError(`Flash.write ${hex(a)}+${bytes.length}: not a flash address`);
    checkWritable("Flash.write", a, bytes.length);
    const offset = a - chip.base;
    for (let i = 0; i < bytes.length; i++) {
      const old = chip.data[offset + i];
      // 0xFF means "leave this byte": NOR ANDs it away, and word-sized writes need it.
      if (bytes[i] !== 0xff && (old & bytes[i]) !== bytes[i]) {
        throw new DeviceError(
          `Flash.write ${hex(a + i)}: would set bits 0→1 (flash holds ${hex(old)}, write asks ${hex(bytes[i])}); ` +
            `NOR flash only clears bits: erase the page first (the chip would silently store ${hex(old & bytes[i])})`,
        );
      }
    }
    chip.program(a, bytes);
    // The interpreter writes what it flattened before the error, then raises it.
    if (error !== undefined) throw error;
  }));
  define(Flash, "read", fn("read", (length: unknown, addr: unknown) => {
    const a = address("Flash.read", addr);
    if (typeof length !== "number" || !Number.isInteger(length) || length < 0) {
      throw new DeviceError(`Flash.read: length must be an integer >= 0, got ${String(length)}`);
    }
    if (a < chip.base || a + length > chip.base + chip.size) throw new DeviceError(`Flash.read ${hex(a)}+${length}: not a flash address`);
    const out = new realm.Uint8Array(length);
    out.set(chip.read(a, length));
    return out;
  }));
  const Storage = host.storage ? storageModule(host.storage, realm, fn, array, object, define) : undefined;
  if (Storage) natives.push(Storage);
  if (host.restart) {
    const restart = host.restart;
    define(global, "load", fn("load", () => restart(true)));
    define(global, "reset", fn("reset", () => restart(false)));
  }
  const modules = host.modules?.({ realm, fn, object }) ?? {};
  natives.push(...Object.values(modules));
  define(global, "require", fn("require", (name: unknown) => {
    if (name === "Flash") return Flash;
    if (typeof name === "string" && Object.prototype.hasOwnProperty.call(modules, name)) return modules[name];
    if (name === "Storage" && Storage) return Storage;
    throw new DeviceError(`Module ${JSON.stringify(String(name))} not found`);
  }));

  // ---- the rest ----
  define(global, "global", global);
  define(global, "btoa", fn("btoa", (text: unknown) => Buffer.from(String(text), "latin1").toString("base64")));
  define(global, "atob", fn("atob", (text: unknown) => Buffer.from(String(text), "base64").toString("latin1")));
  define(global.Math as object, "random", fn("random", () => host.random()));
  define(global, host.callbackGlobal, fn(host.callbackGlobal, () => host.invokePending()));

  natives.push(pinPrototype, PinFn, ...pinObjects, consoleObject, E, processObject, processObject.env as object, Flash);
  return {
    realm,
    natives,
    pinObjects,
    pinNumber,
    watchEvent: (event) => object({ state: event.state, time: event.time, lastTime: event.lastTime, pin: pinOf(event.pin) }),
    toDevice,
    isCut: (error) => typeof error === "object" && error !== null && cuts.has(error),
    fn,
    isApi: (value) => apiFunctions.has(value),
  };
}

/** `require("Storage")` in the device realm (storage.ts holds the semantics). */
function storageModule(
  storage: SimStorage,
  realm: DeviceRealm,
  fn: <A extends unknown[], R>(name: string, impl: (this: unknown, ...args: A) => R) => (...args: A) => R,
  array: (items: unknown[]) => unknown[],
  object: (fields: Record<string, unknown>) => Record<string, unknown>,
  define: (target: object, name: string, value: unknown) => void,
): object {
  const S = new realm.Object();
  const name = (n: unknown) => String(n);
  const data = (d: unknown): string | Uint8Array => {
    if (typeof d === "string") return d;
    const bytes = toBytes(d);
    if (!bytes) return String(d);
    return bytes;
  };
  const JSONp = (realm.global.JSON as JSON).parse;
  define(S, "write", fn("write", (n: unknown, d: unknown, offset?: unknown, size?: unknown) => {
    if (d === undefined) throw new DeviceError("Storage.write: data is undefined");
    storage.write(name(n), data(d), Number(offset ?? 0) | 0, Number(size ?? 0) | 0);
    return true;
  }));
  define(S, "writeJSON", fn("writeJSON", (n: unknown, v: unknown) => {
    storage.write(name(n), (realm.global.JSON as JSON).stringify(v));
    return true;
  }));
  define(S, "read", fn("read", (n: unknown, offset?: unknown, length?: unknown) =>
    storage.read(name(n), Number(offset ?? 0) | 0, length === undefined ? undefined : Number(length) | 0)));
  define(S, "readJSON", fn("readJSON", (n: unknown, noExceptions?: unknown) => {
    const text = storage.read(name(n));
    if (text === undefined) return undefined;
    try {
      return JSONp(text);
    } catch (error) {
      if (noExceptions) return undefined;
      throw new DeviceError(`JSON.parse: ${(error as Error).message}`);
    }
  }));
  define(S, "readArrayBuffer", fn("readArrayBuffer", (n: unknown) => {
    const bytes = storage.readBytes(name(n));
    if (!bytes) return undefined;
    const out = new realm.Uint8Array(bytes.length);
    out.set(bytes);
    return out.buffer;
  }));
  define(S, "erase", fn("erase", (n: unknown) => storage.erase(name(n))));
  define(S, "eraseAll", fn("eraseAll", () => storage.eraseAll()));
  define(S, "compact", fn("compact", () => storage.compact()));
  define(S, "getFree", fn("getFree", () => storage.getFree()));
  define(S, "getStats", fn("getStats", () => object(storage.stats())));
  define(S, "list", fn("list", (pattern?: unknown) => {
    // The device realm's RegExp lacks the flag getters (builtins.ts): test through the host's prototype.
    const test = Object.prototype.toString.call(pattern) === "[object RegExp]"
      ? (n: string) => { (pattern as RegExp).lastIndex = 0; return RegExp.prototype.test.call(pattern, n); }
      : typeof pattern === "string" ? (n: string) => n.includes(pattern) : undefined;
    return array(storage.list(test));
  }));
  return S;
}
