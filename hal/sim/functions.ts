/**
 * Espruino's own function and object built-ins that an app can reach, as the
 * simulated device models them: `bind` (re-binding copies the bound
 * arguments), `Object.prototype.clone`, `Function.prototype.replaceWith`,
 * and the hidden members `f["\xFFcod"]` and `f["\xFFsco"]`.
 *
 * Usage (device.ts, after the API, before the memory estimator's ROM snapshot):
 *   const functions = installFunctionBuiltins(realm, { fn, guard, isApi, pinNumber });
 *   functions.describe(f)   // a bound or cloned function's parts, for the memory estimate
 *   functions.source(f)     // Espruino's text of a function (what f.toString() gives)
 *
 * Errors (device-visible): `bind` on a non-function throws TypeError
 * "Function.bind expects to be called on function, got …"; `replaceWith` with a
 * non-function throws TypeError "Argument should be a function"; what the
 * simulator cannot model throws an Error naming it "not modelled by the simulator".
 *
 * Contract (measured on Espruino 2v29; source: src/jswrap_object.c, src/jsvar.c):
 *   - `f.bind(t, …args)`: a bound function. Binding a bound function again
 *     (`w.bind(u)`) copies its earlier bound arguments (jsvCopy: an array or
 *     object is copied one level, so `h[0] = undefined` on the holder does
 *     not reach `w.bind(u)`'s copy) and replaces its `this`. `w.call(u, 1)`
 *     and `w.apply` use the bound arguments themselves.
 *   - `x.clone()`: a shallow copy (own properties, same prototype); a bound
 *     function's copy shares its bound arguments; a built-in function's copy
 *     is the function itself (`digitalWrite.clone() === digitalWrite` holds on
 *     the interpreter too). A typed array or ArrayBuffer throws here: the
 *     interpreter fails an assertion and halts.
 *   - `f.replaceWith(g)`: f keeps its scope and takes g's code. Modelled when
 *     f has no scope of its own: a bound built-in (the kernel's capability
 *     pattern, `digitalWrite.bind(undefined, holder)`) or a function bound to a
 *     top-level function: f then runs g's code in the global scope (g's text
 *     evaluated there again), with g's bound arguments and `this` copied.
 *     Not modelled (throws): f a function of device code that is not bound
 *     (the interpreter swaps its code in place and keeps its closure: a
 *     function defined where `secret = 1`, swapped into one whose scope has
 *     `secret = 42`, returns 42; a V8 function's code cannot be swapped), f
 *     bound to a closure, and f an unbound built-in (each read of a built-in
 *     on the interpreter makes a fresh function; here they are shared).
 *   - `f["\xFFcod"]`: the function's code text as Espruino keeps it (the
 *     body from its first token, without a leading `return`); undefined for
 *     built-ins and an empty body. Assigning it throws (not modelled: the
 *     interpreter runs the new text in the function's scope).
 *   - `f["\xFFsco"]`: undefined for built-ins and functions defined at the top
 *     level; for a function defined inside another, reading it throws (not
 *     modelled: on the interpreter it is the scope itself, an object whose
 *     keys are the enclosing function's variables, writable); assigning it
 *     throws.
 *   - `f.toString()` is Espruino's text, `function (a,b) {code}` (name
 *     dropped, the code as `\xFFcod` keeps it); a built-in's is
 *     `function () { [native code] }`, a bound function's its target's.
 *   - `f.caller` and `f.arguments` are undefined, as on Espruino (V8 would
 *     hand a sloppy function's caller and live arguments to anyone).
 */
import { types } from "node:util";
import { listOf, type Guard } from "./guard.ts";
import type { DeviceRealm } from "./espruino-api.ts";
import { DeviceError } from "./device-error.ts";

/** Espruino's hidden members of a function. */
export const CODE = "\xFFcod";
export const SCOPE = "\xFFsco";

interface BoundRecord {
  /** What the bound function calls. */
  f: Function;
  /** Its bound `this`. */
  t: unknown;
  /** Its bound arguments (a device array, so the memory estimate walks it as one). */
  a: unknown[];
  /** `f` runs in the global scope (a built-in, a top-level function, or code put there by replaceWith). */
  global: boolean;
}

export interface FunctionKit {
  fn<A extends unknown[], R>(name: string, impl: (this: unknown, ...args: A) => R): (...args: A) => R;
  guard: Guard;
  /** True for the API's own functions. */
  isApi(value: Function): boolean;
  pinNumber(value: unknown): number | undefined;
}

export interface FunctionBuiltins {
  /** A bound function's target, `this` and arguments, or a clone's original; undefined otherwise. */
  describe(f: Function): [string, unknown][] | undefined;
  /** Espruino's text for `f` (as `f.toString()` gives it), or undefined for code the simulator did not rewrite. */
  source(f: Function): string | undefined;
  /** Device-realm functions made here (ROM for the memory estimate). */
  natives: object[];
}

