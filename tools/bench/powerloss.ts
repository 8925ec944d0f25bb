/**
 * `exo bench fs --powerloss`: LOGCFG §5 over libos/fs. Clean and torn cuts at
 * chosen flash operations, recovery (fresh RAM, mount, invariants, 64 more
 * records + one config replace, remount, invariants again), failures by class.
 * With `--cuts 2|3|mix` the continuation is cut again (each time: mount,
 * invariants, recover, continue), so a trial sees several cuts in a row.
 *
 * Options (for tools/cli/main.ts, `exo bench fs --powerloss …`):
 *   --trials <n>       total trials (default 100000); LOGCFG's sampling plan
 *                      first, then uniform random cuts up to n
 *   --seed <s>         master seed (default 1): cut points and torn states
 *   --stride <k>       the plan's stride over the whole run (default 50)
 *   --negctl <1|2|3>   negative control: 1 config in two halves, 2 ack before sync,
 *                      3 W1's static.bin synced after every write (visible partial)
 *   --cuts <1|2|3|mix> power cuts per trial (default 1); later cuts fall within
 *                      the first 64 flash ops of each continuation; mix: 1..3
 *   --workload <name>  w0 (default), w1 or batched
 *   --records <n>      N (default 20000)
 *   --idle <n>         fsGc budget between records (default 4; 0: no idle GC, writes collect by themselves)
 *   --workers <n>      worker threads (default: CPUs, at most 4)
 *   --replay <k:mode:seed>  run one trial and print its detail (mode clean|torn)
 *   --exhaustive       cut at every op of the run in both modes, nothing else
 *                      (with --stride n: at every n-th op)
 *   --json             print the result as JSON
 * Progress goes to stderr.
 *
 * Usage: `npx tsx tools/bench/fs.ts --powerloss --trials 100000 --seed 1`
 *
 * Errors: none thrown for FS failures: they are counted. Bad options throw.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { NorFlash, PowerCut, type CutMode } from "../../hal/sim/flash.ts";
import type { FlashExtent } from "../../firmware/types.ts";
import type { Fs } from "../../libos/fs/fs.ts";
import { fsFormat, fsMount, fsUnmount } from "../../libos/fs/index.ts";
import { hostServices, norExtent } from "../fs/extent.ts";
import { UserError } from "../../hal/user-error.ts";
import { Driver, type Expect, GEN, type Workload, type WorkloadName, recover, verify, workload } from "./logcfg.ts";

export interface PowerlossOptions {
  cwd?: string;
  trials?: number | string;
  seed?: number | string;
  stride?: number | string;
  negctl?: number | string;
  cuts?: number | string;
  workload?: string;
  records?: number | string;
  idle?: number | string;
  workers?: number | string;
  replay?: string;
  /** Only cut at every op (or every `stride`-th; both modes), nothing else: the CI-sized reentrancy test. */
  exhaustive?: boolean;
  json?: boolean;
}

export interface Trial {
  k: number;
  mode: CutMode;
  seed: number;
  /** Which part of the plan chose it. */
  part: string;
}

export interface TrialOutcome {
  failure: string | null;
  ms: number;
  /** Power cuts that happened (a continuation may end before its cut is reached). */
  cuts?: number;
}

export interface PowerlossResult {
  benchmark: "LOGCFG-64x4K v1 §5";
  workload: string;
  records: number;
  /** fsGc budget between records (0: no idle GC). */
  idle: number;
  negctl: number;
  /** Power cuts per trial: 1, 2, 3, or 0 for a mix of 1..3. */
  cuts: number;
  seed: number;
  stride: number;
  /** Mutating flash ops of the run after format (the cut range). */
  ops: { first: number; end: number };
  trials: number;
  by_part: Record<string, number>;
  by_mode: Record<string, number>;
  failures: number;
  failures_by_class: Record<string, number>;
  /** Power cuts made over all trials. */
  cuts_made: number;
  /** Up to 20 failing trials, replayable with --replay k:mode:seed. */
  examples: { trial: string; failure: string }[];
  max_recovery_ms: number;
  seconds: number;
  workers: number;
  /** For negative controls the run passes when it fails. */
  pass: boolean;
}

