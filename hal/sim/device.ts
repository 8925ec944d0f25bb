/**
 * The simulated device: runs a device bundle on models of the ESP32's flash, pins and clock.
 *
 * Usage:
 *   const device = new SimDevice({ board: findBoard("esp32"), seed: 1, gate: bundleGate, onConsole: (l) => console.log(l) });
 *   device.boot(readFileSync("dist/firmware.js", "utf8"), { file: "dist/firmware.js" });
 *   const report = device.run(10_000);     // 10 s of simulated time, as fast as the host can
 *   writeFileSync("blinky.vcd", device.vcd());
 *   device.bootFromStorage();              // or: power on as the interpreter does, running .bootcde
 *
 * Errors: with a `gate` (the host passes tools/gate's `bundleGate`), `boot`
 * throws a UserError listing the first constructs it rejects (file:line
 * through the source map), before anything runs.
 * Device-side failures never throw out of `run`: an uncaught error is printed
 * (`Uncaught Error: …`) and the other timers keep running; too deep a
 * recursion or running out of variables interrupts the callback as the
 * interpreter does (guard.ts: no catch or finally runs, the console shows
 * `Execution Interrupted…`), and `eval` then throws "Execution Interrupted"; a callback that
 * does not return within `hangTimeoutMs` of host time is a hang: a watchdog
 * reset if `E.enableWatchdog` was called, else the device stops ("hung") and
 * the console names the callback; a power cut (a NorFlash cut, or
 * `control.cutPower()`) turns the device off ("power-cut"): the cut reaches
 * device code as a thrown Error, every later API call throws it again, and
 * no further callback runs. `eval` throws what the device code throws.
 *
 * Contract: the bundle runs in a Node vm context that has the Espruino API
 * surface (espruino-api.ts, functions.ts) and lacks what the interpreter lacks
 * (builtins.ts), rewritten first so that V8 behaves like the interpreter where
 * isolation depends on it (instrument.ts: `this`, classes, recursion and
 * memory checks; the gate checks the code as given, line numbers are kept).
 * Simulated time only moves in `run`; callbacks take no
 * simulated time; timers fire in time order, ties in scheduling order, so the
 * same bundle, seed and controls give the same console and waveform. The
 * clock, the pins' recording and the console run on across reboots; RAM (the
 * vm context, timers, watches, pin modes) does not; the flash does.
 * Storage (`device.storage`, `require("Storage")`) lives in the flash's
 * `board.storage` region (storage.ts); `load()` restarts into `.bootcde`,
 * `reset()` restarts with an empty program (both at the next `run`/`eval`).
 */
import vm from "node:vm";
import { UserError } from "../user-error.ts";
import type { Board } from "../boards.ts";
import { restrictToEspruino } from "./builtins.ts";
import { VirtualClock, type ClockEntry } from "./clock.ts";
import { DeviceConsole, uncaughtText, type ConsoleLine } from "./console.ts";
import { SimControl } from "./control.ts";
import { installEspruinoApi, type InstalledApi } from "./espruino-api.ts";
import { NorFlash, PowerCut, xorshift32 } from "./flash.ts";
import { installFunctionBuiltins, type FunctionBuiltins } from "./functions.ts";
import { Guard } from "./guard.ts";
import { sharedRegistry, type Prepared } from "./instrument.ts";
import { MemoryEstimator, type FunctionOracle } from "./memory.ts";
import { threadCpuMs } from "./thread-cpu.ts";
import { SimNet, type SimNetOptions } from "./net.ts";
import { PinBank, type LevelChange } from "./pins.ts";
import { SimStorage } from "./storage.ts";
import { toVcd } from "./vcd.ts";
import { Watches } from "./watch.ts";

/** A check of code before it runs: the reasons it may not, one line each (file:line:col first). */
export type BundleGate = (code: string, source: { file: string; map?: string | object }) => string[];

export interface SimOptions {
  board: Board;
  /** Seeds Math.random, E.hwRand and the flash's torn states. Default 1. */
  seed?: number;
  /** A raw image of the whole chip (`board.chip.size` bytes). Default: erased (all 0xFF). */
  flashImage?: Uint8Array;
  /** Host milliseconds one top-level run, callback or eval may take before it counts as a hang. Default 3000. */
  hangTimeoutMs?: number;
  /**
   * The dialect gate `boot` runs first (the host passes tools/gate's `bundleGate`; hal imports no tools):
   * the violations it finds as lines, none when the code may run. Default: none.
   */
  gate?: BundleGate;
  /** Called for every console line as it is printed. */
  onConsole?: (line: string, simMs: number) => void;
  /** Give the device a network: `require("dgram")` on real loopback sockets (net.ts). Default: none. */
  net?: SimNetOptions;
}

