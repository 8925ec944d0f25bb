/**
 * `exo flash`:
 * upload the firmware into the board's Storage with the packet protocol,
 * verified by CRC-32 on the device, resumable, skipped when unchanged, and
 * switched atomically (tools/serial/flasher.ts, boot-stub.ts).
 *
 * Progress goes to stderr (a bar on a terminal); stdout carries the result.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildDevice } from "../../build/device.ts";
import { storedImage } from "../../build/pretokenise.ts";
import { FlashError, flashImage, type FlashReport } from "../../serial/flasher.ts";
import { openLink, DEFAULT_BAUD, type Binding, type Link } from "../../serial/link.ts";
import { ProtocolClient } from "../../serial/protocol.ts";
import { progressBar } from "../../serial/progress.ts";
import { realTimers, type Timers } from "../../serial/host-timers.ts";
import { UserError } from "../../../hal/user-error.ts";
import { shown } from "../paths.ts";
import { devicePort } from "../device-port.ts";
import { EXO_ROOT, findProject, projectApps } from "../project.ts";

export interface FlashOptions {
  /** Where exo runs: the bundle is the project's (exo.config.json at or above it), as are port and baud when not given. */
  cwd: string;
  /** The Exo package (default: the one this code is in). */
  exo?: string;
  port?: string;
  baud?: string | number;
  board?: string;
  bundle?: string;
  packet?: string | number;
  force?: boolean;
  /** Store the bundle's text rather than its pretokenised form. */
  text?: boolean;
  /** commander's `--no-run` sets run: false. */
  run?: boolean;
  json?: boolean;
  /** Tests: a node-serialport binding instead of the real one. */
  binding?: Binding;
  /** Tests: progress sink instead of the terminal bar. */
  onProgress?: (done: number, total: number) => void;
  /** Tests: a clock other than the host's (the protocol's timeouts run on it). */
  timers?: Timers;
}

export interface FlashResult extends FlashReport {
  port: string;
  bundle: string;
  board: string;
  /** The bundle was (re)built first. */
  built: boolean;
  baud: number;
  /** The link's rate in bytes per second (baud ÷ 10), for comparing with bytesPerSecond; null over TCP. */
  linkBytesPerSecond: number | null;
}

/** The newest modification time under the device sources. */
function newestSource(exo: string, project: string): number {
  let newest = 0;
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|json)$/.test(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const dir of ["firmware", "hal/espruino", "libos", "apps"]) walk(join(exo, dir));
  walk(join(project, "apps"));
  const config = join(project, "exo.config.json");
  if (existsSync(config)) newest = Math.max(newest, statSync(config).mtimeMs);
  return newest;
}

const number = (value: string | number | undefined, fallback: number, name: string, min: number, max: number): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UserError(`--${name} ${value} is not a whole number in ${min}..${max}`, `e.g. --${name} ${fallback}`, 2);
  return n;
};

/** Turn a flasher failure into a message and the fix. */
export function explain(error: FlashError, port: string, total: number): UserError {
  switch (error.kind) {
    case "no-device":
      return new UserError(
        `no device answering on ${port}: ${error.message}`,
        "check --baud (Espruino boards use 115200), that the board runs Espruino 2v25 or later (`exo monitor --port " + port + "` shows its prompt), and that nothing else uses the port",
      );
    case "nak":
      return new UserError(`the device refuses packets on ${port}: ${error.message}`, "the packet protocol needs Espruino 2v25 or later (check process.env.VERSION); a noisy link: lower --baud");
    case "crc":
      return new UserError(`verification failed: ${error.message}`, "the link corrupts data: lower --baud or use a shorter cable, then run again (verified data is kept)");
    case "closed":
      return new UserError(
        `the link to ${port} closed mid-upload (${error.verifiedBytes} of ${total} bytes verified on the device): ${error.message}`,
        "reconnect and run the same command: it resumes after the verified part; the device still boots its previous firmware",
      );
    case "board":
      return new UserError(error.message, "build for the device's board: `exo flash --board <name>` (esp32, linux) rebuilds dist/firmware.js");
    case "space":
      return new UserError(`not enough Storage on the device: ${error.message}`, 'free some: `exo monitor` then require("Storage").list() / .erase(name)');
  }
}

