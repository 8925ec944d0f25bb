// What Espruino's global scope lacks, measured on the interpreter (2v29, the
// Linux build of upstream c5ff787: `typeof X` / `typeof X.y` for every
// standard ECMAScript global and static member that Node 20 has). The ESP32
// build has no more than this. test/tools/gate/interpreter.test.ts re-checks
// every entry when ESPRUINO_BIN is set.

/** Globals that do not exist (espruino.md §1 names the first eight). */
export const MISSING_GLOBALS: readonly string[] = [
  "Symbol", "Map", "Set", "WeakMap", "WeakSet", "Proxy", "Reflect", "RangeError",
  // measured beyond the table:
  "AggregateError", "EvalError", "URIError", "BigInt", "BigInt64Array", "BigUint64Array",
  "WeakRef", "FinalizationRegistry", "Intl", "Atomics", "SharedArrayBuffer", "Iterator",
  "decodeURI", "encodeURI", "escape", "unescape", "queueMicrotask", "structuredClone",
  "TextEncoder", "TextDecoder", "URL",
];

/**
 * Static members that read as undefined, by global. Those with a rule of their
 * own (Object.freeze/seal/is, Array.from/of, String.raw, Promise.race/allSettled/any,
 * <TypedArray>.from/of) are not repeated here.
 */
export const MISSING_STATICS: Readonly<Record<string, readonly string[]>> = {
  Object: ["getOwnPropertySymbols", "hasOwn", "preventExtensions", "isExtensible", "isFrozen", "isSealed"],
  Number: ["isFinite", "isInteger", "isNaN", "isSafeInteger", "parseFloat", "parseInt",
    "MAX_SAFE_INTEGER", "MIN_SAFE_INTEGER", "EPSILON"],
  Math: ["acosh", "asinh", "atanh", "cbrt", "expm1", "clz32", "cosh", "fround", "hypot", "imul",
    "log1p", "log2", "log10", "sinh", "tanh", "trunc"],
  String: ["fromCodePoint"],
  Date: ["UTC"],
  ArrayBuffer: ["isView"],
  Error: ["captureStackTrace"],
};

export const TYPED_ARRAYS: readonly string[] = ["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array",
  "Uint16Array", "Int32Array", "Uint32Array", "Float32Array", "Float64Array"];

/** Typed-array statics that read as undefined (besides from/of). */
export const MISSING_TYPED_ARRAY_STATICS: readonly string[] = ["BYTES_PER_ELEMENT"];

/**
 * Built-in constructors a class cannot extend: with `super()` each fails
 * (measured for every one listed; the table names Error and Array).
 */
export const BUILTIN_CONSTRUCTORS: readonly string[] = [
  "Error", "TypeError", "SyntaxError", "ReferenceError", "RangeError", "EvalError", "URIError", "AggregateError",
  "Array", "Object", "Function", "String", "Number", "Boolean", "RegExp", "Date", "Promise",
  "ArrayBuffer", "DataView", ...TYPED_ARRAYS,
];

/**
 * Espruino's lexer turns these words into tokens (src/jslex.h, LEX_R_*), so
 * they cannot name a class member, a getter/setter, or a variable; `.of` /
 * `{of: 1}` / `{of() {}}` are fine. JavaScript itself already forbids most of
 * them as variable names; `of`, `static`, `let` and `undefined` it allows.
 */
export const ESPRUINO_KEYWORDS: readonly string[] = [
  "if", "else", "do", "while", "for", "break", "continue", "function", "return", "var", "let", "const",
  "this", "throw", "try", "catch", "finally", "true", "false", "null", "undefined", "new", "in",
  "instanceof", "switch", "case", "default", "delete", "typeof", "void", "debugger", "class",
  "extends", "super", "static", "of",
];

/**
 * Instance methods Espruino lacks, by the built-in that has them in Node 20
 * (measured: `typeof [][m]`, `typeof "s"[m]`, … on the interpreter; reading a
 * missing member of a string throws there). Only names that no Espruino
 * built-in has at all: `lastIndexOf` works on strings, `slice` on arrays.
 */
export const MISSING_METHODS: Readonly<Record<string, readonly string[]>> = {
  "Array and typed arrays": ["at", "copyWithin", "findLast", "findLastIndex", "flat", "flatMap", "reduceRight",
    "toReversed", "toSorted", "toSpliced", "with", "keys", "values", "entries"],
  String: ["codePointAt", "matchAll", "normalize", "localeCompare", "search", "trimStart", "trimEnd", "trimLeft",
    "trimRight", "toLocaleLowerCase", "toLocaleUpperCase", "isWellFormed", "toWellFormed"],
  Number: ["toExponential", "toPrecision", "toLocaleString"],
  Date: ["toDateString", "toTimeString", "toGMTString", "setUTCDate", "setUTCFullYear", "setUTCHours",
    "setUTCMilliseconds", "setUTCMinutes", "setUTCMonth", "setUTCSeconds", "getYear", "setYear",
    "toLocaleDateString", "toLocaleTimeString"],
  Object: ["isPrototypeOf", "propertyIsEnumerable", "__defineGetter__", "__defineSetter__", "__lookupGetter__", "__lookupSetter__"],
  DataView: ["getBigInt64", "setBigInt64", "getBigUint64", "setBigUint64"],
};

/** The members of `E` (the Linux build: `Object.getOwnPropertyNames(E)`): a name that differs only in case is a typo (`E.crc32`). */
export const E_MEMBERS: readonly string[] = ["CRC32", "FFT", "HSBtoRGB", "asUTF8", "asm", "clip", "compiledC",
  "connectSDCard", "convolve", "decodeUTF8", "defrag", "dumpFragmentation", "dumpFreeList", "dumpLockedVars", "dumpStr",
  "dumpVariables", "enableWatchdog", "fromUTF8", "getAddressOf", "getAnalogVRef", "getClock", "getConsole",
  "getErrorFlags", "getFlags", "getPowerUsage", "getSizeOf", "getTemperature", "hwRand", "internal", "isUTF8",
  "kickWatchdog", "lockConsole", "lookupNoCase", "mapInPlace", "memoryArea", "memoryMap", "nativeCall", "openFile",
  "pipe", "reboot", "reverseByte", "setBootCode", "setClock", "setConsole", "setDST", "setFlags", "setPassword",
  "setTimeZone", "srand", "stopEventPropagation", "sum", "toArrayBuffer", "toFlatString", "toJS", "toString",
  "toUint8Array", "unmountSD", "variance"];
