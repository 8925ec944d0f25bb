/**
 * The simulator's rewrite of device code before it runs in the vm: what V8
 * does differently from Espruino, made to behave like Espruino (never run on
 * the chip; the dialect gate checks the code as given).
 *
 * Usage:
 *   const registry = new CodeRegistry();
 *   const { code } = instrument(bundle, registry);      // then new vm.Script(code, { filename })
 *   registry.functions.get(id)                           // what the hooks report back (guard.ts)
 *
 * Errors: none. Code acorn cannot parse is returned unchanged (V8 then
 * reports its own SyntaxError, as before); a class using what the lowering
 * does not cover (private names, static blocks, generator or async methods)
 * is left a V8 class (strict mode: a detached method gets `this` undefined).
 *
 * Contract — what the rewrite does, lines kept (every insertion is on one
 * line; a replaced region that spanned lines is padded with as many line
 * breaks), so file:line in messages and stacks is unchanged; columns move on
 * rewritten lines:
 *   - Classes become sloppy-mode functions (`let A = __exo$C(parent, factory, "A")`,
 *     hooks.ts builds them): a method called detached gets the global object
 *     as `this`, as on Espruino (V8 runs class bodies in strict mode);
 *     `extends`, `super(...)`, `super.m()`, getters/setters, static methods,
 *     instance and static fields keep working. Methods and accessors are
 *     enumerable own properties of the prototype, statics are not inherited,
 *     a class expression's name is not bound inside it (all as on Espruino).
 *   - Functions run in strict mode, with the three differences Espruino has
 *     from it: `this` that would be undefined is the global object (a plain
 *     function, a method taken off its object or passed as a callback, a
 *     class method called detached, `f.call(undefined)`), assigning an
 *     undeclared name creates a global (`x = 1` → `__exo$g.x = 1`), and
 *     `f.caller`/`f.arguments` read undefined (functions.ts). Strict mode
 *     gives the rest as Espruino has it and V8's sloppy mode does not:
 *     `f.call(null)` sees null, a primitive `this` is not boxed, and no
 *     function can reach its caller's frames.
 *   - Every plain function starts with `"use strict";try{if(__exo$e())return __exo$p(id,reader);`
 *     and ends with `}finally{if(__exo$x())return}`: the depth and step count (recursion
 *     limit, memory checks), and a probe that hands the function's captured
 *     variables to the memory estimate without the inspector.
 *   - Every loop body starts with `if(__exo$l())try{__exo$m(id,[locals…])}catch…`:
 *     a memory check every so many steps, seeing the locals of the frame that loops.
 *   - Every `catch` body starts with `__exo$c(e);` (the caught value, when bound to a name) and every `finally` body runs
 *     only `if(!__exo$i())`: an interruption (recursion, out of memory) passes
 *     through both, as on Espruino, where no catch or finally sees it.
 *   - A direct `eval(x)` becomes `eval(__exo$t(x))`: the evaluated text gets the same rewrite.
 * Generator and async functions are left alone (not counted, not probed).
 */
import vm from "node:vm";
import { parse, type Node } from "acorn";
import { detokenise } from "./tokens.ts";

/** What the rewrite knows about one function of the original code. */
export interface FunctionInfo {
  id: number;
  /** The function's original text, as V8's Function.prototype.toString gave it before the rewrite. */
  source: string;
  /** Text that evaluates to the same function in another scope (`function` added before a method's parameters). */
  expression: string;
  /** Espruino's hidden `\xFFcod`: the body from its first token (after a leading `return`) to its last. */
  code: string | undefined;
  /** The body started with `return` (or is an arrow's expression): Espruino keeps the code without it. */
  returns: boolean;
  /** The parameters' names (their text for anything else). */
  params: string[];
  /** Defined inside another function: on Espruino it has a scope (`\xFFsco`). */
  nested: boolean;
  /** The variables of enclosing scopes the function uses, in the order its probe reports them. */
  captures: Capture[];
}

export interface Capture {
  name: string;
  /** One id per declaration (not per activation): the memory estimate counts each (binding, value) once. */
  binding: number;
}

/** The ids the rewritten code passes to its hooks, for one device (shared by its boots). */
export class CodeRegistry {
  readonly functions = new Map<number, FunctionInfo>();
  /** Loop id → the locals its reader reports. */
  readonly loops = new Map<number, Capture[]>();
  private nextId = 1;
  private cache = new Map<string, Prepared>();

  id(): number {
    return this.nextId++;
  }

