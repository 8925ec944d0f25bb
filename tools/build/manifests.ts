/**
 * App manifests: read apps/<name>/manifest.json, check them against a board
 * and against each other, and resolve them to the grants the kernel boots with.
 *
 * Usage: `const apps = loadApps(root, board, ["blinky"])` → AppGrant[]
 *        `loadApps(root, board, undefined, { dirs: ["test/fixtures/apps"] })` also looks there.
 *
 * Errors: a UserError that names the app, the field and the fix; two apps
 * asking for one pin or one packet filter name both apps and the resource;
 * more flash sectors or packet-buffer bytes than the board has name every
 * app that asked.
 *
 * Contract: DESIGN.md §3; the kernel re-checks the same rules at boot
 * (firmware/boot.ts), since a bundle may be built with `check: false`.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import type { Board } from "../../hal/boards.ts";
import { UserError } from "../cli/errors.ts";

/** Bytes of packet rings (rx + tx, all apps) the kernel hands out on every board. */
export const PACKET_BUDGET = 8192;
/** Protocols a packet filter may name. */
export const PROTOCOLS = ["udp", "tcp"];

/** What an app asks for, as written in its manifest.json. */
export interface Manifest {
  name: string;
  description?: string;
  /** Local pin name → board pin: "LED" (the board's LED) or "D<n>". */
  pins?: Record<string, string>;
  /** Live timers the app may hold at once. */
  timers?: number;
  /** Whole erase sectors of flash (an extent). */
  flash?: number;
  /** A packet filter and its rings: protocol "udp"/"tcp", port 1..65535, ring bytes. */
  packets?: { protocol: string; port: number; rx: number; tx?: number; peer?: number };
}

/** A manifest resolved against a board: what the build bakes into the bundle. */
export interface AppGrant {
  name: string;
  dir: string;
  entry: string;
  /** Local pin name → pin number. */
  pins: Record<string, number>;
  timers: number;
  flash: number;
  packets?: { protocol: string; port: number; rx: number; tx: number; peer?: number };
}

export interface LoadOptions {
  /** More folders that hold app folders (absolute, or relative to root), searched after apps/. */
  dirs?: string[];
  /** Check the apps against each other (pins, filters, totals). Default true; false leaves it to the kernel's boot. */
  check?: boolean;
}

/** Sectors per copy of the kernel's flash ledger (two copies; see firmware/flash.ts). */
export function ledgerSectors(board: Board): number {
  const sectors = board.kernelFlash.size / board.chip.sectorSize;
  // A copy holds the state (≤ 430 + 10 bytes per sector as JSON) and an erase log as long again.
  return Math.ceil((2 * (430 + 10 * sectors)) / board.chip.sectorSize);
}

/** Sectors of the kernel's region that apps may get. */
export function appSectors(board: Board): number {
  return board.kernelFlash.size / board.chip.sectorSize - 2 * ledgerSectors(board);
}

const folders = (root: string, dirs: string[] = []): string[] => [join(root, "apps"), ...dirs.map((d) => (isAbsolute(d) ? d : join(root, d)))];

/** Names of the apps under `apps/` (and `dirs`): folders that hold a manifest.json. */
export function listApps(root: string, dirs?: string[]): string[] {
  const names: string[] = [];
  for (const dir of folders(root, dirs)) {
    if (!existsSync(dir)) continue;
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      if (d.isDirectory() && existsSync(join(dir, d.name, "manifest.json")) && !names.includes(d.name)) names.push(d.name);
    }
  }
  return names.sort();
}

function findApp(root: string, name: string, dirs?: string[]): string {
  for (const dir of folders(root, dirs)) if (existsSync(join(dir, name, "manifest.json"))) return join(dir, name);
  throw new UserError(`no app "${name}"`, `apps with a manifest: ${listApps(root, dirs).join(", ") || "none"}`);
}

function readManifest(dir: string, name: string): Manifest {
  const file = join(dir, "manifest.json");
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new UserError(`apps/${name}/manifest.json is not valid JSON: ${(e as Error).message}`, "fix the file");
  }
  if (manifest.name !== name) {
    throw new UserError(`apps/${name}/manifest.json names the app "${manifest.name}"`, `set "name": "${name}" (the folder's name)`);
  }
  return manifest;
}

