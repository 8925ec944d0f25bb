/**
 * Which computed member keys in confined code can never be a forbidden name
 * (dialect.ts), so that `o[k]` needs no run-time guard. On Espruino the guard
 * costs ~16k instructions an access (a ternary and a string compare are read
 * token by token), so a typed-array loop `a[i]` must not pay it.
 *
 * Usage: `const safe = keySafety(analysis); safe(node)` → true when the
 * expression's value is a non-string primitive or a string known not to be
 * forbidden.
 *
 * How: a whole-program, flow-insensitive inference over one app's bundled
 * code (every module of the app and its LibOS, as rollup flattened them), so
 * that nothing outside what it sees can assign a variable or call a function
 * it reasons about. Three kinds, from most to least known:
 *   PRIM    a number, boolean, undefined or null: `+` of two stays a number;
 *   SAFE    PRIM, or a string that is neither a forbidden name nor a built-in
 *           method's (a literal, typeof);
 *   UNKNOWN anything else (an object's toString may return "__proto__").
 * A variable's kind is the meet of every value ever assigned to it; a
 * function that is only ever called directly (never passed, stored, exported
 * or used with `arguments`) gets the meet of its call sites' arguments for
 * its parameters, and its calls the meet of its `return`s. Iterated to a
 * fixed point from the top (PRIM), so cycles settle at the safe answer.
 */
import type * as acorn from "acorn";
import { forbiddenMember, nativeMethod } from "./dialect.ts";
import { isFunction, type AnyNode, type Analysis, type Decl } from "../../gate/scope.ts";

const PRIM = 2;
const SAFE = 1;
const UNKNOWN = 0;
type Kind = 0 | 1 | 2;

type Fn = acorn.FunctionDeclaration | acorn.FunctionExpression | acorn.ArrowFunctionExpression;

const NUMERIC_OPS = new Set(["-", "*", "/", "%", "|", "&", "^", "<<", ">>", ">>>"]);
const BOOLEAN_OPS = new Set(["==", "!=", "===", "!==", "<", "<=", ">", ">=", "in", "instanceof"]);
/** Built-in calls that always return a number (Math cannot be changed by confined code: dialect.ts). */
const NUMERIC_CALLS = new Set(["parseInt", "parseFloat", "Number"]);
const BOOLEAN_CALLS = new Set(["isNaN", "isFinite", "Boolean"]);

const meet = (a: Kind, b: Kind): Kind => (a < b ? a : b);

