/**
 * `exo bench sched`: the two schedulers of libos/sched against a bare
 * `setTimeout(f, 0)` ping-pong measured in the same run, on the simulator
 * and on the real Espruino interpreter when one is given.
 *
 * Options (for tools/cli/main.ts):
 *   --switches <n>     task switches per fairness/overhead run (default 100000 on the simulator; a tenth on the interpreter)
 *   --seconds <n>      seconds of each lateness run (default 10): simulated, and real on the interpreter
 *   --espruino <path>  an Espruino binary built for Linux (default $ESPRUINO_BIN); skipped with a message when absent
 *   --callgrind        also count instructions per switch under `valgrind --tool=callgrind` (needs --espruino; slow)
 *   --json             print the result as JSON
 *
 * Usage: `npx tsx tools/bench/sched.ts [--json] [--espruino PATH]` runs it without the CLI.
 *
 * What is measured:
 * - fairness: Thread-Metric's cooperative test: 5 equal tasks that each bump
 *   a counter and yield; the counters' spread (max − min, goal ≤ 1) and
 *   Jain's index (goal ≥ 0.99).
 * - overhead: time per task switch (a yield to the next task) over time per
 *   callback of a bare `setTimeout(f, 0)` ping-pong between two functions on
 *   the same timer service (goal ≤ 1.25×): on the simulator the fake kernel's
 *   TimerCap over hal/sim's VirtualClock (host time), on the interpreter
 *   `setTimeout` itself (its own getTime(), and instructions with
 *   --callgrind). Also against the "ring": the very same five step bodies
 *   chained by `setTimeout(next, 0)` instead of returned to a scheduler, so
 *   only the switch differs. On the interpreter two floors show what any
 *   scheduler written in JavaScript pays: the same bodies called in turn by a
 *   bare loop (no bookkeeping), and that loop reading the clock and adding
 *   each step's time to its task (the least that per-task CPU time and
 *   same-pass hog reports need). And what an app on Exo gets: a ping-pong on
 *   the kernel's own timer capability (quota, upcall guard and timing:
 *   firmware/timers.ts over hal/espruino) against `coop` over that capability.
 * - lateness: a 10 ms periodic task (the most urgent) beside a task that
 *   appends a 64-byte record to libos/fs every 7 ms (fileSync every 4th)
 *   with the FS's garbage collection in the idle hook. On the simulator each
 *   flash operation takes the time hal/sim's NOR model gives it (ESP32 +
 *   W25Q32: erase 45 ms; the FS's JavaScript itself takes no time there). On
 *   the interpreter the FS is not linked (no flash capability there yet):
 *   the writer busy-waits, every 7 ms, the flash time each simulated write
 *   cycle took — simulated FS load, said so in the result.
 *
 * Errors: a missing or failing interpreter is reported in the result
 * (`interpreter.skipped`), not thrown.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { rollup, type Plugin } from "rollup";
import { ranDirectly } from "../ran-directly.ts";
import type { Services, TimerCap } from "../../firmware/types.ts";
import { VirtualClock } from "../../hal/sim/clock.ts";
import { NorFlash } from "../../hal/sim/flash.ts";
import { OPEN_APPEND, OPEN_CREATE, OPEN_REPLACE, fileClose, fileOpen, fileSize, fileSync, fileWrite, fsFormat, fsGc, fsMount } from "../../libos/fs/index.ts";
import type { Fs } from "../../libos/fs/index.ts";
import { create as coop } from "../../libos/sched/coop.ts";
import { create as edf } from "../../libos/sched/edf.ts";
import type { CreateSched } from "../../libos/sched/types.ts";
import { hostServices, norExtent } from "../fs/extent.ts";
import { deviceMinifier } from "../build/device.ts";
import { typescript } from "../build/transpile.ts";
import { pretokenise } from "../build/pretokenise.ts";
import { checkBundle, formatViolation } from "../gate/check.ts";
import { resultOf, runInterpreter } from "./interpreter.ts";

export interface BenchSchedOptions {
  cwd?: string;
  switches?: number | string;
  seconds?: number | string;
  espruino?: string;
  callgrind?: boolean;
  json?: boolean;
}

export interface Fairness {
  scheduler: string;
  tasks: number;
  switches: number;
  counters: number[];
  /** max − min of the counters. */
  spread: number;
  /** Jain's fairness index: (Σx)² / (n Σx²), 1 = perfectly fair. */
  jain: number;
}

/** One way of switching, per switch: against the ping-pong (`ratio`, the goal) and the ring (`ratio_ring`). */
export interface SwitchCost {
  name: string;
  per_switch: number;
  ratio: number;
  ratio_ring: number;
}

/** Through the kernel's timer capability (what an app gets): a ping-pong on `after(0)` against coop over the same capability. */
export interface KernelCost {
  pingpong: number;
  coop: number;
  ratio: number;
}

