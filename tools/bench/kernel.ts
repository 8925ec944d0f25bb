/**
 * `exo bench kernel`: what the exokernel's protection costs. GPIO write
 * through a capability versus raw `digitalWrite` (goal ≤ 1.0×), flash program
 * through a capability versus raw `Flash.write`, packet demultiplexing with
 * 1, 4 and 16 apps, the kernel's resident variables after boot and its share
 * of the bundle, and the footprint of three firmwares (bytes; variables
 * booted from Storage and run as a file: footprint.ts). Every ratio is
 * against a baseline measured in the same run.
 *
 * Options (for tools/cli/main.ts):
 *   --espruino <path>    an Espruino binary built for Linux (default: $ESPRUINO_BIN);
 *                        without one the interpreter half is skipped with a message
 *   --iterations <n>     GPIO writes, flash words and packets per variant on the interpreter
 *                        (default 2000; flash at most 8 sectors' words; the simulator runs 10× as many)
 *   --no-callgrind       time the interpreter with getTime() instead of counting
 *                        instructions under `valgrind --tool=callgrind` (used when valgrind is missing)
 *   --json               print the result as JSON
 *
 * Usage: `npx tsx tools/bench/kernel.ts [--json] [--espruino PATH]` runs it without the CLI.
 *
 * Method: each variant is a real bundle (the kernel, built by the real build,
 * with generated apps) run as a whole; a variant's cost per operation is
 * (its run − the same bundle with the loop body left out) ÷ iterations, so
 * boot and loop overhead cancel. Raw and capability variants are the same
 * generated app with one line changed (built with static verification off,
 * since the raw ones name digitalWrite); flash words are programmed into
 * erased space, the usual case. Demux is driven by host code appended to the
 * bundle, through the kernel's `exo.deliver`.
 * Interpreter: instructions (callgrind, stable) or µs for the whole run;
 * simulator: host µs of the loop's timer callback (or the demux loop at the
 * REPL) — the simulator's API is not the chip's: its ratios say little about it.
 * Both run the linux build (1 KiB sectors) so that the figures compare.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TraceMap, eachMapping } from "@jridgewell/trace-mapping";
import { findBoard } from "../../hal/boards.ts";
import { SimDevice } from "../../hal/sim/device.ts";
import { buildDevice } from "../build/device.ts";
import { ledgerSectors } from "../build/manifests.ts";
import { findRoot } from "../cli/root.ts";
import { ranDirectly } from "../ran-directly.ts";
import { type Footprint, footprint } from "./footprint.ts";
import { resultOf, runInterpreter } from "./interpreter.ts";

export interface BenchKernelOptions {
  cwd?: string;
  espruino?: string;
  iterations?: number | string;
  callgrind?: boolean;
  json?: boolean;
}

/** Cost per loop turn (loop included) of one thing, raw and through the kernel, and of the loop alone. */
export interface Pair {
  raw: number;
  cap: number;
  /** The loop alone (`s = i & 1`): subtract it for the operation alone. */
  loop: number;
  /** cap ÷ raw, per turn. */
  ratio: number;
  /** (cap − loop) ÷ (raw − loop): the operations alone; null when noise makes it meaningless. */
  net: number | null;
}

export interface Measures {
  /** "callgrind": instructions per operation; "wall": µs per operation (interpreter getTime, or host time on the simulator). */
  method: "callgrind" | "wall";
  unit: "instructions" | "µs";
  gpio: Pair;
  flash: Pair & { words: number };
  /** Cost of one `deliver` (demux + ring-full drop) with 1, 4 and 16 apps installed; ratio = 16 apps ÷ 1 app. */
  demux: { apps1: number; apps4: number; apps16: number; ratio: number };
}

/**
 * What isolation costs, on the interpreter, per loop turn (loop included),
 * from runs of n and 2n turns of the same code (boot cancels): the GPIO
 * capability against raw `digitalWrite` in a script of its own (the way a
 * user runs it, not inside the kernel's bundle), and an app's hot loop
 * (typed-array reads and writes, a function call, a method call that reads
 * `this`) built confined against the same loop built without confinement.
 */
export interface Isolation {
  /** floor: the same loop calling a native that does nothing through an object (`o.m(v)`, m = Math.abs): no capability can cost less. */
  gpio: { raw: number; cap: number; ratio: number; floor: number; floorRatio: number };
  hotLoop: { plain: number; confined: number; ratio: number };
}

