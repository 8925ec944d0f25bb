/**
 * What the interpreter enforces on running code, for the simulated device:
 * the recursion limit, running out of variables, and interruptions that no
 * `catch` or `finally` sees. The hooks the rewritten code calls (instrument.ts).
 *
 * Usage (device.ts, once per boot, after the API is installed):
 *   const guard = new Guard(context, realm, registry, { console, usage, total });
 *   script = new vm.Script(guard.rewrite(code), …)
 *   guard.enter("callback");
 *   try { callback() } catch (e) { if (!guard.finish(e, "event")) print(uncaughtText(e)) }
 *   guard.enter("jobs"); drain(); guard.settle();      // Promise callbacks
 *
 * Errors: the hooks throw the interruption (a device-realm Error, "Execution
 * Interrupted") through the device code; `finish` recognises it at the host
 * boundary and prints what the interpreter prints there. The hooks are
 * script-level constants (`__exo$…`): code written against the simulator
 * could call them and defeat its checks; the interpreter has no such thing.
 *
 * Contract (measured on Espruino 2v29, Linux builds; shared/espruino.md §2b):
 *   - Recursion: a function entered MAX_DEPTH deep interrupts the whole
 *     callback: in a timer or watch callback the console shows
 *     `Execution Interrupted during event processing.` then
 *     `Uncaught Error: Too much recursion - the stack is about to overflow`;
 *     at the top level of a script the two lines in the other order, the
 *     second `Execution Interrupted.`. The interpreter's limit is its C stack
 *     (~1000 frames of a small function, 300–900 of bigger ones); here every
 *     frame of device code counts one.
 *   - Memory: every so many steps (function entries and loop iterations) the
 *     variables in use are estimated (memory.ts: the globals, timers and
 *     watches, every closure, and the locals of the function whose loop made
 *     the check); above the board's count the interpreter's outcome follows:
 *     `OUT OF MEMORY` at once, the callback interrupted
 *     (`Execution Interrupted during event processing.`, or
 *     `Execution Interrupted.` at the top level), `E.getErrorFlags()` then
 *     includes LOW_MEMORY and MEMORY (`New interpreter error: LOW_MEMORY,MEMORY`
 *     when they are new). Checks come at most CHECK_STEPS_MAX steps apart,
 *     closer as memory fills and as it fills faster (the free variables over
 *     twice the growth per step seen between the last two checks, at least
 *     MIN_GROWTH), never closer than CHECK_STEPS_MIN. Precision: a loop that
 *     suddenly allocates more than 2 × MIN_GROWTH variables per step passes
 *     the count by up to one interval's allocations (a loop pushing small
 *     objects stops 10–16% past it; the interpreter stops at it); locals of
 *     the frames below the checking one are not counted. After running out,
 *     what is kept (the interrupted callback's locals freed) stands for a
 *     full memory, as the interpreter's is at its count: callbacks that keep
 *     nothing new run on, one that keeps more runs out again, until usage is
 *     back under the count.
 *   - Neither `catch` nor `finally` of the interrupted code runs; the other
 *     timers run on. An interruption inside a Promise callback ends it at its
 *     outermost frame (its Promise resolves with undefined: V8 would reject
 *     it, unhandled) and is reported after it.
 *   - Deterministic: checks depend on step counts, not on host time.
 */
import { types } from "node:util";
import vm from "node:vm";
import type { DeviceConsole } from "./console.ts";
import type { DeviceRealm } from "./espruino-api.ts";
import { CodeRegistry, HOOK, type Capture, type FunctionInfo } from "./instrument.ts";

/** Frames of device code before "Too much recursion" (the Linux build stops a small function at ~1021). */
export const MAX_DEPTH = 1000;
/**
 * Memory checks: the next one comes after (free variables) ÷ (2 × the growth
 * per step seen since the last one, at least MIN_GROWTH) steps, within these bounds.
 */