/** Everything needed to resume the deterministic run at a step boundary. */
interface Checkpoint {
  ops: number;
  image: Uint8Array;
  erases: Uint32Array;
  fs: Fs;
  driver: Driver;
}

const GEOMETRY = { base: 0, size: 64 * 4096, sectorSize: 4096, pageSize: 256 };
const EVERY = 48;

function mix(a: number, b: number): number {
  let h = (Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35)) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d) >>> 0;
  h ^= h >>> 12;
  return h >>> 0 || 1;
}

/** A deep copy of a mounted fs, re-pointed at another extent. */
function cloneFs(fs: Fs, flash: FlashExtent): Fs {
  const c: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fs)) {
    if (key === "flash") c[key] = flash;
    else if (ArrayBuffer.isView(value)) c[key] = (value as Uint8Array).slice();
    else if (Array.isArray(value)) c[key] = value.slice();
    else if (value && typeof value === "object") c[key] = { ...(value as object) };
    else c[key] = value;
  }
  return c as unknown as Fs;
}

/** The deterministic run: checkpoints, op range, and where record boundaries fall. */
class Golden {
  checkpoints: Checkpoint[] = [];
  first = 0;
  end = 0;
  /** ops index at the start of record i (for the plan's windows). */
  recordOps: number[] = [];

  constructor(public w: Workload) {
    const chip = new NorFlash(GEOMETRY, { seed: 1 });
    const extent = norExtent(chip);
    const services = hostServices();
    if (fsFormat(extent, services) !== 0) throw new Error("format failed");
    const fs = fsMount(extent, services);
    if (typeof fs === "number") throw new Error(`mount failed: ${fs}`);
    this.first = chip.ops;
    const driver = new Driver(fs, w);
    let last = -Infinity;
    for (;;) {
      if (driver.e.cold === 2 || !w.cold) this.recordOps[driver.i] ??= chip.ops;
      if (chip.ops - last >= EVERY) {
        last = chip.ops;
        this.checkpoints.push({ ops: chip.ops, image: chip.data.slice(), erases: chip.eraseCounts.slice(), fs: cloneFs(fs, extent), driver: driver.clone(fs) });
      }
      if (!driver.step()) break;
    }
    fsUnmount(fs);
    this.end = chip.ops;
  }

  /** The latest checkpoint at or before op k. */
  at(k: number): Checkpoint {
    let lo = 0;
    let hi = this.checkpoints.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.checkpoints[mid].ops <= k) lo = mid;
      else hi = mid - 1;
    }
    return this.checkpoints[lo];
  }

  opsOfRecord(i: number): number {
    return this.recordOps[Math.min(i, this.recordOps.length - 1)] ?? this.end;
  }
}

/** LOGCFG §5's sampling plan, then uniform random cuts up to `total`. */
export function plan(g: Golden, total: number, seed: number, stride: number, exhaustive = false): Trial[] {
  const out: Trial[] = [];
  let n = 0;
  const add = (k: number, mode: CutMode, part: string) => {
    if (k >= g.first && k < g.end) out.push({ k, mode, seed: mix(seed, n++), part });
  };
  if (exhaustive) {
    for (let k = g.first; k < g.end; k += stride) {
      add(k, "clean", "every-op");
      add(k, "torn", "every-op");
    }
    return out;
  }
  for (let k = g.first; k < g.end; k += stride) {
    add(k, "clean", "stride");
    add(k, "torn", "stride");
  }
  let r = mix(seed, 0x51ed);
  const random = () => (r = mix(r, 7)) / 4294967296;
  for (let t = 0; t < 2000; t++) {
    const k = g.first + Math.floor(random() * (g.end - g.first));
    add(k, "clean", "random2000");
    add(k, "torn", "random2000");
  }
  for (let k = g.first; k < g.opsOfRecord(200); k++) {
    add(k, "clean", "first200");
    add(k, "torn", "first200");
  }
  for (const rot of [2 * GEN, 10 * GEN]) {
    if (rot >= g.w.records) continue;
    for (let k = g.opsOfRecord(rot - 32); k < g.opsOfRecord(rot + 32); k++) {
      add(k, "clean", "rotations");
      add(k, "torn", "rotations");
    }
  }
  while (out.length < total) {
    const k = g.first + Math.floor(random() * (g.end - g.first));
    add(k, random() < 0.5 ? "clean" : "torn", "fill");
  }
  return out;
}