/** "halted": nothing booted; "running": timers pending; "idle": booted, no timers (watches may wait). */
export type DeviceState = "running" | "idle" | "halted" | "power-cut" | "hung";

export interface RunReport {
  /** Simulated time this call advanced. */
  simulatedMs: number;
  /** Host time it took. */
  wallMs: number;
  /** simulatedMs ÷ wallMs: how much faster than real time. */
  ratio: number;
  /** Live device timers after the run. */
  timersPending: number;
  state: DeviceState;
  /** Why the device stopped, when it is "hung" or "power-cut". */
  reason?: string;
}

export const DEFAULT_HANG_TIMEOUT_MS = 3000;
/**
 * Host CPU milliseconds a callback may use before getTime() starts to count
 * them (so the kernel can time a CPU hog); callbacks take no simulated time
 * below it, which keeps code that does not hog deterministic.
 */
export const BUSY_GRACE_MS = 50;
/** The global through which the host calls device callbacks (a script with a timeout must be the entry). */
const CALLBACK_GLOBAL = "__exoCall";
const callbackScript = new vm.Script(`${CALLBACK_GLOBAL}()`, { filename: "exo-sim:callback" });
/** Evaluating anything runs the context's pending microtasks (microtaskMode "afterEvaluate"). */
const drainScript = new vm.Script("undefined", { filename: "exo-sim:microtasks" });
/** How many gate violations the boot error lists. */
const SHOWN_VIOLATIONS = 5;

interface Boot {
  context: vm.Context;
  api: InstalledApi;
  memory: MemoryEstimator;
  guard: Guard;
  functions: FunctionBuiltins;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown; uncaught: boolean };

export class SimDevice {
  readonly board: Board;
  readonly flash: NorFlash;
  readonly control: SimControl;
  /** Espruino's Storage in the flash's `board.storage` region (storage.ts). */
  readonly storage: SimStorage;
  /** The network, when `options.net` asked for one (net.ts); run it with `runNetworked`. */
  readonly net?: SimNet;
  private clock = new VirtualClock();
  private pins: PinBank;
  private watches: Watches;
  private out: DeviceConsole;
  private hangTimeoutMs: number;
  private seed: number;
  private boots = 0;
  private random: () => number = Math.random;
  private program?: { code: string; file: string; fromStorage?: boolean };
  /** What the next restart runs: "load" the boot code, or "reset" to an empty program. */
  private restartMode?: "load" | "reset";
  private current?: Boot;
  private status: "off" | "on" | "power-cut" | "hung" = "off";
  private stopReason?: string;
  /** A watchdog fired: the next step restarts the program (never from inside a callback). */
  private resetPending = false;
  private watchdog?: { ms: number; automatic: boolean; generation: number };
  /** What the callback global runs: the current slice of due entries. */
  private sliceBody?: () => void;
  /** The callback running now, for the hang report. */
  private running = "";
  /** When the running callback or script started (host wall and CPU time); undefined between them. */
  private busySince?: { wall: number; cpu: number };
  /** The rewrites of device code (instrument.ts), shared by every device of the process. */
  private registry = sharedRegistry;
  /** What each file this device compiled became (instrument.ts), to read stack positions back. */
  private compiled = new Map<string, Pick<Prepared, "code" | "source">>();

  constructor(private options: SimOptions) {
    const { board } = options;
    this.board = board;
    this.seed = options.seed ?? 1;
    this.hangTimeoutMs = options.hangTimeoutMs ?? DEFAULT_HANG_TIMEOUT_MS;
    this.flash = new NorFlash(board.chip, { image: options.flashImage, seed: this.seed });
    this.storage = new SimStorage(this.flash, board.storage);
    this.pins = new PinBank(board.pins, () => this.clock.now);
    this.watches = new Watches(this.clock, this.pins, (fn, event, label) => {
      const api = this.current?.api;
      if (api) this.clock.add({ kind: "callback", fn, args: [api.watchEvent(event)], label }, 0);
    });
    this.pins.onChange = (pin, level, previous) => this.watches.changed(pin, level, previous);
    this.out = new DeviceConsole(() => this.clock.now, options.onConsole, {
      pinName: (value) => {
        const n = this.current?.api.pinNumber(value);
        return n === undefined ? undefined : `D${n}`;
      },
      functionSource: (fn) => this.current?.functions.source(fn),
    });
    this.control = new SimControl({
      flash: this.flash,
      pins: this.pins,
      clock: this.clock,
      run: (ms) => this.run(ms),
      cutPower: (reason) => this.powerOff(reason),
    });
    if (options.net) {
      this.net = new SimNet(
        { clock: this.clock, run: (ms) => this.run(ms), alive: () => this.status === "on", log: (text) => this.out.write(text) },
        options.net,
        this.seed,
      );
    }
  }

