/**
 * `exo sim --pty`:
 * the simulated device on a pseudo-terminal, with the interpreter's REPL and
 * packet protocol, until Ctrl-C — point `exo flash`/`exo monitor` at it.
 */
import { resolve } from "node:path";
import { findBoard } from "../../../hal/boards.ts";
import { runSimPty, type PtyResult } from "../../serial/sim-pty.ts";
import { UserError } from "../../../hal/user-error.ts";

export interface SimPtyOptions {
  cwd: string;
  board?: string;
  seed?: string;
  flash?: string;
  ptyLink?: string;
  saveFlash?: string;
}

export function run(options: SimPtyOptions): Promise<PtyResult> {
  if (options.saveFlash) throw new UserError("--save-flash is for a timed run, not --pty", "with --pty give --flash IMAGE: the chip is saved there when you stop (Ctrl-C)");
  return runSimPty({
    board: findBoard(options.board),
    seed: Number(options.seed ?? 1),
    flash: options.flash && resolve(options.cwd, options.flash),
    link: options.ptyLink,
    announce: (path) => process.stderr.write(`exo sim: the simulated device answers on ${path} (Ctrl-C stops)\n`),
    stop: new Promise<void>((done) => {
      process.once("SIGINT", () => done());
      process.once("SIGTERM", () => done());
    }),
  });
}

export const render = (r: PtyResult): string =>
  `${r.pty}: ${r.bytesIn} bytes in, ${r.bytesOut} out; Storage: ${r.storage.join(", ") || "empty"}` +
  (r.flashImage ? `; flash image saved to ${r.flashImage}` : "");
