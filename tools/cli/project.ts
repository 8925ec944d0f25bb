/**
 * A project: a folder of the user's own with `exo.config.json` (board, port,
 * baud, apps, examples), its apps in `apps/<name>/`, its app tests
 * (`*.apptest.ts`) and its build in `dist/`. Exo itself is a dependency
 * (node_modules/exo); the Exo checkout is a project too, whose apps are the
 * examples.
 *
 * Usage: `const project = findProject(process.cwd(), exoRoot)`; `projectApps(project)` → the
 *        app names a build takes; `appSearch(project)` → where loadApps looks.
 *
 * Errors: a UserError naming exo.config.json, the key, the value and the fix
 * (unknown keys with the nearest known one, wrong types, an unknown board, an
 * app or example that does not exist); no config here or above names the
 * folder and says how to make a project (`exo new`).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { boards } from "../../hal/boards.ts";
import { listApps, nearest } from "../build/manifests.ts";
import { UserError } from "../../hal/user-error.ts";
import { shown } from "./paths.ts";
import { findRoot } from "./root.ts";

export const CONFIG_FILE = "exo.config.json";

/** The Exo package this code belongs to (a checkout, or node_modules/exo): what a command's `exo` option defaults to. */
export const EXO_ROOT = findRoot(import.meta.dirname);

/** exo.config.json, with defaults filled in. */
export interface ProjectConfig {
  /** Board profile the build targets (hal/boards.ts). Default esp32. */
  board: string;
  /** The serial port of the board: /dev/ttyUSB0, COM3, tcp://host:port. */
  port?: string;
  /** Baud rate of that port. Default 115200. */
  baud: number;
  /** The project's apps to build, by folder name under apps/. Default: every folder there with a manifest.json. */
  apps: string[];
  /** Exo's example apps to build beside them (blinky, logger, …). Default none. */
  examples: string[];
}

export interface Project {
  /** The folder holding exo.config.json. */
  dir: string;
  config: ProjectConfig;
  /** The Exo package the CLI runs from (firmware/, libos/, the examples in apps/). */
  exo: string;
}

export const CONFIG_KEYS = ["$schema", "board", "port", "baud", "apps", "examples"];

/** The nearest folder at or above `from` that holds exo.config.json, or undefined. */
export function findConfig(from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, CONFIG_FILE))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/** The project `cwd` is in; a UserError when there is none. */
export function findProject(cwd: string, exo: string): Project {
  const dir = findConfig(cwd);
  if (!dir) {
    throw new UserError(
      `no ${CONFIG_FILE} in ${shown(cwd)} or any folder above it: this is not an Exo project`,
      "make one with `npx exo new my-device` and run exo inside it, or cd into your project",
    );
  }
  return { dir, config: readConfig(join(dir, CONFIG_FILE), exo), exo };
}

/** Read and check exo.config.json. */
export function readConfig(file: string, exo: string): ProjectConfig {
  const where = shown(file);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new UserError(`${where} is not valid JSON: ${(e as Error).message}`, `fix the file; it looks like { "board": "esp32", "apps": ["button"] }`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new UserError(`${where} is not an object`, `write { "board": "esp32", "port": "/dev/ttyUSB0", "apps": ["button"] }`);
  }
  const config = raw as Record<string, unknown>;
  for (const key of Object.keys(config)) {
    if (CONFIG_KEYS.includes(key)) continue;
    const near = nearest(key, CONFIG_KEYS);
    throw new UserError(`${where}: unknown key "${key}"` + (near ? ` (did you mean ${near}?)` : ""), `the keys are ${CONFIG_KEYS.slice(1).join(", ")} (README, "Your own project")`);
  }
  const text = (key: string): string | undefined => {
    const v = config[key];
    if (v === undefined) return undefined;
    if (typeof v !== "string" || !v) throw new UserError(`${where}: "${key}" is ${JSON.stringify(v)}, not a name`, `write it as text in quotes, e.g. ${key === "port" ? '"/dev/ttyUSB0"' : '"esp32"'}, or leave it out`);
    return v;
  };
  const names = (key: string): string[] | undefined => {
    const v = config[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((n) => typeof n !== "string" || !n)) {
      throw new UserError(`${where}: "${key}" is ${JSON.stringify(v)}, not a list of app names`, `write e.g. "${key}": ["${key === "apps" ? "button" : "blinky"}"]`);
    }
    return v as string[];
  };
  const board = text("board") ?? "esp32";
  if (!Object.hasOwn(boards, board)) {
    const near = nearest(board, Object.keys(boards));
    throw new UserError(`${where}: there is no board "${board}"` + (near ? ` (did you mean ${near}?)` : ""), `boards: ${Object.keys(boards).join(", ")}`);
  }
  const baud = config.baud === undefined ? 115200 : config.baud;
  if (typeof baud !== "number" || !Number.isInteger(baud) || baud < 300 || baud > 4_000_000) {
    throw new UserError(`${where}: "baud" is ${JSON.stringify(config.baud)}`, "give a whole number of bits per second, e.g. 115200");
  }
  const home = dirname(file);
  const own = listApps(home);
  const isExo = relative(home, exo) === "";
  const apps = names("apps") ?? own;
  for (const name of apps) {
    if (own.includes(name)) continue;
    const near = nearest(name, own);
    throw new UserError(
      `${where}: "apps" names "${name}", and ${shown(join(home, "apps", name, "manifest.json"))} does not exist` + (near ? ` (did you mean ${near}?)` : ""),
      own.length ? `the project's apps: ${own.join(", ")}` : "make the app's folder with a manifest.json and a main.ts (README, \"Writing an app\")",
    );
  }
  const examples = names("examples") ?? [];
  const known = listApps(exo);
  for (const name of examples) {
    if (!known.includes(name)) {
      const near = nearest(name, known);
      throw new UserError(`${where}: "examples" names "${name}", which Exo does not have` + (near ? ` (did you mean ${near}?)` : ""), `Exo's examples: ${known.join(", ")}`);
    }
    if (!isExo && own.includes(name) && apps.includes(name)) {
      throw new UserError(`${where}: "${name}" is both one of your apps and an example`, `rename your app, or drop "${name}" from "examples"`);
    }
  }
  const port = text("port");
  return { board, ...(port ? { port } : {}), baud, apps, examples };
}

/**
 * The port and baud a command uses: the options, else the exo.config.json of
 * the project `cwd` is in (if any), else no port and DEFAULT_BAUD.
 */
export function linkSettings(cwd: string, exo: string, port?: string, baud?: string | number): { port?: string; baud?: string | number } {
  const dir = port !== undefined && baud !== undefined ? undefined : findConfig(cwd);
  const config = dir ? readConfig(join(dir, CONFIG_FILE), exo) : undefined;
  return { port: port ?? config?.port, baud: baud ?? config?.baud };
}

/** The app names a build of the project takes: its own, then the examples it asks for. */
export function projectApps(project: Project): string[] {
  return [...new Set([...project.config.apps, ...project.config.examples])];
}
