/**
 * `exo sim`:
 * boot a bundle on the simulated device, print its console as it runs (with
 * simulated time), then a summary: speed against real time, the waveform
 * (a terminal picture, and VCD for GTKWave), memory, flash wear, the
 * kernel's status and the apps' file systems.
 *
 * Flash: `--flash IMAGE` loads the chip from IMAGE if it exists and saves it
 * there at the end; `--save-flash FILE` saves the whole chip at the end
 * without loading anything (both may be given). `exo fs FILE` then lists
 * every app's file system in it (tools/cli/commands/fs.ts).
 *
 * Network (hal/sim/net.ts): `--net` gives the device real loopback UDP
 * sockets; `--listener` also starts the host listener (tools/net/listener.ts)
 * and prints what it receives; `--listen PORT` sends every datagram the
 * device sends to 127.0.0.1:PORT instead (your own listener). With sockets
 * open, virtual time waits for the network (at most 20 ms of real time after
 * each step the device sent in), so a run takes longer than without.
 * `--loss`, `--dup` (probabilities 0..1) and `--delay` (ms) inject faults, seeded by --seed.
 *
 * Stimulus: `--stim FILE` presses buttons, drives pins and cuts the power at
 * given simulated times, and sends UDP datagrams in (the format: tools/cli/stimulus.ts;
 * datagrams give the run a network); after a cut the device boots again with its
 * flash as it was, and the run goes on.
 */
import dgram from "node:dgram";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { findBoard } from "../../../hal/boards.ts";
import { hostServices, norExtent } from "../../fs/extent.ts";
import type { NetCounters, SimNetOptions } from "../../../hal/sim/net.ts";
import { fsMount, fsStats, type FsStats } from "../../../libos/fs/index.ts";
import { asText, listen, type Listener, type ListenerStats } from "../../net/listener.ts";
import { SimDevice, type DeviceState } from "../../../hal/sim/device.ts";
import { readFlashImage, writeFlashImage } from "../../../hal/sim/image.ts";
import { parseDuration } from "../duration.ts";
import { UserError } from "../../../hal/user-error.ts";
import { shown } from "../paths.ts";
import { drawWaveform, waveformWidth, type WaveformPicture } from "../waveform.ts";
import { faultSites, type FaultSites } from "../fault-site.ts";
import { parseStimulus, type StimulusEvent } from "../stimulus.ts";
import { findConfig } from "../project.ts";
import { bundleGate } from "../../gate/check.ts";
import type { status as kernelStatus } from "../../../firmware/status.ts";

export interface SimCommandOptions {
  cwd: string;
  for?: string;
  vcd?: string;
  seed?: string;
  board?: string;
  bundle?: string;
  flash?: string;
  /** Save the whole chip here at the end (never loaded). */
  saveFlash?: string;
  /** Called with each console line as the device prints it (the human view). */
  live?: (text: string) => void;
  /** Give the device a network (implied by listener/listen). */
  net?: boolean;
  /** Start the host listener and print what it receives. */
  listener?: boolean;
  /** Send every device datagram to this host port (your own listener). */
  listen?: string;
  loss?: string;
  dup?: string;
  delay?: string;
  /** A stimulus file (tools/cli/stimulus.ts). */
  stim?: string;
}

export interface SimResult {
  bundle: string;
  board: string;
  seed: number;
  simulatedMs: number;
  wallMs: number;
  ratio: number;
  state: DeviceState;
  reason?: string;
  console: { ms: number; line: string }[];
  pins: { pin: string; changes: number; level: number }[];
  /** The pins as a terminal picture of [0, windowMs]. */
  waveform: WaveformPicture;
  vcd?: string;
  flashImage?: string;
  /** Where --save-flash wrote the chip. */
  savedFlash?: string;
  memory: { usage: number; free: number; total: number };
  /** Erase count per sector of the kernel's flash region. */
  erases: number[];
  /** The kernel's status at the end of the run (apps, grants, faults, repossessions, ledger), if it answered. */
  kernel?: KernelStatus;
  /** The network, when the device had one: injections, datagram counts, and the host listener's. */
  net?: { options: SimNetOptions; counters: NetCounters; listener?: ListenerStats & { port: number; messages: string[] } };
  /** Each app's flash extent read as a libos/fs file system (apps that hold one). */
  files?: { app: string; stats: FsStats }[];
  /** Apps that faulted during the run (the run then fails): how often, the last error, and where in the source (when known). */
  faults: { app: string; faults: number; state: string; error: string; at?: string }[];
}