export const CHECK_STEPS_MIN = 1_000;
export const CHECK_STEPS_MAX = 100_000;
export const MIN_GROWTH = 2;

export const RECURSION_MESSAGE = "Too much recursion - the stack is about to overflow";

/** A captured variable or local with its current value, for the memory estimate. */
export interface CapturedValue extends Capture {
  value: unknown;
}

export interface GuardHost {
  console: DeviceConsole;
  /** Variables in use, counting `extra` (locals of the frame that checks) as well. */
  usage(extra: CapturedValue[]): number;
  /** The board's variables. */
  total: number;
}

type Interruption = "recursion" | "memory";
type Boundary = "event" | "top";

export class Guard {
  /** Device-realm functions made by the hooks' setup (ROM for the memory estimate). */
  readonly natives: object[] = [];
  private depth = 0;
  private countdown = CHECK_STEPS_MIN;
  /** Steps between the last two checks, and the usage the last one found. */
  private interval = CHECK_STEPS_MIN;
  private lastUsage = 0;
  /** Usage above which a check runs out: the board's count, or what was kept when it last ran out past it. */
  private ceiling = 0;
  private probing = false;
  /** What the host is running: a script's top level, a timer or watch callback, or Promise jobs (the default). */
  private mode: "script" | "callback" | "jobs" = "jobs";
  private probed?: { id: number; reader?: (i: number) => unknown };
  private interrupting?: Interruption;
  /** The stack of the last Error a catch block of device code caught (the kernel catches what an app throws). */
  lastCaught?: string;
  private sentinel: object;
  private flags = new Set<string>();
  private reported = new Set<string>();
  /**
   * fn → what its probe answered (null: not rewritten code). A reader reads the enclosing scopes' bindings live, so
   * one probe per function serves every memory estimate after it (a probe per function per estimate cost
   * a third of the estimate).
   */
  private probes = new WeakMap<Function, { info: FunctionInfo; reader?: (i: number) => unknown } | null>();
  private realmEval: (code: string) => unknown;

  constructor(
    private context: vm.Context,
    private realm: DeviceRealm,
    readonly registry: CodeRegistry,
    private host: GuardHost,
  ) {
    this.sentinel = new realm.Error("Execution Interrupted");
    this.ceiling = host.total;
    this.schedule(0); // the first check as if nothing were used yet
    this.realmEval = (code) => vm.runInContext(code, context, { filename: "exo-sim:eval" });
    this.install();
  }

  /** The simulator's rewrite of device code (instrument.ts), cached per text. */
  rewrite(code: string): string {
    return this.registry.prepare(code).code;
  }

  /** `new Function(body)` / a string callback, rewritten like the bundle. */
  compile(body: string): Function {
    return this.realmEval(this.rewrite(`(function anonymous(\n) {\n${body}\n})`)) as Function;
  }

  /** Evaluate an expression's text in the device's global scope (rewritten). */
  evaluate(code: string): unknown {
    return this.realmEval(this.rewrite(code));
  }

  /** Evaluate the simulator's own device-realm code (not rewritten: not counted, not probed). */
  evaluateRaw(code: string): unknown {
    return this.realmEval(code);
  }

  /**
   * The host is about to run device code: a script's top level, a timer or
   * watch callback, or Promise jobs. Frames count from here; an interruption
   * nobody reported is reported first.
   */
  enter(mode: "script" | "callback" | "jobs"): void {
    if (this.interrupting) this.report("event");
    this.depth = 0;
    this.mode = mode;
  }

  /** True if `error` is the interruption (the value the hooks throw). */
  isInterruption(error: unknown): boolean {
    return error === this.sentinel;
  }

  /**
   * An error reached the host from device code (`where`: a callback, or the
   * top level of a script). For an interruption, print what the interpreter
   * prints there and return true; else false (the caller reports the error).
   */
  finish(error: unknown, where: Boundary): boolean {
    if (!this.isInterruption(error) && !this.interrupting) return false;
    this.report(where);
    return true;
  }