/** What goes into Storage: the bundle pretokenised (17% fewer bytes, 2–12% fewer instructions to run: README), or its text with --text. */
function stored(code: string, bundle: string, text = false): Uint8Array {
  if (text) return Uint8Array.from(Buffer.from(code, "latin1"));
  try {
    return storedImage(code);
  } catch (error) {
    throw new UserError(`${shown(bundle)} cannot be pretokenised: ${(error as Error).message}`, "`exo check " + shown(bundle) + "` says what is wrong with it; --text stores it as it is");
  }
}

export async function run(options: FlashOptions): Promise<FlashResult> {
  const exo = options.exo ?? EXO_ROOT;
  const project = options.bundle === undefined ? findProject(options.cwd, exo) : undefined;
  const { port, baud: givenBaud } = await devicePort({ cwd: options.cwd, exo, port: options.port, baud: options.baud, binding: options.binding });
  const baud = number(givenBaud, DEFAULT_BAUD, "baud", 300, 4_000_000);
  const packetSize = number(options.packet, 1024, "packet", 64, 4096);
  const bundle = resolve(project?.dir ?? options.cwd, options.bundle ?? join("dist", "firmware.js"));
  const meta = bundle.replace(/\.js$/, ".json");
  const builtFor = existsSync(meta) ? (JSON.parse(readFileSync(meta, "utf8")).board as string) : undefined;
  const board = options.board ?? builtFor ?? project?.config.board ?? "esp32";
  let built = false;
  if (project && (!existsSync(bundle) || builtFor !== board || statSync(bundle).mtimeMs < newestSource(exo, project.dir))) {
    const result = await buildDevice({ root: exo, project: project.dir, board, apps: projectApps(project) });
    if (result.violations.length) throw new UserError(`the build for ${board} fails the dialect gate (${result.violations.length} constructs)`, "`exo check` lists them; nothing was flashed");
    built = true;
  } else if (!existsSync(bundle)) {
    throw new UserError(`no bundle at ${shown(bundle)}`, "build it with `exo build`, or drop --bundle to use the project's dist/firmware.js");
  }
  const data = stored(readFileSync(bundle, "latin1"), bundle, options.text);

  let link: Link;
  link = await openLink(port, { baud, binding: options.binding });
  const bar = options.onProgress ? undefined : progressBar(options.json ? "off" : "auto", "flash");
  try {
    const timers = options.timers ?? realTimers;
    const client = new ProtocolClient(link, { timers, baud });
    const report = await flashImage(client, {
      data,
      timers,
      packetSize,
      force: options.force,
      board,
      run: options.run,
      onProgress: options.onProgress ?? ((done, total) => bar?.update(done, total)),
    });
    return { port, bundle, board, built, baud, linkBytesPerSecond: port.startsWith("tcp://") ? null : baud / 10, ...report };
  } catch (error) {
    if (error instanceof FlashError) throw explain(error, port, data.length);
    throw error;
  } finally {
    bar?.stop();
    await link.close();
  }
}

export function render(result: FlashResult): string {
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const head = `${shown(result.bundle)} (${kib(result.bytes)}, CRC-32 0x${result.crc32.toString(16).padStart(8, "0")}, ${result.board})` + (result.built ? ", built first" : "");
  if (result.action === "skipped") return `${head}\n${result.port}: the device already boots this image (${result.image}, generation ${result.generation}); nothing sent. --force uploads anyway.`;
  const rate = result.bytesPerSecond;
  const lines = [
    head,
    `${result.port}: ${result.action} ${result.image}` +
      (result.resumedFrom ? ` (resumed after ${kib(result.resumedFrom)} already verified on the device)` : "") +
      `, verified by CRC-32 on the device, committed as generation ${result.generation}`,
    `  ${kib(result.sentBytes)} sent in ${(result.transferMs / 1000).toFixed(2)} s: ${(rate / 1024).toFixed(1)} KiB/s` +
      (result.linkBytesPerSecond ? ` (${Math.round((100 * rate) / result.linkBytesPerSecond)}% of ${result.baud} baud)` : "") +
      `; ${result.packets} packets, ${result.retries} retries, ${result.naks} NAKs` +
      (result.restarts ? `, ${result.restarts} repairs after a CRC mismatch` : ""),
  ];
  if (result.stubWritten) lines.push("  installed the exo boot stub as .bootcde (once per device)");
  if (result.erased.length) lines.push(`  erased the previous generation: ${result.erased.join(", ")}`);
  return lines.join("\n");
}
