/**
 * The port a device command (flash, run, monitor, dump, fs --port) talks to:
 * --port, else exo.config.json's "port", else the one board plugged in.
 *
 * "The one board": what `exo ports` lists (commands/ports.ts) that is a USB
 * serial port — a vendor id from udev, or a ttyUSB/ttyACM device file where
 * udevadm is missing; a /dev/serial/by-id link and the file it points to
 * are one board. Built-in UARTs (ttyS*) are not boards.
 *
 * Errors: UserError when nothing names a port and there are no boards, or
 * several (listed, with how to pick one).
 */
import { UserError } from "../../hal/user-error.ts";
import type { Binding } from "../serial/link.ts";
import { run as listPorts, type PortEntry } from "./commands/ports.ts";
import { linkSettings } from "./project.ts";

export interface PortChoice {
  port: string;
  baud?: string | number;
}

const isBoard = (p: PortEntry): boolean => Boolean(p.vendorId) || /\/tty(USB|ACM)\d+$/.test(p.path) || p.target !== undefined;

/** `say`: where the choice of the one board is told (default: stderr, so --json output stays clean). */
export async function devicePort(o: { cwd: string; exo: string; port?: string; baud?: string | number; binding?: Binding; dev?: string; say?: (line: string) => void }): Promise<PortChoice> {
  const { port, baud } = linkSettings(o.cwd, o.exo, o.port, o.baud);
  if (port) return { port, baud };
  const listed = await listPorts({ binding: o.binding, dev: o.dev });
  const boards = listed.ports.filter(isBoard);
  // A by-id link names the same board as its target: keep the link (it survives replugging).
  const linked = new Set(boards.map((p) => p.target).filter(Boolean));
  const distinct = boards.filter((p) => !linked.has(p.path));
  if (distinct.length === 1) {
    (o.say ?? ((line) => process.stderr.write(`exo: ${line}\n`)))(`using ${distinct[0].path}, the one board plugged in (set "port" in exo.config.json to fix the choice)`);
    return { port: distinct[0].path, baud };
  }
  if (distinct.length > 1) {
    throw new UserError(
      `which port? ${distinct.length} boards are plugged in: ${distinct.map((p) => p.path).join(", ")}`,
      `give --port ${distinct[0].path} (or another), or "port" in exo.config.json`,
      2,
    );
  }
  throw new UserError('which port? give --port, or "port" in exo.config.json (no board is plugged in)', "e.g. --port /dev/ttyUSB0 (see `exo ports`), --port tcp://127.0.0.1:2323, or the pty `exo sim --pty` prints", 2);
}
