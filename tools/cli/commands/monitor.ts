/**
 * `exo monitor`: the device's console.
 *
 * What the device prints goes to stdout as it comes; keys go to the device
 * (raw, so Ctrl-C reaches the device's REPL). Ctrl-] ends the session. When
 * the port goes away (unplug, reset of a USB bridge) the monitor says so on
 * stderr and reopens it as soon as it is back.
 */
import { parseDuration } from "../duration.ts";
import { devicePort } from "../device-port.ts";
import { EXO_ROOT } from "../project.ts";
import { DEFAULT_BAUD, openLink, type Binding, type Link } from "../../serial/link.ts";
import { hardReset } from "../../serial/reset.ts";
import { realTimers } from "../../serial/host-timers.ts";

export interface MonitorOptions {
  cwd?: string;
  /** The Exo package (to read exo.config.json's port and baud when --port/--baud are not given). */
  exo?: string;
  port?: string;
  baud?: string | number;
  for?: string;
  /** commander's `--no-reconnect` sets reconnect: false. */
  reconnect?: boolean;
  /** Pulse the reset line once connected (serial and rfc2217:// ports). */
  reset?: boolean;
  json?: boolean;
  binding?: Binding;
  /** Where device output goes (default stdout). */
  output?: (bytes: Uint8Array) => void;
  /** Status lines (default stderr). */
  status?: (line: string) => void;
  /** Keys to send (default: stdin, raw when it is a terminal). */
  input?: NodeJS.ReadableStream;
  /** Ends the session when it resolves (tests). */
  stop?: Promise<void>;
}

export interface MonitorResult {
  port: string;
  bytesIn: number;
  bytesOut: number;
  reconnects: number;
  durationMs: number;
  /** Why it ended. */
  ended: "ctrl-]" | "time" | "disconnected" | "stopped";
}

const CTRL_RIGHT_BRACKET = 0x1d;

export async function run(options: MonitorOptions): Promise<MonitorResult> {
  const status = options.status ?? ((line: string) => process.stderr.write(`[exo monitor] ${line}\n`));
  const settings = await devicePort({ cwd: options.cwd ?? process.cwd(), exo: options.exo ?? EXO_ROOT, port: options.port, baud: options.baud, binding: options.binding, say: status });
  const port = settings.port;
  const baud = Number(settings.baud ?? DEFAULT_BAUD);
  const output = options.output ?? ((bytes: Uint8Array) => process.stdout.write(bytes));
  const input = options.input ?? process.stdin;
  const started = performance.now();
  const result: MonitorResult = { port, bytesIn: 0, bytesOut: 0, reconnects: 0, durationMs: 0, ended: "stopped" };

  let finish!: (why: MonitorResult["ended"]) => void;
  const done = new Promise<MonitorResult["ended"]>((resolve) => (finish = resolve));
  if (options.for) setTimeout(() => finish("time"), parseDuration(options.for)).unref();
  options.stop?.then(() => finish("stopped"));

  let link: Link | undefined;
  let ending = false;
  const raw = input === process.stdin && process.stdin.isTTY;
  if (raw) process.stdin.setRawMode(true);
  /** Keys typed before the port is open wait for it. */
  let early: Buffer[] | undefined = [];
  const onKeys = (chunk: Buffer | string) => {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk, "latin1") : chunk;
    const stopAt = bytes.indexOf(CTRL_RIGHT_BRACKET);
    const send = stopAt >= 0 ? bytes.subarray(0, stopAt) : bytes;
    if (!link && early) {
      early.push(Buffer.from(bytes));
      return;
    }
    if (send.length && link && !link.closed) {
      result.bytesOut += send.length;
      link.write(send).catch(() => undefined);
    }
    if (stopAt >= 0) finish("ctrl-]");
  };
  input.on("data", onKeys);

  const connect = async (first: boolean): Promise<void> => {
    for (;;) {
      try {
        link = await openLink(port, { baud, binding: options.binding });
        break;
      } catch (error) {
        if (first || options.reconnect === false) throw error;
        if (ending) return;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    if (!first) {
      result.reconnects++;
      status(`${port} is back`);
    }
    link.onData((bytes) => {
      result.bytesIn += bytes.length;
      output(bytes);
    });
    link.onClose((reason) => {
      if (ending) return;
      status(`${port} went away (${reason})` + (options.reconnect === false ? "" : "; waiting for it to come back (Ctrl-] to quit)"));
      if (options.reconnect === false) finish("disconnected");
      else void connect(false).catch(() => finish("disconnected"));
    });
  };
  try {
    await connect(true);
    status(`connected to ${link!.description}; Ctrl-] quits`);
    if (options.reset) {
      await hardReset(link!, realTimers);
      status("reset the board (RTS pulsed, DTR released)");
    }
    const pending = Buffer.concat(early ?? []);
    early = undefined;
    if (pending.length) onKeys(pending);
    result.ended = await done;
  } finally {
    ending = true;
    input.off("data", onKeys);
    if (raw) process.stdin.setRawMode(false);
    if (input === process.stdin) process.stdin.pause();
    await link?.close();
  }
  result.durationMs = performance.now() - started;
  return result;
}

export function render(result: MonitorResult): string {
  return `\n${result.port}: ${result.bytesIn} bytes in, ${result.bytesOut} out, ${result.reconnects} reconnects, ${(result.durationMs / 1000).toFixed(1)} s (${result.ended})`;
}