  /** Every console line so far, with the simulated time it was printed at. */
  get console(): ConsoleLine[] {
    return this.out.lines;
  }

  get state(): DeviceState {
    if (this.status === "off") return "halted";
    if (this.status !== "on") return this.status;
    return this.clock.timers > 0 || this.resetPending ? "running" : "idle";
  }

  /** Why the device stopped ("hung" or "power-cut"), else undefined. */
  get reason(): string | undefined {
    return this.stopReason;
  }

  /** Simulated ms since the device was created. */
  get now(): number {
    return this.clock.now;
  }

  /**
   * Gate the bundle, then power on with it: a fresh RAM, the top-level script
   * run. Throws UserError (nothing runs) if the dialect gate rejects it.
   */
  boot(code: string, source: { file?: string; map?: string | object } = {}): void {
    const file = source.file ?? "bundle.js";
    if (this.options.gate) {
      const violations = this.options.gate(code, { file, map: source.map });
      if (violations.length) {
        const shown = violations.slice(0, SHOWN_VIOLATIONS).map((v) => "  " + v);
        const more = violations.length > SHOWN_VIOLATIONS ? [`  … and ${violations.length - SHOWN_VIOLATIONS} more`] : [];
        throw new UserError(
          [`${file}: the dialect gate rejects the bundle: ${violations.length} construct(s) Espruino cannot run`, ...shown, ...more].join("\n"),
          "rewrite those constructs (or fix the build that emitted them); `exo check` lists them all",
        );
      }
    }
    this.program = { code, file };
    this.start();
  }

  /**
   * Power on as the interpreter does: check Storage (erase it all if it is
   * corrupt, printing "Storage is corrupt."), then run `.bootcde` if there is
   * one. `load()` and resets run it again; `reset()` restarts empty.
   */
  bootFromStorage(): void {
    this.program = { code: "", file: ".bootcde", fromStorage: true };
    this.start(true);
  }

  /** Reset: fresh RAM, the same flash, the last booted code run again. Clears "hung" and "power-cut". */
  reboot(): void {
    if (!this.program) throw new Error("reboot(): nothing was booted on this device yet");
    this.start(true);
  }

  /**
   * Advance simulated time by `ms`, firing due timers and events in order.
   * Stops early if the device hangs or loses power.
   */
  run(ms: number): RunReport {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new Error(`run(${ms}): ms must be a finite number >= 0`);
    const started = this.clock.now;
    const target = started + ms;
    const wallStart = performance.now();
    for (;;) {
      if (this.resetPending) {
        this.resetPending = false;
        this.start();
        continue;
      }
      if (this.status !== "on") break;
      const due = this.clock.peek();
      if (due === undefined || due > target) break;
      this.runSlice(target);
    }
    if (this.status === "on") this.clock.advanceTo(target);
    const wallMs = performance.now() - wallStart;
    const simulatedMs = this.clock.now - started;
    return {
      simulatedMs,
      wallMs,
      ratio: simulatedMs / Math.max(wallMs, 0.001),
      timersPending: this.clock.timers,
      state: this.state,
      ...(this.stopReason ? { reason: this.stopReason } : {}),
    };
  }

  /**
   * `run`, letting the network's real socket I/O in between steps of virtual
   * time (net.ts explains the pacing). Without a network it is `run`.
   */
  async runNetworked(ms: number): Promise<RunReport> {
    return this.net ? this.net.run(ms) : this.run(ms);
  }