export interface Overhead {
  switches: number;
  /** The bare ping-pong between two functions: one timer callback per switch. */
  baseline_us: number;
  /** The ring: the five step bodies chained by setTimeout(next, 0). */
  ring_us: number;
  schedulers: { scheduler: string; us_per_switch: number; ratio: number; ratio_ring: number; switches_per_timer: number }[];
  /** Interpreter only: the bare loop and the timed loop (see the header), µs per switch. */
  floors?: SwitchCost[];
  /** Interpreter only, µs per switch. */
  kernel?: KernelCost;
  /** Instructions per switch under callgrind (interpreter with --callgrind only); `per_switch` in instructions. */
  instructions?: { baseline: number; /** The bare ping-pong in a script of its own. */ own_script: number; ring: number; floors: SwitchCost[]; schedulers: SwitchCost[]; kernel: KernelCost; pretokenised: { schedulers: SwitchCost[]; kernel: KernelCost } };
}

export interface Lateness {
  scheduler: string;
  /** "none": the periodic task alone; "fs": beside the FS writer (simulated flash time on the interpreter). */
  load: "none" | "fs";
  period_ms: number;
  samples: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  /** Writer figures (simulator, load "fs"). */
  writer?: { records: number; bytes: number; syncs: number; erases: number; flash_ms: number; idle_gc_calls: number };
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface Run {
  fairness: Fairness[];
  overhead: Overhead;
  lateness: Lateness[];
}

export interface Result {
  simulator: Run;
  /** `host_load`: the host's 1-minute load average after the run (wall-clock figures are noisy under load; instruction counts are not). */
  interpreter: (Run & { binary: string; version: string; host_load: number; note: string }) | { skipped: string };
  checks: Check[];
}

const SCHEDULERS: [string, CreateSched][] = [
  ["coop", coop],
  ["edf", edf],
];
const PERIOD_MS = 10;
/** The step body of every overhead phase on the interpreter (`counters`, `total`, `finish` and `i` are the phase's). */
const BODY = "counters[i]++; if (++total >= N) finish();";
/** The floors on the interpreter (see the header). */
const FLOORS = ["floor", "timed"];
const WRITE_EVERY_MS = 7;
const RECORD_BYTES = 64;
const SYNC_EVERY = 4;
const ROTATE_BYTES = 8192;

// ---- the simulator: a fake kernel over the VirtualClock ----

interface Kernel {
  clock: VirtualClock;
  timer: TimerCap;
  services: Services;
  timers: number;
  run(untilMs: number): void;
}

function kernel(): Kernel {
  const clock = new VirtualClock();
  const k: Kernel = {
    clock,
    timers: 0,
    timer: {
      after: (ms: number, fn: () => void) => (k.timers++, clock.add({ kind: "timeout", fn, args: [], label: "after" }, ms)),
      every: (ms: number, fn: () => void) => clock.add({ kind: "interval", fn, args: [], label: "every" }, ms, ms),
      cancel: (id: number) => void clock.remove(id),
      live: () => clock.timers,
      close: () => clock.removeAll(),
    } as TimerCap,
    services: { crc32: () => 0, now: () => clock.now, log: () => {} },
    run(untilMs) {
      for (let e; (e = clock.next(untilMs)); ) e.action.fn();
    },
  };
  return k;
}

function jain(xs: number[]): number {
  const sum = xs.reduce((a, b) => a + b, 0);
  const squares = xs.reduce((a, b) => a + b * b, 0);
  return squares ? (sum * sum) / (xs.length * squares) : 1;
}

function fairnessOf(scheduler: string, counters: number[]): Fairness {
  return {
    scheduler,
    tasks: counters.length,
    switches: counters.reduce((a, b) => a + b, 0),
    counters,
    spread: Math.max(...counters) - Math.min(...counters),
    jain: round(jain(counters), 6),
  };
}

/** Five equal yielding tasks until `switches` steps in all; counters and host µs per switch. */
function simYield(create: CreateSched, switches: number): { counters: number[]; us: number; timers: number } {
  const k = kernel();
  const s = create(k.timer, k.services);
  const counters = [0, 0, 0, 0, 0];
  let total = 0;
  const tasks = counters.map((_, i) =>
    s.spawn("t" + i, () => {
      counters[i]++;
      if (++total >= switches) for (const t of tasks) s.cancel(t);
      return 0;
    }),
  );
  const start = performance.now();
  k.run(Infinity);
  return { counters, us: ((performance.now() - start) * 1000) / switches, timers: k.timers };
}

/** The bare ping-pong on the same fake timer service. */
function simPingPong(switches: number): number {
  const k = kernel();
  let n = 0;
  const a = (): void => void (++n < switches && k.timer.after(0, b));
  const b = (): void => void (++n < switches && k.timer.after(0, a));
  k.timer.after(0, a);
  const start = performance.now();
  k.run(Infinity);
  return ((performance.now() - start) * 1000) / switches;
}

/** The ring: simYield's five bodies, each chaining the next with after(0). */
function simRing(switches: number): number {
  const k = kernel();
  const counters = [0, 0, 0, 0, 0];
  let total = 0;
  const fns = counters.map((_, i) => () => {
    counters[i]++;
    if (++total < switches) k.timer.after(0, fns[(i + 1) % 5]);
  });
  k.timer.after(0, fns[0]);
  const start = performance.now();
  k.run(Infinity);
  return ((performance.now() - start) * 1000) / switches;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Rounded; a tiny negative (clock jitter) gives 0, not -0, which JSON would not keep. */
function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f + 0;
}

function latenessOf(scheduler: string, load: "none" | "fs", samples: number[]): Lateness {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    scheduler,
    load,
    period_ms: PERIOD_MS,
    samples: samples.length,
    p50_ms: round(percentile(sorted, 50)),
    p99_ms: round(percentile(sorted, 99)),
    max_ms: round(sorted[sorted.length - 1] ?? 0),
  };
}