/** "[  1.250s]": simulated time, right-aligned so the console reads as a column. */
export const stamp = (ms: number): string => `[${(ms / 1000).toFixed(3).padStart(8)}s]`;

export async function run(options: SimCommandOptions): Promise<SimResult> {
  // Default: the project's bundle (the folder with exo.config.json at or above cwd).
  const bundle = options.bundle ? resolve(options.cwd, options.bundle) : join(findConfig(options.cwd) ?? options.cwd, "dist", "firmware.js");
  if (!existsSync(bundle)) {
    throw new UserError(`no bundle at ${shown(bundle)}`, "build one first: `exo build` (or `npm start`, which builds and boots it)");
  }
  const built = bundle.replace(/\.js$/, ".json");
  const builtFor = existsSync(built) ? (JSON.parse(readFileSync(built, "utf8")).board as string) : undefined;
  const board = findBoard(options.board ?? builtFor);
  if (builtFor && builtFor !== board.name) {
    throw new UserError(`${shown(bundle)} was built for ${builtFor}, not ${board.name}`, `rebuild with \`exo build --board ${board.name}\` or drop --board`);
  }
  const seed = Number(options.seed ?? 1);
  if (!Number.isInteger(seed)) throw new UserError(`--seed ${options.seed} is not a whole number`, "give e.g. --seed 7");
  const ms = parseDuration(options.for ?? "10s");
  const image = options.flash ? resolve(options.cwd, options.flash) : undefined;
  const stimulus = options.stim ? readStimulus(resolve(options.cwd, options.stim), board.pins) : [];
  const net = netOptions(options, stimulus.some((e) => e.kind === "udp"));
  if (net && stimulus.some((e) => e.kind === "cut")) {
    throw new UserError("--stim with a power cut cannot be combined with the network", "drop --net/--listener/--listen and the stimulus's udp lines, or the cut", 2);
  }
  const messages: string[] = [];
  let listener: Listener | undefined;
  if (net && options.listener) {
    listener = await listen({
      onMessage: (payload, from) => {
        const text = asText(payload);
        messages.push(text);
        options.live?.(`${stamp(device.now)} listener: ${text}`);
      },
    });
    net.redirect = listener.port;
  }

  const code = readFileSync(bundle, "utf8");
  const mapFile = bundle + ".map";
  const map = existsSync(mapFile) ? readFileSync(mapFile, "utf8") : undefined;
  let sites: FaultSites | undefined;
  const device = new SimDevice({
    board,
    seed,
    gate: bundleGate,
    flashImage: image && existsSync(image) ? readFlashImage(image, board) : undefined,
    onConsole: (line, at) => {
      sites?.seen(line);
      options.live?.(`${stamp(at)} ${line}`);
    },
    net,
  });
  sites = faultSites(device, bundle, code, map);
  // The stimulus's datagrams come from a host socket of their own, to the port the device bound.
  const sender = stimulus.some((e) => e.kind === "udp") ? dgram.createSocket("udp4") : undefined;
  const sendIn = (port: number, data: Buffer, line: number) => {
    if (!device.net?.isBound(port)) return options.live?.(`${stamp(device.now)} [sim] stimulus line ${line}: nothing listens on udp ${port}; the datagram is dropped`);
    void device.net.hostPort(port).then((to) => sender!.send(data, to, "127.0.0.1"));
  };
  let report;
  try {
    device.boot(code, { file: bundle, map });
    for (const e of stimulus) {
      if (e.kind === "drive") device.control.drivePin(e.pin, e.level, e.at);
      else if (e.kind === "pulse") device.control.pulsePin(e.pin, e.level, e.widthMs, e.at);
      else if (e.kind === "udp") device.control.at(e.at, () => sendIn(e.port, e.data, e.line), `stimulus udp ${e.port}`);
      else device.control.cutPower(e.at, `power cut by the stimulus (line ${e.line})`);
    }
    const wallStart = performance.now();
    report = await device.runNetworked(ms);
    // A cut from the stimulus: power comes back, the device boots again, the run goes on.
    while (device.state === "power-cut" && device.now < ms && stimulus.some((e) => e.kind === "cut" && e.at === device.now)) {
      device.reboot();
      report = await device.runNetworked(ms - device.now);
    }
    const wallMs = performance.now() - wallStart;
    report = { ...report, simulatedMs: device.now, wallMs, ratio: device.now / Math.max(wallMs, 1e-3) };
  } finally {
    device.net?.close();
    sender?.close();
    await listener?.close();
  }

  const { changes, traced } = device.waveform;
  const vcd = options.vcd ? resolve(options.cwd, options.vcd) : undefined;
  if (vcd) writeFileSync(vcd, device.vcd());
  if (image) writeFlashImage(image, device.control.flashImage());
  const saved = options.saveFlash ? resolve(options.cwd, options.saveFlash) : undefined;
  if (saved) {
    try {
      writeFlashImage(saved, device.control.flashImage());
    } catch (e) {
      throw new UserError(`cannot save the flash to ${shown(saved)}: ${(e as Error).message}`, "give a path in a folder you can write to");
    }
  }
  const first = device.flash.sectorOf(board.kernelFlash.base);
  const kernel = readKernelStatus(device);
  const files = appFiles(device, kernel);
  const faults = (kernel?.apps ?? [])
    .filter((a) => a.faults > 0)
    .map((a) => {
      const at = sites.of(a.name);
      return { app: a.name, faults: a.faults, state: a.state, error: a.error, ...(at ? { at } : {}) };
    });
  return {
    bundle,
    board: board.name,
    seed,
    simulatedMs: report.simulatedMs,
    wallMs: report.wallMs,
    ratio: report.ratio,
    state: report.state,
    reason: report.reason,
    console: device.console.map((c) => ({ ms: c.simMs, line: c.line })),
    pins: [...traced].sort((a, b) => a - b).map((pin) => ({
      pin: `D${pin}`,
      changes: changes.filter((c) => c.pin === pin).length,
      level: device.control.pinLevel(pin),
    })),
    waveform: drawWaveform(changes, traced, device.now, waveformWidth(process.stdout.isTTY ? process.stdout.columns : undefined)),
    vcd,
    flashImage: image,
    ...(saved ? { savedFlash: saved } : {}),
    memory: device.memory(),
    erases: [...device.flash.eraseCounts.subarray(first, first + board.kernelFlash.size / board.chip.sectorSize)],
    kernel,
    faults,
    ...(net ? { net: { options: net, counters: { ...device.net!.counters }, ...(listener ? { listener: { port: listener.port, ...listener.stats(), messages } } : {}) } } : {}),
    ...(files.length ? { files } : {}),
  };
}

