// Scope analysis of the bundle: one walk that records, for every node, its
// parent; every declaration with its position; every identifier reference
// with the scope and the "activation" it runs in; and every call whose callee
// is a plain name. References are resolved in one linear pass after the walk,
// because a reference may come before the declaration it resolves to (which
// is precisely what the hoisting rule looks for).
//
// An activation is the unit of code that runs together: the program, or a
// function body that runs when it is called later. A function expression that
// is invoked on the spot (an IIFE) belongs to the activation around it, since
// its body runs right then. Instance field initialisers run when the class is
// constructed, so they form an activation of their own (the class node).
import type * as acorn from "acorn";

export type AnyNode = acorn.AnyNode;
type Fn = acorn.FunctionDeclaration | acorn.FunctionExpression | acorn.ArrowFunctionExpression;
type ClassNode = acorn.ClassDeclaration | acorn.ClassExpression;

export type DeclKind =
  | "var" | "let" | "const" | "function" | "class" | "param" | "catch"
  | "import" // a module's import binding (confined app chunks; bundles have none)
  | "function-name" // the name of a function expression, bound inside it
  | "class-name"; // the inner name binding of a class

export interface Scope {
  node: AnyNode;
  parent: Scope | null;
  /** Where `var` declarations land (the nearest function scope, or the program). */
  varScope: Scope;
  /** The activation this scope's declarations are initialised in. */
  activation: AnyNode;
  decls: Map<string, Decl>;
}

export interface Decl {
  name: string;
  kind: DeclKind;
  /** Source offset from which the binding is initialised (-1: from the start). */
  pos: number;
  scope: Scope;
  id: acorn.Identifier | null;
  /** The function or class bound by this declaration, if any (for call resolution). */
  value: Fn | ClassNode | null;
  /** The for/for-in/for-of statement whose head declares it with let/const. */
  loop: acorn.ForStatement | acorn.ForInStatement | acorn.ForOfStatement | null;
  /** A parameter of a `.catch(fn)` callback: it holds a caught error. */
  caughtError: boolean;
}

export interface Ref {
  id: acorn.Identifier;
  scope: Scope;
  activation: AnyNode;
  decl: Decl | null; // null: a global
}

/** A call or `new` of a plain name (also `f.call(...)` / `f.apply(...)`). */
export interface CallSite {
  node: acorn.CallExpression | acorn.NewExpression;
  callee: Ref;
  activation: AnyNode;
}

export interface ClassInfo {
  node: ClassNode;
  superRef: Ref | null;
  constructorFn: acorn.FunctionExpression | null;
}

export interface Analysis {
  program: acorn.Program;
  /** Every node in source (visit) order. */
  nodes: AnyNode[];
  parentOf: Map<AnyNode, AnyNode | null>;
  keyOf: Map<AnyNode, string>;
  refs: Ref[];
  refOf: Map<acorn.Identifier, Ref>;
  calls: CallSite[];
  classes: ClassInfo[];
  /** The declaration made by each binding identifier. */
  declOf: Map<acorn.Identifier, Decl>;
  /** Activation of every function and class (itself when deferred, else the one around it). */
  activationOf: Map<AnyNode, AnyNode>;
  /** For each deferred function or class: the activation it is defined in. */
  definedIn: Map<AnyNode, AnyNode>;
}

interface State {
  scope: Scope;
  activation: AnyNode;
}

const PATTERN_TYPES = new Set(["Identifier", "ObjectPattern", "ArrayPattern", "RestElement", "AssignmentPattern"]);
const FUNCTION_TYPES = new Set(["FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression"]);

export function isFunction(node: AnyNode | null | undefined): node is Fn {
  return !!node && FUNCTION_TYPES.has(node.type);
}

function isNode(v: unknown): v is AnyNode {
  return typeof v === "object" && v !== null && typeof (v as { type?: unknown }).type === "string";
}

/** Non-computed name of a member/property key, or a string-literal key. */
export function staticKeyName(key: AnyNode, computed: boolean): string | null {
  if (!computed && key.type === "Identifier") return key.name;
  if (key.type === "Literal" && typeof key.value === "string") return key.value;
  return null;
}