/**
 * The 10 ms periodic task, alone or beside the FS writer, for `seconds` of
 * simulated time. Returns lateness samples and, with the FS, the flash time
 * of each write cycle (what the interpreter run replays).
 */
function simLateness(create: CreateSched, seconds: number, withFs: boolean): { lateness: Lateness; cycles: number[] } {
  const name = SCHEDULERS.find((x) => x[1] === create)![0];
  const k = kernel();
  const cycles: number[] = [];
  let writer: Lateness["writer"];
  // The FS, formatted before the run starts (formatting erases every sector: 16 × 45 ms).
  let flashUs = 0;
  let fs: Fs | undefined;
  let chip: NorFlash | undefined;
  if (withFs) {
    const nor = (chip = new NorFlash({ base: 0, size: 16 * 4096, sectorSize: 4096 }));
    const inner = norExtent(nor);
    // Every flash operation takes its modelled time on the virtual clock.
    const timed = <T>(op: () => T): T => {
      const before = nor.stats.modelMicros;
      const out = op();
      const us = nor.stats.modelMicros - before;
      flashUs += us;
      k.clock.advanceTo(k.clock.now + us / 1000);
      return out;
    };
    const extent = {
      sector: inner.sector,
      count: inner.count,
      read: (offset: number, length: number) => timed(() => inner.read(offset, length)),
      write: (offset: number, data: Uint8Array) => timed(() => inner.write(offset, data)),
      erase: (index: number) => timed(() => inner.erase(index)),
      erases: (index: number) => inner.erases(index),
    };
    const services: Services = { ...hostServices(), now: () => k.clock.now };
    if (fsFormat(extent, services) < 0) throw new Error("bench sched: fsFormat failed");
    const mounted = fsMount(extent, services);
    if (typeof mounted === "number") throw new Error("bench sched: fsMount failed: " + mounted);
    fs = mounted;
    flashUs = 0;
  }
  const start = k.clock.now;
  const erasesBefore = chip ? chip.stats.erases : 0;
  const s = create(k.timer, k.services, { slice: 1000 });
  const samples: number[] = [];
  let due = start;
  s.spawn(
    "periodic",
    () => {
      samples.push(k.clock.now - due);
      due += PERIOD_MS;
      return s.until(due);
    },
    { prio: 7, deadline: 2 },
  );
  if (fs) {
    const f = fs;
    const record = new Uint8Array(RECORD_BYTES).fill(0x5a);
    let file = 0;
    let handle = fileOpen(f, "log.0", OPEN_CREATE | OPEN_APPEND);
    const stats = { records: 0, bytes: 0, syncs: 0, erases: 0, flash_ms: 0, idle_gc_calls: 0 };
    let idleUs = 0;
    s.spawn(
      "writer",
      () => {
        const before = flashUs;
        record[0] = stats.records & 0xff;
        if (fileWrite(f, handle, record) < 0) throw new Error("bench sched: fileWrite failed");
        stats.records++;
        stats.bytes += RECORD_BYTES;
        if (stats.records % SYNC_EVERY === 0) {
          fileSync(f, handle);
          stats.syncs++;
        }
        if (fileSize(f, handle) >= ROTATE_BYTES) {
          fileClose(f, handle);
          file ^= 1;
          handle = fileOpen(f, "log." + file, OPEN_CREATE | OPEN_REPLACE | OPEN_APPEND);
        }
        // This cycle's flash time, with the idle GC since the last one: what the interpreter replays.
        cycles.push(round((idleUs + flashUs - before) / 1000, 3));
        idleUs = 0;
        return WRITE_EVERY_MS;
      },
      { prio: 1, deadline: 50 },
    );
    s.idle(() => {
      const before = flashUs;
      stats.idle_gc_calls++;
      const more = fsGc(f, 1) === 1;
      idleUs += flashUs - before;
      return more;
    });
    writer = stats;
  }
  k.run(start + seconds * 1000);
  if (writer && chip) {
    writer.erases = chip.stats.erases - erasesBefore;
    writer.flash_ms = round(flashUs / 1000, 1);
  }
  const lateness = latenessOf(name, withFs ? "fs" : "none", samples);
  if (writer) lateness.writer = writer;
  return { lateness, cycles };
}