  /**
   * Run `code` in the device's context (the REPL) and return its value; throws
   * what the device code throws. Boots an empty program if nothing was booted.
   */
  eval(code: string): unknown {
    if (!this.program) {
      this.program = { code: "", file: "repl" };
      this.start();
    }
    if (this.resetPending) {
      this.resetPending = false;
      this.start();
    }
    if (this.status !== "on") throw new Error(`eval: the device is ${this.state} (${this.stopReason}); reboot() it`);
    const boot = this.current!;
    const script = this.compile(code, "eval");
    boot.guard.enter("script");
    const outcome = this.enter(() => script.runInContext(boot.context, { timeout: this.hangTimeoutMs }), "eval");
    boot.guard.enter("jobs");
    if (outcome.ok) return outcome.value;
    if (!outcome.uncaught) throw new Error(`eval: ${this.stopReason ?? "the device was reset by its watchdog"}`);
    if (boot.guard.finish(outcome.error, "top")) throw new Error("Execution Interrupted");
    throw outcome.error;
  }

  /** Every level change so far, and the pins that were ever driven or set to output. */
  get waveform(): { changes: readonly LevelChange[]; traced: ReadonlySet<number> } {
    return { changes: this.pins.changes, traced: this.pins.traced };
  }

  /** The waveform of every pin that was driven or set to output, as VCD text. */
  vcd(): string {
    return toVcd(this.pins.changes, this.pins.traced, { board: this.board.name, endMs: this.clock.now });
  }

  /** Estimated variables in use (see memory.ts) against the board's total. */
  memory(): { usage: number; free: number; total: number } {
    const total = this.board.variables;
    // A hung device still holds its RAM; a device without power holds none.
    const usage = this.current && (this.status === "on" || this.status === "hung") ? this.current.memory.usage(this.memoryRoots()) : 0;
    return { usage, free: total - usage, total };
  }

  // ---- inside ----

  /** Power on (or reset) with the current program. */
  private start(powerOn = false): void {
    const program = { ...this.program! };
    const mode = this.restartMode;
    this.restartMode = undefined;
    if (program.fromStorage) {
      if (powerOn && !this.storage.isValid()) {
        this.out.write("Storage is corrupt.");
        this.storage.eraseAll();
      }
      program.code = mode === "reset" ? "" : (this.storage.read(".bootcde") ?? "");
    }
    this.clock.reset();
    this.net?.close();
    this.watches.reset();
    this.pins.reset();
    this.watchdog = undefined;
    this.resetPending = false;
    this.status = "on";
    this.stopReason = undefined;
    this.boots++;
    this.random = xorshift32((this.seed ^ 0x9e3779b9) + this.boots * 0x85ebca6b);
    const context = vm.createContext(
      {},
      { name: `exo-sim ${this.board.name} boot ${this.boots}`, codeGeneration: { strings: true, wasm: false }, microtaskMode: "afterEvaluate" },
    );
    restrictToEspruino(context);
    const guardOf = () => this.current!.guard;
    const api = installEspruinoApi(context, {
      board: this.board,
      flash: this.flash,
      clock: this.clock,
      pins: this.pins,
      watches: this.watches,
      console: this.out,
      memory: () => this.current!.memory,
      memoryRoots: () => this.memoryRoots(),
      random: () => this.random(),
      check: () => {
        if (this.status === "power-cut") throw new PowerCut(this.flash.ops, "clean", "program");
      },
      powerCut: (cut) => this.powerOff(cut.message),
      enableWatchdog: (seconds, automatic) => this.enableWatchdog(seconds, automatic),
      kickWatchdog: () => this.kickWatchdog(),
      callbackGlobal: CALLBACK_GLOBAL,
      invokePending: () => this.sliceBody?.(),
      busyMs: () => this.busyMs(),
      storage: this.storage,
      modules: this.net && ((kit) => this.net!.modules(kit)),
      restart: (runBootCode) => {
        if (!this.program?.fromStorage) this.program = { code: "", file: ".bootcde", fromStorage: true };
        this.restartMode = runBootCode ? "load" : "reset";
        this.resetPending = true;
      },
      compile: (body) => guardOf().compile(body),
      errorFlags: () => guardOf().takeErrorFlags(),
      isInterruption: (error) => guardOf().isInterruption(error),
    });
    const guard = new Guard(context, api.realm, this.registry, {
      console: this.out,
      total: this.board.variables,
      usage: (locals) => this.current!.memory.usage(this.memoryRoots(), locals),
    });
    const functions = installFunctionBuiltins(api.realm, { fn: api.fn, guard, isApi: api.isApi, pinNumber: api.pinNumber });
    const oracle: FunctionOracle = (fn) => {
      const parts = functions.describe(fn);
      if (parts) return { parts };
      const known = guard.describe(fn);
      return known && { sourceLength: known.info.source.length, captures: known.captures };
    };
    const memory = new MemoryEstimator(api.realm.global, { functions: oracle });
    memory.addNative([...api.natives, ...guard.natives, ...functions.natives]);
    this.current = { context, api, memory, guard, functions };

    let script: vm.Script;
    try {
      script = this.compile(program.code, program.file);
    } catch (error) {
      this.out.write(uncaughtText(error));
      return;
    }
    this.busySince = { wall: performance.now(), cpu: threadCpuMs() };
    guard.enter("script");
    const outcome = this.enter(() => script.runInContext(context, { timeout: this.hangTimeoutMs }), `the top-level script of ${program.file}`);
    this.busySince = undefined;
    if (!outcome.ok && outcome.uncaught && !guard.finish(outcome.error, "top")) this.out.write(uncaughtText(outcome.error));
  }

