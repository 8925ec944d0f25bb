/**
 * App manifests: read apps/<name>/manifest.json, check them against a board
 * and against each other, and resolve them to the grants the kernel boots with.
 *
 * Usage: `const apps = loadApps(root, board, ["blinky"])` → AppGrant[]
 *
 * Errors: a UserError that names the app, the field and the fix; two apps
 * asking for the same pin name both apps and the pin.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Board } from "../../hal/boards.ts";
import { UserError } from "../cli/errors.ts";

/** What an app asks for, as written in its manifest.json. */
export interface Manifest {
  name: string;
  description?: string;
  /** Local pin name → board pin: "LED" (the board's LED) or "D<n>". */
  pins?: Record<string, string>;
  /** Live timers the app may hold at once. */
  timers?: number;
}

/** A manifest resolved against a board: what the build bakes into the bundle. */
export interface AppGrant {
  name: string;
  dir: string;
  entry: string;
  /** Local pin name → pin number. */
  pins: Record<string, number>;
  timers: number;
}

/** Names of the apps under `apps/` (folders that hold a manifest.json). */
export function listApps(root: string): string[] {
  const dir = join(root, "apps");
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, "manifest.json")))
    .map((d) => d.name)
    .sort();
}

function readManifest(root: string, name: string): Manifest {
  const file = join(root, "apps", name, "manifest.json");
  if (!existsSync(file)) {
    throw new UserError(`no app "${name}"`, `apps with a manifest: ${listApps(root).join(", ") || "none"}`);
  }
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

/** Load, check and resolve the named apps (default: every app) for `board`. */
export function loadApps(root: string, board: Board, names: string[] = listApps(root)): AppGrant[] {
  const pinOwner = new Map<number, string>();
  return names.map((name) => {
    const manifest = readManifest(root, name);
    const entry = join(root, "apps", name, "main.ts");
    if (!existsSync(entry)) throw new UserError(`app ${name} has no main.ts`, `create apps/${name}/main.ts exporting start(caps)`);
    const pins: Record<string, number> = {};
    for (const [local, spec] of Object.entries(manifest.pins ?? {})) {
      const pin = resolvePin(name, local, spec, board);
      const owner = pinOwner.get(pin);
      if (owner) throw new UserError(`apps ${owner} and ${name} both ask for pin D${pin}`, "a pin has one owner: give one of them another pin");
      pinOwner.set(pin, name);
      pins[local] = pin;
    }
    const timers = manifest.timers ?? 0;
    if (!Number.isInteger(timers) || timers < 0) throw new UserError(`app ${name}: "timers" is ${manifest.timers}`, "give a whole number ≥ 0");
    return { name, dir: join(root, "apps", name), entry, pins, timers };
  });
}