export interface Result {
  board: string;
  iterations: number;
  simulator: Measures;
  interpreter: Measures | { skipped: string };
  isolation: Isolation | { skipped: string };
  /** Variables in use after boot (kernel + one small app) minus an empty program's. */
  memory: { simulator: number; interpreter?: number };
  /** Bytes of the minified bundle that come from firmware/ and hal/espruino/, of the whole (kernel + one small app). */
  bundle: { kernel: number; total: number; share: number };
  /** Bytes and variables of three firmwares as deployed (footprint.ts): kernel + trivial app, + fs + sched, the default. */
  footprint: Footprint[];
  goals: Record<"gpio" | "gpioStandalone" | "hotLoop" | "libosVars" | "defaultVars" | "libosBytes" | "defaultBytes", { goal: string; met: boolean }>;
}

const board = findBoard("linux");

// ---- the generated apps ----

/** What one generated app's start does, n times: nothing but the loop, or one operation per turn. */
type Body = "boot" | "loop" | "pinCap" | "pinRaw" | "flashCap" | "flashRaw";

/** Words of flash the flash variants program (each into erased space, the usual case): the app's 8 sectors. */
const FLASH_SECTORS = 8;

/**
 * An app whose start runs `body` n times. All variants share one shape (the
 * same function, the same locals), so subtracting the "loop" variant leaves
 * the operation alone. The raw variants name digitalWrite and Flash: these
 * apps are built with static verification off (benchmarks only).
 */
function appSource(body: Body, n: number, rawFlash: number): string {
  const op: Record<Body, string> = {
    boot: "", // the minifier drops an empty loop: this variant is the boot alone
    loop: "s = i & 1",
    pinCap: "p.write(i & 1)",
    pinRaw: "digitalWrite(D5, i & 1)",
    flashCap: "f.write(i * 4, d)",
    flashRaw: `F.write(d, ${rawFlash} + i * 4)`,
  };
  return [
    "// Generated by tools/bench/kernel.ts",
    "declare const D5: unknown, digitalWrite: (p: unknown, v: number) => void, require: (m: string) => any;",
    "export function start(caps: any): void {",
    "  const p = caps.pins.out;",
    '  p.mode("output");',
    "  const f = caps.flash;",
    "  const d = new Uint8Array([1, 2, 3, 4]);",
    '  const F = require("Flash");',
    "  let s = 0;",
    // In a timer callback, so that the simulator can time the loop apart from the boot.
    "  caps.timer.after(0, () => {",
    `    for (let i = 0; i < ${n}; i++) ${op[body]};`,
    '    if (s < 0 || !F || !f) caps.services.log("");',
    "  });",
    "}",
    "",
  ].join("\n");
}

/** The hot loop of the isolation figures: what an app's inner loop does, n turns in a timer callback. */
export function hotLoopSource(n: number): string {
  return [
    "// Generated by tools/bench/kernel.ts",
    "class Acc {",
    "  n = 0;",
    "  add(v: number): void {",
    "    this.n = (this.n + v) & 65535;",
    "  }",
    "}",
    "const mix = (x: number, y: number): number => (x * 31 + y) & 255;",
    "export function start(caps: any): void {",
    "  const a = new Uint8Array(64);",
    "  const acc = new Acc();",
    "  let s = 0;",
    "  caps.timer.after(0, () => {",
    `    for (let i = 0; i < ${n}; i++) {`,
    "      a[i & 63] = mix(a[i & 63], i);",
    "      s += a[(i + 1) & 63];",
    "      acc.add(i & 7);",
    "    }",
    '    if (s < 0) caps.services.log("" + acc.n);',
    "  });",
    "}",
    "",
  ].join("\n");
}

/** The GPIO capability as an app uses it: n writes in a timer callback. */
const gpioCapSource = (n: number) => [
  "// Generated by tools/bench/kernel.ts",
  "export function start(caps: any): void {",
  "  const p = caps.pins.out;",
  '  p.mode("output");',
  `  caps.timer.after(0, () => {`,
  `    for (let i = 0; i < ${n}; i++) p.write(i & 1);`,
  "  });",
  "}",
  "",
].join("\n");

/** Raw digitalWrite in a script of its own: the same loop, in a timer callback, n turns. */
const rawGpioScript = (n: number) => `setTimeout(()=>{for(let e=0;e<${n};e++)digitalWrite(D5,1&e)},0);\n`;
/** The floor of any capability call: a native that does nothing, called through an object, in the same loop. */
const floorScript = (n: number) => `var p={write:Math.abs};setTimeout(()=>{for(let e=0;e<${n};e++)p.write(1&e)},0);\n`;