  /**
   * Device code as the vm runs it: rewritten (instrument.ts) so that V8
   * behaves like the interpreter; line numbers are kept. Code strict mode
   * rejects runs rewritten without it, code that does not parse runs as
   * written (V8 reports the error); the console says so (`[sim] …`).
   */
  private compile(code: string, filename: string): vm.Script {
    const prepared = this.registry.prepare(code, (text) => new vm.Script(text, { filename }));
    this.compiled.set(filename, { code: prepared.code, source: prepared.source });
    if (prepared.fallback) this.out.write(`[sim] ${filename} runs ${prepared.fallback}: what the rewrite models is missing there`);
    return prepared.script!;
  }

  /** The stack of the last Error device code caught (see guard.ts), e.g. the one the kernel caught from a faulting app. */
  get lastCaught(): string | undefined {
    return this.current?.guard.lastCaught;
  }

  /**
   * Where `file:line:column` of a stack frame (V8's, 1-based) was in the code
   * as booted: an offset into it, or undefined for a file this device did not
   * compile. The rewrite moves columns; this undoes it.
   */
  sourceOffset(file: string, line: number, column: number): number | undefined {
    const prepared = this.compiled.get(file);
    if (!prepared) return undefined;
    let at = 0;
    for (let l = 1; l < line; l++) {
      at = prepared.code.indexOf("\n", at) + 1;
      if (at === 0) return undefined;
    }
    const offset = at + column - 1;
    return prepared.source ? prepared.source(offset) : offset;
  }

  /** Run device code; classify what it throws: a hang, a power cut, or an uncaught error. */
  private enter(run: () => unknown, label: string | (() => string)): Outcome {
    const boot = this.current;
    try {
      return { ok: true, value: run() };
    } catch (error) {
      if (this.status !== "on" || this.current !== boot) return { ok: false, error, uncaught: false };
      if ((error as { code?: string })?.code === "ERR_SCRIPT_EXECUTION_TIMEOUT") {
        this.hang(typeof label === "string" ? label : label());
        return { ok: false, error, uncaught: false };
      }
      if (boot?.api.isCut(error)) return { ok: false, error, uncaught: false };
      return { ok: false, error, uncaught: true };
    }
  }

  /**
   * Fire due entries up to `target` inside one timed vm run: a vm timeout
   * costs a thread start (~60 µs), a callback ~2 µs. A slice starts no
   * callback after `hangTimeoutMs` of host time and is cut at twice that, so
   * every callback gets at least `hangTimeoutMs` before it counts as a hang.
   */
  private runSlice(target: number): void {
    const boot = this.current!;
    this.running = "a timer callback";
    this.sliceBody = () => {
      const started = performance.now();
      while (this.status === "on" && !this.resetPending && this.current === boot) {
        if (performance.now() - started > this.hangTimeoutMs) return;
        const entry = this.clock.next(target);
        if (!entry) return;
        this.fire(entry, boot);
      }
    };
    const outcome = this.enter(
      () => callbackScript.runInContext(boot.context, { timeout: 2 * this.hangTimeoutMs }),
      () => this.running,
    );
    this.sliceBody = undefined;
    if (!outcome.ok && outcome.uncaught && !boot.guard.finish(outcome.error, "event")) this.out.write(uncaughtText(outcome.error));
  }