  /**
   * The rewrite of `code` that V8 compiles, computed once per distinct text
   * (the last CACHED texts are kept): strict, else without strict mode (code
   * strict mode rejects: `with`, octal literals, duplicate parameters), else
   * the code unchanged (code acorn cannot parse; V8 then reports its own
   * error). `compile` makes the script (V8 compiling is the test); without
   * it the text is compiled once here to find out.
   */
  prepare<T = undefined>(stored: string, compile?: (text: string) => T): Prepared & { script?: T } {
    const known = this.cache.get(stored);
    if (known) return compile ? { ...known, script: compile(known.code) } : known;
    const code = detokenise(stored); // a pretokenised image reads as the interpreter reads it
    const attempt = (text: string): { script?: T; error?: string } => {
      try {
        return { script: compile ? compile(text) : (new vm.Script(text), undefined) };
      } catch (error) {
        return { error: (error as Error).message };
      }
    };
    let out: Prepared & { script?: T };
    const strict = instrument(code, this);
    if (!strict.rewritten) {
      out = { code };
    } else {
      const first = attempt(strict.code);
      if (first.error === undefined) out = { code: strict.code, script: first.script, source: strict.source };
      else {
        const sloppy = instrument(code, this, { strict: false });
        const second = attempt(sloppy.code);
        out = second.error === undefined
          ? { code: sloppy.code, fallback: `not in strict mode (${first.error})`, script: second.script, source: sloppy.source }
          : { code, fallback: `not rewritten (${first.error})` };
      }
    }
    if (this.cache.size >= CACHED) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(stored, { code: out.code, fallback: out.fallback, source: out.source });
    if (compile && out.script === undefined) out.script = compile(out.code); // the code as written: V8's own error
    return out;
  }
}

/** Device code ready for the vm, and why it is not fully rewritten when it is not. */
export interface Prepared {
  code: string;
  fallback?: string;
  /** Offset in `code` → offset in the code as given (absent: the same). */
  source?: (offset: number) => number;
}

/** Rewritten texts a registry keeps (a bundle is parsed once however many devices boot it). */
const CACHED = 64;

/** The registry every simulated device of this process shares. */
export const sharedRegistry = new CodeRegistry();

/** Names of the hooks (hooks.ts defines them as script-level constants of the device context). */
export const HOOK = {
  enter: "__exo$e",
  exit: "__exo$x",
  probe: "__exo$p",
  loop: "__exo$l",
  memory: "__exo$m",
  caught: "__exo$c",
  interrupted: "__exo$i",
  evalText: "__exo$t",
  global: "__exo$g",
  klass: "__exo$C",
  fields: "__exo$I",
} as const;
const SUPER = "__exo$s";
/**
 * The end of every rewritten function: the frame is counted out; an
 * interruption that reaches the outermost frame of a Promise job is dropped
 * there (`return` in `finally`), else V8 would turn it into a rejection nobody
 * handles (guard.ts reports it).
 */
const EPILOGUE = "}finally{if(__exo$x())return}";
const FIELDS = "__exo$f";
const KEY = "__exo$k";

export interface InstrumentResult {
  code: string;
  /** False when the code did not parse (returned unchanged). */
  rewritten: boolean;
  /** Where an offset of `code` came from in the code given (inserted text: where it was inserted). */
  source?: (offset: number) => number;
}

/** Rewrite a script for the simulator (`strict: false`: without the strict-mode line, for code strict mode rejects). */
export function instrument(code: string, registry: CodeRegistry, options: { strict?: boolean } = {}): InstrumentResult {
  let program: Node;
  const comments: [number, number][] = [];
  try {
    program = parse(code, {
      ecmaVersion: "latest",
      sourceType: "script",
      allowReturnOutsideFunction: false,
      onComment: (_block: boolean, _text: string, start: number, end: number) => comments.push([start, end]),
    });
  } catch {
    return { code, rewritten: false };
  }
  const rewriter = new Rewriter(code, registry, comments, options.strict !== false);
  rewriter.program(program);
  const out = rewriter.output();
  return { code: out, rewritten: true, source: rewriter.source };
}

// ---- scopes ----

interface Binding {
  name: string;
  id: number;
  /** A property of the global object (top-level var/function): seen by the memory walk, never captured. */
  global: boolean;
  fn: Fn | undefined;
  /** Used by a function nested in its own: reachable through that function's probe. */
  captured: boolean;
}

interface Scope {
  parent: Scope | undefined;
  names: Map<string, Binding>;
  /** The function this scope belongs to (undefined at the top level). */
  fn: Fn | undefined;
}

interface Fn {
  info: FunctionInfo;
  parent: Fn | undefined;
  captures: Map<number, Binding>;
  /** Set for functions the rewrite instruments (plain functions, methods, field initializers). */
  instrumented: boolean;
  /** The generated factory of a lowered class (not a function of the original code). */
  factory: boolean;
}

/** An insertion that opens (outer first) or closes (inner first) something, or a replacement. */
type EditKind = "close" | "open" | "replace";

interface Edit {
  pos: number;
  end: number;
  text: string | (() => string);
  kind: EditKind;
  seq: number;
}

const KIND_ORDER: Record<EditKind, number> = { close: 0, open: 1, replace: 2 };

type AnyNode = Node & Record<string, any>;

const VAR_SCOPE_BARRIERS = new Set(["FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression", "ClassDeclaration", "ClassExpression"]);