function simulator(switches: number, seconds: number): { run: Run; cycles: number[] } {
  const fairness: Fairness[] = [];
  const rounds: Record<string, number[]> = { baseline: [], ring: [], coop: [], edf: [] };
  const perTimer: Record<string, number> = {};
  // Alternate baselines and schedulers, 3 rounds; medians (the first round warms the JIT).
  for (let r = 0; r < 3; r++) {
    rounds.baseline.push(simPingPong(switches));
    rounds.ring.push(simRing(switches));
    for (const [name, create] of SCHEDULERS) {
      const out = simYield(create, switches);
      rounds[name].push(out.us);
      perTimer[name] = round(switches / out.timers, 2);
      if (r === 2) fairness.push(fairnessOf(name, out.counters));
    }
  }
  const baseline = median(rounds.baseline);
  const ring = median(rounds.ring);
  const overhead: Overhead = {
    switches,
    baseline_us: round(baseline, 4),
    ring_us: round(ring, 4),
    schedulers: SCHEDULERS.map(([name]) => ({
      scheduler: name,
      us_per_switch: round(median(rounds[name]), 4),
      ratio: round(median(rounds[name]) / baseline, 3),
      ratio_ring: round(median(rounds[name]) / ring, 3),
      switches_per_timer: perTimer[name],
    })),
  };
  const lateness: Lateness[] = [];
  let cycles: number[] = [];
  for (const [, create] of SCHEDULERS) {
    lateness.push(simLateness(create, seconds, false).lateness);
    const loaded = simLateness(create, seconds, true);
    lateness.push(loaded.lateness);
    if (!cycles.length) cycles = loaded.cycles;
  }
  return { run: { fairness, overhead, lateness }, cycles };
}

// ---- the real interpreter ----

