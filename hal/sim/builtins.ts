/**
 * What the interpreter lacks: the V8 built-ins removed from the simulated device's context.
 *
 * Usage: `restrictToEspruino(context)` once, right after `vm.createContext`.
 *
 * Errors: none at install time. Afterwards, device code that names a removed
 * global fails with a ReferenceError and a removed method reads as undefined
 * ("… is not a function") — as on the chip, only louder: the chip sometimes
 * throws, sometimes reads undefined. `Object.create(p, props)` throws, as on
 * the chip, and so does `Object.defineProperty(ies)` on a typed array, an
 * ArrayBuffer or a string (Espruino keeps no own properties there).
 *
 * Source: measured on Espruino 2v29 (Linux build, upstream c5ff787) by
 * evaluating `typeof` of every global and every own member of V8's built-in
 * constructors and prototypes (members reached through instances, because
 * Espruino reads `X.prototype.m` as undefined even when `x.m` works).
 * Kept in V8 although Espruino lacks them, because V8's own built-ins need
 * them: the RegExp flag getters (`flags`, `global`, …), `Error.captureStackTrace`
 * and `Error.stackTraceLimit` (e.stack must keep working), and the own
 * `name`/`length` of functions.
 */
import { types } from "node:util";
import vm from "node:vm";

/** Globals of a fresh V8 context that Espruino 2v29 does not have. */
export const MISSING_GLOBALS = [
  "Symbol", "Map", "Set", "WeakMap", "WeakSet", "WeakRef", "FinalizationRegistry",
  "Proxy", "Reflect", "BigInt", "BigInt64Array", "BigUint64Array",
  "AggregateError", "EvalError", "RangeError", "URIError",
  "Intl", "SharedArrayBuffer", "Atomics", "WebAssembly",
  "decodeURI", "encodeURI", "escape", "unescape",
  // Node adds these to its own global, not to vm contexts; listed so a future V8 cannot sneak them in.
  "queueMicrotask", "structuredClone", "setImmediate", "clearImmediate", "fetch",
  "Iterator", "DisposableStack", "AsyncDisposableStack", "SuppressedError", "Float16Array",
] as const;

/**
 * Members Espruino 2v29 does not have, by owner. `%TypedArray%` is the common
 * parent of the typed array classes; `*TypedArray*` means every typed array class.
 */
export const MISSING_MEMBERS: Record<string, readonly string[]> = {
  Object: [
    "getOwnPropertySymbols", "hasOwn", "is", "preventExtensions", "seal", "freeze",
    "isExtensible", "isFrozen", "isSealed", "groupBy",
  ],
  "Object.prototype": [
    "__defineGetter__", "__defineSetter__", "__lookupGetter__", "__lookupSetter__",
    "isPrototypeOf", "propertyIsEnumerable", "toLocaleString",
  ],
  Array: ["from", "of", "fromAsync"],
  "Array.prototype": [
    "at", "copyWithin", "findLast", "findLastIndex", "lastIndexOf", "keys", "entries", "values",
    "flat", "flatMap", "reduceRight", "toLocaleString", "toReversed", "toSorted", "toSpliced", "with",
  ],
  Number: [
    "isFinite", "isInteger", "isNaN", "isSafeInteger", "parseFloat", "parseInt",
  ],
  "Number.prototype": ["toExponential", "toPrecision", "toLocaleString"],
  String: ["fromCodePoint", "raw"],
  "String.prototype": [
    "anchor", "at", "big", "blink", "bold", "codePointAt", "fontcolor", "fontsize", "fixed",
    "isWellFormed", "italics", "link", "localeCompare", "matchAll", "normalize", "search",
    "small", "strike", "sub", "sup", "toWellFormed", "trimStart", "trimLeft", "trimEnd",
    "trimRight", "toLocaleLowerCase", "toLocaleUpperCase",
  ],
  Math: [
    "acosh", "asinh", "atanh", "cbrt", "expm1", "clz32", "cosh", "fround", "hypot", "imul",
    "log1p", "log2", "log10", "sinh", "tanh", "trunc", "f16round",
  ],
  Promise: ["allSettled", "any", "race", "withResolvers", "try"],
  "Promise.prototype": ["finally"],
  Date: ["UTC"],
  "Date.prototype": [
    "toDateString", "toTimeString", "toGMTString", "setUTCDate", "setUTCFullYear", "setUTCHours",
    "setUTCMilliseconds", "setUTCMinutes", "setUTCMonth", "setUTCSeconds", "getYear", "setYear",
    "toLocaleString", "toLocaleDateString", "toLocaleTimeString",
  ],
  "RegExp.prototype": ["compile"],
  "Error.prototype": ["name"],
  ArrayBuffer: ["isView"],
  "ArrayBuffer.prototype": ["slice", "maxByteLength", "resizable", "resize", "transfer", "transferToFixedLength", "detached"],
  "DataView.prototype": ["getBigInt64", "setBigInt64", "getBigUint64", "setBigUint64", "getFloat16", "setFloat16"],
  "%TypedArray%": ["from", "of"],
  "%TypedArray%.prototype": [
    "entries", "keys", "values", "at", "copyWithin", "findLast", "findLastIndex", "lastIndexOf",
    "reduceRight", "toLocaleString", "toReversed", "toSorted", "with",
  ],
};

