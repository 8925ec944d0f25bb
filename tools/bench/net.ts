/**
 * `exo bench net`: the network path through the kernel. Packets per second
 * through the kernel's sockets and rings (a host program sends datagrams
 * over real loopback UDP to an echo app, which sends each back through its
 * tx ring), and the cost of demultiplexing one packet with 1, 4 and 16 apps
 * installed (flat is the goal: the filter table is a hash of typed arrays).
 * On the simulator, and on the real interpreter when one is given.
 *
 * Options (for tools/cli/main.ts):
 *   --espruino <path>    an Espruino binary built for Linux (default: $ESPRUINO_BIN);
 *                        without one the interpreter half is skipped with a message
 *   --packets <n>        datagrams per echo run (default 2000)
 *   --iterations <n>     deliveries per demux variant (default 20000 on the simulator, 2000 on the interpreter)
 *   --json               print the result as JSON
 *
 * Usage: `npx tsx tools/bench/net.ts [--json] [--espruino PATH]` runs it without the CLI.
 *
 * Method: the linux board's build (same bundle for both). Echo: a window of
 * 8 datagrams in flight; packets/s = echoes ÷ host seconds from the first
 * send to the last echo. On the simulator virtual time waits for the network
 * (hal/sim/net.ts), so this is the kernel + the simulator's pacing, not the
 * chip. Demux: host code appended to the bundle calls the kernel's
 * `exo.deliver` for the last app's port (its ring full after a few packets:
 * the rest is demux + count a drop), minus the same loop without the call;
 * µs per delivery (simulator: host µs; interpreter: getTime()).
 */
import { spawn } from "node:child_process";
import dgram from "node:dgram";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findBoard } from "../../hal/boards.ts";
import { SimDevice } from "../../hal/sim/device.ts";
import { buildDevice } from "../build/device.ts";
import { findRoot } from "../cli/root.ts";
import { ranDirectly } from "../ran-directly.ts";

export interface BenchNetOptions {
  cwd?: string;
  espruino?: string;
  packets?: number | string;
  iterations?: number | string;
  json?: boolean;
}

export interface Demux {
  /** µs per delivery with 1, 4 and 16 apps; ratio = 16 ÷ 1 (flat: ≈ 1). */
  apps1: number;
  apps4: number;
  apps16: number;
  ratio: number;
}

export interface Echo {
  packets: number;
  echoed: number;
  /** Datagrams given up as lost (the window restarted after 5 quiet steps). */
  lost: number;
  seconds: number;
  /** Echoes per host second. */
  pps: number;
}

export interface Result {
  board: string;
  simulator: { echo: Echo; demux: Demux };
  interpreter: { echo: Echo; demux: Demux } | { skipped: string };
}

const board = findBoard("linux");
const PORT = 7000;
/** Datagrams in flight: 8 of 16 bytes (18 a slot) fit the echo app's 256-byte ring. */
const WINDOW = 8;
const round = (x: number, digits = 3) => Number(x.toFixed(digits));

const echoSource =
  "export function start(caps: any): void {\n" +
  "  const net = caps.net;\n" +
  "  net.onReadable(() => { for (let p = net.recv(); p; p = net.recv()) net.send(p); });\n" +
  "}\n";

