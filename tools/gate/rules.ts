// The rules: one per construct of the "fails" column of espruino.md §1 that
// can be found in the text of the bundle. Each names the construct as the
// table does and says in one line how to write it so that Espruino runs it.
//
// Rows of the table that are NOT checked here, and why:
//  - "`then` callbacks are queued events, not microtasks": a difference in
//    timing, not a construct; only tests on the interpreter can show it.
//  - "`enumerable:false` is ignored": writing it is harmless; only code that
//    relies on the property being hidden breaks, which is not visible in text.
//  - "`TypeError` is not `instanceof Error`": `e instanceof Error` is legal and
//    usually meant; whether the error is a TypeError is only known at run time.
//  - "out of memory is not catchable": depends on run-time sizes (see the
//    build's size report).
//  - `e.name` is found only on a `catch (e)` parameter or the first parameter
//    of a `.catch(fn)` callback; `arr.length = n` only when the target is not
//    `this` (own classes may have a plain `length` field); `.buffer.slice(...)`
//    only through the names `buffer` / `ArrayBuffer`; static members only for
//    classes bound to a name in the bundle. These need types to be exact.
//
// Rules after the table's rows come from running the interpreter (see
// espruino-builtins.ts and regexp.ts): missing statics and globals, keyword
// names, ||= &&= ??=, static blocks, RegExp syntax, import(), and instance
// methods Espruino lacks (Array at/flat/findLast/keys…, String codePointAt/
// matchAll/trimStart…, Number toPrecision…) where nothing in the bundle
// defines a member of that name: without types `x.at(i)` may be the
// program's own method, but only a built-in can supply a name nobody defines.
// Not checked: Function .name, and methods that one built-in has and another
// lacks (`lastIndexOf` works on strings, not on arrays).
import type * as acorn from "acorn";
import { findHoistingViolations } from "./hoisting.ts";
import { isFunction, staticKeyName, type Analysis, type AnyNode } from "./scope.ts";
import {
  BUILTIN_CONSTRUCTORS, ESPRUINO_KEYWORDS, E_MEMBERS, MISSING_GLOBALS, MISSING_METHODS, MISSING_STATICS,
  MISSING_TYPED_ARRAY_STATICS, TYPED_ARRAYS,
} from "./espruino-builtins.ts";
import { unsupportedRegExp } from "./regexp.ts";
import { findStaticInheritance } from "./statics.ts";

/** A place where a rule fires, with an optional specific construct and detail. */
export interface Hit {
  node: AnyNode | { start: number; end: number };
  /** Overrides the rule's construct name (e.g. "Object.freeze" for object-freeze-seal-is). */
  construct?: string;
  /** Said before the rule's hint (e.g. which name is used before its declaration). */
  detail?: string;
}

export interface RuleContext {
  analysis: Analysis;
  parent(node: AnyNode): AnyNode | null;
  key(node: AnyNode): string;
  /** An identifier that names a global (not declared anywhere in the bundle). */
  isGlobal(node: AnyNode, name?: string): boolean;
  /** Text of a bundle offset as "file:line" in the original source, for details. */
  where(offset: number): string;
  /** The original (unmangled) name of the identifier at a bundle offset, if the map records it. */
  nameAt(offset: number, fallback: string): string;
}

export interface Rule {
  id: string;
  /** The construct, named as in espruino.md §1. */
  construct: string;
  /** How to write it instead. */
  hint: string;
  /** Node types the detector looks at; it runs once for each such node. */
  on?: readonly AnyNode["type"][];
  detect?: (node: AnyNode, ctx: RuleContext) => Hit | null;
  /** Whole-program analyses run once. */
  detectAll?: (ctx: RuleContext) => Hit[];
}

// ---------------------------------------------------------------- helpers

/** `Obj.prop` where Obj is the global of that name; returns prop's name. */
function globalMember(n: AnyNode, ctx: RuleContext, objects: ReadonlySet<string>): string | null {
  if (n.type !== "MemberExpression" || n.object.type !== "Identifier" || !objects.has(n.object.name)) return null;
  if (!ctx.isGlobal(n.object)) return null;
  return staticKeyName(n.property, n.computed);
}

function memberName(n: AnyNode): string | null {
  return n.type === "MemberExpression" ? staticKeyName(n.property, n.computed) : null;
}