  /** One entry: a simulator event, or a device callback whose uncaught error is printed. */
  private fire(entry: ClockEntry, boot: Boot): void {
    const { action } = entry;
    if (action.kind === "host") {
      action.fn();
      return;
    }
    this.running = entry.id ? `${action.label} (timer ${entry.id})` : action.label;
    this.busySince = { wall: performance.now(), cpu: threadCpuMs() };
    boot.guard.enter("callback");
    try {
      Reflect.apply(action.fn, undefined, action.args);
    } catch (error) {
      // A hang (vm termination) is not catchable here; it ends the slice in runSlice.
      if (this.status === "on" && this.current === boot && !boot.api.isCut(error) && !boot.guard.finish(error, "event")) {
        this.out.write(uncaughtText(error));
      }
    }
    // A callback that hogged the CPU past the grace delays everything after it, as on the chip.
    const hogged = this.busyMs();
    this.busySince = undefined;
    if (hogged > 0) this.clock.advanceTo(this.clock.now + hogged);
    // Promise callbacks run now, at this simulated time, as Espruino's queued events do.
    if (this.status === "on" && this.current === boot) {
      boot.guard.enter("jobs");
      drainScript.runInContext(boot.context);
      boot.guard.settle();
    }
  }

  /**
   * Host ms the running callback has used beyond BUSY_GRACE_MS (0 between
   * callbacks): this thread's CPU time (thread-cpu.ts), not wall time, so a
   * worker waiting for a core while other suites run is not a hog and
   * virtual time stays put.
   */
  private busyMs(): number {
    if (this.busySince === undefined) return 0;
    const wall = performance.now() - this.busySince.wall;
    // Below the grace in wall time it is below it in CPU time: skip the (costly) CPU read. getTime() calls this.
    if (wall <= BUSY_GRACE_MS) return 0;
    const ms = Math.min(wall, threadCpuMs() - this.busySince.cpu) - BUSY_GRACE_MS;
    return ms > 0 ? Math.round(ms * 1000) / 1000 : 0;
  }

  private hang(label: string): void {
    const limit = `${this.hangTimeoutMs} ms of host time`;
    if (this.watchdog) {
      // The loop never returns to idle, so the watchdog bites a full timeout later.
      this.watchdogReset(`${label} did not return within ${limit}`, this.watchdog.ms);
      return;
    }
    this.status = "hung";
    this.stopReason = `${label} did not return within ${limit} (a busy loop?); no watchdog is enabled, so the device is stopped`;
    this.out.write(`[sim] HUNG: ${this.stopReason}`);
  }

  /** The hardware watchdog bites: the chip resets after its timeout; flash survives. */
  private watchdogReset(why: string, afterMs: number): void {
    const ms = this.watchdog!.ms;
    this.clock.advanceTo(this.clock.now + afterMs);
    this.out.write(`[sim] WATCHDOG RESET: ${why} (watchdog ${ms / 1000} s)`);
    this.watchdog = undefined;
    this.resetPending = true;
  }

  private enableWatchdog(seconds: number, automatic: boolean): void {
    this.watchdog = { ms: seconds * 1000, automatic, generation: 0 };
    this.kickWatchdog();
  }

  /** Manual mode: re-arm the deadline. Automatic mode is kicked by the idle loop: only a hang bites. */
  private kickWatchdog(): void {
    const watchdog = this.watchdog;
    if (!watchdog || watchdog.automatic) return;
    const generation = ++watchdog.generation;
    this.clock.add(
      {
        kind: "host",
        fn: () => {
          if (this.watchdog === watchdog && watchdog.generation === generation && this.status === "on") {
            this.watchdogReset(`E.kickWatchdog() was not called for ${watchdog.ms / 1000} s`, 0);
          }
        },
        args: [],
        label: "watchdog",
      },
      watchdog.ms,
    );
  }

  private powerOff(reason: string): void {
    if (this.status === "power-cut") return;
    this.status = "power-cut";
    this.stopReason = reason;
    this.resetPending = false;
    this.net?.close();
    this.out.write(`[sim] POWER CUT: ${reason}`);
  }

  private memoryRoots(): { records: number; values: unknown[] } {
    const timers = this.clock.liveTimers();
    const watches = this.watches.callbacks();
    return { records: timers.length + watches.length, values: [...timers.flatMap((t) => [t.action.fn, ...t.action.args]), ...watches] };
  }
}
