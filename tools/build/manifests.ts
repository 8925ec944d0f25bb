/**
 * App manifests: read apps/<name>/manifest.json, check them against a board
 * and against each other, and resolve them to the grants the kernel boots with.
 *
 * Usage: `const apps = loadApps(root, board, ["blinky"])` → AppGrant[]
 *        `loadApps(root, board, undefined, { dirs: ["test/fixtures/apps"] })` also looks there.
 *
 * Errors: a UserError that names the file (apps/<name>/manifest.json), the
 * field, the value and the fix: a manifest that is not an object, unknown keys
 * (with the nearest known one), wrong types, amounts past the limits below
 * (named in the message); two apps asking for one pin or one packet filter
 * name both apps and the resource; more flash sectors or packet-buffer bytes
 * than the board has name every app that asked. Each app's main.ts must parse
 * and export a function `start` (checkAppEntry, entry.ts).
 *
 * Contract: DESIGN.md §3; the kernel re-checks the same rules at boot
 * (firmware/boot.ts), since a bundle may be built with `check: false`.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import type { Board } from "../../hal/boards.ts";
import { UserError } from "../../hal/user-error.ts";
import { checkAppEntry } from "./entry.ts";

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
  /**
   * Check the apps against each other (pins, filters, totals) and against the
   * kernel's budgets (flash sectors, packet bytes). Default true; false leaves
   * those to the kernel's boot. Shapes, types and the other limits are always checked.
   */
  check?: boolean;
}

/** Sectors per copy of the kernel's flash ledger (two copies; see firmware/ledger.ts). */
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

/** The keys a manifest may have, and those of its `packets`. */
export const MANIFEST_KEYS = ["name", "description", "pins", "timers", "flash", "packets"];
/** Keys an editor reads and the build ignores ("$schema": schema/manifest.schema.json). */
const EDITOR_KEYS = ["$schema"];
export const PACKET_KEYS = ["protocol", "port", "rx", "tx", "peer"];

/**
 * Limits on what one app may ask for (README, "Writing an app"). Beyond these
 * a number is a typo, not a need:
 *  - timers ≤ MAX_TIMERS live timers per app (the kernel keeps a closure per
 *    live timer on a heap of a few thousand variables; no app here needs more than 3);
 *  - flash ≤ the board's app sectors (appSectors: 14 on esp32, 120 on linux);
 *  - packets.rx + packets.tx ≤ PACKET_BUDGET bytes, the kernel's budget for all apps;
 *  - at most MAX_FILTERS apps with a packet filter (MAX_RINGS in firmware/packets.ts);
 *  - ports 1..65535.
 * The flash and packet limits are the kernel's own, so `check: false` leaves them to its boot.
 */
export const MAX_TIMERS = 32;
export const MAX_FILTERS = 32;

/** Where a manifest's problems are reported: its file as a person types it. */
interface Where {
  file: string;
}