/** The script the interpreter runs: both schedulers, minified like the device bundle, phases chosen by `PHASES`. */
function entrySource(root: string, phases: string[], switches: number, cycles: number[], seconds: number, pinned = false): string {
  // Under callgrind the interpreter runs ~50× slower: wall-clock decisions (an overrun report, a memory read every
  // 20 ms of upcall time) would fire far more often than on a device and make the counts depend on the host's load.
  // Pinned, they never fire; the timing itself still runs and is counted.
  const every = pinned ? 1e9 : 20;
  const source = (file: string) => JSON.stringify(join(root, file));
  return `
import { create as coop } from ${source("libos/sched/coop.ts")};
import { create as edf } from ${source("libos/sched/edf.ts")};
import { grantTimers } from ${source("firmware/timers.ts")};
import { configure } from ${source("firmware/upcalls.ts")};
import { after, every, cancel, now } from ${source("hal/espruino/timers.ts")};
const PHASES = ${JSON.stringify(phases)};
const N = ${switches};
const CYCLES = ${JSON.stringify(cycles)};
const SECONDS = ${seconds};
const timer = { after: function (ms, fn) { return setTimeout(fn, ms); }, every: function (ms, fn) { return setInterval(fn, ms); },
  cancel: function (id) { clearTimeout(id); }, live: function () { return 0; }, close: function () {} };
const services = { crc32: function (d) { return E.CRC32(d); }, now: Date.now, log: function (t) { print(t); } };
const out = {};
// What an app gets: the kernel's timer service (quota, upcall guard and timing) for one app.
configure({ now: now, slice: ${every}, fault: function (app, e) { print("fault: " + e); }, overrun: function () {}, memory: function () { process.memory(false); }, memoryEvery: ${every} });
function kernelTimer() {
  const app = { name: "bench", state: "running", error: "", faults: 0, restarts: 0, overruns: 0, upcalls: 0, cpu: 0, worst: 0, withdrawn: [] };
  return grantTimers({ timers: { after: after, every: every, cancel: cancel } }, app, 2).cap;
}
function pingpong(done, t) {
  let n = 0;
  const t0 = getTime();
  function a() { if (++n < N) t.after(0, b); else done((getTime() - t0) * 1e6 / N); }
  function b() { if (++n < N) t.after(0, a); else done((getTime() - t0) * 1e6 / N); }
  t.after(0, a);
}
function bare(done) {
  let n = 0;
  const t0 = getTime();
  function a() { if (++n < N) setTimeout(b, 0); else done((getTime() - t0) * 1e6 / N); }
  function b() { if (++n < N) setTimeout(a, 0); else done((getTime() - t0) * 1e6 / N); }
  setTimeout(a, 0);
}
// Every phase below runs five copies of one step body, ${JSON.stringify(BODY)}: only the switch differs.
function counting(done, stop) {
  const c = { counters: [0, 0, 0, 0, 0], t0: getTime() };
  c.finish = function () { stop(); done({ us: (getTime() - c.t0) * 1e6 / N, counters: c.counters }); };
  return c;
}
// The ring: each body chains the next with setTimeout(f, 0).
function ring(done) {
  let over = 0;
  const c = counting(done, function () { over = 1; });
  const counters = c.counters, finish = c.finish, fns = [];
  let total = 0;
  function task(i, j) { return function () { ${BODY} else setTimeout(fns[j], 0); }; }
  for (let i = 0; i < 5; i++) fns.push(task(i, (i + 1) % 5));
  setTimeout(fns[0], 0);
}
// The floors: a bare loop calls the bodies in turn, 5 per timer callback; "timed" also reads the clock and adds each step's time to its task.
function floor(done, timed) {
  let over = 0;
  const c = counting(done, function () { over = 1; });
  const counters = c.counters, finish = c.finish, now = services.now;
  let total = 0, last;
  function task(i) { return function () { ${BODY} return 0; }; }
  for (let i = 0; i < 5; i++) { const t = { step: task(i), next: undefined, cpu: 0 }; if (last) { t.next = last.next; last.next = t; } else t.next = t; last = t; }
  function loop() {
    var n = 5, l = last, t;
    while (n--) { t = l.next; t.step(t); l = t; }
    last = l;
    if (!over) setTimeout(loop, 0);
  }
  function clocked() {
    var n = 5, l = last, t, e, s = now();
    while (n--) { t = l.next; t.step(t); e = now(); t.cpu += e - s; s = e; l = t; }
    last = l;
    if (!over) setTimeout(clocked, 0);
  }
  setTimeout(timed ? clocked : loop, 0);
}
function yields(create, done, t) {
  const s = create(t, services);
  const tasks = [];
  const c = counting(done, function () { for (let j = 0; j < tasks.length; j++) s.cancel(tasks[j]); });
  const counters = c.counters, finish = c.finish;
  let total = 0;
  function task(i) { return function () { ${BODY} return 0; }; }
  for (let i = 0; i < 5; i++) tasks.push(s.spawn("t" + i, task(i)));
}
function lateness(create, load, done) {
  const s = create(timer, services, { slice: 1000 });
  const samples = [];
  let due = services.now() + ${PERIOD_MS};
  const end = due + SECONDS * 1000;
  let writer;
  s.spawn("periodic", function () {
    const now = services.now();
    samples.push(Math.round((now - due) * 1000) / 1000);
    if (now > end) { if (writer) s.cancel(writer); done(samples); return; }
    due += ${PERIOD_MS};
    return s.until(due);
  }, { prio: 7, deadline: 2 });
  if (load) {
    let c = 0;
    writer = s.spawn("writer", function () {
      const stop = services.now() + CYCLES[c++ % CYCLES.length];
      while (services.now() < stop);
      return ${WRITE_EVERY_MS};
    }, { prio: 1, deadline: 50 });
  }
}
function next() {
  const phase = PHASES.shift();
  if (!phase) { print("RESULT " + JSON.stringify(out)); return; }
  const store = function (v) { out[phase] = v; setTimeout(next, 10); };
  if (phase === "baseline") bare(store);
  else if (phase === "kernel-pingpong") pingpong(store, kernelTimer());
  else if (phase === "kernel-coop") yields(coop, store, kernelTimer());
  else if (phase === "ring") ring(store);
  else if (phase === "floor") floor(store, 0);
  else if (phase === "timed") floor(store, 1);
  else if (phase === "coop" || phase === "edf") yields(phase === "coop" ? coop : edf, store, timer);
  else if (phase === "late-coop-none") lateness(coop, 0, store);
  else if (phase === "late-coop-fs") lateness(coop, 1, store);
  else if (phase === "late-edf-none") lateness(edf, 0, store);
  else if (phase === "late-edf-fs") lateness(edf, 1, store);
  else if (phase === "idle") store(0);
}
echo(0);
setTimeout(next, 10);
`;
}

