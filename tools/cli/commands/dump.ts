/**
 * `exo dump [--port P] [--baud B] [--board B] [--out FILE] [--json]`: read
 * the kernel's flash region (the apps' file systems and the ledger) off a
 * running device into an image `exo fs FILE` opens.
 *
 * How: one EVAL per 4 KiB (tools/serial/protocol.ts: the code travels with
 * its CRC and is retried when garbled); the device answers each block as
 * base64 with the CRC-32 it computed over what it read, and the host checks
 * the decoded bytes against it, reading a block again when they differ. The
 * board (and so the region) is the device's `process.env.BOARD` unless
 * --board says. Reading does not stop the device: a block an app writes
 * while the dump runs may be older or newer than its neighbours.
 *
 * Errors: no port (flag or exo.config.json), a board Exo does not know, a
 * block whose CRC still differs after three reads.
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { crc32 } from "node:zlib";
import { boards, findBoard, type Board } from "../../../hal/boards.ts";
import { UserError } from "../../../hal/user-error.ts";
import { DEFAULT_BAUD, openLink, type Binding } from "../../serial/link.ts";
import { progressBar } from "../../serial/progress.ts";
import { ProtocolClient } from "../../serial/protocol.ts";
import { realTimers } from "../../serial/timers.ts";
import { shown } from "../paths.ts";
import { EXO_ROOT, linkSettings } from "../project.ts";

export interface DumpOptions {
  cwd: string;
  exo?: string;
  port?: string;
  baud?: string | number;
  board?: string;
  out?: string;
  json?: boolean;
  /** Tests: a node-serialport binding instead of the real one. */
  binding?: Binding;
  onProgress?: (done: number, total: number) => void;
}

export interface DumpResult {
  port: string;
  board: string;
  /** The region's address on the chip, and its size. */
  base: number;
  bytes: number;
  out: string;
  crc32: number;
  /** Blocks read again after a CRC mismatch. */
  rereads: number;
  ms: number;
}

/** Bytes per EVAL: its base64 (5,464 characters) fits a packet (8,191 bytes) with room to spare. */
export const BLOCK = 4096;
const READS = 3;

/**
 * The device code for one block: gated like the firmware (test/tools/serial/dump.test.ts), and only what
 * Espruino's Flash module, E and btoa offer.
 */
export const blockExpression = (address: number, length: number): string =>
  `(function(d){return [E.CRC32(d),btoa(E.toString(d))];})(require("Flash").read(${length},${address}))`;

async function deviceBoard(client: ProtocolClient, given?: string): Promise<Board> {
  if (given) return findBoard(given);
  const name = String(await client.eval("process.env.BOARD")).toLowerCase();
  if (!Object.hasOwn(boards, name)) {
    throw new UserError(`the device says it is a "${name}" board, which Exo does not know`, `give --board (${Object.keys(boards).join(", ")}) if its flash layout is one of those`);
  }
  return boards[name];
}

export async function run(options: DumpOptions): Promise<DumpResult> {
  const { port, baud } = linkSettings(options.cwd, options.exo ?? EXO_ROOT, options.port, options.baud);
  if (!port) throw new UserError('which port? give --port, or "port" in exo.config.json', "e.g. --port /dev/ttyUSB0 (see `exo ports`), or the pty `exo sim --pty` prints", 2);
  const rate = Number(baud ?? DEFAULT_BAUD);
  const started = performance.now();
  const link = await openLink(port, { baud: rate, binding: options.binding });
  const bar = options.onProgress ? undefined : progressBar(options.json ? "off" : "auto", "dump");
  try {
    const client = new ProtocolClient(link, { timers: realTimers, baud: rate });
    const board = await deviceBoard(client, options.board);
    const { base, size } = board.kernelFlash;
    const image = new Uint8Array(size);
    let rereads = 0;
    for (let offset = 0; offset < size; offset += BLOCK) {
      const length = Math.min(BLOCK, size - offset);
      for (let read = 1; ; read++) {
        const answer = (await client.eval(blockExpression(base + offset, length))) as [number, string];
        const bytes = Buffer.from(String(answer?.[1] ?? ""), "base64");
        if (bytes.length === length && crc32(bytes) === answer[0] >>> 0) {
          image.set(bytes, offset);
          break;
        }
        if (read === READS) throw new UserError(`the block at 0x${(base + offset).toString(16)} came back different from what the device read, ${READS} times`, "check the cable and the baud rate, then dump again");
        rereads++;
      }
      (options.onProgress ?? ((d, t) => bar?.update(d, t)))(offset + length, size);
    }
    const out = resolve(options.cwd, options.out ?? "flash.img");
    writeFileSync(out, image);
    return { port, board: board.name, base, bytes: size, out, crc32: crc32(image), rereads, ms: performance.now() - started };
  } finally {
    bar?.stop();
    await link.close();
  }
}

export function render(r: DumpResult): string {
  return [
    `${r.port}: read the kernel's flash region of ${r.board} (0x${r.base.toString(16)}, ${r.bytes / 1024} KiB) in ${(r.ms / 1000).toFixed(1)} s, every ${BLOCK / 1024} KiB block checked against the CRC-32 the device computed` +
      (r.rereads ? ` (${r.rereads} read again)` : ""),
    `wrote ${shown(r.out)}: exo fs ${shown(r.out)} lists each app's file system`,
  ].join("\n");
}