async function bundles(root: string): Promise<{ apps1: string; apps4: string; apps16: string }> {
  const dir = mkdtempSync(join(tmpdir(), "exo-bench-net-apps-"));
  const names: string[] = [];
  for (let i = 0; i < 16; i++) {
    const name = "echo" + String(i).padStart(2, "0");
    mkdirSync(join(dir, name));
    // 16 apps × 512 bytes = the kernel's 8 KiB budget.
    writeFileSync(join(dir, name, "manifest.json"), JSON.stringify({ name, packets: { protocol: "udp", port: PORT + i, rx: 256, tx: 256 }, timers: 1 }));
    writeFileSync(join(dir, name, "main.ts"), echoSource);
    names.push(name);
  }
  const one = async (apps: string[]) => {
    const out = join(mkdtempSync(join(tmpdir(), "exo-bench-net-")), "firmware.js");
    await buildDevice({ root, board: board.name, apps, appDirs: [dir], out, verify: false });
    return readFileSync(out, "utf8");
  };
  try {
    return { apps1: await one(names.slice(0, 1)), apps4: await one(names.slice(0, 4)), apps16: await one(names) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Host code: `n` deliveries to `port` (or the loop alone), timed with getTime(), printed as EXO-US. */
const demuxScript = (n: number, port: number | undefined) =>
  `\n(function(){var D=exo.deliver,p=new Uint8Array(8),s=0,t=getTime();for(var i=0;i<${n};i++)${port === undefined ? "s+=i" : `D("udp",${port},p)`};print("EXO-US "+((getTime()-t)*1e6));if(s<0)print("")})();\n`;

function simDemux(code: string, apps: number, n: number): number {
  const time = (port: number | undefined) => {
    let best = Infinity;
    for (let k = 0; k < 5; k++) {
      const device = new SimDevice({ board, seed: 1 });
      device.boot(code, { file: "bench.js" });
      device.run(1);
      const t = performance.now();
      device.eval(demuxScript(n, port));
      best = Math.min(best, performance.now() - t);
    }
    return best * 1000;
  };
  return Math.max(0, time(PORT + apps - 1) - time(undefined)) / n;
}

/** Send `packets` datagrams, WINDOW in flight, to 127.0.0.1:port; resolve when all echoed (or `timeoutMs`). */
async function blast(port: number, packets: number, step: () => Promise<unknown>, timeoutMs: number): Promise<Echo> {
  const host = dgram.createSocket("udp4");
  await new Promise<void>((done) => host.bind(0, "127.0.0.1", () => done()));
  let sent = 0;
  let echoed = 0;
  let lost = 0;
  const payload = Buffer.alloc(16, 0x55);
  const send = () => {
    while (sent < packets && sent - echoed < WINDOW) {
      host.send(payload, port, "127.0.0.1");
      sent++;
    }
  };
  host.on("message", () => {
    echoed++;
    send();
  });
  const start = performance.now();
  let last = 0;
  let quiet = 0;
  send();
  while (echoed < packets && performance.now() - start < timeoutMs) {
    await step();
    // A lost datagram (a full ring) would stall the window: top it up after a quiet spell.
    quiet = echoed === last ? quiet + 1 : 0;
    if (quiet >= 5 && sent - echoed >= WINDOW) {
      quiet = 0;
      lost += sent - echoed;
      sent = echoed;
      send();
    }
    last = echoed;
  }
  const seconds = (performance.now() - start) / 1000;
  host.close();
  return { packets, echoed, lost, seconds: round(seconds), pps: Math.round(echoed / seconds) };
}

async function simEcho(code: string, packets: number): Promise<Echo> {
  const device = new SimDevice({ board, seed: 1, net: { settleMs: 2 } });
  device.boot(code, { file: "bench.js" });
  device.run(1);
  try {
    const port = await device.net!.hostPort(PORT);
    return await blast(port, packets, () => device.runNetworked(5), 60_000);
  } finally {
    device.net!.close();
  }
}

/** Run `code` on the interpreter until its output matches `pattern` (the open sockets keep it alive), then SIGKILL it. */
async function runUntil(bin: string, code: string, pattern: RegExp, timeoutMs: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "exo-bench-net-espruino-"));
  writeFileSync(join(dir, "bench.js"), code);
  const child = spawn(bin, ["bench.js"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the interpreter printed nothing that matches " + pattern + ":\n" + out.slice(-2000))), timeoutMs);
      child.stdout.on("data", (d) => {
        out += d;
        if (pattern.test(out)) {
          clearTimeout(timer);
          resolve(out);
        }
      });
    });
  } finally {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}

async function interpreterDemux(bin: string, code: string, apps: number, n: number): Promise<number> {
  const time = async (port: number | undefined) => {
    let best = Infinity;
    for (let k = 0; k < 3; k++) {
      const out = await runUntil(bin, code + demuxScript(n, port), /EXO-US ([\d.]+)\r?\n/, 60_000);
      best = Math.min(best, Number(/EXO-US ([\d.]+)\r?\n/.exec(out)![1]));
    }
    return best;
  };
  return Math.max(0, (await time(PORT + apps - 1)) - (await time(undefined))) / n;
}

async function interpreterEcho(bin: string, code: string, packets: number): Promise<Echo> {
  const dir = mkdtempSync(join(tmpdir(), "exo-bench-net-espruino-"));
  writeFileSync(join(dir, "bench.js"), code);
  const child = spawn(bin, ["bench.js"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  try {
    for (let i = 0; i < 100 && !/network up/.test(out); i++) await new Promise((r) => setTimeout(r, 50));
    if (!/network up/.test(out)) throw new Error("the interpreter did not bring the network up:\n" + out.slice(-2000));
    return await blast(PORT, packets, () => new Promise((r) => setTimeout(r, 5)), 30_000);
  } finally {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(options: BenchNetOptions = {}): Promise<Result> {
  const root = findRoot(options.cwd ?? import.meta.dirname);
  const packets = Math.max(100, Number(options.packets ?? 2000) | 0);
  const b = await bundles(root);
  const n = Number(options.iterations ?? 0) | 0;
  const simN = n || 20000;
  const demux = async (f: (code: string, apps: number) => number | Promise<number>): Promise<Demux> => {
    const apps1 = round(await f(b.apps1, 1));
    const apps4 = round(await f(b.apps4, 4));
    const apps16 = round(await f(b.apps16, 16));
    return { apps1, apps4, apps16, ratio: round(apps16 / Math.max(apps1, 1e-9), 2) };
  };
  const simulator = { echo: await simEcho(b.apps16, packets), demux: await demux((code, apps) => simDemux(code, apps, simN)) };
  const bin = options.espruino ?? process.env.ESPRUINO_BIN;
  let interpreter: Result["interpreter"];
  if (!bin) interpreter = { skipped: "no Espruino binary: give --espruino PATH or set ESPRUINO_BIN" };
  else if (!existsSync(bin)) interpreter = { skipped: `no Espruino binary at ${bin}` };
  else {
    const itN = n || 2000;
    interpreter = { echo: await interpreterEcho(bin, b.apps16, packets), demux: await demux((code, apps) => interpreterDemux(bin, code, apps, itN)) };
  }
  return { board: board.name, simulator, interpreter };
}

export function render(r: Result): string {
  const echo = (e: Echo) => `${e.pps} packets/s echoed through the kernel (${e.echoed}/${e.packets} in ${e.seconds} s, ${WINDOW} in flight, ${e.lost} lost, loopback UDP)`;
  const demux = (d: Demux, unit: string) => `demux: ${d.apps1} / ${d.apps4} / ${d.apps16} ${unit} per packet with 1 / 4 / 16 apps (16 ÷ 1 = ${d.ratio}×)`;
  const lines = [`exo bench net (${r.board} build)`, "simulator:", "  " + echo(r.simulator.echo), "  " + demux(r.simulator.demux, "host µs")];
  if ("skipped" in r.interpreter) lines.push(`interpreter: skipped (${r.interpreter.skipped})`);
  else lines.push("interpreter:", "  " + echo(r.interpreter.echo), "  " + demux(r.interpreter.demux, "µs"));
  return lines.join("\n");
}

/** Demux that grows with the apps (16 apps cost over twice one) fails the suite. */
export const failed = (r: Result): boolean =>
  r.simulator.echo.echoed < r.simulator.echo.packets || ("demux" in r.interpreter && r.interpreter.demux.ratio > 2);

if (ranDirectly(import.meta.url, "net.ts")) {
  const json = process.argv.includes("--json");
  const at = process.argv.indexOf("--espruino");
  const result = await run({ espruino: at > 0 ? process.argv[at + 1] : undefined });
  console.log(json ? JSON.stringify(result, null, 2) : render(result));
}