/** Remove from `context` what Espruino lacks (see the tables above); returns what V8 would not let go. */
export function restrictToEspruino(context: vm.Context): string[] {
  const global = vm.runInContext("this", context) as Record<string, any>;
  const typedArray = Object.getPrototypeOf(global.Uint8Array);
  const owners = (path: string): object[] => {
    const [head, ...rest] = path.split(".");
    let owner = head === "%TypedArray%" ? typedArray : global[head];
    for (const part of rest) owner = owner?.[part];
    return owner ? [owner] : [];
  };
  const stuck: string[] = [];
  for (const [path, members] of Object.entries(MISSING_MEMBERS)) {
    for (const owner of owners(path)) for (const member of members) if (!Reflect.deleteProperty(owner, member)) stuck.push(`${path}.${member}`);
  }
  // Espruino's Object.create takes one argument and throws on the second (espruino.md §1).
  vm.runInContext(
    `(function (original) {
      Object.defineProperty(Object, "create", { configurable: true, writable: true, value: function create(proto, properties) {
        if (properties !== undefined) throw new Error("Object.create(proto, properties) is not supported by Espruino: pass one argument");
        return original(proto);
      } });
    })(Object.create)`,
    context,
  );
  // Espruino keeps no properties of its own on a typed array, an ArrayBuffer or a string:
  // Object.defineProperty(ies) throw there (measured: "First argument must be Object, Function or Array, got Uint8Array").
  const rawKind = (value: unknown): string | undefined =>
    typeof value === "string" ? "String" : types.isTypedArray(value) || types.isArrayBuffer(value) ? Object.prototype.toString.call(value).slice(8, -1) : undefined;
  vm.runInContext(
    `(function (define, defineAll, rawKind) {
      define(Object, "defineProperty", { configurable: true, writable: true, value: function defineProperty(object, key, descriptor) {
        var kind = rawKind(object);
        if (kind) throw new Error("First argument must be Object, Function or Array, got " + kind);
        return define(object, key, descriptor);
      } });
      define(Object, "defineProperties", { configurable: true, writable: true, value: function defineProperties(object, properties) {
        var kind = rawKind(object);
        if (kind) throw new Error("First argument must be Object, got " + kind);
        return defineAll(object, properties);
      } });
    })`,
    context,
  )(global.Object.defineProperty, global.Object.defineProperties, Object.setPrototypeOf(rawKind, global.Function.prototype));
  for (const name of MISSING_GLOBALS) if (!Reflect.deleteProperty(global, name)) stuck.push(name);
  return stuck;
}