  /** After Promise callbacks ran: an interruption one of them swallowed into a rejection is reported now. */
  settle(): void {
    if (this.interrupting) this.report("event");
  }

  /** E.getErrorFlags(): the flags set since the last call, then cleared. */
  takeErrorFlags(): string[] {
    const order = ["FIFO_FULL", "BUFFER_FULL", "CALLBACK", "LOW_MEMORY", "MEMORY", "MEMORY_BUSY", "UART_OVERFLOW"];
    const out = order.filter((f) => this.flags.has(f));
    this.flags.clear();
    return out;
  }

  /**
   * What the memory estimate needs from a function of device code: its
   * original source length and captured variables (through its probe), or
   * undefined for a function the rewrite did not instrument.
   */
  describe(fn: Function): { info: FunctionInfo; captures: CapturedValue[] } | undefined {
    const probed = this.probe(fn);
    if (!probed) return undefined;
    const { info, reader } = probed;
    const captures: CapturedValue[] = [];
    if (reader) {
      for (let i = 0; i < info.captures.length; i++) {
        const value = this.read(reader, i);
        if (value !== NOT_READ) captures.push({ name: info.captures[i].name, binding: info.captures[i].binding, value });
      }
    }
    return { info, captures };
  }

  /** The rewrite's record of a device function (undefined for natives, bound functions, code not rewritten). */
  info(fn: Function): FunctionInfo | undefined {
    return this.probe(fn)?.info;
  }

  // ---- inside ----

  private probe(fn: Function): { info: FunctionInfo; reader?: (i: number) => unknown } | undefined {
    let known = this.probes.get(fn);
    if (known === undefined) {
      known = this.probeOnce(fn);
      if (known !== undefined) this.probes.set(fn, known);
    }
    return known ?? undefined;
  }

  /** Null: not a function of the rewrite; undefined: it did not answer this time. */
  private probeOnce(fn: Function): { info: FunctionInfo; reader?: (i: number) => unknown } | null | undefined {
    let source = "";
    try {
      source = Function.prototype.toString.call(fn);
    } catch {
      // not a function of any realm
    }
    if (!PROLOGUE.test(source)) return null;
    const was = this.probing;
    this.probing = true;
    this.probed = undefined;
    try {
      Reflect.apply(fn, undefined, []);
    } catch {
      // a probe does not throw; a function that does is not one of ours
    } finally {
      this.probing = was;
    }
    const probed = this.probed as { id: number; reader?: (i: number) => unknown } | undefined;
    this.probed = undefined;
    const info = probed && this.registry.functions.get(probed.id);
    return info ? { info, reader: probed!.reader } : undefined;
  }

  private read(reader: (i: number) => unknown, i: number): unknown {
    try {
      return reader(i);
    } catch {
      return NOT_READ; // not initialised yet (let/const before their declaration)
    }
  }

  private check(loop?: { id: number; values?: ArrayLike<unknown> }): void {
    const extra: CapturedValue[] = [];
    const locals = loop && this.registry.loops.get(loop.id);
    if (locals && loop!.values) {
      for (let i = 0; i < locals.length; i++) extra.push({ name: locals[i].name, binding: locals[i].binding, value: loop!.values[i] });
    }
    this.probing = true; // estimates call probes: no step counts, no checks inside
    let usage: number;
    try {
      usage = this.host.usage(extra);
    } finally {
      this.probing = false;
    }
    if (usage <= this.host.total) this.ceiling = this.host.total;
    this.schedule(usage);
    if (usage > this.ceiling) this.interrupt("memory");
  }

  /** The next check: sooner as memory fills (up to the ceiling), and sooner still while it fills fast. */
  private schedule(usage: number): void {
    const growth = Math.max(MIN_GROWTH, (usage - this.lastUsage) / Math.max(1, this.interval));
    const free = this.ceiling - usage;
    this.lastUsage = usage;
    this.interval = Math.max(CHECK_STEPS_MIN, Math.min(CHECK_STEPS_MAX, Math.floor(free / (2 * growth))));
    this.countdown = this.interval;
  }