/** Mount after a cut and check §5's invariants against what the app knew; the fs, or a failure. */
function recovered(chip: NorFlash, e: Expect): Fs | string {
  chip.clearCut();
  const fs = fsMount(norExtent(chip), hostServices());
  if (typeof fs === "number") return `mount: returned ${fs}`;
  return verify(fs, e) ?? fs;
}

/**
 * One trial: cut at op k; then `cuts` - 1 times: recover and continue with
 * another cut within its first 64 flash ops; finally recover, continue 64
 * records + a config replace, unmount, remount, verify.
 */
export function runTrial(g: Golden, t: Trial, cuts = 1): TrialOutcome {
  const started = Date.now();
  const cp = g.at(t.k);
  const chip = new NorFlash(GEOMETRY, { image: cp.image, seed: t.seed });
  chip.ops = cp.ops;
  chip.eraseCounts.set(cp.erases);
  const extent = norExtent(chip);
  const driver = cp.driver.clone(cloneFs(cp.fs, extent));
  chip.cutAt(t.k, t.mode);
  try {
    while (driver.step()) {}
    return { failure: `harness: the run ended before op ${t.k} was reached`, ms: 0 };
  } catch (e) {
    if (!(e instanceof PowerCut)) return { failure: `crash: workload before the cut: ${(e as Error).message}`, ms: Date.now() - started };
  }
  let made = 1;
  const fail = (failure: string) => ({ failure, ms: Date.now() - started, cuts: made });
  let e = driver.e;
  let at = "";
  const n = cuts || 1 + (mix(t.seed, 99) % 3);
  try {
    for (let c = 2; ; c++) {
      const fs = recovered(chip, e);
      if (typeof fs === "string") return fail(at + fs);
      const next = recover(fs, g.w, e);
      next.limit = Math.min(g.w.records, next.i + 64);
      if (next.i >= next.limit) next.limit = next.i + 64;
      if (c <= n) {
        // The next cut: one of the continuation's first 64 flash ops (each record programs at least once).
        const r = mix(t.seed, c);
        chip.cutAt(chip.ops + (r % 64), (r >>> 8) & 1 ? "torn" : "clean");
      }
      try {
        while (next.step()) {}
        next.config(next.e.cfg + 1);
      } catch (x) {
        if (!(x instanceof PowerCut)) throw x;
        e = next.e;
        at = `cut ${c}: `;
        made++;
        continue;
      }
      chip.clearCut();
      return { ...finish(chip, fs, next, fail, started, at), cuts: made };
    }
  } catch (x) {
    return fail(`${at}crash: ${(x as Error).message}`);
  }
}

/** The end of a trial: unmount, remount, everything (old + new) verifies. */
function finish(chip: NorFlash, fs: Fs, next: Driver, fail: (f: string) => TrialOutcome, started: number, at: string): TrialOutcome {
  const services = hostServices();
  try {
    const u = fsUnmount(fs);
    if (u < 0) return fail(`${at}continue: unmount returned ${u}`);
    const again = fsMount(norExtent(chip), services);
    if (typeof again === "number") return fail(`${at}remount: returned ${again}`);
    const bad2 = verify(again, next.e);
    if (bad2) return fail(`${at}after continuing: ${bad2}`);
    const ms = Date.now() - started;
    return ms > 20000 ? fail(`hang: recovery took ${ms} ms`) : { failure: null, ms };
  } catch (e) {
    return fail(`${at}crash: ${(e as Error).message}`);
  }
}

function num(v: number | string | undefined, fallback: number): number {
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UserError(`expected a non-negative integer, got ${v}`);
  return n;
}