export function analyze(program: acorn.Program): Analysis {
  const a: Analysis = {
    program, nodes: [], parentOf: new Map(), keyOf: new Map(), refs: [], refOf: new Map(),
    calls: [], classes: [], activationOf: new Map(), definedIn: new Map(), declOf: new Map(),
  };

  const newScope = (node: AnyNode, parent: Scope | null, activation: AnyNode, isVarScope: boolean): Scope => {
    const s = { node, parent, activation, decls: new Map() } as Scope;
    s.varScope = isVarScope || !parent ? s : parent.varScope;
    return s;
  };

  const declare = (scope: Scope, id: acorn.Identifier | null, name: string, kind: DeclKind, pos: number, value: Decl["value"] = null): Decl => {
    const existing = scope.decls.get(name);
    if (existing) return existing; // redeclaration: the first one counts
    const d: Decl = { name, kind, pos, scope, id, value, loop: null, caughtError: false };
    scope.decls.set(name, d);
    if (id) a.declOf.set(id, d);
    return d;
  };

  const enter = (node: AnyNode, parent: AnyNode | null, key: string): void => {
    a.parentOf.set(node, parent);
    a.keyOf.set(node, key);
    a.nodes.push(node);
  };

  const visitChildren = (node: AnyNode, st: State): void => {
    const rec = node as unknown as Record<string, unknown>;
    for (const key in rec) {
      if (key === "loc") continue;
      const v = rec[key];
      if (Array.isArray(v)) {
        for (const c of v) if (isNode(c)) visit(c, node, key, st);
      } else if (isNode(v)) {
        visit(v, node, key, st);
      }
    }
  };

  // A binding pattern: declares its identifiers; default values and computed keys are expressions.
  const visitPattern = (node: AnyNode, parent: AnyNode, key: string, st: State, bind: (id: acorn.Identifier) => void): void => {
    if (!PATTERN_TYPES.has(node.type)) { visit(node, parent, key, st); return; } // a member target (assignments only)
    enter(node, parent, key);
    switch (node.type) {
      case "Identifier": bind(node); return;
      case "ObjectPattern":
        for (const p of node.properties) {
          if (p.type === "RestElement") { visitPattern(p, node, "properties", st, bind); continue; }
          enter(p, node, "properties");
          if (p.computed) visit(p.key, p, "key", st); else enter(p.key, p, "key");
          visitPattern(p.value, p, "value", st, bind);
        }
        return;
      case "ArrayPattern":
        for (const e of node.elements) if (e) visitPattern(e, node, "elements", st, bind);
        return;
      case "RestElement": visitPattern(node.argument, node, "argument", st, bind); return;
      case "AssignmentPattern":
        visitPattern(node.left, node, "left", st, bind);
        visit(node.right, node, "right", st);
        return;
    }
  };

  const isInvokedOnTheSpot = (fn: AnyNode, parent: AnyNode | null, key: string): boolean => {
    if (!parent) return false;
    if ((parent.type === "CallExpression" || parent.type === "NewExpression") && key === "callee") return true;
    // (function(){...}).call(this) / .apply(this, args)
    if (parent.type === "MemberExpression" && key === "object" && !parent.computed &&
        parent.property.type === "Identifier" && (parent.property.name === "call" || parent.property.name === "apply")) {
      const gp = a.parentOf.get(parent);
      return !!gp && gp.type === "CallExpression" && gp.callee === parent;
    }
    return false;
  };

  const visitFunction = (fn: Fn, parent: AnyNode | null, key: string, st: State, nameScope: Scope | null): void => {
    const eager = fn.type !== "FunctionDeclaration" && isInvokedOnTheSpot(fn, parent, key);
    const activation = eager ? st.activation : fn;
    a.activationOf.set(fn, activation);
    if (!eager) a.definedIn.set(fn, st.activation);
    const scope = newScope(fn, st.scope, activation, true);
    const inner: State = { scope, activation };
    if (fn.id) {
      if (fn.type === "FunctionExpression") declare(scope, fn.id, fn.id.name, "function-name", -1, fn);
      if (nameScope) declare(nameScope, fn.id, fn.id.name, "function", fn.id.start, fn);
      enter(fn.id, fn, "id");
    }
    for (const p of fn.params) {
      visitPattern(p, fn, "params", inner, (id) => { declare(scope, id, id.name, "param", id.start); });
    }
    if (fn.body.type === "BlockStatement") {
      enter(fn.body, fn, "body");
      for (const s of fn.body.body) visit(s, fn.body, "body", inner);
    } else {
      visit(fn.body, fn, "body", inner);
    }
  };

  const visitClass = (cls: ClassNode, parent: AnyNode | null, key: string, st: State): void => {
    enter(cls, parent, key);
    if (cls.type === "ClassDeclaration" && cls.id) declare(st.scope, cls.id, cls.id.name, "class", cls.id.start, cls);
    if (cls.id) enter(cls.id, cls, "id");
    const info: ClassInfo = { node: cls, superRef: null, constructorFn: null };
    a.classes.push(info);
    if (cls.superClass) {
      visit(cls.superClass, cls, "superClass", st);
      if (cls.superClass.type === "Identifier") info.superRef = a.refOf.get(cls.superClass) ?? null;
    }
    const scope = newScope(cls, st.scope, st.activation, false);
    // Inside its own body the class's name is bound only once the body is done
    // (measured: `static b = C.a` throws "C is not defined"); methods run later.
    if (cls.id) declare(scope, cls.id, cls.id.name, "class-name", cls.end, cls);
    a.activationOf.set(cls, cls);
    a.definedIn.set(cls, st.activation);
    const body = cls.body;
    enter(body, cls, "body");
    const eager: State = { scope, activation: st.activation };
    const onConstruct: State = { scope, activation: cls };
    for (const m of body.body) {
      if (m.type === "MethodDefinition") {
        enter(m, body, "body");
        if (m.computed) visit(m.key, m, "key", eager); else enter(m.key, m, "key");
        if (m.kind === "constructor") info.constructorFn = m.value;
        enter(m.value, m, "value");
        visitFunction(m.value, m, "value", eager, null);
      } else if (m.type === "PropertyDefinition") {
        enter(m, body, "body");
        if (m.computed) visit(m.key, m, "key", eager); else enter(m.key, m, "key");
        if (m.value) visit(m.value, m, "value", m.static ? eager : onConstruct);
      } else { // StaticBlock: runs when the class is defined
        enter(m, body, "body");
        const blockScope = newScope(m, scope, st.activation, true);
        for (const s of m.body) visit(s, m, "body", { scope: blockScope, activation: st.activation });
      }
    }
  };

  const visit = (node: AnyNode, parent: AnyNode | null, key: string, st: State): void => {
    switch (node.type) {
      case "FunctionDeclaration":
      case "FunctionExpression":
      case "ArrowFunctionExpression":
        enter(node, parent, key);
        visitFunction(node as Fn, parent, key, st, node.type === "FunctionDeclaration" ? st.scope : null);
        return;
      case "ClassDeclaration":
      case "ClassExpression":
        visitClass(node as ClassNode, parent, key, st);
        return;
    }
    enter(node, parent, key);
    switch (node.type) {
      case "Identifier": {
        if (!isReferencePosition(parent, key)) return;
        const ref: Ref = { id: node, scope: st.scope, activation: st.activation, decl: null };
        a.refs.push(ref);
        a.refOf.set(node, ref);
        return;
      }
      case "VariableDeclaration": {
        const target = node.kind === "var" ? st.scope.varScope : st.scope;
        const kind = node.kind === "var" ? "var" : node.kind === "let" ? "let" : "const";
        const loop = parent && key !== "body" && (parent.type === "ForStatement" || parent.type === "ForInStatement" || parent.type === "ForOfStatement") && kind !== "var" ? parent : null;
        for (const d of node.declarations) {
          enter(d, node, "declarations");
          const init = d.init;
          const value = init && (isFunction(init) || init.type === "ClassExpression") && d.id.type === "Identifier" ? init : null;
          visitPattern(d.id, d, "id", st, (id) => {
            const decl = declare(target, id, id.name, kind, id.start, value as Decl["value"]);
            decl.loop = loop;
          });
          if (init) visit(init, d, "init", st);
        }
        return;
      }
      case "BlockStatement": {
        const scope = newScope(node, st.scope, st.activation, false);
        for (const s of node.body) visit(s, node, "body", { scope, activation: st.activation });
        return;
      }
      case "ForStatement":
      case "ForInStatement":
      case "ForOfStatement":
      case "SwitchStatement": {
        // One scope for the head (let/const in it) and the body.
        const scope = newScope(node, st.scope, st.activation, false);
        visitChildren(node, { scope, activation: st.activation });
        return;
      }
      case "ImportDeclaration": {
        // Only module code has these (an app's chunk, tools/build/confine): each local name is a binding.
        for (const spec of node.specifiers) {
          enter(spec, node, "specifiers");
          enter(spec.local, spec, "local");
          declare(st.scope, spec.local, spec.local.name, "import", -1);
        }
        enter(node.source, node, "source");
        return;
      }
      case "CatchClause": {
        const scope = newScope(node, st.scope, st.activation, false);
        const inner = { scope, activation: st.activation };
        if (node.param) visitPattern(node.param, node, "param", inner, (id) => { declare(scope, id, id.name, "catch", -1); });
        visit(node.body, node, "body", inner);
        return;
      }
      case "CallExpression":
      case "NewExpression": {
        visitChildren(node, st);
        recordCall(node, st);
        return;
      }
      case "BinaryExpression":
      case "LogicalExpression": {
        // Long chains (a + b + c + ...) nest to the left: walk the spine in a
        // loop so that the depth of the recursion stays that of the program.
        const spine: (acorn.BinaryExpression | acorn.LogicalExpression)[] = [node];
        let leaf: AnyNode = node.left;
        while (leaf.type === "BinaryExpression" || leaf.type === "LogicalExpression") {
          enter(leaf, spine[spine.length - 1]!, "left");
          spine.push(leaf);
          leaf = leaf.left;
        }
        visit(leaf, spine[spine.length - 1]!, "left", st);
        for (let i = spine.length - 1; i >= 0; i--) visit(spine[i]!.right, spine[i]!, "right", st);
        return;
      }
      default:
        visitChildren(node, st);
    }
  };

  const recordCall = (node: acorn.CallExpression | acorn.NewExpression, st: State): void => {
    let callee: AnyNode = node.callee;
    if (callee.type === "MemberExpression" && !callee.computed && callee.property.type === "Identifier" &&
        (callee.property.name === "call" || callee.property.name === "apply")) callee = callee.object;
    if (callee.type !== "Identifier") return;
    const ref = a.refOf.get(callee);
    if (ref) a.calls.push({ node, callee: ref, activation: st.activation });
  };

  const programScope = newScope(program, null, program, true);
  enter(program, null, "");
  for (const s of program.body) visit(s, program, "body", { scope: programScope, activation: program });

  // Resolve every reference now that every declaration is known.
  for (const ref of a.refs) {
    const name = ref.id.name;
    for (let s: Scope | null = ref.scope; s; s = s.parent) {
      const d = s.decls.get(name);
      if (d) { ref.decl = d; break; }
    }
  }
  markCaughtErrorParams(a);
  return a;
}

function isReferencePosition(parent: AnyNode | null, key: string): boolean {
  if (!parent) return true;
  switch (parent.type) {
    case "MemberExpression": return key !== "property" || parent.computed;
    case "Property":
    case "MethodDefinition":
    case "PropertyDefinition": return key !== "key" || parent.computed;
    case "LabeledStatement":
    case "BreakStatement":
    case "ContinueStatement": return key !== "label";
    case "MetaProperty": return false;
    default: return true;
  }
}

/** The first parameter of a `.catch(fn)` callback is a caught error. */
function markCaughtErrorParams(a: Analysis): void {
  for (const n of a.nodes) {
    if (n.type !== "CallExpression" || n.callee.type !== "MemberExpression") continue;
    const name = n.callee.computed ? null : staticKeyName(n.callee.property, false);
    const cb = name === "catch" ? n.arguments[0] : name === "then" ? n.arguments[1] : undefined;
    if (!cb || !isFunction(cb as AnyNode)) continue;
    const p = (cb as Fn).params[0];
    const decl = p && p.type === "Identifier" ? a.declOf.get(p) : undefined;
    if (decl) decl.caughtError = true;
  }
}
