// What Espruino's global scope lacks: derived from the interpreter's own sources
// and TypeScript's standard library (tools/gate/derive-builtins.ts writes
// espruino-builtins.generated.ts; run it again after an upstream release).
// test/tools/gate/interpreter.test.ts checks every entry on the interpreter
// when ESPRUINO_BIN is set. Non-standard names (Node's queueMicrotask, V8's
// Error.captureStackTrace, Annex B's getYear) are not listed: an app's type
// check (tools/build/typecheck.ts, the standard library only) refuses them.
import {
  DERIVED_E_MEMBERS, DERIVED_MISSING_GLOBALS, DERIVED_MISSING_METHODS, DERIVED_MISSING_STATICS,
} from "./espruino-builtins.generated.ts";

/** Globals that do not exist (espruino.md §1 names the first eight: Symbol, Map, Set, WeakMap, WeakSet, Proxy, Reflect, RangeError). */
export const MISSING_GLOBALS: readonly string[] = DERIVED_MISSING_GLOBALS;

/** Statics that rules of their own report, with a better hint (rules.ts): the generic rule leaves them. */
const OWN_RULES: Readonly<Record<string, readonly string[]>> = {
  Object: ["freeze", "seal", "is"], Array: ["from", "of"], String: ["raw"], Promise: ["race", "allSettled", "any"],
};

export const TYPED_ARRAYS: readonly string[] = ["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array",
  "Uint16Array", "Int32Array", "Uint32Array", "Float32Array", "Float64Array"];

/** Static members that read as undefined, by global (typed arrays: MISSING_TYPED_ARRAY_STATICS). */
export const MISSING_STATICS: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  Object.entries(DERIVED_MISSING_STATICS)
    .filter(([owner]) => !TYPED_ARRAYS.includes(owner))
    .map(([owner, names]) => [owner, names.filter((n) => !OWN_RULES[owner]?.includes(n))] as const)
    .filter(([, names]) => names.length),
);

/** Typed-array statics that read as undefined (besides from/of, a rule of their own). */
export const MISSING_TYPED_ARRAY_STATICS: readonly string[] = (DERIVED_MISSING_STATICS.Uint8Array ?? []).filter((n) => n !== "from" && n !== "of");

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
 * Instance methods no standard built-in of Espruino has, by the built-in that
 * has them in standard JavaScript (`lastIndexOf` works on strings, so it is not one).
 */
export const MISSING_METHODS: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  // Promise's finally has a rule of its own (rules.ts).
  Object.entries(DERIVED_MISSING_METHODS).map(([owner, names]) => [owner, owner === "Promise" ? names.filter((n) => n !== "finally") : names] as const).filter(([, names]) => names.length),
);

/** The members of `E` (in any build): a name that differs only in case is a typo (`E.crc32`). */
export const E_MEMBERS: readonly string[] = DERIVED_E_MEMBERS;
