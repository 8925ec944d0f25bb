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

/** Member names confined code may never read, write or define (statically or at run time). */
export const FORBIDDEN_MEMBERS: ReadonlySet<string> = new Set(["constructor", "__proto__", "prototype", "bind", "replaceWith"]);

/** Espruino keeps a function's code, scope and bound arguments in members whose name starts with this byte. */
export const HIDDEN_PREFIX = 0xff;

/** A member name confined code may not use, and why; undefined when it may. */
export function forbiddenMember(name: string): string | undefined {
  if (name.charCodeAt(0) === HIDDEN_PREFIX) return "names starting with \\xFF are the interpreter's hidden members (a function's code and scope)";
  if (!FORBIDDEN_MEMBERS.has(name)) return undefined;
  if (name === "bind") return "a copy made with bind outlives revocation on Espruino: use an arrow function";
  if (name === "replaceWith") return "replaceWith runs code in another function's scope";
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
const CONSTRUCTOR: BuiltinUse = { call: true, construct: true, instance: true, statics: true };
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
      getPrototypeOf: REFLECTION, setPrototypeOf: REFLECTION, getOwnPropertyDescriptor: REFLECTION,
      getOwnPropertyDescriptors: REFLECTION, getOwnPropertyNames: REFLECTION, defineProperties: REFLECTION,
    },
  },
  Array: CONSTRUCTOR,
  String: CONSTRUCTOR,
  Number: CONSTRUCTOR,
  Boolean: CONSTRUCTOR,
  Math: { statics: true },
  JSON: { statics: true },
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
