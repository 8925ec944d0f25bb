/**
 * The hostile-app suite's machinery (hostile-suite.test.ts): build one hostile
 * app (test/fixtures/hostile/<app>) beside the witness, run the bundle on the
 * simulator and on the real interpreter, and say what the witness, the kernel
 * and the console show.
 *
 * One bundle per app, built for the "linux" board so that the same bytes run
 * on both: the simulator models that board's flash (1 KiB sectors at
 * 0x10020000) and pins (D0..D32); the interpreter built for Linux keeps its
 * flash in ./espruino.flash (256 KiB at 0x10000000) and its pins do nothing.
 * The hostile app is listed first: it starts first, and its flash extent
 * (when it has one) lies just before the witness's.
 */
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findBoard } from "../../hal/boards.ts";
import { SimDevice } from "../../hal/sim/device.ts";
import { formatViolation } from "../../tools/gate/check.ts";
import { buildDevice } from "../../tools/build/device.ts";
import type { KernelStatus } from "../../tools/cli/commands/sim.ts";

export const root = join(import.meta.dirname, "..", "..");
export const HOSTILE_DIR = "test/fixtures/hostile";
export const BOARD = findBoard("linux");
/**
 * The simulated board: linux's flash and pins with the 16383 variables of
 * the interpreter this suite runs against (the ESP32-like esp16 build; the
 * profile's 4096 is the resizable build's starting size, which makes the
 * kernel's memory guard think memory is always low).
 */
const SIM_BOARD = { ...BOARD, variables: 16383 };
/** How long each bundle runs, ms (simulated, or the interpreter's clock). */
export const RUN_MS = 2000;
/** The witness's period, pin and flash pattern (test/fixtures/hostile/witness/main.ts). */
export const TICK_MS = 100;
export const WITNESS_PIN = 21;
export const PATTERN = "WITNESS-PATTERN-0123456789abcdef";
/** Sectors the kernel keeps for its ledger at the start of its region (2 copies × 4 on linux). */
const LEDGER_SECTORS = 8;

/** Something the host does to the running device: `js` is evaluated on it at `at` ms. */
export interface HostAction {
  at: number;
  js: string;
}

/** One hostile app of the suite. */
export interface Spec {
  name: string;
  /** Escape class (1–9 as in the threat model, 10 for the rest). */
  cls: string;
  /** What it tries. */
  tries: string;
  host?: HostAction[];
  /** Run from a temporary copy of the app's folder, changed by `prepare` (e.g. a symlink made at run time). */
  prepare?: (dir: string) => void;
  /** Why the interpreter run is skipped, when it is. */
  skipInterpreter?: string;
  /** Host ms before the simulator calls a callback hung (default 1000). */
  hangMs?: number;
  /**
   * Simulator: run this long (default RUN_MS) and judge the witness on the
   * last RUN_MS only (an app that hangs the device can only be stopped by
   * the watchdog's reset: the witness must be back, and stay, by then).
   */
  runMs?: number;
  /** Extra kernel expectation: the capability the host reclaimed is not held any more. */
  reclaimed?: string;
}

export type BuildOutcome =
  | { kind: "built"; code: string; map: string; file: string; ownPins: number[]; hostileSectors: number }
  | { kind: "refused"; message: string }
  | { kind: "error"; message: string };

interface Manifest {
  pins?: Record<string, string>;
  flash?: number;
}

function manifestOf(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
}

const pinNumber = (spec: string): number => (spec === "LED" ? BOARD.led : Number(spec.slice(1)));