interface Setup {
  w: Workload;
  cuts: number;
  trials: number;
  seed: number;
  stride: number;
  exhaustive: boolean;
}

function setup(o: PowerlossOptions): Setup {
  const name = (o.workload ?? "w0") as WorkloadName;
  if (!["w0", "w1", "batched"].includes(name)) throw new UserError(`unknown workload ${name}`, "--workload is w0, w1 or batched");
  const negctl = num(o.negctl, 0);
  if (negctl > 3) throw new UserError(`--negctl ${o.negctl}: no such negative control`, "--negctl is 1, 2 or 3");
  const cuts = o.cuts === undefined || o.cuts === "" ? "1" : String(o.cuts);
  if (!["1", "2", "3", "mix"].includes(cuts)) throw new UserError(`--cuts ${o.cuts}: not a number of cuts per trial`, "--cuts is 1, 2, 3 or mix");
  return {
    cuts: cuts === "mix" ? 0 : Number(cuts),
    w: workload(name, num(o.records, 20000), num(o.idle, 4), negctl as 0 | 1 | 2 | 3),
    trials: num(o.trials, 100000),
    seed: num(o.seed, 1),
    stride: Math.max(1, num(o.stride, o.exhaustive ? 1 : 50)),
    exhaustive: Boolean(o.exhaustive),
  };
}

/** A worker thread: registers tsx, loads this module, runs its share of the trials. */
const WORKER = `const { parentPort, workerData } = require("node:worker_threads");
import(workerData.tsx).then(async (tsx) => {
  tsx.register();
  const mod = await import(workerData.module);
  await mod._workerMain(workerData, (m) => parentPort.postMessage(m));
});`;

/** Worker entry: rebuild the golden run, run trials i ≡ id (mod n), report per trial. */
async function workerMain(data: { o: PowerlossOptions; id: number; n: number }, post: (m: unknown) => void): Promise<void> {
  const s = setup(data.o);
  const g = new Golden(s.w);
  const trials = plan(g, s.trials, s.seed, s.stride, s.exhaustive);
  for (let i = data.id; i < trials.length; i += data.n) {
    const r = runTrial(g, trials[i], s.cuts);
    post({ i, failure: r.failure, ms: r.ms, cuts: r.cuts });
  }
  post({ done: true });
}

export async function run(o: PowerlossOptions = {}): Promise<PowerlossResult> {
  const started = Date.now();
  const s = setup(o);
  const g = new Golden(s.w);
  if (o.replay) {
    const [k, mode, seed] = o.replay.split(":");
    const t: Trial = { k: Number(k), mode: mode as CutMode, seed: Number(seed), part: "replay" };
    const r = runTrial(g, t, s.cuts);
    return summary(s, g, [t], [r], started, 1);
  }
  const trials = plan(g, s.trials, s.seed, s.stride, s.exhaustive);
  // Workers load this module from source through tsx; from a bundled CLI there is none: run in-process.
  const canFork = import.meta.url.endsWith(".ts");
  const workers = canFork ? Math.max(1, Math.min(num(o.workers, Math.min(4, availableParallelism())), 16)) : 1;
  process.stderr.write(`powerloss: ${s.w.name}, ops ${g.first}..${g.end}, ${trials.length} trials, ${s.cuts || "1-3"} cut(s) each, seed ${s.seed}, ${workers} worker(s)\n`);
  const outcomes: TrialOutcome[] = new Array(trials.length);
  let finished = 0;
  let failures = 0;
  const progress = () => {
    if (finished % 2000 === 0 || finished === trials.length) {
      const sec = (Date.now() - started) / 1000;
      process.stderr.write(`  ${finished}/${trials.length} trials, ${failures} failed, ${sec.toFixed(0)} s\n`);
    }
  };
  const take = (m: TrialOutcome & { i: number }) => {
    outcomes[m.i] = { failure: m.failure, ms: m.ms, cuts: m.cuts };
    finished++;
    if (m.failure) failures++;
    progress();
  };
  if (workers === 1) {
    for (let i = 0; i < trials.length; i++) {
      const r = runTrial(g, trials[i], s.cuts);
      take({ i, ...r });
    }
  } else {
    const url = new URL(import.meta.url);
    await Promise.all(
      Array.from({ length: workers }, (_, id) =>
        new Promise<void>((resolve, reject) => {
          const worker = new Worker(WORKER, { eval: true, workerData: { o: { ...o, json: false }, id, n: workers, module: url.href, tsx: import.meta.resolve("tsx/esm/api") } });
          worker.on("message", (m) => (m.done ? resolve() : take(m)));
          worker.on("error", reject);
          worker.on("exit", (code) => (code ? reject(new Error(`worker exited with ${code}`)) : resolve()));
        }),
      ),
    );
  }
  return summary(s, g, trials, outcomes, started, workers);
}