function shownPath(root: string, path: string): string {
  const rel = relative(root, path);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A JSON value as a person reads it in a message: `null`, `an array`, `the string "3"`, `1000000000`. */
function what(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 37) + "…" : v)}`;
  if (typeof v === "number" && !Number.isFinite(v)) return "a number too large for JSON (it reads as Infinity)";
  return String(v);
}

/** Edit distance (insertions, deletions, substitutions), case-insensitive. */
function distance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
}

/** The known key nearest to `key`, if it is near enough to be a typo. */
export function nearest(key: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = distance(key, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  const lower = key.toLowerCase();
  if (best !== undefined && bestDistance <= (key.length <= 4 ? 1 : 2)) return best;
  // A shortening ("desc", "pin") or a lengthening ("timer_count") of a key.
  return key.length >= 3 ? known.find((k) => k.startsWith(lower) || lower.startsWith(k)) : undefined;
}

function unknownKeys(at: Where, object: Record<string, unknown>, known: string[], inside?: string): void {
  const unknown = Object.keys(object).filter((k) => !known.includes(k));
  if (!unknown.length) return;
  const field = (k: string) => (inside ? `${inside}.${k}` : k);
  const guesses = unknown.map((k) => {
    const near = nearest(k, known);
    if (near) return `"${field(k)}" (did you mean ${field(near)}?)`;
    if (!inside && PACKET_KEYS.includes(k)) return `"${k}" (did you mean packets.${k}? it goes inside "packets")`;
    return `"${field(k)}"`;
  });
  throw new UserError(
    `${at.file}: unknown key${unknown.length > 1 ? "s" : ""} ${guesses.join(", ")}`,
    `${inside ? `"${inside}" has` : "a manifest has"} the keys ${known.join(", ")} (README, "Writing an app")`,
  );
}

/**
 * A whole number min..max, or a UserError naming the file, the field, the
 * value and the limit (`limit` says what max is: "32 live timers per app").
 */
function count(at: Where, field: string, value: unknown, min: number, max: number, limit: string, unit = ""): number {
  const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `${min}..${max}`;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) {
    throw new UserError(`${at.file}: "${field}" is ${what(value)}, not a number`, `write it without quotes: "${field.split(".").pop()}": ${Number(value)} (a whole number ${range})`);
  }
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new UserError(`${at.file}: "${field}" is ${what(value)}, not a number`, `give a whole number ${range}, or leave "${field.split(".").pop()}" out`);
  }
  if (!Number.isInteger(value) || value < min) throw new UserError(`${at.file}: "${field}" is ${value}${unit}`, `give a whole number ${range}`);
  if (value > max) throw new UserError(`${at.file}: "${field}" is ${value}${unit}, over the limit of ${limit}`, `give a whole number ${range}`);
  return value;
}

function readManifest(root: string, dir: string, name: string): { manifest: Manifest; at: Where } {
  const file = join(dir, "manifest.json");
  const at: Where = { file: shownPath(root, file) };
  let manifest: unknown;
  try {
    manifest = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new UserError(`${at.file} is not valid JSON: ${(e as Error).message}`, "fix the file");
  }
  if (!isObject(manifest)) {
    throw new UserError(`${at.file} is ${what(manifest)}, not an object`, `write an object: { "name": "${name}", "pins": { … }, "timers": 1 } (README, "Writing an app")`);
  }
  unknownKeys(at, Object.fromEntries(Object.entries(manifest).filter(([k]) => !EDITOR_KEYS.includes(k))), MANIFEST_KEYS);
  if (!("name" in manifest)) throw new UserError(`${at.file} has no "name"`, `add "name": "${name}" (the folder's name)`);
  if (typeof manifest.name !== "string") throw new UserError(`${at.file}: "name" is ${what(manifest.name)}, not a string`, `set "name": "${name}" (the folder's name)`);
  if (manifest.name !== name) {
    throw new UserError(`${at.file} names the app "${manifest.name}"`, `set "name": "${name}" (the folder's name)`);
  }
  if ("description" in manifest && typeof manifest.description !== "string") {
    throw new UserError(`${at.file}: "description" is ${what(manifest.description)}, not a string`, "write it as text in quotes, or leave it out");
  }
  return { manifest: manifest as unknown as Manifest, at };
}

/** A local pin name must be usable as `caps.pins.<name>`. */
const PIN_NAME = /^[A-Za-z_$][\w$]*$/;

function checkPins(at: Where, pins: unknown): Record<string, string> {
  if (pins === undefined) return {};
  if (!isObject(pins)) {
    throw new UserError(`${at.file}: "pins" is ${what(pins)}, not an object`, `map the app's names to board pins: "pins": { "led": "LED", "button": "D4" }`);
  }
  for (const [local, spec] of Object.entries(pins)) {
    if (!PIN_NAME.test(local) || local in Object.prototype) {
      throw new UserError(`${at.file}: pin name "${local}" cannot be used as caps.pins.${local}`, "name it with letters, digits, _ and $ (not starting with a digit, not a name every object has, like constructor)");
    }
    if (typeof spec !== "string") {
      const guess = typeof spec === "number" && Number.isInteger(spec) && spec >= 0 ? `"D${spec}"` : `"D4"`;
      throw new UserError(`${at.file}: pin "${local}" is ${what(spec)}, not a string`, `write "LED" (the board's LED) or a board pin as "D<n>", e.g. ${guess}`);
    }
  }
  return pins as Record<string, string>;
}

function resolvePin(at: Where, local: string, spec: string, board: Board): number {
  if (spec === "LED") {
    if (board.led < 0) throw new UserError(`${at.file}: pin "${local}" asks for the LED, and board ${board.name} has none`, "name a pin as D<n>");
    return board.led;
  }
  const match = /^D(\d+)$/.exec(spec);
  const pin = match ? Number(match[1]) : -1;
  if (pin < 0 || pin >= board.pins) {
    throw new UserError(`${at.file}: pin "${local}" is "${spec}", which board ${board.name} does not have`, `use "LED" or D0..D${board.pins - 1}`);
  }
  return pin;
}