/** The stimulus file's events, or a UserError naming the file when it cannot be read. */
function readStimulus(path: string, pins: number): StimulusEvent[] {
  if (!existsSync(path)) throw new UserError(`no stimulus file at ${shown(path)}`, "give the path of a file of events (tools/cli/stimulus.ts has the format), e.g. 550ms press D0 120ms", 2);
  return parseStimulus(readFileSync(path, "utf8"), shown(path), pins);
}

/** The network options the flags ask for, or undefined for none. */
function netOptions(options: SimCommandOptions, implied = false): SimNetOptions | undefined {
  if (!options.net && !options.listener && options.listen === undefined && !implied) return undefined;
  const chance = (flag: string, value?: string): number | undefined => {
    if (value === undefined) return undefined;
    const p = Number(value);
    if (!(p >= 0 && p <= 1)) throw new UserError(`--${flag} ${value} is not a probability`, `give a number from 0 to 1, e.g. --${flag} 0.2`);
    return p;
  };
  const out: SimNetOptions = {};
  const loss = chance("loss", options.loss);
  const dup = chance("dup", options.dup);
  if (loss !== undefined) out.loss = loss;
  if (dup !== undefined) out.duplicate = dup;
  // --delay takes milliseconds; a unit ("40ms", "0.1s") is accepted too.
  if (options.delay !== undefined) out.delayMs = /^\d+(\.\d+)?$/.test(options.delay) ? Number(options.delay) : parseDuration(options.delay, "--delay");
  if (options.listen !== undefined) {
    const port = Number(options.listen);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UserError(`--listen ${options.listen} is not a port`, "give your listener's UDP port, 1..65535");
    out.redirect = port;
  }
  return out;
}