function summary(s: Setup, g: Golden, trials: Trial[], outcomes: TrialOutcome[], started: number, workers: number): PowerlossResult {
  const byClass: Record<string, number> = {};
  const byPart: Record<string, number> = {};
  const byMode: Record<string, number> = {};
  const examples: { trial: string; failure: string }[] = [];
  let failures = 0;
  let maxMs = 0;
  let made = 0;
  trials.forEach((t, i) => {
    byPart[t.part] = (byPart[t.part] ?? 0) + 1;
    byMode[t.mode] = (byMode[t.mode] ?? 0) + 1;
    const r = outcomes[i];
    if (!r) return;
    maxMs = Math.max(maxMs, r.ms);
    made += r.cuts ?? 1;
    if (r.failure) {
      failures++;
      const cls = r.failure.replace(/^cut \d: /, "").replace(/^after continuing: /, "continue/").split(":")[0];
      byClass[cls] = (byClass[cls] ?? 0) + 1;
      if (examples.length < 20) examples.push({ trial: `${t.k}:${t.mode}:${t.seed}`, failure: r.failure });
    }
  });
  return {
    benchmark: "LOGCFG-64x4K v1 §5",
    workload: s.w.name,
    records: s.w.records,
    idle: s.w.idle,
    negctl: s.w.negctl,
    cuts: s.cuts,
    seed: s.seed,
    stride: s.stride,
    ops: { first: g.first, end: g.end },
    trials: trials.length,
    by_part: byPart,
    by_mode: byMode,
    failures,
    failures_by_class: byClass,
    cuts_made: made,
    examples,
    max_recovery_ms: maxMs,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    workers,
    pass: s.w.negctl ? failures > 0 : failures === 0,
  };
}

export function failed(r: PowerlossResult): boolean {
  return !r.pass;
}

export function render(r: PowerlossResult): string {
  const lines = [
    `${r.benchmark}, workload ${r.workload.toUpperCase()} (N=${r.records}, ${r.idle ? `idle GC ${r.idle}` : "no idle GC"})${r.negctl ? `, NEGATIVE CONTROL ${r.negctl}` : ""}`,
    `seed ${r.seed}, stride ${r.stride}, cut range ops ${r.ops.first}..${r.ops.end}, ${r.cuts || "1 to 3 (mix)"} cut(s) per trial, ${r.workers} worker(s), ${r.seconds} s`,
    `trials: ${r.trials}  (${Object.entries(r.by_part).map(([k, v]) => `${k} ${v}`).join(", ")}; ${Object.entries(r.by_mode).map(([k, v]) => `${k} ${v}`).join(", ")}), ${r.cuts_made} power cuts made`,
    `failures: ${r.failures}${r.failures ? "  " + Object.entries(r.failures_by_class).map(([k, v]) => `${k} ${v}`).join(", ") : ""}`,
    `slowest recovery: ${r.max_recovery_ms} ms (limit 20000)`,
  ];
  for (const e of r.examples) lines.push(`  --replay ${e.trial}${r.cuts === 1 ? "" : ` --cuts ${r.cuts || "mix"}`}  ${e.failure}`);
  lines.push(r.negctl ? (r.pass ? "negative control: the checker bites (failures found, as it must)" : "negative control: NO failure found — the checker does not bite") : r.pass ? "ok: 0 failures" : "FAILED");
  return lines.join("\n");
}

export { workerMain as _workerMain };