export function keySafety(a: Analysis): (node: AnyNode) => boolean {
  const kindOf = new Map<Decl, Kind>();
  const returns = new Map<Fn, Kind>();
  /** Every value a declaration is given: an expression, or a fixed kind. */
  const writes = new Map<Decl, (AnyNode | Kind)[]>();
  /** Names declared twice in one scope: the analysis keeps the first, so trust neither. */
  const redeclared = new Set<string>();
  /** Functions bound to a name and only ever called through it. */
  const direct = new Map<Decl, Fn>();
  const calls = new Map<Fn, acorn.CallExpression[]>();

  const write = (decl: Decl | null | undefined, value: AnyNode | Kind) => {
    if (!decl) return;
    const list = writes.get(decl) ?? [];
    list.push(value);
    writes.set(decl, list);
  };
  const declOfId = (id: AnyNode): Decl | null | undefined =>
    id.type === "Identifier" ? (a.declOf.get(id) ?? a.refOf.get(id)?.decl) : undefined;

  for (const node of a.nodes) {
    switch (node.type) {
      case "VariableDeclarator": {
        if (node.id.type !== "Identifier") break;
        const decl = a.declOf.get(node.id);
        if (!decl) { redeclared.add(node.id.name); break; }
        const parent = a.parentOf.get(a.parentOf.get(node)!);
        const loopHead = parent && (parent.type === "ForInStatement" || parent.type === "ForOfStatement") && a.keyOf.get(a.parentOf.get(node)!) === "left";
        write(decl, loopHead ? UNKNOWN : node.init ?? PRIM);
        if (node.init && isFunction(node.init) && decl.kind === "const") direct.set(decl, node.init);
        break;
      }
      case "FunctionDeclaration": {
        const exported = a.parentOf.get(node)?.type.startsWith("Export");
        if (node.id && !a.declOf.get(node.id)) redeclared.add(node.id.name);
        else if (node.id && !exported) direct.set(a.declOf.get(node.id)!, node);
        break;
      }
      case "AssignmentExpression":
        if (node.left.type === "Identifier") write(declOfId(node.left), node);
        break;
      case "UpdateExpression":
        if (node.argument.type === "Identifier") write(declOfId(node.argument), isPrefixIncrement(node) ? node : PRIM);
        break;
      case "ForInStatement":
      case "ForOfStatement":
        if (node.left.type === "Identifier") write(declOfId(node.left), UNKNOWN);
        break;
    }
  }

  // A function expression's own name calls it too (`const f = function g() { g(…) }`).
  for (const fn of [...direct.values()]) {
    const own = fn.type === "FunctionExpression" && fn.id ? a.declOf.get(fn.id) : undefined;
    if (own) direct.set(own, fn);
  }
  // A function stays "direct" only if every reference to each of its names is a plain call of it.
  const escaped = new Set<Fn>();
  for (const ref of a.refs) {
    const fn = ref.decl && direct.get(ref.decl);
    if (!fn) continue;
    const parent = a.parentOf.get(ref.id);
    if (parent?.type === "CallExpression" && parent.callee === ref.id) calls.set(fn, [...(calls.get(fn) ?? []), parent]);
    else escaped.add(fn);
  }
  for (const [d, fn] of direct) if (escaped.has(fn) || usesArguments(a, fn)) direct.delete(d);
  const directFns = new Set(direct.values());

  const declKind = (decl: Decl): Kind => {
    if (redeclared.has(decl.name)) return UNKNOWN;
    return kindOf.get(decl) ?? PRIM;
  };

  const expr = (node: AnyNode): Kind => {
    switch (node.type) {
      case "Literal":
        if (typeof node.value === "string") return forbiddenMember(node.value) || nativeMethod(node.value) ? UNKNOWN : SAFE;
        if ("regex" in node && node.regex) return UNKNOWN;
        if (typeof node.value === "bigint") return UNKNOWN;
        return PRIM;
      case "TemplateLiteral":
        return node.expressions.length === 0 && !forbiddenMember(node.quasis[0]?.value.cooked ?? "") && !nativeMethod(node.quasis[0]?.value.cooked ?? "") ? SAFE : UNKNOWN;
      case "Identifier": {
        const ref = a.refOf.get(node);
        if (!ref) return UNKNOWN;
        if (!ref.decl) return node.name === "undefined" || node.name === "NaN" || node.name === "Infinity" ? PRIM : UNKNOWN;
        return declKind(ref.decl);
      }
      case "UnaryExpression":
        return node.operator === "typeof" ? SAFE : PRIM;
      case "UpdateExpression":
        // Espruino's `++k` of a string appends "1" ("__proto__\0" + "1" is read as __proto__); k++ and --k are numbers.
        return isPrefixIncrement(node) && expr(node.argument as AnyNode) !== PRIM ? UNKNOWN : PRIM;
      case "BinaryExpression":
        if (NUMERIC_OPS.has(node.operator) || BOOLEAN_OPS.has(node.operator)) return PRIM;
        if (node.operator === "+") return expr(node.left) === PRIM && expr(node.right) === PRIM ? PRIM : UNKNOWN;
        return UNKNOWN;
      case "LogicalExpression":
        return meet(expr(node.left), expr(node.right));
      case "ConditionalExpression":
        return meet(expr(node.consequent), expr(node.alternate));
      case "SequenceExpression":
        return expr(node.expressions[node.expressions.length - 1]!);
      case "AssignmentExpression":
        if (node.operator === "=") return expr(node.right);
        if (node.operator === "+=") return expr(node.left) === PRIM && expr(node.right) === PRIM ? PRIM : UNKNOWN;
        if (node.operator === "&&=" || node.operator === "||=" || node.operator === "??=") return meet(expr(node.left), expr(node.right));
        return PRIM;
      case "CallExpression":
        return callKind(node);
      default:
        return UNKNOWN;
    }
  };

  const callKind = (node: acorn.CallExpression): Kind => {
    const callee = node.callee;
    if (callee.type === "Identifier") {
      const ref = a.refOf.get(callee);
      if (!ref) return UNKNOWN;
      if (!ref.decl) return NUMERIC_CALLS.has(callee.name) ? PRIM : BOOLEAN_CALLS.has(callee.name) ? PRIM : UNKNOWN;
      const fn = direct.get(ref.decl);
      return fn ? (returns.get(fn) ?? PRIM) : UNKNOWN;
    }
    // Math.floor(x), Date.now(): globals confined code cannot shadow or change.
    if (callee.type === "MemberExpression" && !callee.computed && callee.object.type === "Identifier" && callee.property.type === "Identifier") {
      const ref = a.refOf.get(callee.object);
      if (ref && !ref.decl && (callee.object.name === "Math" || (callee.object.name === "Date" && callee.property.name === "now"))) return PRIM;
    }
    return UNKNOWN;
  };

  const paramsOf = (fn: Fn): Map<Decl, number> => {
    const out = new Map<Decl, number>();
    fn.params.forEach((p, i) => {
      const d = p.type === "Identifier" ? a.declOf.get(p) : undefined;
      if (d) out.set(d, i);
    });
    return out;
  };
  const params = new Map<Decl, Fn>();
  const paramIndex = new Map<Decl, number>();
  for (const node of a.nodes) {
    if (!isFunction(node)) continue;
    for (const [d, i] of paramsOf(node)) {
      params.set(d, node);
      paramIndex.set(d, i);
    }
  }
  const returnsOf = new Map<Fn, AnyNode[]>();
  for (const node of a.nodes) {
    if (node.type !== "ReturnStatement") continue;
    const fn = enclosingFunction(a, node);
    if (fn) returnsOf.set(fn, [...(returnsOf.get(fn) ?? []), node]);
  }

  // Fixed point, from the top down.
  for (let changed = true, rounds = 0; changed && rounds < 100; rounds++) {
    changed = false;
    const settle = (decl: Decl, kind: Kind) => {
      if (kind < (kindOf.get(decl) ?? PRIM)) {
        kindOf.set(decl, kind);
        changed = true;
      }
    };
    for (const [decl, list] of writes) for (const w of list) settle(decl, typeof w === "number" ? w : expr(w));
    for (const [decl, fn] of params) {
      if (!directFns.has(fn)) { settle(decl, UNKNOWN); continue; }
      const i = paramIndex.get(decl)!;
      for (const call of calls.get(fn) ?? []) settle(decl, i < call.arguments.length ? expr(call.arguments[i] as AnyNode) : PRIM);
    }
    for (const decl of a.declOf.values()) {
      if (decl.kind === "catch" || decl.kind === "class" || decl.kind === "class-name" || decl.kind === "function" || decl.kind === "function-name" || decl.kind === "import") settle(decl, UNKNOWN);
    }
    for (const fn of directFns) {
      let kind: Kind = PRIM; // falling off the end returns undefined
      for (const r of returnsOf.get(fn) ?? []) {
        const arg = (r as acorn.ReturnStatement).argument;
        kind = meet(kind, arg ? expr(arg) : PRIM);
      }
      if (fn.type === "ArrowFunctionExpression" && fn.expression) kind = expr(fn.body as AnyNode);
      if (kind < (returns.get(fn) ?? PRIM)) {
        returns.set(fn, kind);
        changed = true;
      }
    }
  }
  return (node) => expr(node) >= SAFE;
}

const isPrefixIncrement = (node: acorn.UpdateExpression): boolean => node.prefix && node.operator === "++";

function enclosingFunction(a: Analysis, node: AnyNode): Fn | undefined {
  for (let p = a.parentOf.get(node); p; p = a.parentOf.get(p)) if (isFunction(p)) return p;
  return undefined;
}

/** `arguments` read in `fn` itself (a sloppy function's `arguments[i] = v` rewrites its parameter). */
function usesArguments(a: Analysis, fn: Fn): boolean {
  for (const ref of a.refs) {
    if (ref.id.name !== "arguments" || ref.decl) continue;
    let p = a.parentOf.get(ref.id);
    while (p && !(isFunction(p) && p.type !== "ArrowFunctionExpression")) p = a.parentOf.get(p);
    if (p === fn) return true;
  }
  return false;
}