/** Each app's flash extent as a libos/fs file system, read on the host (a mount never writes). */
function appFiles(device: SimDevice, kernel: KernelStatus | undefined): { app: string; stats: FsStats }[] {
  const out: { app: string; stats: FsStats }[] = [];
  const base = device.flash.sectorOf(device.board.kernelFlash.base);
  for (const app of kernel?.apps ?? []) {
    if (!app.flash) continue;
    const fs = fsMount(norExtent(device.flash, base + app.flash.first, app.flash.count), hostServices());
    if (typeof fs !== "number") out.push({ app: app.name, stats: fsStats(fs) });
  }
  return out;
}

export function render(result: SimResult): string {
  const speed = result.ratio >= 1 ? `${Math.round(result.ratio)}× real time` : `${result.ratio.toFixed(2)}× real time`;
  const worn = result.erases.filter((n) => n > 0).length;
  return [
    `── ${result.board}: simulated ${(result.simulatedMs / 1000).toFixed(3)} s in ${(result.wallMs / 1000).toFixed(3)} s (${speed}), seed ${result.seed}, device ${result.state}` +
      (result.reason ? ` (${result.reason})` : ""),
    ...(result.waveform.rows.length
      ? [
        `pins, 0 → ${+(result.waveform.windowMs / 1000).toFixed(3)} s, ${+result.waveform.columnMs.toFixed(1)} ms a column` + (result.waveform.detail ? " (▒: both levels within one):" : ":"),
        ...result.waveform.rows.map((r) => "  " + r),
        ...(result.waveform.detail
          ? [`pins, 0 → ${+(result.waveform.detail.windowMs / 1000).toFixed(3)} s in detail, ${+result.waveform.detail.columnMs.toFixed(1)} ms a column:`, ...result.waveform.detail.rows.map((r) => "  " + r)]
          : []),
      ]
      : ["pins: none driven"]),
    result.vcd ? `waveform: ${shown(result.vcd)} (open it with GTKWave)` : "waveform: add --vcd out.vcd to save it for GTKWave",
    `memory: ~${result.memory.usage} of ${result.memory.total} variables in use (estimate)`,
    `flash: ${worn} of ${result.erases.length} kernel sectors erased so far` + (result.flashImage ? `; image saved to ${shown(result.flashImage)}` : "") +
      (result.savedFlash ? `; chip saved to ${shown(result.savedFlash)} (read its file systems: exo fs ${shown(result.savedFlash)})` : ""),
    ...(result.kernel ? renderKernel(result.kernel) : []),
    ...(result.files ?? []).map(
      (f) => `fs: ${f.app}: ${f.stats.files} file(s), ${f.stats.live} live bytes, ${f.stats.used} of ${f.stats.sectors} sectors in the log, ` +
        `${f.stats.room} bytes of room, erases ${f.stats.erases.join("/")}, gc moved ${f.stats.gc.moved} records`,
    ),
    ...(result.net ? [renderNet(result.net)] : []),
    ...result.faults.map((f) => `FAULT: app ${f.app} faulted ${f.faults} time${f.faults > 1 ? "s" : ""} (${f.state}): ${f.error}` + (f.at ? ` — at ${f.at}` : "")),
  ].join("\n");
}

