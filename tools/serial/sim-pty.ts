/**
 * `exo sim --pty`: the simulated device answers on a pseudo-terminal, with the REPL and packet protocol.
 *
 * Usage:
 *   const session = await servePty({ board: findBoard("esp32"), flash: "dev.flash" });
 *   console.error(`device on ${session.path}`);       // point exo flash / exo monitor / screen at it
 *   await session.close();                           // saves the flash image when `flash` is given
 *
 * Errors: UserError when python3 is missing (it makes the pty: Node cannot
 * open /dev/ptmx without native code) or the relay does not start.
 *
 * Contract: the device boots from Storage (`.bootcde`), runs in real time
 * (its virtual clock follows the host's every 10 ms), and keeps running
 * between clients. The pty is raw (no echo, no line editing): the bytes
 * are the device's. tools/serial/pty-relay.py holds the master side.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Board } from "../../hal/boards.ts";
import type { SimDevice } from "../../hal/sim/device.ts";
import { readFlashImage, writeFlashImage } from "../../hal/sim/image.ts";
import { createSerialDevice, type SimRepl } from "../../hal/sim/repl.ts";
import { UserError } from "../../hal/user-error.ts";
import { findRoot } from "../cli/root.ts";

export interface PtyOptions {
  board: Board;
  seed?: number;
  /** A flash image file: loaded if it exists, saved on close. */
  flash?: string;
  /** Also make this path a symlink to the pty (e.g. /tmp/exo-sim). */
  link?: string;
  /** Pace both directions at this many bits/s (10 bits a byte), like a UART; default: as fast as the pty goes. */
  baud?: number;
  /** Each console line the device prints (the host's log; the pty gets it too). */
  onConsole?: (line: string, ms: number) => void;
}

export interface PtySession {
  /** The pty's path (/dev/pts/N). */
  path: string;
  device: SimDevice;
  repl: SimRepl;
  /** Bytes from and to the serial tool. */
  readonly stats: { bytesIn: number; bytesOut: number };
  /** Stop: the relay exits, the flash image is saved. */
  close(): Promise<void>;
}

export async function servePty(options: PtyOptions): Promise<PtySession> {
  const relay = join(findRoot(import.meta.dirname), "tools", "serial", "pty-relay.py");
  const child: ChildProcess = spawn("python3", [relay, ...(options.link ? [options.link] : [])], { stdio: ["pipe", "pipe", "inherit"] });
  const stats = { bytesIn: 0, bytesOut: 0 };
  // A UART's pace: bytes wait in these queues and move at baud/10 bytes per second.
  const inbound: number[] = [];
  const outbound: number[] = [];
  const { device, repl } = createSerialDevice({
    board: options.board,
    seed: options.seed,
    flashImage: options.flash && existsSync(options.flash) ? readFlashImage(options.flash, options.board) : undefined,
    onConsole: options.onConsole,
    write: (bytes) => {
      stats.bytesOut += bytes.length;
      if (options.baud) outbound.push(...bytes);
      else child.stdin?.write(bytes);
    },
  });
  const path = await new Promise<string>((resolve, reject) => {
    let first = "";
    const onData = (chunk: Buffer) => {
      first += chunk.toString("latin1");
      const newline = first.indexOf("\n");
      if (newline < 0) return;
      child.stdout!.off("data", onData);
      resolve(first.slice(0, newline));
      const rest = first.slice(newline + 1);
      if (rest) repl.feed(rest);
      child.stdout!.on("data", (data: Buffer) => {
        stats.bytesIn += data.length;
        if (options.baud) inbound.push(...data);
        else repl.feed(new Uint8Array(data));
      });
    };
    child.stdout!.on("data", onData);
    child.once("error", (error) =>
      reject(new UserError(`cannot start the pty relay (python3 ${relay}): ${error.message}`, "install python3 (the pty is made with its os.openpty)")),
    );
    child.once("exit", (code) => reject(new UserError(`the pty relay exited (code ${code}) before giving a pty`, "run python3 tools/serial/pty-relay.py by hand to see why")));
  });
  device.bootFromStorage();
  // Real time: the device's clock follows the host's.
  let last = performance.now();
  let budgetIn = 0;
  let budgetOut = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    if (options.baud) {
      const bytesPerMs = options.baud / 10 / 1000;
      budgetIn = Math.min(budgetIn + (now - last) * bytesPerMs, 4096);
      budgetOut = Math.min(budgetOut + (now - last) * bytesPerMs, 4096);
      const takeIn = Math.min(inbound.length, Math.floor(budgetIn));
      if (takeIn) {
        budgetIn -= takeIn;
        repl.feed(Uint8Array.from(inbound.splice(0, takeIn)));
      } else if (!inbound.length) budgetIn = Math.min(budgetIn, 1);
      const takeOut = Math.min(outbound.length, Math.floor(budgetOut));
      if (takeOut) {
        budgetOut -= takeOut;
        child.stdin?.write(Uint8Array.from(outbound.splice(0, takeOut)));
      } else if (!outbound.length) budgetOut = Math.min(budgetOut, 1);
    }
    const state = device.state;
    if (state !== "power-cut" && state !== "hung") device.run(now - last);
    last = now;
    repl.tick();
  }, options.baud ? 2 : 10);
  return {
    path,
    device,
    repl,
    stats,
    close: async () => {
      clearInterval(timer);
      const exited = new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", () => resolve())));
      child.stdin?.end();
      await exited;
      if (options.flash) writeFlashImage(options.flash, device.control.flashImage());
    },
  };
}

export interface PtyResult {
  pty: string;
  board: string;
  simulatedMs: number;
  bytesIn: number;
  bytesOut: number;
  flashImage?: string;
  storage: string[];
}

/**
 * The `exo sim --pty` session: serve until `stop` resolves (the CLI passes a
 * promise that SIGINT/SIGTERM resolves), telling `announce` the pty path.
 */
export async function runSimPty(options: PtyOptions & { announce: (path: string) => void; stop: Promise<void> }): Promise<PtyResult> {
  const session = await servePty(options);
  options.announce(session.path);
  await options.stop;
  await session.close();
  return {
    pty: session.path,
    board: options.board.name,
    simulatedMs: session.device.now,
    bytesIn: session.stats.bytesIn,
    bytesOut: session.stats.bytesOut,
    flashImage: options.flash,
    storage: session.device.storage.list(),
  };
}
