/**
 * The computed-key guard the build writes into app and LibOS code
 * (tools/build/confine/rewrite.ts): `o[k]` becomes `o[K(k)]` wherever the
 * build cannot prove `k` harmless.
 *
 * Usage: only through the build's rewrite; apps cannot name it.
 *
 * Errors: throws EACCES for a key confined code may not use (a forbidden
 * member of tools/build/confine/dialect.ts: constructor, __proto__,
 * prototype, bind, replaceWith, or a name starting with \xFF — on Espruino
 * `f["\xFFsco"]` is a function's closure scope and `f["\xFFcod"]` its code).
 *
 * Contract: the key is made a primitive exactly once (an object's
 * toString/valueOf runs once), and that primitive is what is checked and
 * what the access uses: no change between check and use.
 */
import { EACCES, fail } from "./errors.ts";

export function key(k: unknown): unknown {
  if (typeof k === "number") return k;
  const name = typeof k === "string" ? k : "" + k;
  if (name.charCodeAt(0) === 255 || name === "constructor" || name === "__proto__" || name === "prototype" || name === "bind" || name === "replaceWith") {
    throw fail(EACCES, "app code may not use the member " + JSON.stringify(name));
  }
  return name;
}
