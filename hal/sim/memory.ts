/**
 * The simulated device's memory use: an estimate of Espruino variables (JsVars).
 *
 * Usage:
 *   const memory = new MemoryEstimator(contextGlobal, { functions });   // after the API is installed
 *   memory.usage(roots, frameLocals?)  // variables held by the device program
 *   memory.sizeOf(value)               // E.getSizeOf: one value, closures not followed
 *
 * Errors: none. If node:inspector is unavailable, closures of functions the
 * simulator did not rewrite are not followed.
 *
 * Contract — the rules (in the spirit of Espruino's JsVars; checked against
 * E.getSizeOf on 2v29: {a:1} = 2, [1,2,3] = 4, 100 × {k:i} in an array ≈ 300):
 *   - Built-ins and the simulated API (everything reachable from the global
 *     object before the program runs) live in ROM: 0.
 *   - An object, array, function, typed array, ArrayBuffer, Date or RegExp: 1.
 *   - A property or array element: 1 (its name; a name longer than 12 chars
 *     takes one more variable per 12 chars). An integer, boolean, undefined or
 *     null value is packed into the name: +0. A non-integer number: +1. A
 *     string: ceil(length / 12), at least 1.
 *   - A function's source text: ceil(length / 12) (Espruino keeps the text of
 *     every function it creates; nested functions count again, as on the chip).
 *   - A closure's captured variables: 1 each plus their values, each
 *     declaration counted once per value. Read through the function's probe
 *     (instrument.ts: the variables of enclosing scopes its code uses, found
 *     when the bundle is rewritten; a call in probe mode hands them over, no
 *     device code runs), so unused locals are missed (Espruino would keep
 *     them). Functions the simulator did not rewrite (eval'd or `new
 *     Function` code, generators) are read through node:inspector's
 *     [[Scopes]] instead, much slower.
 *   - The locals of the frame whose loop asked for a memory check (guard.ts),
 *     counted like captured variables.
 *   - A typed array's bytes: ceil(byteLength / 12) on its ArrayBuffer, once.
 *   - Each live timer or watch: 4 (Espruino's timer record) plus its callback.
 *   - Top-level `let`/`const` are counted only when some function closes over them.
 * Each object is counted once however often it is referenced.
 */
import inspector from "node:inspector";
import { types } from "node:util";

/** A captured variable (or local) with its value: `binding` identifies its declaration. */
export interface CapturedVariable {
  name: string;
  binding: number;
  value: unknown;
}

/**
 * What the simulator knows about a function of device code: its original
 * source length and captured variables, or the parts of a bound function
 * (target, this, arguments), or undefined (then V8 and the inspector are asked).
 */
export type FunctionOracle = (fn: Function) => { sourceLength: number; captures: CapturedVariable[] } | { parts: [string, unknown][] } | undefined;

/** Characters (or bytes) one variable holds. */
export const CHARS_PER_VARIABLE = 12;
/** Variables of one timer or watch record. */
export const TIMER_RECORD = 4;