class Rewriter {
  private edits: Edit[] = [];
  private seq = 0;
  private bindingIds = 0;

  constructor(
    private src: string,
    private registry: CodeRegistry,
    private comments: [number, number][],
    private strict: boolean,
  ) {}

  /** Output offset → source offset: the copied stretches, as [output start, source start, length]. */
  private copied: [number, number, number][] = [];

  output(): string {
    // At one position: closings innermost first, then openings outermost first, then a replacement.
    const edits = this.edits.sort(
      (a, b) => a.pos - b.pos || KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || (a.kind === "close" ? b.seq - a.seq : a.seq - b.seq),
    );
    let out = "";
    let at = 0;
    const copy = (end: number) => {
      this.copied.push([out.length, at, end - at]);
      out += this.src.slice(at, end);
    };
    for (const edit of edits) {
      if (edit.pos < at) throw new Error(`instrument: overlapping edits at ${edit.pos}`);
      copy(edit.pos);
      out += typeof edit.text === "string" ? edit.text : edit.text();
      at = edit.end;
    }
    copy(this.src.length);
    return out;
  }

  /** Where output offset `offset` came from (binary search over the copied stretches). */
  readonly source = (offset: number): number => {
    const c = this.copied;
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (c[mid][0] <= offset) lo = mid;
      else hi = mid - 1;
    }
    const [outAt, srcAt, length] = c[lo];
    return srcAt + Math.min(offset - outAt, length);
  };

  private open(pos: number, text: string | (() => string)): void {
    this.edits.push({ pos, end: pos, text, kind: "open", seq: this.seq++ });
  }

  private close(pos: number, text: string): void {
    this.edits.push({ pos, end: pos, text, kind: "close", seq: this.seq++ });
  }

  /** An opening and its closing; when both fall on one position (an empty block) they are one edit. */
  private wrap(openPos: number, openText: string | (() => string), closePos: number, closeText: string): void {
    if (openPos === closePos) {
      this.open(openPos, () => (typeof openText === "string" ? openText : openText()) + closeText);
      return;
    }
    this.open(openPos, openText);
    this.close(closePos, closeText);
  }

  /** Replace [pos, end), keeping the line count: line breaks removed are added back at the end. */
  private replace(pos: number, end: number, text: string): void {
    const removed = countLines(this.src.slice(pos, end));
    const added = countLines(text);
    this.edits.push({ pos, end, text: text + "\n".repeat(Math.max(0, removed - added)), kind: "replace", seq: this.seq++ });
  }

  // ---- declarations ----

  private declare(scope: Scope, name: string, global = false): Binding {
    const existing = scope.names.get(name);
    if (existing) return existing;
    const binding: Binding = { name, id: ++this.bindingIds, global, fn: scope.fn, captured: false };
    scope.names.set(name, binding);
    return binding;
  }

  private declarePattern(scope: Scope, pattern: AnyNode | null, global = false): void {
    if (!pattern) return;
    switch (pattern.type) {
      case "Identifier":
        this.declare(scope, pattern.name, global);
        break;
      case "ObjectPattern":
        for (const p of pattern.properties) this.declarePattern(scope, p.type === "RestElement" ? p.argument : p.value, global);
        break;
      case "ArrayPattern":
        for (const e of pattern.elements) this.declarePattern(scope, e, global);
        break;
      case "RestElement":
        this.declarePattern(scope, pattern.argument, global);
        break;
      case "AssignmentPattern":
        this.declarePattern(scope, pattern.left, global);
        break;
    }
  }

  /** `var`s and (Annex B) functions declared in blocks: they belong to the function (or the global object). */
  private hoistVars(node: AnyNode | null, scope: Scope, global: boolean, top: boolean): void {
    if (!node || typeof node !== "object") return;
    if (Array.isArray(node)) {
      for (const n of node) this.hoistVars(n, scope, global, top);
      return;
    }
    switch (node.type) {
      case "VariableDeclaration":
        if (node.kind === "var") for (const d of node.declarations) this.declarePattern(scope, d.id, global);
        return;
      case "FunctionDeclaration":
        if (!top && node.id) this.declare(scope, node.id.name, global);
        return;
      case "BlockStatement":
        return this.hoistVars(node.body, scope, global, false);
      case "IfStatement":
        this.hoistVars(node.consequent, scope, global, false);
        return this.hoistVars(node.alternate, scope, global, false);
      case "ForStatement":
        this.hoistVars(node.init, scope, global, false);
        return this.hoistVars(node.body, scope, global, false);
      case "ForInStatement":
      case "ForOfStatement":
        this.hoistVars(node.left, scope, global, false);
        return this.hoistVars(node.body, scope, global, false);
      case "WhileStatement":
      case "DoWhileStatement":
      case "LabeledStatement":
      case "WithStatement":
        return this.hoistVars(node.body, scope, global, false);
      case "TryStatement":
        this.hoistVars(node.block, scope, global, false);
        if (node.handler) this.hoistVars(node.handler.body, scope, global, false);
        return this.hoistVars(node.finalizer, scope, global, false);
      case "SwitchStatement":
        for (const c of node.cases) this.hoistVars(c.consequent, scope, global, false);
        return;
    }
  }

  /** let/const/class and function declarations directly in a statement list. */
  private declareLexical(statements: AnyNode[], scope: Scope, functionsToo: boolean, global = false): void {
    for (const s of statements) {
      if (s.type === "VariableDeclaration" && s.kind !== "var") for (const d of s.declarations) this.declarePattern(scope, d.id);
      else if (s.type === "ClassDeclaration" && s.id) this.declare(scope, s.id.name);
      else if (s.type === "FunctionDeclaration" && s.id && functionsToo) this.declare(scope, s.id.name, global);
    }
  }

  private resolve(scope: Scope, name: string): Binding | undefined {
    for (let s: Scope | undefined = scope; s; s = s.parent) {
      const b = s.names.get(name);
      if (b) return b;
    }
    return undefined;
  }

  /** A reference to `name` from `scope`: every function between here and the binding captures it. */
  private reference(scope: Scope, name: string): void {
    const binding = this.resolve(scope, name);
    if (!binding || binding.global) return;
    for (let fn = scope.fn; fn && fn !== binding.fn; fn = fn.parent) {
      fn.captures.set(binding.id, binding);
      binding.captured = true;
    }
  }

  // ---- traversal ----

  program(node: AnyNode): void {
    const scope: Scope = { parent: undefined, names: new Map(), fn: undefined };
    this.hoistVars(node.body, scope, true, true);
    this.declareLexical(node.body, scope, true, true);
    // Top-level function declarations are globals too.
    for (const s of node.body) if (s.type === "FunctionDeclaration" && s.id) this.declare(scope, s.id.name, true);
    for (const s of node.body) this.visit(s, scope);
  }

  /** Every rewritten function is strict (the top level is not: its completion value, the REPL's answer, stays). */
  private strictLine(): string {
    return this.strict ? '"use strict";' : "";
  }

  /** An assignment to a name no scope declares: a global, created if missing (strict mode would throw). */
  private assignTarget(node: AnyNode, scope: Scope): void {
    if (node.type === "Identifier" && !this.resolve(scope, node.name)) {
      this.replace(node.start, node.end, `${HOOK.global}.${node.name}`);
      return;
    }
    this.pattern(node, scope);
  }

  private visitAll(nodes: (AnyNode | null)[], scope: Scope): void {
    for (const n of nodes) if (n) this.visit(n, scope);
  }

  private visit(node: AnyNode, scope: Scope): void {
    switch (node.type) {
      case "Identifier":
        this.reference(scope, node.name);
        return;
      case "FunctionDeclaration":
      case "FunctionExpression":
      case "ArrowFunctionExpression":
        this.fn(node, scope, undefined);
        return;
      case "ClassDeclaration":
      case "ClassExpression":
        this.klass(node, scope);
        return;
      case "BlockStatement": {
        const inner: Scope = { parent: scope, names: new Map(), fn: scope.fn };
        this.declareLexical(node.body, inner, true);
        this.visitAll(node.body, inner);
        return;
      }
      case "StaticBlock":
        return;
      case "VariableDeclaration":
        for (const d of node.declarations) {
          this.pattern(d.id, scope);
          if (d.init) this.visit(d.init, scope);
        }
        return;
      case "MemberExpression":
        this.visit(node.object, scope);
        if (node.computed) this.visit(node.property, scope);
        return;
      case "Property":
        if (node.computed) this.visit(node.key, scope);
        // A method or accessor: V8 shows its text from the key on.
        if ((node.method || node.kind !== "init") && node.value.type === "FunctionExpression") this.fn(node.value, scope, node);
        else this.visit(node.value, scope);
        return;
      case "LabeledStatement":
        this.visit(node.body, scope);
        return;
      case "ThisExpression":
        // Inside a function `this` that strict mode leaves undefined is the global object, as on Espruino.
        if (scope.fn) this.replace(node.start, node.end, `(this===undefined?${HOOK.global}:this)`);
        return;
      case "BreakStatement":
      case "ContinueStatement":
      case "MetaProperty":
      case "Literal":
      case "Super":
      case "TemplateElement":
      case "EmptyStatement":
      case "DebuggerStatement":
        return;
      case "CallExpression":
        if (node.callee.type === "Identifier" && node.callee.name === "eval" && node.arguments.length && node.arguments[0].type !== "SpreadElement") {
          const arg = node.arguments[0];
          this.open(arg.start, `${HOOK.evalText}(`);
          this.close(arg.end, ")");
        }
        this.visit(node.callee, scope);
        this.visitAll(node.arguments, scope);
        return;
      case "ForStatement": {
        const head: Scope = { parent: scope, names: new Map(), fn: scope.fn };
        if (node.init?.type === "VariableDeclaration" && node.init.kind !== "var") this.declareLexical([node.init], head, false);
        if (node.init) this.visit(node.init, head);
        if (node.test) this.visit(node.test, head);
        if (node.update) this.visit(node.update, head);
        this.loop(node, head);
        return;
      }
      case "ForInStatement":
      case "ForOfStatement": {
        const head: Scope = { parent: scope, names: new Map(), fn: scope.fn };
        if (node.left.type === "VariableDeclaration" && node.left.kind !== "var") this.declareLexical([node.left], head, false);
        if (node.left.type === "VariableDeclaration") this.visit(node.left, head);
        else this.assignTarget(node.left, head);
        this.visit(node.right, scope);
        this.loop(node, head);
        return;
      }
      case "WhileStatement":
      case "DoWhileStatement":
        this.visit(node.test, scope);
        this.loop(node, scope);
        return;
      case "TryStatement":
        this.visit(node.block, scope);
        if (node.handler) {
          const handler = node.handler as AnyNode;
          const inner: Scope = { parent: scope, names: new Map(), fn: scope.fn };
          if (handler.param) this.declarePattern(inner, handler.param);
          // The caught value goes to the hook: the host names where an app faulted from its stack.
          this.open(handler.body.start + 1, `${HOOK.caught}(${handler.param?.type === "Identifier" ? handler.param.name : ""});`);
          this.visit(handler.body, inner);
        }
        if (node.finalizer) {
          this.wrap(node.finalizer.start + 1, `if(!${HOOK.interrupted}()){`, node.finalizer.end - 1, "}");
          this.visit(node.finalizer, scope);
        }
        return;
      case "SwitchStatement": {
        this.visit(node.discriminant, scope);
        const inner: Scope = { parent: scope, names: new Map(), fn: scope.fn };
        for (const c of node.cases) this.declareLexical(c.consequent, inner, true);
        for (const c of node.cases) {
          if (c.test) this.visit(c.test, inner);
          this.visitAll(c.consequent, inner);
        }
        return;
      }
      case "AssignmentExpression":
        if (node.operator === "=") this.assignTarget(node.left, scope);
        else this.pattern(node.left, scope);
        this.visit(node.right, scope);
        return;
      default:
        for (const key of Object.keys(node)) {
          if (key === "type" || key === "start" || key === "end") continue;
          const value = node[key];
          if (Array.isArray(value)) {
            for (const v of value) if (v && typeof v.type === "string") this.visit(v, scope);
          } else if (value && typeof value === "object" && typeof value.type === "string") {
            this.visit(value, scope);
          }
        }
    }
  }

  /** An assignment target: identifiers in it are references; default values and computed keys are visited. */
  private pattern(node: AnyNode | null, scope: Scope): void {
    if (!node) return;
    switch (node.type) {
      case "Identifier":
        this.reference(scope, node.name);
        return;
      case "ObjectPattern":
        for (const p of node.properties) {
          if (p.type === "RestElement") this.pattern(p.argument, scope);
          else {
            if (p.computed) this.visit(p.key, scope);
            this.pattern(p.value, scope);
          }
        }
        return;
      case "ArrayPattern":
        for (const e of node.elements) this.pattern(e, scope);
        return;
      case "RestElement":
        this.pattern(node.argument, scope);
        return;
      case "AssignmentPattern":
        this.pattern(node.left, scope);
        this.visit(node.right, scope);
        return;
      default:
        this.visit(node, scope);
    }
  }

  /**
   * A loop: the back-edge check at the start of each iteration, with a reader
   * of the frame's locals that no nested function uses (those are counted
   * through that function's probe).
   */
  private loop(node: AnyNode, head: Scope): void {
    const body = node.body as AnyNode;
    const id = this.registry.id();
    const visible = this.visibleLocals(head);
    const text = () => {
      const locals = visible.filter((b) => !b.captured).map((b) => ({ name: b.name, binding: b.id }));
      this.registry.loops.set(id, locals);
      // The values, not a reader: a closure here would move the loop's locals out of registers for good.
      // A let/const not yet initialised throws while the list is built: then the check goes without them.
      if (!locals.length) return `if(${HOOK.loop}())${HOOK.memory}(${id});`;
      return `if(${HOOK.loop}())try{${HOOK.memory}(${id},[${locals.map((l) => l.name).join(",")}])}catch(${KEY}){${HOOK.memory}(${id},void 0,${KEY})}`;
    };
    if (body.type === "BlockStatement") {
      this.open(body.start + 1, text);
    } else {
      this.open(body.start, () => "{" + text());
      this.close(body.end, "}");
    }
    this.visit(body, head);
  }

  /** Locals visible at `scope`, innermost first, up to its function (at the top level: let/const/class only). */
  private visibleLocals(scope: Scope): Binding[] {
    const out: Binding[] = [];
    const seen = new Set<string>();
    for (let s: Scope | undefined = scope; s && s.fn === scope.fn; s = s.parent) {
      for (const b of s.names.values()) {
        if (b.global || seen.has(b.name)) continue;
        seen.add(b.name);
        out.push(b);
      }
    }
    return out;
  }

  // ---- functions ----

  private newFn(scope: Scope, source: string, code: string | undefined, instrumented: boolean, factory = false): Fn {
    const info: FunctionInfo = {
      id: factory ? 0 : this.registry.id(),
      source,
      expression: source,
      code,
      returns: false,
      params: [],
      nested: this.enclosingFn(scope) !== undefined,
      captures: [],
    };
    if (!factory) this.registry.functions.set(info.id, info);
    return { info, parent: scope.fn, captures: new Map(), instrumented, factory };
  }

  /** The nearest enclosing function of the original code (a lowered class's factory is not one). */
  private enclosingFn(scope: Scope): Fn | undefined {
    for (let fn = scope.fn; fn; fn = fn.parent) if (!fn.factory) return fn;
    return undefined;
  }

  /**
   * A function: its own scope, the prologue/epilogue, captures known once its body is done.
   * `method` is the node whose text V8 shows for it (a method or accessor), when not the function itself.
   */
  private fn(node: AnyNode, scope: Scope, method: AnyNode | undefined, extraCaptures: string[] = []): Fn {
    const textStart = method ? method.start : node.start;
    const source = this.src.slice(textStart, node.end);
    const instrumented = !node.generator && !node.async;
    const espruino = espruinoCode(this.src, node);
    const fn = this.newFn(scope, source, espruino.code, instrumented);
    fn.info.returns = espruino.returns;
    fn.info.params = node.params.map((p: AnyNode) => (p.type === "Identifier" ? p.name : this.src.slice(p.start, p.end)));
    if (method) fn.info.expression = "function" + this.src.slice(node.start, node.end);
    const inner: Scope = { parent: scope, names: new Map(), fn };
    if (node.type === "FunctionExpression" && node.id) {
      // The name of a function expression: a scope of its own around the function.
      inner.parent = { parent: scope, names: new Map(), fn };
      this.declare(inner.parent, node.id.name);
    }
    for (const p of node.params) this.declarePattern(inner, p);
    for (const p of node.params) this.paramDefaults(p, inner);
    // The edits first: an outer construct's closing text must come after the inner ones at the same position.
    // A function with default, rest or destructured parameters may not have a "use strict" of its own.
    const simple = node.params.every((p: AnyNode) => p.type === "Identifier");
    if (instrumented) {
      const prologue = () => {
        fn.info.captures = [...fn.captures.values()].map((b) => ({ name: b.name, binding: b.id }));
        return `${simple ? this.strictLine() : ""}try{if(${HOOK.enter}())return ${HOOK.probe}(${fn.info.id}${reader(fn.info.captures)});`;
      };
      const epilogue = EPILOGUE;
      if (node.body.type === "BlockStatement") {
        this.wrap(node.body.start + 1, prologue, node.body.end - 1, epilogue);
      } else {
        // An expression body: a block around it, starting right after the arrow (outside any parentheses).
        const arrow = this.src.indexOf("=>", node.params.length ? node.params[node.params.length - 1].end : node.start);
        this.open(arrow + 2, () => "{" + prologue() + "return(");
        this.close(node.end, ")" + epilogue + "}");
      }
    }
    for (const name of extraCaptures) this.reference(inner, name);
    if (node.body.type === "BlockStatement") {
      this.hoistVars(node.body.body, inner, false, true);
      this.declareLexical(node.body.body, inner, true);
      this.visitAll(node.body.body, inner);
    } else {
      this.visit(node.body, inner);
    }
    return fn;
  }

  private paramDefaults(p: AnyNode, scope: Scope): void {
    if (p.type === "AssignmentPattern") this.visit(p.right, scope);
  }

  // ---- classes ----

  private klass(node: AnyNode, scope: Scope): void {
    const members = node.body.body as AnyNode[];
    const unsupported = members.some(
      (m) =>
        m.type === "StaticBlock" ||
        m.key?.type === "PrivateIdentifier" ||
        (m.type === "MethodDefinition" && (m.value.generator || m.value.async)),
    );
    if (unsupported) {
      // Left a V8 class: visit it for captures and nested functions only.
      if (node.superClass) this.visit(node.superClass, scope);
      const inner: Scope = { parent: scope, names: new Map(), fn: scope.fn };
      if (node.id) this.declare(inner, node.id.name);
      for (const m of members) {
        if (m.computed) this.visit(m.key, inner);
        if (m.type === "MethodDefinition") this.fn(m.value, inner, m);
        else if (m.value) this.visit(m.value, inner);
      }
      return;
    }
    const name: string | undefined = node.id?.name;
    const derived = !!node.superClass;
    const declaration = node.type === "ClassDeclaration";
    // A class expression's name is not bound inside its methods on Espruino (`typeof Named` is "undefined" there).
    const outer = scope;
    if (node.superClass) this.visit(node.superClass, scope);
    // The factory function `function(__exo$s, __exo$f){ return [...] }` is a scope of its own.
    const factory = this.newFn(outer, "", undefined, false, true);
    const body: Scope = { parent: outer, names: new Map(), fn: factory };
    this.declare(body, SUPER);
    this.declare(body, FIELDS);

    // A class expression is parenthesised: `new class {…}(1)` must construct the class, not call the helper with `new`.
    const head = declaration ? `let ${name}=${HOOK.klass}(` : `(${HOOK.klass}(`;
    const factoryOpen = `,function(${SUPER},${FIELDS}){return[`;
    if (node.superClass) {
      this.replace(node.start, node.superClass.start, head + "(");
      this.replace(node.superClass.end, node.body.start + 1, ")" + factoryOpen);
    } else {
      this.replace(node.start, node.body.start + 1, head + "void 0" + factoryOpen);
    }

    let hasConstructor = false;
    let previousEnd = node.body.start + 1;
    for (const m of members) {
      this.strayDelimiters(previousEnd, m.start);
      previousEnd = m.end;
      const isStatic = !!m.static;
      const keyText = (kind: string) => {
        if (m.computed) return null;
        const key = m.key.type === "Identifier" ? m.key.name : String(m.key.value);
        return `${JSON.stringify(kind)},${JSON.stringify(key)},`;
      };
      const emitKey = (kind: string, before: string) => {
        const literal = keyText(kind);
        if (literal) {
          this.replace(m.start, m.value ? m.value.start : m.end, literal + before);
        } else {
          this.replace(m.start, m.key.start, `${JSON.stringify(kind)},(`);
          this.replace(m.key.end, m.value ? m.value.start : m.end, ")," + before);
          this.visit(m.key, body);
        }
      };
      if (m.type === "MethodDefinition") {
        if (m.kind === "constructor") {
          hasConstructor = true;
          this.replace(m.start, m.value.start, `"c",0,function${name ? " " + name : ""}`);
          this.methodFn(m.value, body, m, false, derived ? [SUPER, FIELDS] : [FIELDS]);
          this.constructorBody(m.value, derived);
        } else {
          const kind = m.kind === "get" ? "g" : m.kind === "set" ? "s" : "m";
          emitKey(isStatic ? kind.toUpperCase() : kind, "function");
          this.methodFn(m.value, body, m, isStatic, []);
        }
        this.close(m.end, ",");
      } else if (m.type === "PropertyDefinition") {
        const kind = isStatic ? "F" : "f";
        if (m.value) {
          emitKey(kind, "");
          this.fieldThunk(m, body, isStatic);
        } else {
          const literal = keyText(kind);
          if (literal) this.replace(m.start, m.end, literal + "0,");
          else {
            this.replace(m.start, m.key.start, `${JSON.stringify(kind)},(`);
            this.replace(m.key.end, m.end, "),0,");
            this.visit(m.key, body);
          }
        }
      }
    }
    this.strayDelimiters(previousEnd, node.body.end - 1);
    const defaultConstructor = () => {
      const fn = this.newFn(body, `class ${name ?? ""} {}`, undefined, true);
      fn.info.nested = this.enclosingFn(scope) !== undefined;
      const captures = derived ? [SUPER, FIELDS] : [FIELDS];
      for (const c of captures) this.reference({ parent: body, names: new Map(), fn }, c);
      fn.info.captures = [...fn.captures.values()].map((b) => ({ name: b.name, binding: b.id }));
      const init = derived ? `${SUPER}.apply(this,arguments);${HOOK.fields}(this,${FIELDS})` : `${HOOK.fields}(this,${FIELDS})`;
      return `"c",0,function${name ? " " + name : ""}(){${this.strictLine()}try{if(${HOOK.enter}())return ${HOOK.probe}(${fn.info.id}${reader(fn.info.captures)});${init}${EPILOGUE}},`;
    };
    const tail = declaration ? `]},${JSON.stringify(name)});` : `]},${JSON.stringify(name ?? "")}))`;
    if (hasConstructor) this.replace(node.body.end - 1, node.body.end, tail);
    else {
      const text = defaultConstructor();
      this.replace(node.body.end - 1, node.body.end, text + tail);
    }
    if (declaration && name) this.declare(scope, name);
  }

  /** `;` between class members would end up inside the member array: blank them (comments kept). */
  private strayDelimiters(from: number, to: number): void {
    for (let i = from; i < to; i++) {
      const comment = this.comments.find(([s, e]) => i >= s && i < e);
      if (comment) {
        i = comment[1] - 1;
        continue;
      }
      if (this.src[i] === ";") this.replace(i, i + 1, " ");
    }
  }

  /** A method of a lowered class: `super` rewritten inside it (arrows included), then instrumented as a function. */
  private methodFn(value: AnyNode, scope: Scope, member: AnyNode, isStatic: boolean, extra: string[]): void {
    const usesSuper = this.rewriteSuper(value.body, isStatic);
    this.fn(value, scope, member, usesSuper && !extra.includes(SUPER) ? [...extra, SUPER] : extra);
  }

  private constructorBody(value: AnyNode, derived: boolean): void {
    // Base class: fields first thing in the constructor (after the prologue, created before this).
    if (!derived) this.open(value.body.start + 1, `${HOOK.fields}(this,${FIELDS});`);
  }

  /** `super(...)`, `super.m(...)`, `super.x` in a method body (not inside nested non-arrow functions). */
  private rewriteSuper(node: AnyNode | null, isStatic: boolean): boolean {
    if (!node || typeof node !== "object") return false;
    if (Array.isArray(node)) {
      let found = false;
      for (const n of node) found = this.rewriteSuper(n, isStatic) || found;
      return found;
    }
    if (typeof node.type !== "string") return false;
    // Only arrows see the method's `super`.
    if (node.type !== "ArrowFunctionExpression" && VAR_SCOPE_BARRIERS.has(node.type)) return false;
    if (node.type === "CallExpression" && node.callee.type === "Super") {
      const open = this.src.indexOf("(", node.callee.end);
      this.replace(node.callee.start, node.callee.end, `(${SUPER}.call`);
      this.open(open + 1, node.arguments.length ? "this," : "this");
      this.close(node.end, `,${HOOK.fields}(this,${FIELDS}))`);
      this.rewriteSuper(node.arguments, isStatic);
      return true;
    }
    if (node.type === "CallExpression" && node.callee.type === "MemberExpression" && node.callee.object.type === "Super") {
      const callee = node.callee;
      this.replace(callee.object.start, callee.object.end, isStatic ? SUPER : `${SUPER}.prototype`);
      if (callee.computed) this.rewriteSuper(callee.property, isStatic);
      const open = this.src.indexOf("(", callee.end);
      this.close(callee.end, ".call");
      this.open(open + 1, node.arguments.length ? "this," : "this");
      this.rewriteSuper(node.arguments, isStatic);
      return true;
    }
    if (node.type === "MemberExpression" && node.object.type === "Super") {
      this.replace(node.object.start, node.object.end, isStatic ? SUPER : `${SUPER}.prototype`);
      if (node.computed) this.rewriteSuper(node.property, isStatic);
      return true;
    }
    let found = false;
    for (const key of Object.keys(node)) {
      if (key === "type" || key === "start" || key === "end") continue;
      found = this.rewriteSuper(node[key], isStatic) || found;
    }
    return found;
  }

  /** `x = expr;` → `"f","x",function(){PROLOGUE return(expr)EPILOGUE},` (this = the instance, or the class). */
  private fieldThunk(m: AnyNode, scope: Scope, isStatic: boolean): void {
    const value = m.value as AnyNode;
    this.rewriteSuper(value, isStatic);
    const fn = this.newFn(scope, this.src.slice(m.start, m.end), this.src.slice(value.start, value.end), true);
    fn.info.returns = true;
    const inner: Scope = { parent: scope, names: new Map(), fn };
    const prologue = () => {
      fn.info.captures = [...fn.captures.values()].map((b) => ({ name: b.name, binding: b.id }));
      return `function(){${this.strictLine()}try{if(${HOOK.enter}())return ${HOOK.probe}(${fn.info.id}${reader(fn.info.captures)});return(`;
    };
    this.open(value.start, prologue);
    this.replace(value.end, m.end, `)${EPILOGUE}},`);
    this.visit(value, inner);
  }
}