  private interrupt(kind: Interruption): never {
    this.interrupting = kind;
    if (kind === "memory") {
      this.host.console.write("OUT OF MEMORY");
      this.flags.add("LOW_MEMORY");
      this.flags.add("MEMORY");
    }
    throw this.sentinel;
  }

  private report(where: Boundary): void {
    const kind = this.interrupting ?? "recursion";
    this.interrupting = undefined;
    this.depth = 0;
    const interrupted = where === "event" ? "Execution Interrupted during event processing." : "Execution Interrupted.";
    const out = this.host.console;
    if (kind === "recursion") {
      const uncaught = `Uncaught Error: ${RECURSION_MESSAGE}`;
      if (where === "event") out.write(interrupted + "\n" + uncaught);
      else out.write(uncaught + "\n" + interrupted);
      return;
    }
    out.write(interrupted);
    const fresh = [...this.flags].filter((f) => !this.reported.has(f));
    this.reported = new Set(this.flags);
    if (fresh.length) out.write(`New interpreter error: ${fresh.join(",")}`);
    // The chip stops allocating at its count; the simulator noticed a little later. What is kept now
    // (the callback's locals gone) stands for "full": only growth beyond it runs out again.
    const was = this.probing;
    this.probing = true;
    try {
      this.ceiling = Math.max(this.host.total, this.host.usage([]));
    } finally {
      this.probing = was;
    }
    this.schedule(this.ceiling);
  }

  /** The hooks as script-level constants of the context (not properties of the global object). */
  private install(): void {
    const functionPrototype = this.realm.Function.prototype;
    const realmFn = <F extends Function>(f: F): F => {
      Object.setPrototypeOf(f, functionPrototype);
      this.natives.push(f);
      return f;
    };
    const hooks: Record<string, Function> = {
      [HOOK.enter]: realmFn(() => {
        if (this.probing) return true;
        if (this.interrupting) {
          // A new callback (a Promise job after an interrupted one), or device code run by the host while unwinding.
          if (this.depth === 0) this.report("event");
          else throw this.sentinel;
        }
        // Counted before anything can throw: the function's `finally` counts it out again.
        if (++this.depth > MAX_DEPTH) this.interrupt("recursion");
        if (--this.countdown <= 0) this.check();
        return false;
      }),
      // True drops the interruption at the outermost frame of a Promise job (the epilogue returns).
      [HOOK.exit]: realmFn(() => {
        if (this.probing) return false;
        if (this.depth > 0) this.depth--;
        return this.interrupting !== undefined && this.depth === 0 && this.mode === "jobs";
      }),
      [HOOK.probe]: realmFn((id: number, reader?: (i: number) => unknown) => {
        if (this.probing) this.probed = { id, reader };
      }),
      [HOOK.loop]: realmFn(() => !this.probing && --this.countdown <= 0),
      [HOOK.memory]: realmFn((id: number, values?: ArrayLike<unknown>, error?: unknown) => {
        if (error !== undefined && this.isInterruption(error)) throw error;
        if (!this.probing) this.check({ id, values });
      }),
      [HOOK.caught]: realmFn((error?: unknown) => {
        if (this.interrupting) throw this.sentinel;
        // Only a genuine Error's own stack text: reading anything else could run device code (a getter, a proxy).
        if (types.isNativeError(error) && !types.isProxy(error)) {
          const stack = Object.getOwnPropertyDescriptor(error, "stack")?.value;
          if (typeof stack === "string") this.lastCaught = stack;
        }
      }),
      [HOOK.interrupted]: realmFn(() => this.interrupting !== undefined),
      [HOOK.evalText]: realmFn((code: unknown) => (typeof code === "string" ? this.rewrite(code) : code)),
      apply: realmFn((fn: Function, self: unknown, args: ArrayLike<unknown>) => Reflect.apply(fn, self, listOf(args))),
    };
    const setup = "__exoSetup";
    Object.defineProperty(this.realm.global, setup, { value: hooks, configurable: true, writable: false, enumerable: false });
    const names = Object.values(HOOK).filter((n) => n !== HOOK.klass && n !== HOOK.fields && n !== HOOK.global);
    vm.runInContext(
      `const ${HOOK.global}=this,${names.map((n) => `${n}=${setup}[${JSON.stringify(n)}]`).join(",")};
      const [${HOOK.klass},${HOOK.fields}]=(${CLASS_HELPERS})(Object.defineProperty,Object.getOwnPropertyDescriptor,Object.create,${setup}.apply);
      delete this.${setup};`,
      this.context,
      { filename: "exo-sim:hooks" },
    );
    const helpers = vm.runInContext(`[${HOOK.klass},${HOOK.fields}]`, this.context) as object[];
    this.natives.push(...helpers);
  }
}

