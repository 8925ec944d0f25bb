/**
 * `exo run [FILE]`:
 * run code on the device without flashing it. FILE is a script (.js) the
 * dialect gate passes; without FILE, the project's build (`--app NAME`: that
 * app alone). The device is reset (RAM cleared; Storage untouched), the code
 * goes into RAM with EVAL packets (under 1 KiB each, verified by CRC-32 on the
 * device before it runs), runs at the top level of the REPL, and its console
 * streams here until Ctrl-C or --for; then `load()` puts the flashed firmware
 * back (--keep leaves the code running).
 *
 * Exit 1 when the code printed an uncaught error or an app faulted (the
 * kernel's "app X faulted" line), as exo sim does.
 *
 * Memory: the code is a string in RAM while it is evaluated (as the Web IDE's
 * "send to RAM"), then dropped; a program that fits when flashed may not fit
 * this way (README: run as a file holds more variables than from Storage).
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { crc32 } from "node:zlib";
import { UserError } from "../../../hal/user-error.ts";
import { checkBundle, formatViolation } from "../../gate/check.ts";
import { DEFAULT_BAUD, openLink, type Binding } from "../../serial/link.ts";
import { progressBar } from "../../serial/progress.ts";
import { ProtocolClient } from "../../serial/protocol.ts";
import { realTimers, sleep } from "../../serial/host-timers.ts";
import { parseDuration } from "../duration.ts";
import { shown } from "../paths.ts";
import { devicePort } from "../device-port.ts";
import { EXO_ROOT, findProject } from "../project.ts";
import { run as build } from "./build.ts";

export interface RunOptions {
  cwd: string;
  exo?: string;
  file?: string;
  app?: string;
  port?: string;
  baud?: string | number;
  for?: string;
  keep?: boolean;
  json?: boolean;
  binding?: Binding;
  /** Each console line as it arrives (the human view). */
  live?: (line: string) => void;
  /** Tests: resolves to stop the run (as Ctrl-C does). */
  stop?: Promise<void>;
  onProgress?: (done: number, total: number) => void;
}

export interface RunResult {
  port: string;
  code: string;
  bytes: number;
  lines: string[];
  /** What failed: uncaught errors and app faults, as printed. */
  errors: string[];
  ended: "time" | "stopped" | "disconnected";
  restored: boolean;
}

/**
 * Bytes of escaped code per EVAL. The code is JSON-escaped twice (the expression, then the client's
 * ~130-byte wrapper), and a whole EVAL packet must fit the interpreter's input buffer: 1,024 bytes
 * (`process.memory().rx.total` on the Linux build). Measured: a 1,050-byte packet overflowed it and
 * the rest of the packet was read as typed text, with no answer.
 */
export const PACKET_CODE = 700;

/** The next piece of `code` from `at` whose twice-escaped form fits PACKET_CODE. */
export function nextPiece(code: string, at: number): string {
  let n = Math.min(PACKET_CODE, code.length - at);
  while (n > 1 && JSON.stringify(JSON.stringify(code.slice(at, at + n))).length > PACKET_CODE) n = Math.floor(n * 0.8);
  return code.slice(at, at + n);
}
const FAILURE = /^(Uncaught |kernel: app \S+ faulted)/;

/** The code to run and what to call it: a gated script, or the project's build. */
async function codeToRun(options: RunOptions): Promise<{ code: string; name: string }> {
  if (options.file) {
    const file = resolve(options.cwd, options.file);
    if (!existsSync(file)) throw new UserError(`no file at ${options.file}`, "give the path of a .js script, or --app NAME to build one of your apps", 2);
    if (!/\.js$/.test(file)) throw new UserError(`${options.file} is not a .js script`, "run a built script (exo build writes dist/firmware.js), or --app NAME to build one of your apps", 2);
    const code = readFileSync(file, "latin1");
    const map = existsSync(file + ".map") ? readFileSync(file + ".map", "utf8") : undefined;
    const violations = checkBundle(code, { file, map });
    if (violations.length) {
      throw new UserError(`the dialect gate rejects ${shown(file)}:\n` + violations.slice(0, 5).map((v) => "  " + formatViolation(v)).join("\n"), "rewrite those lines; nothing was sent");
    }
    return { code, name: shown(file, options.cwd) };
  }
  const project = findProject(options.cwd, options.exo ?? EXO_ROOT);
  const out = join(project.dir, "dist", "run", "firmware.js");
  const built = await build({ cwd: project.dir, exo: project.exo, apps: options.app, out });
  return { code: readFileSync(out, "latin1"), name: `${shown(out)} (${built.apps.join(", ") || "no apps"})` };
}