const notModelled = (what: string): DeviceError => new DeviceError(`${what} is not modelled by the simulator (see hal/sim/functions.ts)`);
const nativeText = /\{\s*\[native code\]\s*\}$/;
const NATIVE_TEXT = "function () { [native code] }";

export function installFunctionBuiltins(realm: DeviceRealm, kit: FunctionKit): FunctionBuiltins {
  const { fn, guard } = kit;
  const global = realm.global;
  const bound = new WeakMap<Function, BoundRecord>();
  const clones = new WeakMap<Function, Function>();
  const natives: object[] = [];
  const toText = Function.prototype.toString;

  const isNative = (f: Function): boolean => {
    if (kit.isApi(f)) return true;
    if (bound.has(f) || clones.has(f)) return false;
    try {
      return nativeText.test(toText.call(f));
    } catch {
      return false;
    }
  };

  // Device-realm function factories (the wrappers must be functions of the device realm; strict, so no caller leaks).
  const factories = guard.evaluateRaw(`[
    function (call, rec) { "use strict"; return function () { return call(rec, arguments); }; },
    function (call, target) { "use strict"; return function () { return call(target, this, arguments); }; }
  ]`) as [(call: Function, rec: BoundRecord) => Function, (call: Function, target: Function) => Function];
  natives.push(factories[0], factories[1]);
  const callBound = fn("bound", (rec: BoundRecord, args: ArrayLike<unknown>) => Reflect.apply(rec.f, rec.t, listOf(args, rec.a)));
  const callClone = fn("clone", (target: Function, self: unknown, args: ArrayLike<unknown>) => Reflect.apply(target, self, listOf(args)));

  const array = (items: unknown[]): unknown[] => {
    const out = new realm.Array();
    for (let i = 0; i < items.length; i++) out[i] = items[i];
    return out;
  };
  const makeBound = (rec: BoundRecord): Function => {
    const f = factories[0](callBound, rec);
    bound.set(f, rec);
    return f;
  };

  /** jsvCopy(x, true): a shallow copy; built-in functions and pins are themselves. */
  const copy = (value: unknown, strict: boolean): unknown => {
    if (typeof value !== "object" && typeof value !== "function") return value;
    if (value === null || kit.pinNumber(value) !== undefined) return value;
    if (typeof value === "function") {
      const rec = bound.get(value);
      if (rec) return makeBound({ ...rec, a: array(rec.a) });
      if (isNative(value)) return value;
      const original = clones.get(value) ?? value;
      const clone = factories[1](callClone, original);
      clones.set(clone, original);
      copyOwn(value, clone);
      return clone;
    }
    if (ArrayBuffer.isView(value) || Object.prototype.toString.call(value) === "[object ArrayBuffer]") {
      if (strict) throw notModelled("clone() of a typed array or ArrayBuffer (the interpreter fails an assertion and halts)");
      return value;
    }
    if (Array.isArray(value)) {
      const out = new realm.Array();
      copyOwn(value, out);
      return out;
    }
    const proto = Object.getPrototypeOf(value) as object | null;
    const out: object = types.isDate(value) ? new (global.Date as DateConstructor)(Date.prototype.getTime.call(value)) : Object.create(proto);
    copyOwn(value as object, out);
    return out;
  };
  const copyOwn = (from: object, to: object) => {
    for (const key of Object.getOwnPropertyNames(from)) {
      if (typeof from === "function" && (key === "length" || key === "name" || key === "arguments" || key === "caller")) continue;
      if (Array.isArray(from) && key === "length") continue;
      const descriptor = Object.getOwnPropertyDescriptor(from, key)!;
      try {
        Object.defineProperty(to, key, descriptor);
      } catch {
        // a non-configurable own property of the target (a function's prototype): assign instead
        if ("value" in descriptor) (to as Record<string, unknown>)[key] = descriptor.value;
      }
    }
  };

  /** g's code as a fresh function of the global scope (what f runs after f.replaceWith(g), f having no scope). */
  const inGlobalScope = (g: Function): Function => {
    const info = guard.info(g);
    if (!info) throw notModelled("replaceWith() with a function whose text the simulator does not know");
    let made: unknown;
    try {
      made = guard.evaluate(`(${info.expression})`);
    } catch {
      throw notModelled(`replaceWith() with this function's code in the global scope`);
    }
    if (typeof made !== "function") throw notModelled("replaceWith() with this function");
    return made;
  };

  const functionPrototype = realm.Function.prototype as unknown as Record<string, unknown>;
  const define = (target: object, name: string, value: unknown) =>
    Object.defineProperty(target, name, { value, writable: true, configurable: true, enumerable: false });
  const typeName = (v: unknown) => (v === null ? "null" : typeof v);

  define(functionPrototype, "bind", fn("bind", function (this: unknown, thisArg: unknown, ...args: unknown[]) {
    if (typeof this !== "function") throw new DeviceError(`Function.bind expects to be called on function, got ${typeName(this)}`, "TypeError");
    const rec = bound.get(this);
    if (rec) return makeBound({ f: rec.f, t: thisArg, a: array([...rec.a.map((v) => copy(v, false)), ...args]), global: rec.global });
    const info = isNative(this) ? undefined : guard.info(this);
    return makeBound({ f: this, t: thisArg, a: array(args), global: isNative(this) || (info !== undefined && !info.nested) });
  }));

  define(realm.Object.prototype, "clone", fn("clone", function (this: unknown) {
    if (this === undefined || this === null) return undefined;
    return copy(this, true);
  }));

  define(functionPrototype, "replaceWith", fn("replaceWith", function (this: unknown, g: unknown) {
    if (typeof this !== "function" || typeof g !== "function") throw new DeviceError("Argument should be a function", "TypeError");
    const rec = bound.get(this);
    if (!rec) {
      throw notModelled(
        isNative(this)
          ? "replaceWith() on a built-in function (on the interpreter each read of a built-in is a fresh copy; here they are shared)"
          : "replaceWith() on a function of device code (on the interpreter it keeps the function's scope and swaps its code)",
      );
    }
    if (!rec.global) throw notModelled("replaceWith() on a function bound to a closure (the interpreter keeps the closure's scope)");
    const grec = bound.get(g);
    if (grec) {
      rec.f = grec.global && isNative(grec.f) ? grec.f : inGlobalScope(grec.f);
      rec.t = grec.t;
      rec.a = array(grec.a.map((v) => copy(v, false)));
    } else {
      rec.f = isNative(g) ? g : inGlobalScope(clones.get(g) ?? g);
      rec.t = undefined;
      rec.a = array([]);
    }
    rec.global = true;
  }));

  const codeOf = (f: Function): string | undefined => {
    const rec = bound.get(f);
    const target = rec ? rec.f : (clones.get(f) ?? f);
    if (isNative(target)) return undefined;
    const info = guard.info(target);
    if (!info) throw notModelled('f["\\xFFcod"] of a function whose text the simulator does not know');
    return info.code;
  };
  const scopeOf = (f: Function): undefined => {
    const rec = bound.get(f);
    if (rec ? rec.global : isNative(f)) return undefined;
    const info = guard.info(rec ? rec.f : (clones.get(f) ?? f));
    if (info && !info.nested) return undefined;
    throw notModelled('f["\\xFFsco"] (a function\'s scope, readable and writable on the interpreter)');
  };
  Object.defineProperty(functionPrototype, CODE, {
    configurable: true,
    enumerable: false,
    get: fn("get", function (this: unknown) {
      return typeof this === "function" ? codeOf(this) : undefined;
    }),
    set: fn("set", function () {
      throw notModelled('assigning f["\\xFFcod"] (the interpreter runs the new text in the function\'s scope)');
    }),
  });
  Object.defineProperty(functionPrototype, SCOPE, {
    configurable: true,
    enumerable: false,
    get: fn("get", function (this: unknown) {
      return typeof this === "function" ? scopeOf(this) : undefined;
    }),
    set: fn("set", function () {
      throw notModelled('assigning f["\\xFFsco"]');
    }),
  });

  // Espruino has no fn.caller or fn.arguments: undefined (V8 throws for strict functions, the only kind the rewrite leaves).
  for (const name of ["caller", "arguments"]) {
    Object.defineProperty(functionPrototype, name, {
      configurable: true,
      enumerable: false,
      get: fn("get", () => undefined),
      set: fn("set", () => undefined),
    });
  }

  /** Espruino's text of a function: `function (a,b) {code}`, a built-in's `function () { [native code] }`. */
  const source = (f: Function): string | undefined => {
    const rec = bound.get(f);
    const target = rec ? rec.f : (clones.get(f) ?? f);
    if (isNative(target)) return NATIVE_TEXT;
    const info = guard.info(target);
    if (!info) return undefined;
    return `function (${info.params.join(",")}) {${info.returns ? "return " : ""}${info.code ?? ""}}`;
  };
  const originalToString = functionPrototype.toString as Function;
  define(functionPrototype, "toString", fn("toString", function (this: unknown) {
    if (typeof this === "function") {
      const text = source(this);
      if (text !== undefined) return text;
    }
    return Reflect.apply(originalToString, this, []);
  }));

  return {
    describe(f) {
      const rec = bound.get(f);
      if (rec) return [["[[TargetFunction]]", rec.f], ["[[BoundThis]]", rec.t], ["[[BoundArgs]]", rec.a]];
      const original = clones.get(f);
      if (original) return [["[[TargetFunction]]", original]];
      return undefined;
    },
    source,
    natives,
  };
}
