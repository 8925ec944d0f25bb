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
 * comparison stops); `native` for a native function taken as a value.
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
    name === "replaceWith" || name === "caller" || name === "callee" || name === "arguments") throw refuse(full);
  return full;
}

/**
 * A value read off an object where it escapes (rewrite.ts): a built-in method
 * taken off its object crashes the interpreter when it is called on anything
 * else (`const pop = [].pop; pop()` fails an assertion), so a native function
 * is refused; anything else passes. Natives print as "[native code]"; an app
 * function that prints so is refused too, which is safe.
 */
export function native(v: unknown): unknown {
  if (typeof v === "function" && ("" + v).indexOf("[native code]") >= 0) throw fail(EACCES, "app code may not take a built-in method off its object (call it in place)");
  return v;
}