function renderNet(net: NonNullable<SimResult["net"]>): string {
  const c = net.counters;
  const inject = [net.options.loss ? `loss ${net.options.loss}` : "", net.options.duplicate ? `dup ${net.options.duplicate}` : "", net.options.delayMs ? `delay ≤${net.options.delayMs} ms` : ""].filter(Boolean);
  const l = net.listener;
  return (
    `net: device sent ${c.sent}, received ${c.received} datagrams; injected: ${inject.join(", ") || "none"} (${c.lost} lost, ${c.duplicated} duplicated)` +
    (l ? `\nlistener 127.0.0.1:${l.port}: ${l.delivered} messages in order from ${l.senders} sender(s), ${l.duplicates} duplicates dropped, ${l.acks} acks sent` : "") +
    (net.options.redirect && !l ? `\nnet: every datagram went to 127.0.0.1:${net.options.redirect}` : "")
  );
}

/** A device that hung or lost power, or an app that faulted, is a failed run. */
export const failed = (result: SimResult): boolean => result.state === "hung" || result.state === "power-cut" || result.faults.length > 0;

/** The kernel's status as the host reads it (firmware/status.ts). */
export type KernelStatus = ReturnType<typeof kernelStatus>;

/**
 * Ask the device for the kernel's status: one eval of the global the kernel
 * publishes (the same expression goes over the serial EVAL packet).
 * Undefined when the device is off or the bundle has no kernel.
 */
export function readKernelStatus(device: SimDevice): KernelStatus | undefined {
  if (device.state !== "running" && device.state !== "idle") return undefined;
  try {
    const text = device.eval('typeof exo === "object" && exo.status ? JSON.stringify(exo.status()) : ""');
    return typeof text === "string" && text ? (JSON.parse(text) as KernelStatus) : undefined;
  } catch {
    return undefined;
  }
}

/** The kernel's status as text: apps, what they hold, faults, repossessions, the flash ledger. */
export function renderKernel(k: KernelStatus): string[] {
  const out = [`kernel: upcall slice ${k.slice} ms, timer floor ${k.floor} ms`];
  const rows = k.apps.map((a) => [
    a.name, a.state, String(a.faults), String(a.overruns), `${a.cpu} ms`, a.holds.join(", ") || "-",
    a.flash ? `sectors ${a.flash.first}..${a.flash.first + a.flash.count - 1}, erases ${a.flash.erases.join("/")}` : "",
  ]);
  const head = ["app", "state", "faults", "overruns", "cpu", "holds", "flash"];
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows]) out.push("  " + r.map((c, i) => c.padEnd(width[i])).join("  ").trimEnd());
  for (const a of k.apps) if (a.error) out.push(`  ${a.name}: ${a.error}`);
  out.push(
    k.repossessions.length
      ? "repossessions: " + k.repossessions.map((r) => `${r.name} from ${r.app} at ${r.at} ms (${r.reason})`).join("; ")
      : "repossessions: none",
  );
  for (const p of k.packets) out.push(`packets: ${p.app} ${p.protocol}/${p.port}: ${p.received} in, ${p.dropped} dropped, ${p.sent} out, ${p.refused} refused, ${p.unrouted ?? 0} unrouted`);
  const owned = k.ledger.owners.map((o) => (o === "" ? "·" : o === "kernel" ? "K" : o[0]));
  out.push(`ledger: sequence ${k.ledger.seq}, sector owners ${owned.join("")} (K kernel, · free), erases ${k.ledger.erases.join(" ")}`);
  return out;
}