function resolvePin(app: string, local: string, spec: string, board: Board): number {
  if (spec === "LED") {
    if (board.led < 0) throw new UserError(`app ${app}: pin "${local}" asks for the LED, and board ${board.name} has none`, "name a pin as D<n>");
    return board.led;
  }
  const match = /^D(\d+)$/.exec(spec);
  const pin = match ? Number(match[1]) : -1;
  if (pin < 0 || pin >= board.pins) {
    throw new UserError(`app ${app}: pin "${local}" is "${spec}", which board ${board.name} does not have`, `use "LED" or D0..D${board.pins - 1}`);
  }
  return pin;
}

const wholeNumber = (app: string, field: string, value: unknown): number => {
  if (!Number.isInteger(value) || (value as number) < 0) throw new UserError(`app ${app}: "${field}" is ${JSON.stringify(value)}`, "give a whole number ≥ 0");
  return value as number;
};

function resolvePackets(name: string, p: Manifest["packets"]): AppGrant["packets"] {
  if (p === undefined) return undefined;
  if (!PROTOCOLS.includes(p.protocol)) throw new UserError(`app ${name}: packets.protocol is ${JSON.stringify(p.protocol)}`, `use one of ${PROTOCOLS.join(", ")}`);
  if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) throw new UserError(`app ${name}: packets.port is ${JSON.stringify(p.port)}`, "give a port 1..65535");
  const rx = wholeNumber(name, "packets.rx", p.rx);
  const tx = wholeNumber(name, "packets.tx", p.tx ?? 0);
  if (rx < 8) throw new UserError(`app ${name}: packets.rx is ${rx} bytes`, "give the rx ring at least 8 bytes (each packet takes its length + 2)");
  if (p.peer !== undefined && (!Number.isInteger(p.peer) || p.peer < 1 || p.peer > 65535)) {
    throw new UserError(`app ${name}: packets.peer is ${JSON.stringify(p.peer)}`, "give the port its datagrams go to, 1..65535 (the host comes from the board's network configuration)");
  }
  return { protocol: p.protocol, port: p.port, rx, tx, ...(p.peer !== undefined ? { peer: p.peer } : {}) };
}

/** Load, check and resolve the named apps (default: every app) for `board`. */
export function loadApps(root: string, board: Board, names?: string[], options: LoadOptions = {}): AppGrant[] {
  const check = options.check !== false;
  const pinOwner = new Map<number, string>();
  const portOwner = new Map<string, string>();
  const grants = (names ?? listApps(root, options.dirs)).map((name): AppGrant => {
    const dir = findApp(root, name, options.dirs);
    const manifest = readManifest(dir, name);
    const entry = join(dir, "main.ts");
    if (!existsSync(entry)) throw new UserError(`app ${name} has no main.ts`, `create ${join(dir, "main.ts")} exporting start(caps)`);
    const pins: Record<string, number> = {};
    for (const [local, spec] of Object.entries(manifest.pins ?? {})) {
      const pin = resolvePin(name, local, spec, board);
      const owner = pinOwner.get(pin);
      if (owner && check) throw new UserError(`apps ${owner} and ${name} both ask for pin D${pin}`, "a pin has one owner: give one of them another pin");
      pinOwner.set(pin, name);
      pins[local] = pin;
    }
    const timers = wholeNumber(name, "timers", manifest.timers ?? 0);
    const flash = wholeNumber(name, "flash", manifest.flash ?? 0);
    const packets = resolvePackets(name, manifest.packets);
    if (packets) {
      const key = `${packets.protocol} port ${packets.port}`;
      const owner = portOwner.get(key);
      if (owner && check) throw new UserError(`apps ${owner} and ${name} both ask for ${key}`, "a packet filter has one owner: give one of them another port");
      portOwner.set(key, name);
    }
    return { name, dir, entry, pins, timers, flash, packets };
  });
  if (check) {
    const sectors = grants.reduce((n, g) => n + g.flash, 0);
    if (sectors > appSectors(board)) {
      const who = grants.filter((g) => g.flash).map((g) => `${g.name} ${g.flash}`).join(", ");
      throw new UserError(
        `the apps ask for ${sectors} flash sectors (${who}); board ${board.name} has ${appSectors(board)} for apps`,
        "ask for fewer sectors, or build fewer apps (--apps)",
      );
    }
    const bytes = grants.reduce((n, g) => n + (g.packets ? g.packets.rx + g.packets.tx : 0), 0);
    if (bytes > PACKET_BUDGET) {
      const who = grants.filter((g) => g.packets).map((g) => `${g.name} ${g.packets!.rx + g.packets!.tx}`).join(", ");
      throw new UserError(`the apps ask for ${bytes} bytes of packet rings (${who}); the kernel has ${PACKET_BUDGET}`, "shrink the rings");
    }
  }
  return grants;
}
