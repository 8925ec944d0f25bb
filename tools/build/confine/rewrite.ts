/**
 * The run-time half of confinement: two guards the build writes into app and
 * LibOS code, for what no static check can decide.
 *
 *  - `this`. Espruino has no strict mode: a method called detached, passed
 *    as a callback or called with `.call(undefined)` gets the global object.
 *    Each `this` becomes `(this===G?void 0:this)` (G is the global, bound by
 *    the app's loader), or, in a function that uses it twice or more, one
 *    `var T = …` at its top. Measured in a class method on the interpreter:
 *    the test costs ~21k instructions a use (`===` calls valueOf on both
 *    sides), the `var` and one test ~28k a call.
 *  - Computed member keys (`o[k]`) that keys.ts cannot prove safe become
 *    `o[K(k)]`: K (firmware/confine.ts) turns the key into a primitive once
 *    (an object's toString runs once, so check and use see the same name)
 *    and throws on a forbidden one.
 *  - A read whose value could be a built-in method (a computed one, or
 *    `o.pop` with a NATIVE_METHODS name) and that escapes (not called in
 *    place, not used as data) becomes `N(o.pop)`: N refuses a native function
 *    (called on anything but its own kind, one crashes the interpreter).
 *  - `o.emit(…)` becomes `E(o).emit(…)`: E refuses the native emit, which
 *    runs listeners outside the kernel's guard (dialect.ts EMIT).
 *  - `JSON.parse(t)` becomes `J(t)`: J refuses text with a key the
 *    interpreter would make the prototype (firmware/confine.ts json).
 *
 * Usage: `rewriteConfined(magic, analysis)` edits the MagicString of the code
 * the analysis was made of; returns how many guards it wrote.
 */
import type MagicString from "magic-string";
import { isFunction, type AnyNode, type Analysis } from "../../gate/scope.ts";
import { staticKeyName } from "../../gate/scope.ts";
import { calledInPlace, usedInPlace } from "./check.ts";
import { EMIT, deviceName, nativeMethod } from "./dialect.ts";
import { keySafety } from "./keys.ts";

/** Names the loader binds for the guards (firmware/confine.ts, hal/espruino/realm.ts). */
export const KEY_GUARD = "__exoK";
/** The check of a read whose value escapes and could be a built-in method: refuses a native function. */
export const NATIVE_GUARD = "__exoN";
export const GLOBAL = "__exoG";
/** `o.emit(…)` becomes `E(o).emit(…)`: E refuses an object whose emit is the native (dialect.ts EMIT). */
export const EMIT_GUARD = "__exoE";
/** `JSON.parse` becomes J (firmware/confine.ts json): text with a key "__proto__" is refused. */
export const JSON_GUARD = "__exoJ";
const THIS = "__exoT";
/** Uses of `this` in one function above which one `var` is cheaper than a test per use. */
const INLINE_THIS_USES = 1;

const guardedThis = `(this===${GLOBAL}?void 0:this)`;

/** How many guards of each kind a rewrite wrote. */
export interface GuardCounts {
  keys: number;
  natives: number;
  thisUses: number;
  emits: number;
  jsons: number;
}
export const noGuards = (): GuardCounts => ({ keys: 0, natives: 0, thisUses: 0, emits: 0, jsons: 0 });

export function rewriteConfined(s: MagicString, a: Analysis): GuardCounts {
  const safe = keySafety(a);
  let keys = 0;
  let natives = 0;
  let emits = 0;
  let jsons = 0;
  // Computed keys first (inner edits before outer ones keep MagicString's positions simple).
  for (const node of a.nodes) {
    // `super[k]` too: on Espruino it is the parent class's prototype's member (k = "__proto__": Object.prototype).
    if (node.type !== "MemberExpression") continue;
    const name = staticKeyName(node.property, node.computed);
    const key = node.property as AnyNode;
    const keySafe = name !== null || safe(key);
    if (!keySafe) {
      s.appendLeft(key.start, KEY_GUARD + "(");
      s.prependRight(key.end, ")");
      keys++;
    }
    // A value that could be a built-in method taken off its object: checked where it escapes.
    if ((!keySafe || (name !== null && nativeMethod(name))) && !usedInPlace(a, node)) {
      s.appendLeft(node.start, NATIVE_GUARD + "(");
      s.prependRight(node.end, ")");
      natives++;
    } else if (name !== null && deviceName(name) === EMIT && node.object.type !== "Super" && calledInPlace(a, node)) {
      s.appendLeft(node.object.start, EMIT_GUARD + "(");
      s.prependRight(node.object.end, ")");
      emits++;
    }
    // JSON.parse, the global (check.ts refuses any other use of the name JSON but its statics).
    if (name === "parse" && node.object.type === "Identifier" && node.object.name === "JSON" && !a.refOf.get(node.object)?.decl) {
      s.overwrite(node.start, node.end, JSON_GUARD, { contentOnly: true });
      jsons++;
    }
  }

  // `this`: grouped by the function whose `this` it is.
  const uses = new Map<AnyNode, AnyNode[]>();
  for (const node of a.nodes) {
    if (node.type !== "ThisExpression") continue;
    const owner = thisOwner(a, node);
    if (!owner) continue; // refused by check.ts
    uses.set(owner, [...(uses.get(owner) ?? []), node]);
  }
  let thisUses = 0;
  for (const [owner, list] of uses) {
    thisUses += list.length;
    const body = isFunction(owner) && owner.body.type === "BlockStatement" ? owner.body : undefined;
    if (list.length > INLINE_THIS_USES && body && !isDerivedConstructor(a, owner)) {
      s.appendRight(body.start + 1, `var ${THIS}=${guardedThis.slice(1, -1)};`);
      for (const t of list) s.overwrite(t.start, t.end, THIS, { contentOnly: true });
    } else {
      for (const t of list) s.overwrite(t.start, t.end, guardedThis, { contentOnly: true });
    }
  }
  return { keys, natives, thisUses, emits, jsons };
}

/** The non-arrow function (or class field) whose `this` a ThisExpression is. */
function thisOwner(a: Analysis, node: AnyNode): AnyNode | undefined {
  for (let p = a.parentOf.get(node); p; p = a.parentOf.get(p)) {
    if (p.type === "FunctionDeclaration" || p.type === "FunctionExpression") return p;
    if (p.type === "PropertyDefinition" || p.type === "StaticBlock") return p;
  }
  return undefined;
}

/** A constructor of a class with `extends`: `this` exists only after `super(…)`, so no `var` at its top. */
function isDerivedConstructor(a: Analysis, fn: AnyNode): boolean {
  const method = a.parentOf.get(fn);
  if (!method || method.type !== "MethodDefinition" || method.kind !== "constructor") return false;
  const cls = a.parentOf.get(a.parentOf.get(method)!);
  return !!cls && (cls.type === "ClassDeclaration" || cls.type === "ClassExpression") && !!cls.superClass;
}