const chunks = (length: number): number => Math.max(1, Math.ceil(length / CHARS_PER_VARIABLE));
/** An array index or other all-digit name (one variable whatever its length). */
function isIndex(key: string): boolean {
  if (!key.length) return false;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
const isObject = (value: unknown): value is object =>
  (typeof value === "object" && value !== null) || typeof value === "function";

export class MemoryEstimator {
  /** Objects that exist before the program runs: built-ins and the API. */
  private native = new WeakSet<object>();
  /** The global's properties before the program runs, and their values. */
  private nativeGlobals = new Map<string, unknown>();

  constructor(
    private global: object,
    private options: { closures?: boolean; functions?: FunctionOracle } = {},
  ) {
    const stack: object[] = [global];
    for (const key of Object.getOwnPropertyNames(global)) {
      const descriptor = Object.getOwnPropertyDescriptor(global, key);
      this.nativeGlobals.set(key, descriptor && "value" in descriptor ? descriptor.value : descriptor?.get);
    }
    while (stack.length) {
      const object = stack.pop()!;
      if (this.native.has(object)) continue;
      this.native.add(object);
      const proto = Object.getPrototypeOf(object);
      if (proto) stack.push(proto);
      for (const key of Object.getOwnPropertyNames(object)) {
        const descriptor = Object.getOwnPropertyDescriptor(object, key)!;
        for (const value of [descriptor.value, descriptor.get, descriptor.set]) if (isObject(value)) stack.push(value);
      }
    }
  }

  /** Mark more objects as native (e.g. the API's pin objects). */
  addNative(values: object[]): void {
    for (const value of values) this.native.add(value);
  }

  /** Variables used by the program: the global's own additions, `roots` (timer and watch callbacks), and `locals` of a running frame. */
  usage(roots: { records: number; values: unknown[] }, locals: CapturedVariable[] = []): number {
    const walk = new Walk(this.native, this.options.closures !== false, this.options.functions);
    let total = roots.records * TIMER_RECORD;
    for (const local of locals) total += walk.capture(local);
    for (const key of Object.getOwnPropertyNames(this.global)) {
      const descriptor = Object.getOwnPropertyDescriptor(this.global, key)!;
      const value = "value" in descriptor ? descriptor.value : descriptor.get;
      if (this.nativeGlobals.has(key) && this.nativeGlobals.get(key) === value) continue;
      total += walk.property(key, value);
    }
    for (const value of roots.values) total += walk.value(value);
    return total + walk.drain();
  }

  /** E.getSizeOf(value): the variables of one value and what it references (closures not followed). */
  sizeOf(value: unknown): number {
    const walk = new Walk(this.native, false, this.options.functions);
    return Math.max(1, walk.value(value) + walk.drain());
  }
}

/** One traversal: counts each object once, follows closures in rounds through the inspector. */
class Walk {
  private seen = new WeakSet<object>();
  private pending: object[] = [];
  private functions: Function[] = [];
  private scopeKeys = new Set<string>();
  private ids = new WeakMap<object, number>();
  private nextId = 0;
  /** Declaration → the values already counted for it. */
  private captured = new Map<number, Set<unknown>>();

  constructor(
    private native: WeakSet<object>,
    private closures: boolean,
    private oracle?: FunctionOracle,
  ) {}

  /** A captured variable or local: its name and value, once per declaration and value. */
  capture(variable: CapturedVariable): number {
    let values = this.captured.get(variable.binding);
    if (!values) this.captured.set(variable.binding, (values = new Set()));
    if (values.has(variable.value)) return 0;
    values.add(variable.value);
    return this.property(variable.name, variable.value);
  }

  private valueKey(value: unknown): string {
    if (!isObject(value)) return `${typeof value}:${String(value)}`;
    let id = this.ids.get(value);
    if (id === undefined) this.ids.set(value, (id = this.nextId++));
    return `#${id}`;
  }

  /** A property `key` holding `value`: the name variable plus the value. */
  property(key: string, value: unknown): number {
    const name = isIndex(key) ? 1 : chunks(key.length);
    return name + this.value(value, true);
  }

  /** A value; `inName` when it sits in a property (small values are packed into the name). */
  value(value: unknown, inName = false): number {
    switch (typeof value) {
      case "number":
        return Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff ? (inName ? 0 : 1) : 1;
      case "boolean":
      case "undefined":
        return inName ? 0 : 1;
      case "string":
        return chunks(value.length);
      case "bigint":
      case "symbol":
        return 1;
    }
    if (value === null) return inName ? 0 : 1;
    const object = value as object;
    if (this.native.has(object) || this.seen.has(object)) return 0;
    this.seen.add(object);
    this.pending.push(object);
    return 0;
  }

  /** Count everything queued, following closures until nothing new turns up. */
  drain(): number {
    let total = 0;
    for (;;) {
      while (this.pending.length) total += this.object(this.pending.pop()!);
      if (!this.closures || !this.functions.length) return total;
      const functions = this.functions;
      this.functions = [];
      total += this.scopes(functions);
    }
  }

  private object(object: object): number {
    let total = 1;
    // A host object that leaked in (a simulator bug) counts 1: never walk the host's heap.
    if (isHostObject(object)) return total;
    if (typeof object === "function") {
      const known = this.oracle?.(object as Function);
      if (known && "parts" in known) {
        // A bound function (or a clone): no text of its own; its parts count like one scope's variables.
        if (this.closures) for (const [name, value] of known.parts) total += this.property(name, value);
      } else if (known) {
        total += chunks(known.sourceLength);
        if (this.closures) for (const variable of known.captures) total += this.capture(variable);
      } else {
        const source = Function.prototype.toString.call(object);
        if (!source.endsWith("{ [native code] }")) total += chunks(source.length);
        this.functions.push(object as Function);
      }
    } else if (ArrayBuffer.isView(object)) {
      total += this.value(object.buffer);
    }
    const bytes = arrayBufferLength(object);
    if (bytes !== undefined) total += chunks(bytes);
    const proto = Object.getPrototypeOf(object);
    if (proto) total += this.value(proto);
    if (ArrayBuffer.isView(object)) return total; // its bytes are counted on the buffer
    const isFunction = typeof object === "function";
    const isArray = Array.isArray(object);
    for (const key of Object.getOwnPropertyNames(object)) {
      if (isFunction && (key === "length" || key === "name" || key === "arguments" || key === "caller")) continue;
      if (isArray && key === "length") continue;
      const descriptor = Object.getOwnPropertyDescriptor(object, key)!;
      if (isFunction && key === "prototype" && isDefaultPrototype(descriptor.value, object)) continue;
      if ("value" in descriptor) total += this.property(key, descriptor.value);
      else total += 1 + this.value(descriptor.get) + this.value(descriptor.set);
    }
    return total;
  }

  /** Closure variables of `functions`, read through the inspector; each scope counted once. */
  private scopes(functions: Function[]): number {
    let total = 0;
    for (const scope of readScopes(functions)) {
      const key = this.scopeKey(scope);
      if (this.scopeKeys.has(key)) continue;
      this.scopeKeys.add(key);
      for (const name of Object.keys(scope)) total += this.property(name, scope[name]);
    }
    return total;
  }

  /** Scopes shared by several closures materialize as equal copies: same names, same values. */
  private scopeKey(scope: Record<string, unknown>): string {
    return Object.keys(scope)
      .sort()
      .map((name) => `${name}=${this.valueKey(scope[name])}`)
      .join(";");
  }
}

/** True for objects of the host's realm (the device's objects descend from the context's Object). */
function isHostObject(object: object): boolean {
  return object instanceof Object;
}

const byteLengthOfArrayBuffer = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, "byteLength")!.get!;

