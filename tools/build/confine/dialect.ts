/**
 * The confined dialect: what app and LibOS code may write, so that it can
 * never hold a reference to anything shared — the global object, a built-in
 * prototype or namespace, the Function constructor, a kernel closure's scope
 * or code — and so never change what the kernel or another app computes.
 *
 * Why these rules (measured on Espruino 2v29, shared/espruino.md §2b): one
 * realm, no strict mode, no Object.freeze, writable built-ins; `f["\xFFsco"]`
 * reads a function's closure scope and `f["\xFFcod"] = "…"` replaces its
 * code; `g.replaceWith(f)` runs f's code in g's scope; `bind` of a bound
 * native deep-copies its bound arguments (so a revoked pin keeps working);
 * `super.x = v` writes the parent class's prototype;
 * `Object.getOwnPropertyDescriptor(new Error(), "__proto__").value` is
 * Error.prototype. Reading a built-in's method (`Math.floor`) makes a fresh
 * native each time, so only the namespace objects themselves are shared.
 *
 * Contract: doc/xrd/xrd105-caps.md §Isolation lists every escape class and
 * the rule or runtime guard that closes it.
 */

/**
 * Member names confined code may never read, write or define (statically or at run time).
 * `caller`, `callee` and `arguments` do not exist on Espruino; on V8 (the simulator) they reach
 * the kernel's frames.
 */
export const FORBIDDEN_MEMBERS: ReadonlySet<string> = new Set(["constructor", "__proto__", "prototype", "bind", "replaceWith", "caller", "callee", "arguments"]);

/**
 * The interpreter's built-in methods on the values apps can make (Array, String, typed arrays,
 * DataView, Date, RegExp, Number, Object, Function, Error, Promise: every `"type": "method"` of
 * those classes in Espruino 2v29's src/jswrap_*.c). Called on anything but their own kind they
 * crash it (measured: `const pop = [].pop; pop()` and `[].pop.call({})` fail an assertion and
 * the Linux build exits; so do `slice` and `"".slice`). A read of a member by one of these names
 * that is not called in place (`a.pop()`) nor used as data (`x.fill === 0`) goes through a
 * run-time check (rewrite.ts) that refuses a native function value.
 */
export const NATIVE_METHODS: ReadonlySet<string> = new Set([
  "addListener", "apply", "bind", "call", "catch", "charAt", "charCodeAt", "clone", "concat", "emit", "endsWith", "every",
  "exec", "fill", "filter", "find", "findIndex", "forEach", "getDate", "getDay", "getFloat32", "getFloat64", "getFullYear",
  "getHours", "getInt16", "getInt32", "getInt8", "getIsDST", "getMilliseconds", "getMinutes", "getMonth", "getSeconds",
  "getTime", "getTimezoneOffset", "getUTCDate", "getUTCDay", "getUTCFullYear", "getUTCHours", "getUTCMilliseconds",
  "getUTCMinutes", "getUTCMonth", "getUTCSeconds", "getUint16", "getUint32", "getUint8", "hasOwnProperty", "includes",
  "indexOf", "join", "lastIndexOf", "map", "match", "on", "padEnd", "padStart", "pop", "prependListener", "push", "reduce",
  "removeAccents", "removeAllListeners", "removeListener", "repeat", "replace", "replaceAll", "replaceWith", "reverse", "set",
  "setDate", "setFloat32", "setFloat64", "setFullYear", "setHours", "setInt16", "setInt32", "setInt8", "setMilliseconds",
  "setMinutes", "setMonth", "setSeconds", "setTime", "setUint16", "setUint32", "setUint8", "shift", "slice", "some", "sort",
  "splice", "split", "startsWith", "subarray", "substr", "substring", "test", "then", "toFixed", "toISOString", "toJSON",
  "toLocalISOString", "toLowerCase", "toString", "toUTCString", "toUpperCase", "trim", "unshift", "valueOf",
]);

/** Espruino keeps a function's code, scope and bound arguments in members whose name starts with this byte. */
export const HIDDEN_PREFIX = 0xff;

/**
 * A name as the interpreter compares it: the ESP32's build has no Unicode,
 * and its lexer keeps the low byte of a `\uXXXX` escape ("\u0100" is a NUL,
 * "\u01FF" is \xFF), and names are compared only up to a NUL
 * ("__proto__\0" is __proto__).
 */
export function deviceName(full: string): string {
  let name = "";
  for (let i = 0; i < full.length; i++) {
    const c = full.charCodeAt(i) & 0xff;
    if (c === 0) break;
    name += String.fromCharCode(c);
  }
  return name;
}

/** Is `name` (as the interpreter reads it) one of the built-in methods of NATIVE_METHODS? */
export const nativeMethod = (name: string): boolean => NATIVE_METHODS.has(deviceName(name));

/**
 * `emit` queues an object's listeners (registered with `on`) to run after
 * the current callback, outside any upcall: no fault, no CPU or memory
 * charged to the app, code running after the kernel stopped it. A call of
 * a member by this name is checked at run time: it must not be the native.
 */
export const EMIT = "emit";

