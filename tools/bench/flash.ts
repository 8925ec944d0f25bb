/**
 * `exo bench flash`: upload + verify time and throughput of the default firmware, per link.
 *
 * Options (for tools/cli/main.ts):
 *   --links <list>     comma list of sim,pty,pty-raw,telnet (default "sim,pty,pty-raw", plus telnet when --espruino or ESPRUINO_BIN is set)
 *   --baud <n>         the simulated link's rate, bits/s, 10 bits a byte (default 115200)
 *   --packet <bytes>   DATA payload size (default 1024)
 *   --board <name>     firmware and simulated board (default esp32; telnet always uses the linux build)
 *   --espruino <bin>   the interpreter built for Linux, for the telnet link (default $ESPRUINO_BIN)
 *   --json             print the result as JSON
 *
 * Links: "sim" = the simulated device behind a line paced at --baud in
 * virtual time (device flash time modelled); "pty" = `exo sim --pty` through
 * @serialport/bindings-cpp in real time, the device end paced at --baud
 * like a UART (a pty itself has no baud rate); "pty-raw" = the same unpaced (host-bound);
 * "telnet" = the real interpreter's `--telnet` console on 127.0.0.1:2323 in
 * real time (the interpreter runs in a temporary folder, its own espruino.flash).
 * Each run is a fresh device: the upload, verification, stub and commit.
 * Goal (issue #6): on "sim" and "pty", throughput ≥ 80% of the link's byte rate with verification on.
 *
 * Usage: `npx tsx tools/bench/flash.ts [--json]` runs it without the CLI.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findBoard } from "../../hal/boards.ts";
import { buildDevice } from "../build/device.ts";
import { storedImage } from "../build/pretokenise.ts";
import { findRoot } from "../cli/root.ts";
import { flashImage, type FlashReport } from "../serial/flasher.ts";
import { openLink } from "../serial/link.ts";
import { ProtocolClient } from "../serial/protocol.ts";
import { SimLine } from "../serial/sim-link.ts";
import { servePty } from "../serial/sim-pty.ts";
import { realTimers, VirtualTimers } from "../serial/host-timers.ts";
import { ranDirectly } from "../ran-directly.ts";

export interface BenchFlashOptions {
  cwd?: string;
  links?: string;
  baud?: string | number;
  packet?: string | number;
  board?: string;
  espruino?: string;
  json?: boolean;
}

export interface LinkResult {
  link: "sim" | "pty" | "pty-raw" | "telnet";
  description: string;
  board: string;
  bytes: number;
  /** Upload + on-device verification, ms (virtual for sim). */
  transferMs: number;
  /** The whole `exo flash` (query, upload, verify, stub, commit), ms. */
  totalMs: number;
  bytesPerSecond: number;
  /** The link's own byte rate (sim: baud ÷ 10); null when it has none (pty, TCP). */
  linkBytesPerSecond: number | null;
  /** bytesPerSecond ÷ linkBytesPerSecond. */
  efficiency: number | null;
  packets: number;
  retries: number;
  /** Why a link was skipped. */
  skipped?: string;
}

export interface BenchFlashResult {
  baud: number;
  packet: number;
  results: LinkResult[];
  goal: { text: string; met: boolean | null };
}

function fromReport(link: LinkResult["link"], description: string, board: string, report: FlashReport, linkRate: number | null): LinkResult {
  const rate = report.bytesPerSecond;
  return {
    link, description, board, bytes: report.bytes, transferMs: report.transferMs, totalMs: report.totalMs, bytesPerSecond: rate,
    linkBytesPerSecond: linkRate, efficiency: linkRate ? rate / linkRate : null, packets: report.packets, retries: report.retries,
  };
}

async function buildFor(root: string, board: string): Promise<Uint8Array> {
  const out = join(mkdtempSync(join(tmpdir(), "exo-bench-flash-")), "firmware.js");
  const built = await buildDevice({ root, board, out });
  if (built.violations.length) throw new Error(`the ${board} build fails the dialect gate`);
  return storedImage(readFileSync(out, "utf8")); // what `exo flash` stores
}

const waitForPort = async (port: number, ms: number): Promise<boolean> => {
  const until = performance.now() + ms;
  do {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: "127.0.0.1", port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return true;
    if (performance.now() >= until) break;
    await new Promise((r) => setTimeout(r, 100));
  } while (performance.now() < until);
  return false;
};