/** `,function(__exo$k){switch(__exo$k){case 0:return a;…}}` or "" when nothing is captured. */
function reader(captures: Capture[]): string {
  if (!captures.length) return "";
  return `,function(${KEY}){switch(${KEY}){${captures.map((c, i) => `case ${i}:return ${c.name}`).join(";")}}}`;
}

function countLines(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

/**
 * Espruino's `\xFFcod` of a function (jsparse.c, jspeFunctionDefinitionInternal):
 * from the body's first token (skipping a leading `return`) to the end of its
 * last token; an arrow's expression as written; undefined for an empty body.
 */
function espruinoCode(src: string, node: AnyNode): { code: string | undefined; returns: boolean } {
  const body = node.body as AnyNode;
  if (body.type !== "BlockStatement") return { code: src.slice(body.start, body.end), returns: true };
  const statements = body.body as AnyNode[];
  if (!statements.length) return { code: undefined, returns: false };
  let start = statements[0].start;
  const returns = statements[0].type === "ReturnStatement";
  if (returns) {
    const arg = statements[0].argument as AnyNode | null;
    start = arg ? arg.start : statements[0].start + "return".length;
    while (/\s/.test(src[start] ?? "")) start++;
  }
  return { code: src.slice(start, statements[statements.length - 1].end), returns };
}
