/**
 * `exo sim [--for 10s] [--vcd out.vcd] [--seed N] [--board B] [--bundle F] [--flash IMAGE] [--json]`:
 * boot a bundle on the simulated device, print its console as it runs (with
 * simulated time), then a summary: speed against real time, the waveform
 * (a terminal picture, and VCD for GTKWave), memory, flash wear.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { findBoard } from "../../../hal/boards.ts";
import { SimDevice, type DeviceState } from "../../../hal/sim/device.ts";
import { readFlashImage, writeFlashImage } from "../../../hal/sim/image.ts";
import { parseDuration } from "../duration.ts";
import { UserError } from "../errors.ts";
import { shown } from "../paths.ts";
import { drawWaveform, type WaveformPicture } from "../waveform.ts";
import type { status as kernelStatus } from "../../../firmware/status.ts";

export interface SimCommandOptions {
  cwd: string;
  for?: string;
  vcd?: string;
  seed?: string;
  board?: string;
  bundle?: string;
  flash?: string;
  /** Called with each console line as the device prints it (the human view). */
  live?: (text: string) => void;
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
  memory: { usage: number; free: number; total: number };
  /** Erase count per sector of the kernel's flash region. */
  erases: number[];
  /** The kernel's status at the end of the run (apps, grants, faults, repossessions, ledger), if it answered. */
  kernel?: KernelStatus;
}

/** "[  1.250s]": simulated time, right-aligned so the console reads as a column. */
export const stamp = (ms: number): string => `[${(ms / 1000).toFixed(3).padStart(8)}s]`;

export async function run(options: SimCommandOptions): Promise<SimResult> {
  const bundle = resolve(options.cwd, options.bundle ?? join("dist", "firmware.js"));
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

  const device = new SimDevice({
    board,
    seed,
    flashImage: image && existsSync(image) ? readFlashImage(image, board) : undefined,
    onConsole: options.live && ((line, at) => options.live!(`${stamp(at)} ${line}`)),
  });
  const mapFile = bundle + ".map";
  device.boot(readFileSync(bundle, "utf8"), { file: bundle, map: existsSync(mapFile) ? readFileSync(mapFile, "utf8") : undefined });
  const report = device.run(ms);

  const { changes, traced } = device.waveform;
  const vcd = options.vcd ? resolve(options.cwd, options.vcd) : undefined;
  if (vcd) writeFileSync(vcd, device.vcd());
  if (image) writeFlashImage(image, device.control.flashImage());
  const first = device.flash.sectorOf(board.kernelFlash.base);
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
    waveform: drawWaveform(changes, traced, device.now),
    vcd,
    flashImage: image,
    memory: device.memory(),
    erases: [...device.flash.eraseCounts.subarray(first, first + board.kernelFlash.size / board.chip.sectorSize)],
    kernel: readKernelStatus(device),
  };
}

export function render(result: SimResult): string {
  const speed = result.ratio >= 1 ? `${Math.round(result.ratio)}× real time` : `${result.ratio.toFixed(2)}× real time`;
  const worn = result.erases.filter((n) => n > 0).length;
  return [
    `── ${result.board}: simulated ${(result.simulatedMs / 1000).toFixed(3)} s in ${(result.wallMs / 1000).toFixed(3)} s (${speed}), seed ${result.seed}, device ${result.state}` +
      (result.reason ? ` (${result.reason})` : ""),
    ...(result.waveform.rows.length
      ? [`pins, 0 → ${+(result.waveform.windowMs / 1000).toFixed(3)} s:`, ...result.waveform.rows.map((r) => "  " + r)]
      : ["pins: none driven"]),
    result.vcd ? `waveform: ${shown(result.vcd)} (open it with GTKWave)` : "waveform: add --vcd out.vcd to save it for GTKWave",
    `memory: ~${result.memory.usage} of ${result.memory.total} variables in use (estimate)`,
    `flash: ${worn} of ${result.erases.length} kernel sectors erased so far` + (result.flashImage ? `; image saved to ${shown(result.flashImage)}` : ""),
    ...(result.kernel ? renderKernel(result.kernel) : []),
  ].join("\n");
}

/** A device that hung or lost power is a failed run. */
export const failed = (result: SimResult): boolean => result.state === "hung" || result.state === "power-cut";

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
  for (const p of k.packets) out.push(`packets: ${p.app} ${p.protocol}/${p.port}: ${p.received} in, ${p.dropped} dropped, ${p.sent} out, ${p.refused} refused`);
  const owned = k.ledger.owners.map((o) => (o === "" ? "·" : o === "kernel" ? "K" : o[0]));
  out.push(`ledger: sequence ${k.ledger.seq}, sector owners ${owned.join("")} (K kernel, · free), erases ${k.ledger.erases.join(" ")}`);
  return out;
}