function writeApp(dir: string, name: string, manifest: object, source: string): void {
  mkdirSync(join(dir, name), { recursive: true });
  writeFileSync(join(dir, name, "manifest.json"), JSON.stringify({ name, ...manifest }));
  writeFileSync(join(dir, name, "main.ts"), source);
}

interface Bundle {
  code: string;
  map: string;
}

async function bundle(root: string, dir: string, apps: string[], verify = false): Promise<Bundle> {
  const out = join(mkdtempSync(join(tmpdir(), "exo-bench-kernel-")), "firmware.js");
  await buildDevice({ root, board: board.name, apps, appDirs: [dir], out, verify });
  return { code: readFileSync(out, "utf8"), map: readFileSync(out + ".map", "utf8") };
}

/** The bundles of one run: n GPIO turns, `words` flash turns, n packets. */
async function bundles(root: string, n: number) {
  const dir = mkdtempSync(join(tmpdir(), "exo-bench-apps-"));
  const words = Math.min(n, (FLASH_SECTORS * board.chip.sectorSize) / 4);
  // The app's extent is the first app sectors; the raw variant programs the free sectors after it.
  const rawFlash = board.kernelFlash.base + (2 * ledgerSectors(board) + FLASH_SECTORS) * board.chip.sectorSize;
  const manifest = { pins: { out: "D5" }, flash: FLASH_SECTORS, timers: 1 };
  for (const body of ["boot", "loop", "pinCap", "pinRaw"] as const) writeApp(dir, "g" + body.toLowerCase(), manifest, appSource(body, n, rawFlash));
  for (const body of ["boot", "loop", "flashCap", "flashRaw"] as const) writeApp(dir, "f" + body.toLowerCase(), manifest, appSource(body, words, rawFlash));
  const ports: string[] = [];
  for (let i = 0; i < 16; i++) {
    const name = "net" + String(i).padStart(2, "0");
    writeApp(dir, name, { packets: { protocol: "udp", port: 7000 + i, rx: 64 } }, "export function start(): void {}\n");
    ports.push(name);
  }
  const b = {
    words,
    boot: await bundle(root, dir, ["gboot"]),
    gLoop: await bundle(root, dir, ["gloop"]),
    gCap: await bundle(root, dir, ["gpincap"]),
    gRaw: await bundle(root, dir, ["gpinraw"]),
    fLoop: await bundle(root, dir, ["floop"]),
    fCap: await bundle(root, dir, ["fflashcap"]),
    fRaw: await bundle(root, dir, ["fflashraw"]),
    net1: await bundle(root, dir, ports.slice(0, 1)),
    net4: await bundle(root, dir, ports.slice(0, 4)),
    net16: await bundle(root, dir, ports.slice(0, 16)),
  };
  rmSync(dir, { recursive: true, force: true });
  return b;
}

/** The isolation bundles: GPIO capability and the hot loop (plain and confined), at n and 2n turns. */
async function isolationBundles(root: string, n: number) {
  const dir = mkdtempSync(join(tmpdir(), "exo-bench-isolation-"));
  const manifest = { pins: { out: "D5" }, timers: 1 };
  const out: Record<string, Bundle> = {};
  for (const k of [1, 2]) {
    writeApp(dir, "gpio" + k, manifest, gpioCapSource(k * n));
    writeApp(dir, "hot" + k, { timers: 1 }, hotLoopSource(k * n));
    out["cap" + k] = await bundle(root, dir, ["gpio" + k], true);
    out["plain" + k] = await bundle(root, dir, ["hot" + k], false);
    out["confined" + k] = await bundle(root, dir, ["hot" + k], true);
  }
  rmSync(dir, { recursive: true, force: true });
  return out;
}

type Bundles = Awaited<ReturnType<typeof bundles>>;

// ---- running a script ----

/** Host code appended to a bundle: a loop of `body` in a function, `n` times. */
const appended = (n: number, setup: string, body: string) => `\n(function(){${setup};var s=0;for(var i=0;i<${n};i++)${body};if(s<0)print("")})();\n`;

/**
 * One run on the simulator: boot untimed, then the host µs of the first
 * millisecond of simulated time (the app's loop runs there, in a timer
 * callback) plus `after`, evaluated at the REPL. Min of 7.
 */