function isWriteTarget(n: AnyNode, ctx: RuleContext): boolean {
  const p = ctx.parent(n);
  const k = ctx.key(n);
  return !!p && ((p.type === "AssignmentExpression" && k === "left") || p.type === "UpdateExpression" ||
    ((p.type === "ForInStatement" || p.type === "ForOfStatement") && k === "left"));
}

/** A pattern nested in another pattern (reported once, at the outermost). */
function isInsidePattern(n: AnyNode, ctx: RuleContext): boolean {
  for (let p = ctx.parent(n); p; p = ctx.parent(p)) {
    if (p.type === "ObjectPattern" || p.type === "ArrayPattern") return true;
    if (p.type !== "Property" && p.type !== "AssignmentPattern" && p.type !== "RestElement") return false;
  }
  return false;
}

// Array methods that call their callback before they return: a closure passed
// straight to one of them cannot outlive the loop iteration.
const SYNC_CALLBACK_METHODS = new Set(["forEach", "map", "filter", "some", "every", "find", "findIndex",
  "reduce", "reduceRight", "sort", "flatMap", "replace"]);

/** Every function from `inner` out to `outer` is an argument of arr.forEach/map/... */
function onlySynchronousCallbacks(inner: AnyNode, outer: AnyNode, ctx: RuleContext): boolean {
  for (let f: AnyNode | undefined = inner; f && f !== outer; f = ctx.analysis.definedIn.get(f)) {
    const call = ctx.parent(f);
    if (!call || call.type !== "CallExpression" || ctx.key(f) !== "arguments") return false;
    const name = memberName(call.callee);
    if (name === null || !SYNC_CALLBACK_METHODS.has(name)) return false;
  }
  return true;
}

const KEYWORDS = new Set(ESPRUINO_KEYWORDS);
// Keywords of Espruino that JavaScript lets a program use as a variable name.
const KEYWORD_BINDINGS = new Set(["of", "static", "let", "undefined"]);

const S = (...names: string[]): ReadonlySet<string> => new Set(names);
const BUILTINS = new Set(BUILTIN_CONSTRUCTORS);
const MISSING = new Set(MISSING_GLOBALS);
const ARRAY_TYPES = S("Array", ...TYPED_ARRAYS);
const STATIC_OWNERS = S(...Object.keys(MISSING_STATICS), ...TYPED_ARRAYS);
/** Missing instance method → the built-in(s) it belongs to in standard JavaScript. */
const METHOD_OWNER = new Map(Object.entries(MISSING_METHODS).flatMap(([owner, names]) => names.map((m) => [m, owner] as const)));
const E_BY_CASE = new Map(E_MEMBERS.map((m) => [m.toLowerCase(), m]));

/** Every member name the bundle defines: keys, class members, `x.m = …` targets, and any string literal (o["m"], defineProperty). */
function definedNames(ctx: RuleContext): Set<string> {
  const out = new Set<string>();
  for (const n of ctx.analysis.nodes) {
    if (n.type === "Property" || n.type === "MethodDefinition" || n.type === "PropertyDefinition") {
      const k = staticKeyName(n.key, n.computed);
      if (k !== null) out.add(k);
    } else if (n.type === "MemberExpression" && isWriteTarget(n, ctx)) {
      const k = memberName(n);
      if (k !== null) out.add(k);
    } else if (n.type === "Literal" && typeof n.value === "string") out.add(n.value);
  }
  return out;
}

// ---------------------------------------------------------------- the table