export async function run(options: BenchFlashOptions = {}): Promise<BenchFlashResult> {
  const root = findRoot(options.cwd ?? import.meta.dirname);
  const baud = Number(options.baud ?? 115200);
  const packet = Number(options.packet ?? 1024);
  const boardName = options.board ?? "esp32";
  const board = findBoard(boardName);
  const espruino = options.espruino ?? process.env.ESPRUINO_BIN;
  const links = (options.links ?? (espruino ? "sim,pty,pty-raw,telnet" : "sim,pty,pty-raw")).split(",").map((l) => l.trim());
  const data = await buildFor(root, boardName);
  const results: LinkResult[] = [];

  for (const link of links) {
    if (link === "sim") {
      const time = new VirtualTimers();
      const line = new SimLine({ board, time, baud });
      const client = new ProtocolClient(line.connect(), { timers: time, baud });
      const report = await time.drive(flashImage(client, { data, timers: time, packetSize: packet, run: false }));
      results.push(fromReport("sim", `simulated ${board.name}, ${baud} baud line in virtual time`, board.name, report, baud / 10));
    } else if (link === "pty" || link === "pty-raw") {
      const paced = link === "pty";
      const session = await servePty({ board, ...(paced ? { baud } : {}) });
      try {
        const port = await openLink(session.path, { baud });
        const client = new ProtocolClient(port, { timers: realTimers, baud });
        const report = await flashImage(client, { data, timers: realTimers, packetSize: packet, run: false });
        await port.close();
        results.push(
          fromReport(
            link,
            `exo sim --pty (${session.path}) via @serialport/bindings-cpp, real time` + (paced ? `, device end paced at ${baud} baud` : ", unpaced"),
            board.name,
            report,
            paced ? baud / 10 : null,
          ),
        );
      } finally {
        await session.close();
      }
    } else if (link === "telnet") {
      if (!espruino) {
        results.push({ link: "telnet", description: "real interpreter", board: "linux", bytes: 0, transferMs: 0, totalMs: 0, bytesPerSecond: 0, linkBytesPerSecond: null, efficiency: null, packets: 0, retries: 0, skipped: "set ESPRUINO_BIN or --espruino to an interpreter built for Linux" });
        continue;
      }
      const linuxData = await buildFor(root, "linux");
      if (await waitForPort(2323, 0)) throw new Error("something already listens on 127.0.0.1:2323 (an interpreter left running?): stop it first");
      const dir = mkdtempSync(join(tmpdir(), "exo-bench-espruino-"));
      const child = spawn(espruino, ["--telnet"], { cwd: dir, stdio: ["pipe", "ignore", "ignore"] });
      try {
        if (!(await waitForPort(2323, 5000))) throw new Error("the interpreter did not open its telnet port 2323");
        const port = await openLink("tcp://127.0.0.1:2323");
        const client = new ProtocolClient(port, { timers: realTimers });
        const report = await flashImage(client, { data: linuxData, timers: realTimers, packetSize: packet, run: false });
        await port.close();
        results.push(fromReport("telnet", `Espruino ${espruino} --telnet, TCP on loopback, real time`, "linux", report, null));
      } finally {
        child.kill("SIGKILL");
      }
    } else {
      throw new Error(`unknown link ${link}: use sim, pty or telnet`);
    }
  }
  const paced = results.filter((r) => r.efficiency !== null);
  return {
    baud,
    packet,
    results,
    goal: {
    text: "sim and pty (paced): ≥ 80% of the link's byte rate with verification on",
    met: paced.length ? paced.every((r) => r.efficiency! >= 0.8) : null,
  },
  };
}

export function render(result: BenchFlashResult): string {
  const lines = [`exo bench flash: packet ${result.packet} bytes`];
  for (const r of result.results) {
    if (r.skipped) {
      lines.push(`  ${r.link.padEnd(7)} skipped: ${r.skipped}`);
      continue;
    }
    lines.push(
      `  ${r.link.padEnd(7)} ${(r.bytes / 1024).toFixed(1)} KiB (${r.board}) upload+verify ${(r.transferMs / 1000).toFixed(3)} s, total ${(r.totalMs / 1000).toFixed(3)} s: ` +
        `${(r.bytesPerSecond / 1024).toFixed(1)} KiB/s` +
        (r.efficiency !== null ? ` = ${(100 * r.efficiency).toFixed(1)}% of the link's ${(r.linkBytesPerSecond! / 1024).toFixed(1)} KiB/s` : "") +
        `; ${r.packets} packets, ${r.retries} retries — ${r.description}`,
    );
  }
  lines.push(`goal: ${result.goal.text}: ${result.goal.met === null ? "not measured" : result.goal.met ? "met" : "NOT met"}`);
  return lines.join("\n");
}

export const failed = (result: BenchFlashResult): boolean => result.goal.met === false;

if (ranDirectly(import.meta.url, "flash.ts")) {
  const json = process.argv.includes("--json");
  const result = await run({ links: process.argv.find((a) => a.startsWith("--links="))?.slice(8) });
  process.stdout.write((json ? JSON.stringify(result, null, 2) : render(result)) + "\n");
}