/** Bundle an entry the way the device build does (TypeScript → ES2015 → terser), gate it, write it. */
async function bundleScript(source: string, file: string): Promise<string> {
  const entry: Plugin = {
    name: "sched-bench-entry",
    resolveId: (id) => (id === "sched-bench-entry" ? "\0sched-bench-entry" : null),
    load: (id) => (id === "\0sched-bench-entry" ? source : null),
  };
  const bundle = await rollup({ input: "sched-bench-entry", plugins: [entry, typescript("ES2015"), deviceMinifier()] });
  try {
    await bundle.write({ file, format: "iife", strict: false, freeze: false, sourcemap: true });
  } finally {
    await bundle.close();
  }
  const code = readFileSync(file, "utf8");
  const violations = checkBundle(code, { file, map: readFileSync(file + ".map", "utf8") }).filter((v) => v.rule !== "missing-global");
  if (violations.length) throw new Error("bench sched: the dialect gate rejects the interpreter script:\n" + violations.map(formatViolation).join("\n"));
  return code;
}

/** Run the built script `file` in `dir`: its RESULT line, and the instructions it took under callgrind. */
function runScript(binary: string, dir: string, file: string, timeoutMs: number, callgrind = false): { result: Record<string, unknown>; instructions?: number } {
  const run = runInterpreter(binary, null, { dir, file, timeoutMs, callgrind });
  return { result: JSON.parse(resultOf(run, "RESULT ")), instructions: run.instructions };
}

async function interpreter(root: string, binary: string, switches: number, seconds: number, cycles: number[], callgrind: boolean): Promise<Result["interpreter"]> {
  const dir = mkdtempSync(join(tmpdir(), "exo-bench-sched-"));
  try {
    const version = execFileSync(binary, ["-e", "print(process.env.VERSION);quit()"], { cwd: dir, input: "", encoding: "utf8", timeout: 10000 })
      .split(/\r?\n/)
      .map((l) => l.trim())
      .map((l) => (l.match(/^(\d+v[\d.]+)/) ?? [])[1])
      .filter(Boolean)[0] ?? "unknown";
    // One process per round: baselines, floors and both schedulers alternate; the lateness runs once, in the first.
    const overheadPhases = ["baseline", "ring", ...FLOORS, "coop", "edf", "kernel-pingpong", "kernel-coop"];
    const first = join(dir, "bench.js");
    const again = join(dir, "bench-overhead.js");
    const latePhases = ["late-coop-none", "late-coop-fs", "late-edf-none", "late-edf-fs"];
    writeFileSync(first, await bundleScript(entrySource(root, overheadPhases.concat(latePhases), switches, cycles.length ? cycles : [0], seconds), first));
    writeFileSync(again, await bundleScript(entrySource(root, overheadPhases, switches, [0], seconds), again));
    const limit = 60_000 + 4 * seconds * 1000 * 2;
    const { result } = runScript(binary, dir, first, limit);
    const rounds: Record<string, number[]> = Object.fromEntries(overheadPhases.map((phase) => [phase, []]));
    const counters: Record<string, number[]> = {};
    for (let r = 0; r < 3; r++) {
      const once = r === 0 ? result : runScript(binary, dir, again, limit).result;
      for (const phase of overheadPhases) {
        const v = once[phase] as number | { us: number; counters: number[] };
        rounds[phase].push(typeof v === "number" ? v : v.us);
        if (typeof v !== "number") counters[phase] = v.counters;
      }
    }
    const us = Object.fromEntries(overheadPhases.map((phase) => [phase, median(rounds[phase])]));
    const kernelCost = (per: Record<string, number>, digits: number): KernelCost => ({
      pingpong: round(per["kernel-pingpong"], digits),
      coop: round(per["kernel-coop"], digits),
      ratio: round(per["kernel-coop"] / per["kernel-pingpong"], 3),
    });
    const cost = (name: string, per: Record<string, number>, digits: number): SwitchCost => ({
      name,
      per_switch: round(per[name], digits),
      ratio: round(per[name] / per.baseline, 3),
      ratio_ring: round(per[name] / per.ring, 3),
    });
    const overhead: Overhead = {
      switches,
      baseline_us: round(us.baseline, 3),
      ring_us: round(us.ring, 3),
      floors: FLOORS.map((name) => cost(name, us, 3)),
      kernel: kernelCost(us, 3),
      schedulers: ["coop", "edf"].map((name) => {
        const c = cost(name, us, 3);
        return { scheduler: name, us_per_switch: c.per_switch, ratio: c.ratio, ratio_ring: c.ratio_ring, switches_per_timer: 5 };
      }),
    };
    if (callgrind) {
      // The same script with one phase against none ("idle"): the difference is that phase's instructions.
      // Pretokenised: the script as `exo flash` stores it; its ratios stay against the text baselines (a user's own script).
      const count = async (phase: string, pretokenised = false) => {
        const f = join(dir, `cg-${phase}.js`);
        const code = await bundleScript(entrySource(root, [phase], switches, [0], seconds, true), f);
        if (pretokenised) writeFileSync(f, pretokenise(code), "latin1");
        return runScript(binary, dir, f, 600_000, true).instructions!;
      };
      const idle = await count("idle");
      const per: Record<string, number> = {};
      for (const phase of overheadPhases) per[phase] = ((await count(phase)) - idle) / switches;
      const idleStored = await count("idle", true);
      const stored: Record<string, number> = { ...per };
      for (const phase of ["coop", "edf", "kernel-pingpong", "kernel-coop"]) stored[phase] = ((await count(phase, true)) - idleStored) / switches;
      // The way a user runs it: a bare setTimeout(f, 0) ping-pong in a script of its own (no bundle around it).
      const own = (n: number) => {
        const f = join(dir, "own.js");
        writeFileSync(f, `var n=0;function a(){if(++n<${n})setTimeout(b,0)}function b(){if(++n<${n})setTimeout(a,0)}setTimeout(a,0);setTimeout(function(){print("RESULT {}")},0);`);
        return runScript(binary, dir, f, 600_000, true).instructions!;
      };
      const ownScript = (own(2 * switches) - own(switches)) / switches;
      overhead.instructions = {
        baseline: Math.round(per.baseline),
        own_script: Math.round(ownScript),
        ring: Math.round(per.ring),
        floors: FLOORS.map((name) => cost(name, per, 0)),
        schedulers: ["coop", "edf"].map((name) => cost(name, per, 0)),
        kernel: kernelCost(per, 0),
        pretokenised: { schedulers: ["coop", "edf"].map((name) => cost(name, stored, 0)), kernel: kernelCost(stored, 0) },
      };
    }
    const fairness = ["coop", "edf"].map((name) => fairnessOf(name, counters[name]));
    // slice(1): a periodic task's first run is its spawn, not a wake-up.
    const lateness = (["coop", "edf"] as const).flatMap((name) =>
      (["none", "fs"] as const).map((load) => latenessOf(name, load, (result[`late-${name}-${load}`] as number[]).slice(1))),
    );
    return {
      binary,
      version,
      host_load: round(loadavg()[0], 2),
      note: "FS load simulated: busy-waits replaying the simulated write cycles' flash time every 7 ms (libos/fs is not linked: no flash capability in this script)",
      fairness,
      overhead,
      lateness,
    };
  } catch (error) {
    return { skipped: `the interpreter run failed: ${(error as Error).message}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function checksOf(run: Run, where: string): Check[] {
  const checks: Check[] = [];
  for (const f of run.fairness) {
    checks.push({ name: `${where} ${f.scheduler}: counters within ±1`, ok: f.spread <= 1, detail: `spread ${f.spread} (${f.counters.join(", ")})` });
    checks.push({ name: `${where} ${f.scheduler}: Jain index ≥ 0.99`, ok: f.jain >= 0.99, detail: String(f.jain) });
  }
  for (const s of run.overhead.schedulers) {
    checks.push({ name: `${where} ${s.scheduler}: switch ≤ 1.25× a bare setTimeout(f, 0)`, ok: s.ratio <= 1.25, detail: `${s.ratio}× (${s.us_per_switch} µs vs ${run.overhead.baseline_us} µs)` });
  }
  const instructions = run.overhead.instructions;
  for (const s of instructions?.schedulers ?? []) {
    const timed = instructions!.floors.find((f) => f.name === "timed")!;
    checks.push({
      name: `${where} ${s.name}: instructions per switch ≤ 1.25× the ping-pong's`,
      ok: s.ratio <= 1.25,
      detail: `${s.ratio}× (${s.per_switch} vs ${instructions!.baseline}; ${s.ratio_ring}× the ring's ${instructions!.ring}; the timed floor alone is ${timed.ratio}×)`,
    });
  }
  return checks;
}