/** Build [app, witness] for the linux board. A refusal counts only when it names a file of the app. */
export async function buildPair(spec: Spec): Promise<BuildOutcome> {
  let dirs = [HOSTILE_DIR];
  let appDir = join(root, HOSTILE_DIR, spec.name);
  if (spec.prepare) {
    // <tmp>/hostile/<app>: the path still says hostile/<app>/, which is how a refusal names the app.
    const tmp = join(mkdtempSync(join(tmpdir(), "exo-hostile-copy-")), "hostile");
    mkdirSync(tmp);
    const copy = join(tmp, spec.name);
    cpSync(appDir, copy, { recursive: true });
    spec.prepare(copy);
    appDir = copy;
    dirs = [tmp, HOSTILE_DIR];
  }
  const manifest = manifestOf(appDir);
  const out = join(mkdtempSync(join(tmpdir(), "exo-hostile-")), "firmware.js");
  const mine = (text: string) => text.includes(`hostile/${spec.name}/`);
  try {
    const result = await buildDevice({ root, board: BOARD.name, apps: [spec.name, "witness"], out, appDirs: dirs });
    if (result.violations.length) {
      const message = "the dialect gate rejects the bundle:\n" + result.violations.map(formatViolation).join("\n");
      return { kind: mine(message) ? "refused" : "error", message };
    }
  } catch (error) {
    const message = String((error as Error).message ?? error) + ((error as { hint?: string }).hint ? "\n" + (error as { hint?: string }).hint : "");
    const where = (error as { loc?: { file?: string }; id?: string }).loc?.file ?? (error as { id?: string }).id ?? "";
    return { kind: mine(message + "\n" + where) ? "refused" : "error", message: message + (where ? ` (${where})` : "") };
  }
  return {
    kind: "built",
    code: readFileSync(out, "utf8"),
    map: readFileSync(out + ".map", "utf8"),
    file: out,
    ownPins: Object.values(manifest.pins ?? {}).map(pinNumber),
    hostileSectors: manifest.flash ?? 0,
  };
}

/** What one run showed. */
export interface Observed {
  platform: "simulator" | "interpreter";
  lines: string[];
  status?: KernelStatus;
  statusError?: string;
  /** The witness's whole flash sector as the chip holds it after the run. */
  witnessSector?: Uint8Array;
  /** The witness's tick lines in the judged window (simulator: the last RUN_MS; interpreter: from when every app has started). */
  ticks: number;
  /** Simulator: when the judged window ends; times of the witness's ticks and of its pin's edges in it; pins driven that no app of the pair owns. */
  end?: number;
  tickTimes?: number[];
  witnessEdges?: number[];
  strayPins?: number[];
  /** Simulator: the device's state ("running", "idle", "hung", "power-cut"); interpreter: how the process ended. */
  ended: string;
  hostErrors: string[];
}

/** The witness's sector: from the status, else where it lies when nothing went wrong. */
function witnessFirst(status: KernelStatus | undefined, built: Extract<BuildOutcome, { kind: "built" }>): number {
  const w = status?.apps?.find((a) => a.name === "witness");
  return w?.flash ? w.flash.first : LEDGER_SECTORS + built.hostileSectors;
}

function sectorAddress(first: number): number {
  return BOARD.kernelFlash.base + first * BOARD.chip.sectorSize;
}

/** Boot the bundle on the simulated linux board, play the host actions, run RUN_MS. */
export function runSim(built: Extract<BuildOutcome, { kind: "built" }>, spec: Spec): Observed {
  const device = new SimDevice({ board: SIM_BOARD, seed: 1, hangTimeoutMs: spec.hangMs ?? 1000 });
  const hostErrors: string[] = [];
  try {
    device.boot(built.code, { file: built.file, map: built.map });
  } catch (error) {
    hostErrors.push("boot: " + (error as Error).message);
  }
  let t = 0;
  for (const action of [...(spec.host ?? [])].sort((a, b) => a.at - b.at)) {
    if (action.at > t) device.run(action.at - t);
    t = Math.max(t, action.at);
    try {
      device.eval(action.js);
    } catch (error) {
      hostErrors.push(`${action.js}: ${(error as Error).message}`);
    }
  }
  const end = spec.runMs ?? RUN_MS;
  if (end > t) device.run(end - t);
  let status: KernelStatus | undefined;
  let statusError: string | undefined;
  try {
    status = JSON.parse(device.eval("JSON.stringify(exo.status())") as string);
  } catch (error) {
    statusError = (error as Error).message;
  }
  const first = witnessFirst(status, built);
  const at = sectorAddress(first) - BOARD.chip.base;
  const lines = device.console.map((c) => c.line);
  const from = device.now - RUN_MS;
  const tickTimes = device.console.filter((c) => c.simMs > from && /^witness: tick \d+$/.test(c.line)).map((c) => c.simMs);
  const changes = device.waveform.changes;
  const owned = new Set([WITNESS_PIN, ...built.ownPins]);
  return {
    platform: "simulator",
    lines,
    status,
    statusError,
    witnessSector: device.flash.data.slice(at, at + BOARD.chip.sectorSize),
    ticks: tickTimes.length,
    end: device.now,
    tickTimes,
    witnessEdges: changes.filter((c) => c.pin === WITNESS_PIN && c.ms > from).map((c) => c.ms),
    strayPins: [...new Set(changes.filter((c) => !owned.has(c.pin)).map((c) => c.pin))],
    ended: device.state + (device.reason ? ` (${device.reason})` : ""),
    hostErrors,
  };
}