export async function run(options: RunOptions): Promise<RunResult> {
  const { port, baud } = await devicePort({ cwd: options.cwd, exo: options.exo ?? EXO_ROOT, port: options.port, baud: options.baud, binding: options.binding });
  const forMs = options.for ? parseDuration(options.for) : undefined;
  const { code, name } = await codeToRun(options);
  const rate = Number(baud ?? DEFAULT_BAUD);
  const lines: string[] = [];
  const errors: string[] = [];
  let partial = "";
  let running = false;
  const onConsole = (text: string) => {
    if (!running) return; // the reset's banner, the prompts of the upload
    const parts = (partial + text).split(/\r?\n/);
    partial = parts.pop() ?? "";
    for (const raw of parts) {
      // Without the prompt and the interpreter's terminal codes (ESC [ J clears the line it redraws).
      const line = raw.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").replace(/^>+/, "").trimEnd();
      if (!line) continue;
      lines.push(line);
      if (FAILURE.test(line)) errors.push(line);
      options.live?.(line);
    }
  };
  const link = await openLink(port, { baud: rate, binding: options.binding });
  const bar = options.onProgress ? undefined : progressBar(options.json ? "off" : "auto", "send");
  let ended: RunResult["ended"] = "stopped";
  let restored = false;
  let sigint: (() => void) | undefined;
  try {
    const client = new ProtocolClient(link, { timers: realTimers, baud: rate, onConsole });
    // A clean interpreter: the flashed firmware stops, Storage stays as it is.
    await client.eval("reset()", 5000).catch(() => undefined);
    await sleep(realTimers, 300);
    await client.eval('__exoRun=""');
    for (let at = 0; at < code.length; ) {
      const piece = nextPiece(code, at);
      // ";0": the value of `+=` is the whole string so far, which the answer would carry back.
      await client.eval(`__exoRun+=${JSON.stringify(piece)};0`);
      at += piece.length;
      (options.onProgress ?? ((d, t) => bar?.update(d, t)))(at, code.length);
    }
    bar?.stop();
    const stored = await client.eval("E.CRC32(__exoRun)");
    if (stored !== crc32(Buffer.from(code, "latin1"))) throw new UserError("the code did not arrive intact in the device's RAM (its CRC-32 differs)", "check the cable and the baud rate, then run again");
    // At the top level of the REPL (a DLE line: no echo), so the script's own top-level names are globals.
    running = true;
    await client.raw("\x10eval(__exoRun);__exoRun=undefined\n");
    options.live?.(`── running ${name} on ${link.description}` + (forMs !== undefined ? ` for ${options.for}` : "; Ctrl-C stops it"));
    ended = await new Promise<RunResult["ended"]>((done) => {
      if (forMs !== undefined) setTimeout(() => done("time"), forMs).unref();
      options.stop?.then(() => done("stopped"));
      link.onClose(() => done("disconnected"));
      sigint = () => done("stopped");
      process.once("SIGINT", sigint);
    });
    if (!options.keep && ended !== "disconnected") {
      // load() restarts the interpreter: its answer may never come (a TCP console closes), which is fine.
      await client.eval("load()", 3000).catch(() => undefined);
      restored = true;
      await sleep(realTimers, 200);
    }
  } finally {
    if (sigint) process.off("SIGINT", sigint);
    bar?.stop();
    await link.close();
  }
  return { port, code: name, bytes: code.length, lines, errors, ended, restored };
}

export function render(r: RunResult): string {
  return [
    `── ${r.ended === "time" ? "time is up" : r.ended === "disconnected" ? "the device went away" : "stopped"}; ${r.restored ? "load(): the flashed firmware runs again" : "the code is left running (--keep)"}`,
    ...r.errors.map((e) => `FAILED: ${e}`),
  ].join("\n");
}

export const failed = (r: RunResult): boolean => r.errors.length > 0;