/** The byte length if `object` is an ArrayBuffer of any realm (a brand check, not the spoofable tag; no exception thrown). */
function arrayBufferLength(object: object): number | undefined {
  return types.isArrayBuffer(object) ? (byteLengthOfArrayBuffer.call(object) as number) : undefined;
}

/** A function's untouched `prototype`: an object whose only key is `constructor` pointing back. */
function isDefaultPrototype(value: unknown, fn: object): boolean {
  if (!isObject(value)) return false;
  const keys = Object.getOwnPropertyNames(value);
  return keys.length === 1 && keys[0] === "constructor" && (value as { constructor: unknown }).constructor === fn;
}

const PROBE = "__exoMemoryProbe";
const SINK = "__exoMemorySink";

/**
 * The captured-variable objects of each function's closure scopes (and a bound
 * function's target, this and arguments), via node:inspector — the only way to
 * see into a closure from outside. Synchronous: the in-thread session answers
 * before `post` returns.
 */
function readScopes(functions: Function[]): Record<string, unknown>[] {
  let session: inspector.Session;
  try {
    session = new inspector.Session();
    session.connect();
  } catch {
    return [];
  }
  const host = globalThis as Record<string, unknown>;
  const sink: Record<string, unknown>[] = [];
  host[PROBE] = functions;
  host[SINK] = sink;
  const group = "exo-memory";
  const post = <T>(method: string, params: object): T => {
    let result: T | undefined;
    let failure: Error | null = null;
    session.post(method, params, (error, answer) => {
      failure = error;
      result = answer as T;
    });
    if (failure) throw failure;
    if (result === undefined) throw new Error(`inspector ${method} answered asynchronously`);
    return result;
  };
  type Remote = { objectId?: string; value?: unknown; description?: string };
  type Property = { name: string; value?: Remote };
  try {
    const probe = post<{ result: Remote }>("Runtime.evaluate", { expression: `globalThis.${PROBE}`, objectGroup: group }).result;
    const sinkId = post<{ result: Remote }>("Runtime.evaluate", { expression: `globalThis.${SINK}`, objectGroup: group }).result.objectId;
    const collect = (objectId: string | undefined, expression: string) => {
      if (objectId) {
        post("Runtime.callFunctionOn", {
          objectId,
          functionDeclaration: `function (sink) { sink.push(${expression}); }`,
          arguments: [{ objectId: sinkId }],
          objectGroup: group,
        });
      }
    };
    const elements = post<{ result: Property[] }>("Runtime.getProperties", { objectId: probe.objectId, ownProperties: true }).result;
    for (const element of elements) {
      if (!/^\d+$/.test(element.name) || !element.value?.objectId) continue;
      const internals =
        post<{ internalProperties?: Property[] }>("Runtime.getProperties", { objectId: element.value.objectId, ownProperties: true })
          .internalProperties ?? [];
      for (const internal of internals) {
        if (internal.name === "[[Scopes]]" && internal.value?.objectId) {
          const scopes = post<{ result: Property[] }>("Runtime.getProperties", { objectId: internal.value.objectId, ownProperties: true }).result;
          for (const scope of scopes) {
            if (!/^\d+$/.test(scope.name) || scope.value?.description?.startsWith("Global")) continue;
            collect(scope.value?.objectId, "this.object");
          }
        } else if (internal.name === "[[TargetFunction]]" || internal.name === "[[BoundThis]]" || internal.name === "[[BoundArgs]]") {
          // Wrapped so the bound parts count like captured variables of one scope.
          collect(internal.value?.objectId, `{ ${JSON.stringify(internal.name)}: this }`);
        }
      }
    }
  } catch {
    // The estimate degrades to reflection only; never fail the device over it.
  } finally {
    try {
      post("Runtime.releaseObjectGroup", { objectGroup: group });
    } catch {
      // already gone
    }
    session.disconnect();
    delete host[PROBE];
    delete host[SINK];
  }
  return sink.filter((scope) => isObject(scope));
}