export async function run(options: BenchSchedOptions = {}): Promise<Result> {
  const root = options.cwd ?? join(import.meta.dirname, "..", "..");
  const switches = Number(options.switches ?? 100_000);
  const seconds = Number(options.seconds ?? 10);
  if (!(switches >= 10) || !(seconds > 0)) throw new Error("bench sched: --switches must be ≥ 10 and --seconds > 0");
  const sim = simulator(switches, seconds);
  const binary = options.espruino ?? process.env.ESPRUINO_BIN;
  let interp: Result["interpreter"];
  if (!binary) interp = { skipped: "no interpreter: set ESPRUINO_BIN or pass --espruino PATH (an Espruino binary built for Linux)" };
  else if (!existsSync(binary)) interp = { skipped: `no interpreter at ${binary}` };
  else if (options.callgrind && spawnSync("valgrind", ["--version"]).status !== 0) interp = { skipped: "--callgrind: valgrind is not installed" };
  else interp = await interpreter(root, binary, Math.max(10, Math.round(switches / 10)), seconds, sim.cycles, !!options.callgrind);
  const checks = [...checksOf(sim.run, "simulator"), ...("skipped" in interp ? [] : checksOf(interp, "interpreter"))];
  return { simulator: sim.run, interpreter: interp, checks };
}