export const RULES: readonly Rule[] = [
  {
    id: "syntax",
    construct: "syntax error",
    hint: "the bundle does not parse; fix the build output",
  },
  {
    id: "hoisting",
    construct: "no hoisting",
    hint: "Espruino does not hoist: declare it above the code that runs it",
    detectAll: (ctx) => findHoistingViolations(ctx.analysis).map((h) => ({
      node: h.node,
      detail: h.via
        ? `${ctx.nameAt(h.via.start, h.via.name)}() uses '${ctx.nameAt(h.decl.pos, h.name)}', which is declared later (${ctx.where(h.decl.pos)})`
        : `'${ctx.nameAt(h.decl.pos, h.name)}' is used before its declaration (${ctx.where(h.decl.pos)})`,
    })),
  },
  {
    id: "static-inherit",
    construct: "static members are not inherited",
    hint: "name the class that declares the static member (Base.x), or redeclare it on the subclass",
    detectAll: (ctx) => findStaticInheritance(ctx.analysis).map((h) => ({
      node: h.node,
      detail: `'${h.member}' is a static of ${h.owner}, not of this class`,
    })),
  },
  {
    id: "extends-builtin",
    construct: "extends Error / extends Array (any built-in)",
    hint: "use a plain class that holds an Error or array (composition), or throw new Error(message)",
    on: ["ClassDeclaration", "ClassExpression"],
    detect: (n, ctx) => {
      const sup = (n as acorn.Class).superClass;
      return sup && sup.type === "Identifier" && BUILTINS.has(sup.name) && ctx.isGlobal(sup)
        ? { node: sup, construct: `extends ${sup.name}` } : null;
    },
  },
  {
    id: "computed-member",
    construct: "computed method names",
    hint: "give the class member a plain name",
    on: ["MethodDefinition", "PropertyDefinition"],
    detect: (n) => ((n as acorn.MethodDefinition | acorn.PropertyDefinition).computed ? { node: n } : null),
  },
  {
    id: "private-member",
    construct: "#private",
    hint: "use a plain member (a leading _ by convention) or a closure",
    on: ["MethodDefinition", "PropertyDefinition"],
    detect: (n) => ((n as acorn.MethodDefinition).key.type === "PrivateIdentifier" ? { node: n } : null),
  },
  {
    id: "tagged-template",
    construct: "tagged templates",
    hint: "call the function with the parts instead of tagging a template",
    on: ["TaggedTemplateExpression"],
    detect: (n, ctx) => (globalMember((n as acorn.TaggedTemplateExpression).tag, ctx, S("String")) === "raw" ? null : { node: n }),
  },
  {
    id: "string-raw",
    construct: "String.raw",
    hint: "write the string with escaped backslashes",
    on: ["MemberExpression"],
    detect: (n, ctx) => (globalMember(n, ctx, S("String")) === "raw" ? { node: n } : null),
  },
  {
    id: "loop-closure",
    construct: "for (let i…) closures all see the last value",
    hint: "copy the loop variable into a const inside the body (const j = i) and capture that",
    detectAll: (ctx) => {
      const hits: Hit[] = [];
      const seen = new Set<string>();
      const a = ctx.analysis;
      for (const ref of a.refs) {
        const d = ref.decl;
        if (!d || !d.loop || ref.activation === d.scope.activation) continue;
        if (onlySynchronousCallbacks(ref.activation, d.scope.activation, ctx)) continue;
        const key = `${d.loop.start}:${d.name}`;
        if (seen.has(key)) continue;
        seen.add(key);
        hits.push({ node: ref.id, detail: `'${ctx.nameAt(ref.id.start, d.name)}' of the loop at ${ctx.where(d.loop.start)} is captured by a function` });
      }
      return hits;
    },
  },
  {
    id: "promise-combinator",
    construct: "Promise race / allSettled / any",
    hint: "build it from new Promise(...) and then(), or use Promise.all",
    on: ["MemberExpression"],
    detect: (n, ctx) => {
      const name = globalMember(n, ctx, S("Promise"));
      return name === "race" || name === "allSettled" || name === "any" ? { node: n, construct: `Promise.${name}` } : null;
    },
  },
  {
    id: "promise-finally",
    construct: "Promise finally",
    hint: "use .then(f, f) (or call the cleanup in both then and catch)",
    on: ["CallExpression"],
    detect: (n) => (memberName((n as acorn.CallExpression).callee) === "finally" ? { node: (n as acorn.CallExpression).callee } : null),
  },
  {
    id: "destructuring",
    construct: "destructuring",
    hint: "read the fields one by one (const a = o.a, b = o.b)",
    on: ["ObjectPattern", "ArrayPattern"],
    detect: (n, ctx) => (isInsidePattern(n, ctx) ? null : { node: n }),
  },
  {
    id: "default-param",
    construct: "default params",
    hint: "test for undefined in the body (if (x === undefined) x = ...)",
    on: ["AssignmentPattern"],
    detect: (n, ctx) => (isFunction(ctx.parent(n)) && ctx.key(n) === "params" ? { node: n } : null),
  },
  {
    id: "rest-param",
    construct: "rest params",
    hint: "use the arguments object ([].slice.call(arguments, n))",
    on: ["RestElement"],
    detect: (n, ctx) => (isFunction(ctx.parent(n)) && ctx.key(n) === "params" ? { node: n } : null),
  },
  {
    id: "spread",
    construct: "spread",
    hint: "use fn.apply(this, args), a.concat(b), or Object.assign({}, o)",
    on: ["SpreadElement"],
    detect: (n) => ({ node: n }),
  },
  {
    id: "optional-chaining",
    construct: "?.",
    hint: "test explicitly (a && a.b, or a == null ? undefined : a.b)",
    on: ["ChainExpression"],
    detect: (n) => ({ node: n }),
  },
  {
    id: "exponent",
    construct: "**",
    hint: "use Math.pow(a, b)",
    on: ["BinaryExpression", "AssignmentExpression"],
    detect: (n) => {
      const op = (n as acorn.BinaryExpression | acorn.AssignmentExpression).operator;
      return op === "**" || op === "**=" ? { node: n, construct: op } : null;
    },
  },
  {
    id: "label",
    construct: "labels",
    hint: "use a flag variable or move the loops into a function and return",
    on: ["LabeledStatement", "BreakStatement", "ContinueStatement"],
    detect: (n) => (n.type === "LabeledStatement" || (n as acorn.BreakStatement).label ? { node: n } : null),
  },
  {
    id: "computed-key",
    construct: "computed keys",
    hint: "create the object, then assign o[key] = value",
    on: ["Property"],
    detect: (n, ctx) => ((n as acorn.Property).computed && ctx.parent(n)?.type === "ObjectExpression" ? { node: n } : null),
  },
  {
    id: "generator",
    construct: "generators",
    hint: "write an iterator object by hand, or collect into an array",
    on: ["FunctionDeclaration", "FunctionExpression"],
    detect: (n) => ((n as acorn.Function).generator ? { node: n } : null),
  },
  {
    id: "async",
    construct: "async",
    hint: "return a Promise and chain .then()",
    on: ["FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression"],
    detect: (n) => ((n as acorn.Function).async ? { node: n } : null),
  },
  {
    id: "await",
    construct: "await",
    hint: "chain .then() on the promise",
    on: ["AwaitExpression", "ForOfStatement"],
    detect: (n) => (n.type === "AwaitExpression" || (n as acorn.ForOfStatement).await ? { node: n } : null),
  },
  {
    id: "bigint",
    construct: "bigint",
    hint: "use numbers (exact up to 2^53) or a pair of 32-bit numbers",
    on: ["Literal"],
    detect: (n) => ((n as acorn.Literal).bigint !== undefined ? { node: n } : null),
  },
  {
    id: "new-target",
    construct: "new.target",
    hint: "pass what you need as a constructor argument",
    on: ["MetaProperty"],
    detect: (n) => ((n as acorn.MetaProperty).meta.name === "new" ? { node: n } : null),
  },
  {
    id: "object-freeze-seal-is",
    construct: "Object.freeze/seal/is",
    hint: "drop freeze/seal (keep the object private instead); for Object.is compare with === (and x !== x for NaN)",
    on: ["MemberExpression"],
    detect: (n, ctx) => {
      const name = globalMember(n, ctx, S("Object"));
      return name === "freeze" || name === "seal" || name === "is" ? { node: n, construct: `Object.${name}` } : null;
    },
  },
  {
    id: "object-create-props",
    construct: "Object.create(p, props)",
    hint: "call Object.create(p), then assign or Object.defineProperty each property",
    on: ["CallExpression"],
    detect: (n, ctx) => {
      const c = n as acorn.CallExpression;
      return globalMember(c.callee, ctx, S("Object")) === "create" && c.arguments.length >= 2 ? { node: c } : null;
    },
  },
  {
    id: "builtin-prototype",
    construct: "Array.prototype / Function.prototype / String.prototype methods",
    hint: "reach the method through an instance: [].slice.call(x), fn.call(...), ''.trim.call(s)",
    on: ["MemberExpression"],
    detect: (n, ctx) => {
      const m = n as acorn.MemberExpression;
      if (globalMember(m.object, ctx, S("Array", "Function", "String")) !== "prototype") return null;
      if (isWriteTarget(m, ctx)) return null; // adding a method (a polyfill) is not a read
      const base = ((m.object as acorn.MemberExpression).object as acorn.Identifier).name;
      const prop = staticKeyName(m.property, m.computed);
      return { node: m, construct: `${base}.prototype${prop === null ? "[...]" : "." + prop}` };
    },
  },
  {
    id: "array-from-of",
    construct: "Array.from/of",
    hint: "build the array with a loop (or new Uint8Array(arrayLike) for typed arrays)",
    on: ["MemberExpression"],
    detect: (n, ctx) => {
      const name = globalMember(n, ctx, ARRAY_TYPES);
      if (name !== "from" && name !== "of") return null;
      return { node: n, construct: `${((n as acorn.MemberExpression).object as acorn.Identifier).name}.${name}` };
    },
  },
  {
    id: "length-assign",
    construct: "arr.length = n",
    hint: "use arr.splice(n) to shorten, or build a new array",
    on: ["MemberExpression"],
    detect: (n, ctx) => {
      const m = n as acorn.MemberExpression;
      return memberName(m) === "length" && m.object.type !== "ThisExpression" && isWriteTarget(m, ctx) ? { node: m } : null;
    },
  },
  {
    id: "arraybuffer-slice",
    construct: "ArrayBuffer.slice",
    hint: "slice the typed array instead (new Uint8Array(buf).slice(a, b).buffer, or u8.slice(a, b))",
    on: ["MemberExpression"],
    detect: (n, ctx) => {
      const m = n as acorn.MemberExpression;
      if (memberName(m) !== "slice") return null;
      const o = m.object;
      const onBuffer =
        memberName(o) === "buffer" ||
        (o.type === "MemberExpression" && globalMember(o, ctx, S("ArrayBuffer")) === "prototype") ||
        (o.type === "NewExpression" && o.callee.type === "Identifier" && o.callee.name === "ArrayBuffer" && ctx.isGlobal(o.callee));
      return onBuffer ? { node: m } : null;
    },
  },
  {
    id: "missing-global",
    construct: "Symbol, Map, Set, WeakMap, WeakSet, Proxy, Reflect, RangeError (and others, measured)",
    hint: "not in Espruino: use plain objects keyed by string and arrays (Error for the missing error types)",
    on: ["Identifier"],
    detect: (n, ctx) => {
      const id = n as acorn.Identifier;
      if (!MISSING.has(id.name) || !ctx.isGlobal(id)) return null;
      const p = ctx.parent(n);
      if (p && p.type === "UnaryExpression" && p.operator === "typeof") return null; // feature test
      return { node: n, construct: id.name };
    },
  },
  {
    id: "error-name",
    construct: "e.name is undefined",
    hint: "test e.message, or set and test your own field (e.code)",
    on: ["MemberExpression"],
    detect: (n, ctx) => {
      const m = n as acorn.MemberExpression;
      if (memberName(m) !== "name" || m.object.type !== "Identifier" || isWriteTarget(m, ctx)) return null;
      const d = ctx.analysis.refOf.get(m.object)?.decl;
      return d && (d.kind === "catch" || d.caughtError) ? { node: m } : null;
    },
  },
  {
    id: "array-hole-branch",
    construct: "array hole in a switch case or ternary branch",
    hint: "write undefined in the hole ([1, undefined, 3])",
    on: ["ArrayExpression"],
    detect: (n, ctx) => {
      if (!(n as acorn.ArrayExpression).elements.includes(null)) return null;
      for (let c: AnyNode = n, p = ctx.parent(n); p; c = p, p = ctx.parent(p)) {
        if (p.type === "SwitchCase" && ctx.key(c) === "consequent") return { node: n };
        if (p.type === "ConditionalExpression" && ctx.key(c) !== "test") return { node: n };
      }
      return null;
    },
  },

  // ---- measured on the interpreter, beyond the rows of espruino.md §1 ----
  {
    id: "missing-static",
    construct: "a static member Espruino lacks",
    hint: "write it out (e.g. Math.trunc(x) -> x < 0 ? Math.ceil(x) : Math.floor(x); Number.isInteger(x) -> x === Math.floor(x))",
    on: ["MemberExpression"],
    detect: (n, ctx) => {
      const m = n as acorn.MemberExpression;
      const name = globalMember(m, ctx, STATIC_OWNERS);
      if (name === null) return null;
      const owner = (m.object as acorn.Identifier).name;
      const missing = TYPED_ARRAYS.includes(owner) ? MISSING_TYPED_ARRAY_STATICS : MISSING_STATICS[owner] ?? [];
      return missing.includes(name) ? { node: m, construct: `${owner}.${name}` } : null;
    },
  },
  {
    id: "member-name",
    construct: "class member or getter/setter not named by a plain identifier",
    hint: "Espruino needs a plain name that is not one of its keywords (of, delete, default, new, in, static, ...): rename it",
    on: ["MethodDefinition", "PropertyDefinition", "Property"],
    detect: (n, ctx) => {
      const m = n as acorn.MethodDefinition | acorn.PropertyDefinition | acorn.Property;
      if (m.computed || m.key.type === "PrivateIdentifier") return null; // reported by their own rules
      if (m.type === "Property" && (ctx.parent(m)?.type !== "ObjectExpression" || (m.kind !== "get" && m.kind !== "set"))) return null;
      if (m.key.type === "Identifier" && !KEYWORDS.has(m.key.name)) return null;
      const name = m.key.type === "Identifier" ? m.key.name : JSON.stringify((m.key as acorn.Literal).value);
      return { node: m.key, construct: `member named ${name}` };
    },
  },
  {
    id: "reserved-binding",
    construct: "a variable named of / static / let / undefined",
    hint: "these are keywords to Espruino: rename it (for mangled names, add them to the minifier's reserved list)",
    on: ["Identifier"],
    detect: (n, ctx) => {
      const id = n as acorn.Identifier;
      return KEYWORD_BINDINGS.has(id.name) && ctx.analysis.declOf.has(id) ? { node: id, construct: `variable named ${id.name}` } : null;
    },
  },
  {
    id: "logical-assignment",
    construct: "||= &&= ??=",
    hint: "write it out: a = a || b, a = a ?? b",
    on: ["AssignmentExpression"],
    detect: (n) => {
      const op = (n as acorn.AssignmentExpression).operator;
      return op === "||=" || op === "&&=" || op === "??=" ? { node: n, construct: op } : null;
    },
  },
  {
    id: "static-block",
    construct: "static { } blocks",
    hint: "run the code after the class declaration",
    on: ["StaticBlock"],
    detect: (n) => ({ node: n }),
  },
  {
    id: "regexp",
    construct: "RegExp syntax Espruino's matcher lacks",
    hint: "keep to . [..] \\d \\w \\s * + ^ $, top-level |, capture groups and flags g/i; test other text in code",
    on: ["Literal", "NewExpression", "CallExpression"],
    detect: (n, ctx) => {
      let pattern: string, flags: string;
      const literal = n.type === "Literal";
      if (n.type === "Literal") {
        if (!n.regex) return null;
        ({ pattern, flags } = n.regex);
      } else {
        const c = n as acorn.NewExpression | acorn.CallExpression;
        if (c.callee.type !== "Identifier" || c.callee.name !== "RegExp" || !ctx.isGlobal(c.callee)) return null;
        const [p, f] = c.arguments;
        if (!p || p.type !== "Literal" || typeof p.value !== "string") return null;
        pattern = p.value;
        flags = f && f.type === "Literal" && typeof f.value === "string" ? f.value : "";
      }
      const what = unsupportedRegExp(pattern, flags, literal);
      return what ? { node: n, construct: `RegExp ${what}` } : null;
    },
  },
  {
    id: "static-field-this",
    construct: "this in a static field initialiser",
    hint: "assign the static after the class body (C.b = C.a + 1)",
    on: ["ThisExpression"],
    detect: (n, ctx) => {
      // The nearest enclosing non-arrow function, or a static field's value.
      for (let c: AnyNode = n, p = ctx.parent(n); p; c = p, p = ctx.parent(p)) {
        if (p.type === "PropertyDefinition" && ctx.key(c) === "value") return p.static ? { node: n } : null;
        if (p.type === "FunctionExpression" || p.type === "FunctionDeclaration" || p.type === "StaticBlock") return null;
      }
      return null;
    },
  },
  {
    id: "var-in-branch",
    construct: "a var declared only where the code may not run",
    hint: "declare it before the branch or loop (var x; if (c) x = 1;): Espruino creates a var when its statement runs",
    detectAll: (ctx) => {
      // Each var's declaring statements: the block around each, or null where it always runs (function or
      // program top level, a for head). A read outside every such block throws ReferenceError when none ran.
      const blocks = new Map<object, (AnyNode | null)[]>();
      for (const n of ctx.analysis.nodes) {
        if (n.type !== "VariableDeclaration" || n.kind !== "var") continue;
        const p = ctx.parent(n);
        const always = !p || p.type === "Program" || (p.type === "BlockStatement" && isFunction(ctx.parent(p))) ||
          ((p.type === "ForStatement" || p.type === "ForInStatement" || p.type === "ForOfStatement") && ctx.key(n) !== "body");
        for (const d of n.declarations) {
          const decl = d.id.type === "Identifier" ? ctx.analysis.declOf.get(d.id) : undefined;
          if (!decl) continue;
          const list = blocks.get(decl) ?? [];
          list.push(always ? null : p);
          blocks.set(decl, list);
        }
      }
      const hits: Hit[] = [];
      const seen = new Set<object>();
      for (const ref of ctx.analysis.refs) {
        const list = ref.decl && blocks.get(ref.decl);
        if (!list || list.includes(null) || seen.has(ref.decl!)) continue;
        if (list.some((b) => b && ref.id.start >= b.start && ref.id.end <= b.end)) continue;
        seen.add(ref.decl!);
        hits.push({ node: ref.id, detail: `'${ctx.nameAt(ref.id.start, ref.decl!.name)}' is declared only inside ${ctx.where(list[0]!.start)}` });
      }
      return hits;
    },
  },
  {
    id: "missing-method",
    construct: "a method Espruino's built-ins lack",
    hint: "write it with what Espruino has (a loop, indexOf/slice, a[a.length - 1]); it reads as undefined there and the call throws",
    detectAll: (ctx) => {
      const defined = definedNames(ctx);
      const hits: Hit[] = [];
      for (const n of ctx.analysis.nodes) {
        if (n.type !== "MemberExpression") continue;
        const name = memberName(n);
        const owner = name === null ? undefined : METHOD_OWNER.get(name);
        if (!owner || defined.has(name!) || isWriteTarget(n, ctx)) continue;
        // Object.keys / Array.from … are statics: rules of their own.
        if (n.object.type === "Identifier" && ctx.isGlobal(n.object) && /^[A-Z]/.test(n.object.name)) continue;
        hits.push({ node: n.property, construct: `${owner} .${name}()`, detail: "no code in the bundle defines it, so it is the built-in's" });
      }
      return hits;
    },
  },
  {
    id: "e-member-case",
    construct: "a member of E spelled in the wrong case",
    hint: "Espruino's names are case-sensitive: use the spelling in the detail",
    on: ["MemberExpression"],
    detect: (n, ctx) => {
      const name = globalMember(n, ctx, S("E"));
      if (name === null || E_MEMBERS.includes(name)) return null;
      const right = E_BY_CASE.get(name.toLowerCase());
      return right ? { node: n, construct: `E.${name}`, detail: `did you mean E.${right}?` } : null;
    },
  },
  {
    id: "object-tostring",
    construct: "Object.prototype.toString",
    hint: "it returns \"\" on Espruino: test with typeof, Array.isArray or instanceof",
    on: ["MemberExpression"],
    detect: (n, ctx) => {
      const m = n as acorn.MemberExpression;
      return memberName(m) === "toString" && m.object.type === "MemberExpression" && memberName(m.object) === "prototype" &&
        globalMember(m.object, ctx, S("Object")) === "prototype" ? { node: n } : null;
    },
  },
  {
    id: "dynamic-import",
    construct: "import()",
    hint: "bundle the module (the device runs one script)",
    on: ["ImportExpression"],
    detect: (n) => ({ node: n }),
  },
];

export const RULE_IDS: readonly string[] = RULES.map((r) => r.id);

export function ruleById(id: string): Rule {
  const r = RULES.find((x) => x.id === id);
  if (!r) throw new Error(`unknown gate rule ${id}`);
  return r;
}