function resolvePackets(at: Where, p: unknown, check: boolean): AppGrant["packets"] {
  if (p === undefined) return undefined;
  if (!isObject(p)) {
    throw new UserError(`${at.file}: "packets" is ${what(p)}, not an object`, `give one filter and its rings: "packets": { "protocol": "udp", "port": 5700, "rx": 512, "tx": 512 }`);
  }
  unknownKeys(at, p, PACKET_KEYS, "packets");
  if (typeof p.protocol !== "string" || !PROTOCOLS.includes(p.protocol)) {
    throw new UserError(`${at.file}: "packets.protocol" is ${p.protocol === undefined ? "missing" : what(p.protocol)}`, `use one of ${PROTOCOLS.map((x) => `"${x}"`).join(", ")}`);
  }
  const port = count(at, "packets.port", p.port, 1, 65535, "65535, the highest port");
  if (p.rx === undefined) throw new UserError(`${at.file}: "packets" has no "rx"`, 'give the rx ring its size in bytes, at least 8: "rx": 256');
  const rx = count(at, "packets.rx", p.rx, 0, Number.MAX_SAFE_INTEGER, "", " bytes");
  const tx = count(at, "packets.tx", p.tx === undefined ? 0 : p.tx, 0, Number.MAX_SAFE_INTEGER, "", " bytes");
  if (rx < 8) throw new UserError(`${at.file}: "packets.rx" is ${rx} bytes`, "give the rx ring at least 8 bytes (each packet takes its length + 2)");
  // The limit is the kernel's budget for all apps; without `check` the kernel's boot judges it.
  if (check && rx + tx > PACKET_BUDGET) {
    throw new UserError(
      `${at.file}: "packets" asks for ${rx + tx} bytes of packet rings (rx ${rx} + tx ${tx}), over the kernel's packet budget of ${PACKET_BUDGET} bytes (all apps together)`,
      `shrink the rings: rx + tx ≤ ${PACKET_BUDGET}`,
    );
  }
  const peer = p.peer === undefined ? undefined : count(at, "packets.peer", p.peer, 1, 65535, "65535, the highest port");
  return { protocol: p.protocol, port, rx, tx, ...(peer !== undefined ? { peer } : {}) };
}

/** Load, check and resolve the named apps (default: every app) for `board`. */
export function loadApps(root: string, board: Board, names?: string[], options: LoadOptions = {}): AppGrant[] {
  const check = options.check !== false;
  const pinOwner = new Map<number, { app: string; local: string }>();
  const portOwner = new Map<string, string>();
  const grants = (names ?? listApps(root, options.dirs)).map((name): AppGrant => {
    const dir = findApp(root, name, options.dirs);
    const { manifest, at } = readManifest(root, dir, name);
    const entry = join(dir, "main.ts");
    if (!existsSync(entry)) throw new UserError(`app ${name} has no main.ts`, `create ${shownPath(root, entry)} exporting start(caps)`);
    const pins: Record<string, number> = {};
    for (const [local, spec] of Object.entries(checkPins(at, manifest.pins))) {
      const pin = resolvePin(at, local, spec, board);
      const owner = pinOwner.get(pin);
      if (owner && check && owner.app === name) {
        throw new UserError(`${at.file}: pins "${owner.local}" and "${local}" both name D${pin}`, "a pin has one name: drop one of them");
      }
      if (owner && check) throw new UserError(`apps ${owner.app} and ${name} both ask for pin D${pin}`, "a pin has one owner: give one of them another pin");
      pinOwner.set(pin, { app: name, local });
      pins[local] = pin;
    }
    const timers = count(at, "timers", manifest.timers === undefined ? 0 : manifest.timers, 0, MAX_TIMERS, `${MAX_TIMERS} live timers per app`);
    // Flash is the kernel's to judge when unchecked; checked, one app cannot ask for more than all the apps get.
    const flash = count(at, "flash", manifest.flash === undefined ? 0 : manifest.flash, 0, check ? appSectors(board) : Number.MAX_SAFE_INTEGER, `board ${board.name}'s ${appSectors(board)} sectors for apps`, " sectors");
    const packets = resolvePackets(at, manifest.packets, check);
    if (packets) {
      const key = `${packets.protocol} port ${packets.port}`;
      const owner = portOwner.get(key);
      if (owner && check) throw new UserError(`apps ${owner} and ${name} both ask for ${key}`, "a packet filter has one owner: give one of them another port");
      portOwner.set(key, name);
    }
    const problem = checkAppEntry(entry, shownPath(root, entry));
    if (problem) throw problem;
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
    const filters = grants.filter((g) => g.packets);
    if (filters.length > MAX_FILTERS) {
      throw new UserError(`${filters.length} apps ask for a packet filter; the kernel holds ${MAX_FILTERS}`, "build fewer apps with packets (--apps)");
    }
  }
  return grants;
}