function renderRun(run: Run, title: string): string[] {
  const lines = [title];
  lines.push("  fairness (5 equal tasks yielding):");
  for (const f of run.fairness) lines.push(`    ${f.scheduler.padEnd(5)} counters ${f.counters.join(" ")}  spread ${f.spread}  Jain ${f.jain}`);
  const o = run.overhead;
  lines.push(`  switch cost, ${o.switches} switches: bare setTimeout(f, 0) ping-pong ${o.baseline_us} µs per callback; ring (the same 5 bodies chained by setTimeout) ${o.ring_us} µs`);
  for (const s of o.schedulers) {
    lines.push(`    ${s.scheduler.padEnd(5)} ${s.us_per_switch} µs per switch = ${s.ratio}× (ring: ${s.ratio_ring}×; ${s.switches_per_timer} switches per timer callback)`);
  }
  const floorLine = (f: SwitchCost, unit: string) =>
    `    ${f.name === "floor" ? "floor (bare loop, no bookkeeping)" : "timed floor (bare loop + clock + CPU time per step)"} ${f.per_switch}${unit} = ${f.ratio}× (ring: ${f.ratio_ring}×)`;
  const kernelLine = (k: KernelCost, unit: string) =>
    `    through the kernel's timer capability (what an app gets): ping-pong on after(0) ${k.pingpong}${unit}, coop ${k.coop}${unit} = ${k.ratio}×`;
  for (const f of o.floors ?? []) lines.push(floorLine(f, " µs"));
  if (o.kernel) lines.push(kernelLine(o.kernel, " µs"));
  if (o.instructions) {
    lines.push(`  instructions per switch (callgrind): ping-pong ${o.instructions.baseline}; ring ${o.instructions.ring}`);
    for (const s of o.instructions.schedulers) lines.push(`    ${s.name.padEnd(5)} ${s.per_switch} = ${s.ratio}× (ring: ${s.ratio_ring}×)`);
    for (const f of o.instructions.floors) lines.push(floorLine(f, ""));
    lines.push(kernelLine(o.instructions.kernel, ""));
    const b = o.instructions.own_script;
    const hops = (k: KernelCost) => `after(0) hop ${k.pingpong} = ${round(k.pingpong / b, 2)}×, kernel coop ${k.coop} = ${round(k.coop / b, 2)}× the bare ping-pong in its own script (${b})`;
    const p = o.instructions.pretokenised;
    lines.push(`    text:         ${hops(o.instructions.kernel)}`);
    lines.push(`    pretokenised (as exo flash stores it): ${hops(p.kernel)}; ${p.schedulers.map((s) => `${s.name} ${s.per_switch} = ${s.ratio}×`).join(", ")}`);
  }
  lines.push(`  lateness of a ${PERIOD_MS} ms periodic task (ms):`);
  for (const l of run.lateness) {
    const w = l.writer ? `  [FS: ${l.writer.records} records, ${l.writer.syncs} syncs, ${l.writer.erases} erases, ${l.writer.flash_ms} ms of flash]` : "";
    lines.push(`    ${l.scheduler.padEnd(5)} load ${l.load.padEnd(4)} p50 ${l.p50_ms}  p99 ${l.p99_ms}  max ${l.max_ms}  (${l.samples} periods)${w}`);
  }
  return lines;
}

export function render(result: Result): string {
  const lines = renderRun(result.simulator, "simulator (fake kernel on hal/sim's virtual clock; host time for switch costs):");
  if ("skipped" in result.interpreter) lines.push(`interpreter: skipped: ${result.interpreter.skipped}`);
  else {
    lines.push(...renderRun(result.interpreter, `interpreter ${result.interpreter.version} (${result.interpreter.binary}; host load ${result.interpreter.host_load}):`));
    lines.push(`  note: ${result.interpreter.note}`);
  }
  const failedChecks = result.checks.filter((c) => !c.ok);
  lines.push(`checks: ${result.checks.length - failedChecks.length}/${result.checks.length} met`);
  for (const c of failedChecks) lines.push(`  MISSED ${c.name}: ${c.detail}`);
  return lines.join("\n");
}

/** A missed goal fails the command. */
export const failed = (result: Result): boolean => result.checks.some((c) => !c.ok);

// `npx tsx tools/bench/sched.ts [--json] [--switches N] [--seconds N] [--espruino PATH] [--callgrind]`
if (ranDirectly(import.meta.url, "sched.ts")) {
  const argv = process.argv.slice(2);
  const value = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const result = await run({ switches: value("--switches"), seconds: value("--seconds"), espruino: value("--espruino"), callgrind: argv.includes("--callgrind") });
  process.stdout.write((argv.includes("--json") ? JSON.stringify(result, null, 2) : render(result)) + "\n");
  if (failed(result)) process.exitCode = 1;
}