function simRun(code: string, after = ""): number {
  let best = Infinity;
  for (let k = 0; k < 7; k++) {
    const device = new SimDevice({ board, seed: 1 });
    device.boot(code, { file: "bench.js" });
    const t = performance.now();
    device.run(1);
    if (after) device.eval(after);
    best = Math.min(best, performance.now() - t);
  }
  return best * 1000;
}

interface Interpreter {
  bin: string;
  callgrind: boolean;
}

/**
 * Code appended to a bundle that runs `js` once every app has started (the kernel starts each in a
 * callback of its own after boot: `exo.status().started`) and what they queued then has run; for a
 * script without the kernel, at the first tick.
 */
const afterStart = (js: string) =>
  `\nvar __w=setInterval(function(){if(typeof exo!=="undefined"&&!exo.status().started)return;clearInterval(__w);setTimeout(function(){${js}},0)},0);\n`;

/** One run on the interpreter: instructions (callgrind) or µs between two getTime() calls around the whole script. */
function interpreterRun(it: Interpreter, bundleCode: string, after = ""): number {
  // The kernel's tick and UDP sockets keep the event loop alive: quit once the apps have started and what
  // they queued then (the loops) has run, and the appended code ran (a quit() while the script loads is ignored).
  const code = bundleCode + after + afterStart("quit()");
  if (it.callgrind) return runInterpreter(it.bin, code, { callgrind: true }).instructions!;
  return parseFloat(resultOf(runInterpreter(it.bin, `var __t0=getTime();\n${code}\nprint("EXO-US "+((getTime()-__t0)*1e6));`), "EXO-US "));
}

/** Variables in use at the first tick after the script (its text released; interpreter): printed by appended code. */
function interpreterMemory(bin: string, code: string): number {
  const run = runInterpreter(bin, code + afterStart('print("EXO-MEM "+process.memory().usage);quit()'), { timeoutMs: 60_000 });
  return parseInt(resultOf(run, "EXO-MEM "), 10);
}

