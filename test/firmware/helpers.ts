/**
 * Build fixture apps (test/fixtures/apps) with the kernel and boot them on the
 * simulated device; read the kernel's status the way the host does.
 */
import type { KernelStatus } from "../../tools/cli/commands/sim.ts";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findBoard } from "../../hal/boards.ts";
import { SimDevice } from "../../hal/sim/device.ts";
import { buildDevice } from "../../tools/build/device.ts";

export const root = join(import.meta.dirname, "..", "..");
export const fixtures = "test/fixtures/apps";

export interface Built {
  file: string;
  code: string;
  map: string;
  board: string;
}

/** Build `apps` (fixtures or apps/) for `board` into a temporary folder. */
export async function build(apps: string[], options: { board?: string; check?: boolean } = {}): Promise<Built> {
  const file = join(mkdtempSync(join(tmpdir(), "exo-kernel-")), "firmware.js");
  const board = options.board ?? "esp32";
  await buildDevice({ root, board, apps, out: file, appDirs: [fixtures], check: options.check });
  return { file, code: readFileSync(file, "utf8"), map: readFileSync(file + ".map", "utf8"), board };
}

/** A device booted with `built` (optionally on a given flash image), run for `ms`. */
export function boot(built: Built, ms = 0, flashImage?: Uint8Array): SimDevice {
  const device = new SimDevice({ board: findBoard(built.board), seed: 1, flashImage });
  device.boot(built.code, { file: built.file, map: built.map });
  if (ms) device.run(ms);
  return device;
}

/** Boot another bundle on the same device's flash (a firmware update). */
export function reflash(device: SimDevice, built: Built): void {
  device.boot(built.code, { file: built.file, map: built.map });
}

/** The status shapes come from the kernel itself (firmware/status.ts). */
export type { KernelStatus };
export type AppStatus = KernelStatus["apps"][number];

/** The kernel's status, as the host reads it (one eval of the published global). */
export function status(device: SimDevice): KernelStatus {
  return JSON.parse(device.eval("JSON.stringify(exo.status())") as string);
}

export const app = (s: KernelStatus, name: string): AppStatus => {
  const found = s.apps.find((a) => a.name === name);
  if (!found) throw new Error(`no app ${name} in the status`);
  return found;
};

/** Console lines so far, text only. */
export const lines = (device: SimDevice): string[] => device.console.map((c) => c.line);
