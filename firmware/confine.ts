/**
 * The computed-key guard the build writes into app and LibOS code
 * (tools/build/confine/rewrite.ts): `o[k]` becomes `o[K(k)]` wherever the
 * build cannot prove `k` harmless.
 *
 * Usage: only through the build's rewrite; apps cannot name it.
 *
 * Errors: throws EACCES for a key confined code may not use (a forbidden
 * member of tools/build/confine/dialect.ts: constructor, __proto__,
 * prototype, bind, replaceWith, caller, callee, arguments, a name starting
 * with \xFF — on Espruino `f["\xFFsco"]` is a function's closure scope and
 * `f["\xFFcod"]` its code — or holding a NUL, where the interpreter's name
 * comparison stops, or `emit`, whose native runs listeners outside the
 * kernel's guard); `native` for a native function taken as a value;
 * `emitter` for an object whose `emit` is the native one; `json` for text
 * with a key the interpreter would make the prototype.
 *
 * Contract: the key is made a primitive exactly once (an object's
 * toString/valueOf runs once), and that primitive is what is checked and
 * what the access uses: no change between check and use.
 */
import { EACCES, fail } from "./errors.ts";

const refuse = (name: string) => fail(EACCES, "app code may not use the member " + JSON.stringify(name));

export function key(k: unknown): unknown {
  if (typeof k === "number") return k;
  const full = typeof k === "string" ? k : "" + k;
  // The interpreter compares a name only up to a NUL: judge that part. Indexing, not charCodeAt.
  const nul = full.indexOf("\0");
  const name = nul < 0 ? full : full.slice(0, nul);
  if (name[0] === "\xFF" || name === "constructor" || name === "__proto__" || name === "prototype" || name === "bind" ||
    name === "replaceWith" || name === "caller" || name === "callee" || name === "arguments" || name === "emit") throw refuse(full);
  return full;
}

const isNative = (v: unknown): boolean => typeof v === "function" && ("" + v).indexOf("[native code]") >= 0;

/**
 * A value read off an object where it escapes (rewrite.ts): a built-in method
 * taken off its object crashes the interpreter when it is called on anything
 * else (`const pop = [].pop; pop()` fails an assertion), so a native function
 * is refused; anything else passes. Natives print as "[native code]"; an app
 * function that prints so is refused too, which is safe.
 */
export function native(v: unknown): unknown {
  if (isNative(v)) throw fail(EACCES, "app code may not take a built-in method off its object (call it in place)");
  return v;
}

/**
 * `o` before `o.emit(…)` (rewrite.ts): Espruino's built-in `emit` queues the
 * listeners `on` registered, and the interpreter runs them after the current
 * callback, outside any upcall (no fault, no CPU or memory charged, code
 * that runs after the kernel stopped the app). An app's own emit passes.
 */
export function emitter(o: { emit?: unknown }): unknown {
  if (isNative(o.emit)) throw fail(EACCES, "app code may not call the interpreter's emit (its listeners run outside the kernel): call your own function");
  return o;
}

/**
 * `JSON.parse` for app code (rewrite.ts). Espruino's parser stores a key
 * "__proto__" as the object's prototype, whatever the value: a number
 * there makes any later member read fail an assertion, and the interpreter
 * exits. Such text (the name spelled with escapes too) is refused.
 */
export function json(text: unknown): unknown {
  const t = typeof text === "string" ? text : "" + text;
  if (t.indexOf("__proto__") >= 0 || (t.indexOf("\\") >= 0 && unescaped(t).indexOf("__proto__") >= 0)) {
    throw fail(EACCES, "app code may not parse JSON with a key \"__proto__\" (the interpreter would make it the prototype)");
  }
  return JSON.parse(t);
}

/** `t` with its string escapes read as the interpreter's lexer reads them (jslex.c: \uXXXX, \xXX, octal, \c), one byte each. */
function unescaped(t: string): string {
  let out = "";
  let i = 0;
  for (let j = t.indexOf("\\"); j >= 0; j = t.indexOf("\\", i)) {
    out += t.substring(i, j);
    const c = t.charAt(j + 1);
    let end = j + 2;
    if (c === "u" || c === "x") {
      end += c === "u" ? 4 : 2;
      out += String.fromCharCode(parseInt(t.substring(j + 2, end), 16) & 0xff);
    } else if (c >= "0" && c <= "7") {
      while (end < j + 4 && t.charAt(end) >= "0" && t.charAt(end) <= "7") end++;
      out += String.fromCharCode(parseInt(t.substring(j + 1, end), 8) & 0xff);
    } else {
      out += c;
    }
    i = end;
  }
  return out + t.substring(i);
}