/** Bytes of the bundle (its newlines left out) attributed through the map to kernel sources. */
function kernelShare(b: Bundle): { kernel: number; total: number; share: number } {
  const lines = b.code.split("\n");
  const map = new TraceMap(b.map);
  const segments: { line: number; column: number; source: string | null }[] = [];
  eachMapping(map, (m) => segments.push({ line: m.generatedLine, column: m.generatedColumn, source: m.source }));
  segments.sort((a, c) => a.line - c.line || a.column - c.column);
  let kernel = 0;
  for (let i = 0; i < segments.length; i++) {
    const here = segments[i];
    const next = segments[i + 1];
    const end = next && next.line === here.line ? next.column : lines[here.line - 1].length;
    if (/(^|\/)(firmware|hal\/espruino)\//.test(here.source ?? "")) kernel += end - here.column;
  }
  const total = b.code.length - (lines.length - 1);
  return { kernel, total, share: Math.round((1000 * kernel) / total) / 1000 };
}

const round = (n: number) => Math.round(n * 100) / 100;
const pair = (raw: number, cap: number, loop: number): Pair => ({
  raw: round(raw), cap: round(cap), loop: round(loop), ratio: round(cap / raw),
  // null when the loop alone measured no cheaper than the raw operation (timer noise on the simulator).
  net: raw > loop && cap >= loop ? round((cap - loop) / (raw - loop)) : null,
});

export async function run(options: BenchKernelOptions = {}): Promise<Result> {
  const root = findRoot(options.cwd ?? import.meta.dirname);
  const n = Math.max(100, Number(options.iterations ?? 2000) | 0);
  // The simulator's figures are host time: ten times the turns to rise above the boot's jitter.
  const chip = await bundles(root, n);
  const sim = await bundles(root, 10 * n);

  const measure = (b: Bundles, count: number, runner: (code: string, after?: string) => number, method: Measures["method"], unit: Measures["unit"]): Measures => {
    const per = (a: number, base: number, k: number) => Math.max(0, a - base) / k;
    // Per loop turn, loop included: (variant − boot alone) ÷ turns; the loop alone is reported beside.
    const boot = runner(b.boot.code);
    const gpio = pair(per(runner(b.gRaw.code), boot, count), per(runner(b.gCap.code), boot, count), per(runner(b.gLoop.code), boot, count));
    const flash = pair(per(runner(b.fRaw.code), boot, b.words), per(runner(b.fCap.code), boot, b.words), per(runner(b.fLoop.code), boot, b.words));
    // The target is the last app's port (the worst case for a scan); its 64-byte ring is full after 6 packets: the rest is demux + drop.
    const demux = (apps: number) => appended(count, "var D=exo.deliver,p=new Uint8Array(8)", `D("udp",${7000 + apps - 1},p)`);
    const demuxLoop = appended(count, "var D=exo.deliver,p=new Uint8Array(8)", "s+=7000+i");
    const d = (apps: number, code: string) => round(per(runner(code, demux(apps)), runner(code, demuxLoop), count));
    const apps1 = d(1, b.net1.code);
    const apps4 = d(4, b.net4.code);
    const apps16 = d(16, b.net16.code);
    return { method, unit, gpio, flash: { ...flash, words: b.words }, demux: { apps1, apps4, apps16, ratio: round(apps16 / apps1) } };
  };

  const simulator = measure(sim, 10 * n, simRun, "wall", "µs");
  const simMemory = (() => {
    const device = new SimDevice({ board, seed: 1 });
    device.boot(chip.boot.code, { file: "bench.js" });
    const empty = new SimDevice({ board, seed: 1 });
    empty.boot("", { file: "empty.js" });
    return device.memory().usage - empty.memory().usage;
  })();

  const bin = options.espruino ?? process.env.ESPRUINO_BIN;
  let interpreter: Result["interpreter"];
  let isolation: Result["isolation"] = { skipped: "measured on the interpreter only" };
  let interpreterMemoryUsed: number | undefined;
  if (!bin) interpreter = isolation = { skipped: "no interpreter: set ESPRUINO_BIN or pass --espruino PATH (an Espruino binary built for Linux)" };
  else if (!existsSync(bin)) interpreter = isolation = { skipped: `no interpreter at ${bin}` };
  else {
    const hasValgrind = spawnSync("valgrind", ["--version"], { encoding: "utf8" }).status === 0;
    const callgrind = options.callgrind !== false && hasValgrind;
    const it: Interpreter = { bin, callgrind };
    interpreter = measure(chip, n, (code, after) => interpreterRun(it, code, after), callgrind ? "callgrind" : "wall", callgrind ? "instructions" : "µs");
    interpreterMemoryUsed = interpreterMemory(bin, chip.boot.code) - interpreterMemory(bin, "");
    const b = await isolationBundles(root, n);
    // Per turn from n and 2n turns: everything else cancels.
    const turn = (one: string, two: string) => round((interpreterRun(it, two, "") - interpreterRun(it, one, "")) / n);
    const raw = turn(rawGpioScript(n), rawGpioScript(2 * n));
    const floor = turn(floorScript(n), floorScript(2 * n));
    const cap = turn(b.cap1!.code, b.cap2!.code);
    const plain = turn(b.plain1!.code, b.plain2!.code);
    const confined = turn(b.confined1!.code, b.confined2!.code);
    isolation = { gpio: { raw, cap, ratio: round(cap / raw), floor, floorRatio: round(floor / raw) }, hotLoop: { plain, confined, ratio: round(confined / plain) } };
  }
  const fp = await footprint(root, typeof interpreter === "object" && "gpio" in interpreter ? bin : undefined);
  const [, libos, every] = fp;
  return {
    board: board.name,
    iterations: n,
    simulator,
    interpreter,
    isolation,
    memory: { simulator: simMemory, ...(interpreterMemoryUsed !== undefined ? { interpreter: interpreterMemoryUsed } : {}) },
    bundle: kernelShare(chip.boot),
    footprint: fp,
    goals: {
      gpio: {
        goal: "GPIO write through a capability ≤ 1.0× raw digitalWrite in the kernel's bundle (interpreter)",
        met: "gpio" in interpreter && interpreter.gpio.ratio <= 1 && (interpreter.gpio.net ?? 0) <= 1,
      },
      gpioStandalone: {
        goal: "GPIO write through a capability ≤ 0.75× raw digitalWrite in a script of its own (interpreter)",
        met: "gpio" in isolation && isolation.gpio.ratio <= 0.75,
      },
      hotLoop: {
        goal: "an app's hot loop confined ≤ 1.3× the same loop unconfined (interpreter)",
        met: "hotLoop" in isolation && isolation.hotLoop.ratio <= 1.3,
      },
      libosVars: {
        goal: "variables once started, kernel + fs + sched + trivial app, booted from Storage ≤ 1,200 (interpreter)",
        met: !!libos.storage && libos.storage.started <= 1200,
      },
      defaultVars: {
        goal: "variables once started, default firmware, booted from Storage ≤ 4,000 (interpreter)",
        met: !!every.storage && every.storage.started <= 4000,
      },
      libosBytes: { goal: "stored bytes (minified, pretokenised), kernel + fs + sched + trivial app ≤ 16,384", met: libos.stored <= 16384 },
      defaultBytes: { goal: "stored bytes (minified, pretokenised), default firmware ≤ 24,576", met: every.stored <= 24576 },
    },
  };
}

/** The interpreter's ratios are the goals; without an interpreter nothing fails. */
export function failed(result: Result): boolean {
  return "gpio" in result.interpreter && Object.values(result.goals).some((g) => !g.met);
}

function table(m: Measures): string[] {
  const u = m.unit === "instructions" ? "instr" : "µs";
  const f = (x: number) => (m.unit === "instructions" ? String(Math.round(x)) : x.toFixed(2));
  return [
    `  gpio write     raw ${f(m.gpio.raw)} ${u}   capability ${f(m.gpio.cap)} ${u}   ${m.gpio.ratio}×   (loop alone ${f(m.gpio.loop)}; without it ${m.gpio.net ?? "n/a"}×)`,
    `  flash program  raw ${f(m.flash.raw)} ${u}   capability ${f(m.flash.cap)} ${u}   ${m.flash.ratio}×   (loop alone ${f(m.flash.loop)}; without it ${m.flash.net ?? "n/a"}×; ${m.flash.words} words into erased flash)`,
    `  demux          1 app ${f(m.demux.apps1)} ${u}   4 apps ${f(m.demux.apps4)} ${u}   16 apps ${f(m.demux.apps16)} ${u}   16/1 = ${m.demux.ratio}×`,
  ];
}

export function render(r: Result): string {
  return [
    `kernel bench (${r.board} build, ${r.iterations} iterations; per loop turn, boot subtracted)`,
    `interpreter${"gpio" in r.interpreter ? ` (${r.interpreter.method === "callgrind" ? "callgrind instructions" : "getTime µs"})` : ""}:`,
    ...("gpio" in r.interpreter ? table(r.interpreter) : [`  skipped: ${r.interpreter.skipped}`]),
    "simulator (host µs; the sim's API is not the chip's):",
    ...table(r.simulator),
    `resident after boot (kernel + one app): ~${r.memory.simulator} variables (sim estimate)` +
      (r.memory.interpreter !== undefined ? `, ${r.memory.interpreter} on the interpreter` : ""),
    "isolation (interpreter, per loop turn from n and 2n turns):",
    ...("gpio" in r.isolation
      ? [
        `  gpio write     raw in its own script ${Math.round(r.isolation.gpio.raw)}   capability ${Math.round(r.isolation.gpio.cap)}   ${r.isolation.gpio.ratio}×` +
          `   (floor: a do-nothing native called through an object ${Math.round(r.isolation.gpio.floor)}, ${r.isolation.gpio.floorRatio}×)`,
        `  app hot loop   unconfined ${Math.round(r.isolation.hotLoop.plain)}   confined ${Math.round(r.isolation.hotLoop.confined)}   ${r.isolation.hotLoop.ratio}×`,
      ]
      : [`  skipped: ${r.isolation.skipped}`]),
    `bundle: ${r.bundle.kernel} of ${r.bundle.total} bytes are the kernel's (${(r.bundle.share * 100).toFixed(1)}%)`,
    "footprint (linux build; bytes minified / stored pretokenised; variables in use after the top level / once every app has started):",
    ...r.footprint.map((f) =>
      `  ${f.name.padEnd(44)} ${String(f.bytes).padStart(6)} / ${String(f.stored).padStart(6)} bytes` +
        (f.storage && f.file
          ? `   from Storage ${f.storage.top} / ${f.storage.started} vars   as a file ${f.file.top} / ${f.file.started} vars`
          : "   (variables: interpreter only)"),
    ),
    ...Object.entries(r.goals).map(([k, g]) => `goal: ${g.goal}: ${k.endsWith("Bytes") || "gpio" in r.interpreter ? (g.met ? "met" : "NOT met") : "not measured"}`),
  ].join("\n");
}

// `npx tsx tools/bench/kernel.ts [--json] [--espruino PATH] [--iterations N] [--no-callgrind]`
if (ranDirectly(import.meta.url, "kernel.ts")) {
  const argv = process.argv.slice(2);
  const value = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  run({ espruino: value("--espruino"), iterations: value("--iterations"), callgrind: !argv.includes("--no-callgrind") }).then((r) =>
    process.stdout.write((argv.includes("--json") ? JSON.stringify(r, null, 2) : render(r)) + "\n"),
  );
}