const NOT_READ = Symbol("not read");

/** A host array of an array-like's elements, read by index (no iterator device code could have replaced). */
export function listOf(values: ArrayLike<unknown>, before: ArrayLike<unknown> = []): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < before.length; i++) out.push(before[i]);
  for (let i = 0; i < values.length; i++) out.push(values[i]);
  return out;
}
/** The start of every function the rewrite instruments, up to the probe call. */
const PROLOGUE = /^[^{]*\{(?:"use strict";)?try\{if\(__exo\$e\(\)\)return __exo\$p\(/;

/**
 * The lowered classes' helpers, run in the device realm with intrinsics taken
 * before any device code runs (device code may replace Object.defineProperty
 * later; classes keep working as on the chip, where they are native).
 * Methods and accessors are enumerable, as on Espruino; statics are not inherited.
 */
const CLASS_HELPERS = `function (defineProperty, getOwnPropertyDescriptor, create, apply) {
  function define(target, kind, key, fn) {
    if (kind === "m") { defineProperty(target, key, { value: fn, writable: true, enumerable: true, configurable: true }); return; }
    var old = getOwnPropertyDescriptor(target, key);
    var d = { enumerable: true, configurable: true, get: old && old.get, set: old && old.set };
    if (kind === "g") d.get = fn; else d.set = fn;
    defineProperty(target, key, d);
  }
  function klass(parent, factory, name) {
    var fields = [], statics = [], ctor, i;
    var items = factory(parent, fields);
    for (i = 0; i < items.length; i += 3) if (items[i] === "c") ctor = items[i + 2];
    if (parent !== undefined && parent !== null) {
      defineProperty(ctor, "prototype", { value: create(parent.prototype), writable: true, enumerable: false, configurable: false });
    }
    defineProperty(ctor.prototype, "constructor", { value: ctor, writable: true, enumerable: false, configurable: true });
    for (i = 0; i < items.length; i += 3) {
      var kind = items[i], key = items[i + 1], fn = items[i + 2];
      if (kind === "c") continue;
      // The name V8 gives a method (stack traces, the hang report); not a binding inside it.
      if (typeof fn === "function") defineProperty(fn, "name", { value: String(key), configurable: true });
      if (kind === "f") { fields[fields.length] = key; fields[fields.length] = fn; continue; }
      if (kind === "F") { statics[statics.length] = key; statics[statics.length] = fn; continue; }
      var lower = kind === "M" ? "m" : kind === "G" ? "g" : kind === "S" ? "s" : kind;
      define(lower === kind ? ctor.prototype : ctor, lower, key, fn);
    }
    for (i = 0; i < statics.length; i += 2) ctor[statics[i]] = statics[i + 1] ? apply(statics[i + 1], ctor, []) : undefined;
    return ctor;
  }
  function init(object, fields) {
    for (var i = 0; i < fields.length; i += 2) object[fields[i]] = fields[i + 1] ? apply(fields[i + 1], object, []) : undefined;
  }
  return [klass, init];
}`;