/** A member name confined code may not use, and why; undefined when it may. Judged as the interpreter reads it (deviceName). */
export function forbiddenMember(full: string): string | undefined {
  const name = deviceName(full);
  if (name.charCodeAt(0) === HIDDEN_PREFIX) return "names starting with \\xFF are the interpreter's hidden members (a function's code and scope)";
  if (!FORBIDDEN_MEMBERS.has(name)) return undefined;
  if (name !== full) return "the interpreter reads this name as " + name + " (up to a NUL, the low byte of each character)";
  if (name === "bind") return "a copy made with bind outlives revocation on Espruino: use an arrow function";
  if (name === "replaceWith") return "replaceWith runs code in another function's scope";
  if (name === "caller" || name === "callee" || name === "arguments") return "reaches the calling frames (on the simulator's V8)";
  return "leads to a shared prototype or the Function constructor";
}

/** Names the build itself injects into confined code (the guards): apps may not declare them. */
export const RESERVED_PREFIX = "__exo";

/** How a built-in global may be used. */
export interface BuiltinUse {
  /** May be read as a value (undefined, NaN, Infinity). */
  value?: boolean;
  /** `G(…)`. */
  call?: boolean;
  /** `new G(…)`. */
  construct?: boolean;
  /** `x instanceof G`. */
  instance?: boolean;
  /** `G.member` (read or called) is allowed for any member not named here or forbidden. */
  statics?: boolean;
  /** Static members that are refused, with why. */
  denied?: Record<string, string>;
}

const REFLECTION = "returns or changes prototypes and hidden members, which the kernel and other apps share";
const SELF = "returns the built-in itself (or a copy with its statics), which the kernel and other apps share";
const EVENTS = "the interpreter runs a built-in's listeners outside the kernel's guard";
/** Every built-in is an object: the members all objects and functions inherit that hand it over or queue code. */
const INHERITED: Record<string, string> = {
  valueOf: SELF, clone: SELF, on: EVENTS, addListener: EVENTS, prependListener: EVENTS, emit: EVENTS,
  removeListener: EVENTS, removeAllListeners: EVENTS,
};
const CONSTRUCTOR: BuiltinUse = { call: true, construct: true, instance: true, statics: true, denied: INHERITED };
const FUNCTION: BuiltinUse = { call: true };

/**
 * The globals confined code may name, and how. Anything else (digitalWrite,
 * setTimeout, D5, E, require, global, eval, Function, console, Promise …) is
 * refused: hardware, time and the console reach apps only as capabilities.
 * A built-in may never be a plain value (`const M = Math`), an assignment
 * target (`Math.floor = f`) or a base class: that is how a shared object is
 * changed.
 */
export const BUILTINS: Readonly<Record<string, BuiltinUse>> = {
  undefined: { value: true },
  NaN: { value: true },
  Infinity: { value: true },
  Object: {
    ...CONSTRUCTOR,
    denied: {
      ...INHERITED,
      fromEntries: "a key \"__proto__\" sets the prototype on Espruino (a number there crashes the interpreter): build the object with a loop",
      getPrototypeOf: REFLECTION, setPrototypeOf: REFLECTION, getOwnPropertyDescriptor: REFLECTION,
      getOwnPropertyDescriptors: REFLECTION, getOwnPropertyNames: REFLECTION, defineProperties: REFLECTION,
    },
  },
  Array: CONSTRUCTOR,
  String: CONSTRUCTOR,
  Number: CONSTRUCTOR,
  Boolean: CONSTRUCTOR,
  Math: { statics: true, denied: INHERITED },
  JSON: { statics: true, denied: INHERITED },
  Date: CONSTRUCTOR,
  RegExp: CONSTRUCTOR,
  Error: CONSTRUCTOR,
  TypeError: CONSTRUCTOR,
  SyntaxError: CONSTRUCTOR,
  ReferenceError: CONSTRUCTOR,
  ArrayBuffer: CONSTRUCTOR,
  DataView: CONSTRUCTOR,
  Int8Array: CONSTRUCTOR,
  Uint8Array: CONSTRUCTOR,
  Uint8ClampedArray: CONSTRUCTOR,
  Int16Array: CONSTRUCTOR,
  Uint16Array: CONSTRUCTOR,
  Int32Array: CONSTRUCTOR,
  Uint32Array: CONSTRUCTOR,
  Float32Array: CONSTRUCTOR,
  Float64Array: CONSTRUCTOR,
  parseInt: FUNCTION,
  parseFloat: FUNCTION,
  isNaN: FUNCTION,
  isFinite: FUNCTION,
  encodeURIComponent: FUNCTION,
  decodeURIComponent: FUNCTION,
};

/** Why a global outside BUILTINS is refused, for the few a newcomer reaches for first. */
export function refusedGlobal(name: string): string {
  if (name === "Promise") return "Promise callbacks run outside the kernel's guard (no fault isolation, no CPU accounting): use caps.timer.after";
  return "not a plain language built-in: hardware, timers and the console reach apps only as capabilities (caps.pins, caps.timer, caps.services)";
}