/** Run the bundle on the interpreter built for Linux (ESPRUINO_BIN) in a fresh folder; the host part is a few timers set first. */
export function runInterpreter(bin: string, built: Extract<BuildOutcome, { kind: "built" }>, spec: Spec): Promise<Observed> {
  const dir = mkdtempSync(join(tmpdir(), "exo-hostile-espruino-"));
  const status = `function __hostStatus(){try{print("STATUS "+JSON.stringify(exo.status()))}catch(e){print("STATUS-ERROR "+e)}quit()}`;
  const before = [
    "echo(0);",
    status,
    // Set before the bundle, so that it runs even if the bundle's top level throws or is interrupted.
    `var __hostLate=setTimeout(__hostStatus,${RUN_MS + 2000});`,
  ].join("\n");
  // Set after the bundle: the run is timed from when every app has started (the kernel starts each in a
  // callback of its own after boot: exo.status().started), like the simulator's.
  const after = [
    "clearTimeout(__hostLate);",
    'var __hostWait=setInterval(function(){var s;try{s=exo.status().started}catch(e){s=true}if(!s)return;clearInterval(__hostWait);print("HOST-STARTED");',
    ...(spec.host ?? []).map((a) => `setTimeout(function(){try{${a.js}}catch(e){print("HOSTERROR "+e)}},${a.at});`),
    `setTimeout(__hostStatus,${RUN_MS});},5);`,
    `__hostLate=setTimeout(__hostStatus,${RUN_MS + 4000});`,
  ].join("\n");
  writeFileSync(join(dir, "run.js"), before + "\n" + built.code + "\n" + after + "\n");
  return new Promise((resolve) => {
    const child = spawn(bin, ["run.js"], { cwd: dir, stdio: ["pipe", "pipe", "pipe"] });
    child.stdin.end();
    let out = "";
    const limit = 4 << 20;
    child.stdout.on("data", (chunk: Buffer) => {
      if (out.length < limit) out += chunk.toString("latin1");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      if (out.length < limit) out += chunk.toString("latin1");
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, 15_000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const lines = out
        .replace(/\r/g, "")
        .replace(/\x1b\[J/g, "")
        .split("\n")
        .map((l) => l.replace(/^>+/, ""));
      const hostErrors = lines.filter((l) => l.startsWith("HOSTERROR ")).map((l) => l.slice(10));
      let status: KernelStatus | undefined;
      let statusError: string | undefined;
      const line = lines.find((l) => l.startsWith("STATUS "));
      const failed = lines.find((l) => l.startsWith("STATUS-ERROR "));
      try {
        if (line) status = JSON.parse(line.slice(7));
        else statusError = failed ? failed.slice(13) : "no STATUS line: the host's status timer never ran";
      } catch (error) {
        statusError = "the status is not JSON: " + (error as Error).message + ": " + line!.slice(0, 200);
      }
      const flashFile = join(dir, "espruino.flash");
      let witnessSector: Uint8Array | undefined;
      if (existsSync(flashFile)) {
        const image = readFileSync(flashFile);
        const at = sectorAddress(witnessFirst(status, built)) - BOARD.chip.base;
        witnessSector = new Uint8Array(image.subarray(at, at + BOARD.chip.sectorSize));
      }
      const ended = timedOut ? "killed after 15 s (hung?)" : signal ? `killed by ${signal}` : `exit ${code}`;
      // Judged from when every app has started, as on the simulator (before that, a hostile start may take long).
      const from = lines.indexOf("HOST-STARTED");
      const ticks = lines.slice(from < 0 ? 0 : from).filter((l) => /^witness: tick \d+$/.test(l)).length;
      resolve({ platform: "interpreter", lines, status, statusError, witnessSector, ended, hostErrors, ticks });
    });
  });
}

/** Every way the run shows the kernel's isolation failed; [] when the witness and the kernel came through. */
export function breaches(o: Observed, spec: Spec): string[] {
  const found: string[] = [];
  const escapes = o.lines.filter((l) => /^[\w-]+: ESCAPE /.test(l) && !l.startsWith("witness:"));
  for (const l of escapes) found.push("app says " + l);
  // Text the app wrote (it says "forged by <app>") that begins a line which is not the app's own nor the
  // kernel's about it: a line forged as the kernel's or the witness's. (A forged status would be read first: the witness's state shows it.)
  const own = (l: string) => l.startsWith(spec.name + ": ") || l.startsWith("kernel: app " + spec.name + " ") || l.startsWith("STATUS ");
  for (const l of o.lines.filter((l) => l.includes("forged by " + spec.name) && !own(l)).slice(0, 5)) {
    found.push("a forged console line: " + l.slice(0, 120));
  }
  const tampered = o.lines.filter((l) => l.startsWith("witness: TAMPERED"));
  for (const l of tampered.slice(0, 5)) found.push("witness saw " + l.slice(9));
  if (!o.lines.includes("witness: started")) found.push("the witness never started");
  const want = RUN_MS / TICK_MS;
  const window = o.end !== undefined && o.end > RUN_MS ? ` in the last ${RUN_MS} ms of ${Math.round(o.end)}` : ` in ${RUN_MS} ms`;
  // The interpreter's timers are real time on a shared machine: a tick more or less at either end of the window.
  const slack = o.platform === "interpreter" ? 2 : 1;
  if (o.ticks < want - slack || o.ticks > want + slack) found.push(`the witness ticked ${o.ticks} times${window} (want ${want} ± ${slack})`);
  const end = o.end ?? RUN_MS;
  if (o.tickTimes && o.tickTimes.length && o.tickTimes[o.tickTimes.length - 1] < end - 1.5 * TICK_MS) {
    found.push(`the witness's last tick was at ${o.tickTimes[o.tickTimes.length - 1]} ms`);
  }
  if (o.witnessEdges) {
    const last = o.witnessEdges[o.witnessEdges.length - 1] ?? -1;
    if (o.witnessEdges.length < want - 1 || last < end - 1.5 * TICK_MS) {
      found.push(`the witness's pin D${WITNESS_PIN} changed ${o.witnessEdges.length} times${window}, last at ${last} ms`);
    }
  }
  if (o.strayPins && o.strayPins.length) found.push(`pins no app of the pair owns were driven: ${o.strayPins.map((p) => "D" + p).join(", ")}`);
  if (o.statusError || !o.status) found.push("exo.status() did not answer: " + o.statusError);
  else {
    const w = o.status.apps?.find((a) => a.name === "witness");
    if (!w) found.push("the status has no witness");
    else if (w.state !== "running" || w.faults !== 0) found.push(`the witness is ${w.state} with ${w.faults} faults (${w.error})`);
    const h = o.status.apps?.find((a) => a.name === spec.name);
    if (spec.reclaimed && h && h.holds.includes(spec.reclaimed)) found.push(`the app still holds ${spec.reclaimed} after the host reclaimed it`);
  }
  if (!o.witnessSector) found.push("no flash image to read the witness's sector from");
  else {
    const bad: number[] = [];
    for (let i = 0; i < o.witnessSector.length; i++) {
      const want = i < PATTERN.length ? PATTERN.charCodeAt(i) : 0xff;
      if (o.witnessSector[i] !== want) bad.push(i);
    }
    if (bad.length) found.push(`the witness's flash sector changed at ${bad.length} bytes (first at ${bad[0]}: ${o.witnessSector[bad[0]]})`);
  }
  if (o.platform === "simulator" && !/^(running|idle)/.test(o.ended)) found.push("the device " + o.ended);
  if (o.platform === "interpreter" && o.ended !== "exit 0") found.push("the interpreter " + o.ended);
  const crash = o.lines.find((l) => /ASSERT\(|HARD FAULT|Segmentation/.test(l));
  if (crash) found.push("the interpreter crashed: " + crash.trim());
  return found;
}

/** The app's own verdict lines, for the report. */
export function verdicts(o: Observed, name: string): { escaped: string[]; blocked: string[] } {
  const mine = o.lines.filter((l) => l.startsWith(name + ": "));
  return {
    escaped: mine.filter((l) => l.startsWith(name + ": ESCAPE ")).map((l) => l.slice(name.length + 9)),
    blocked: mine.filter((l) => l.startsWith(name + ": BLOCKED ")).map((l) => l.slice(name.length + 10)),
  };
}
