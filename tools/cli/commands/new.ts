/**
 * `exo new <folder>`: make a
 * project of the user's own from templates/project/: exo.config.json, one
 * app (apps/button: a button toggles the LED and counts presses in a file),
 * a stimulus file, an app test, package.json with exo as a dev dependency,
 * tsconfig.json for editors. Nothing is installed: the next steps say
 * `cd <folder> && npm install && npm test`.
 *
 * The dependency: --exo SPEC as npm takes it (a version, a tarball, a
 * folder; a path is made absolute, as npm would read it from the project);
 * else `file:<this checkout>` when exo runs from a checkout, and
 * `^<version>` when it runs from an installed package.
 *
 * Errors: a folder that exists and is not empty (nothing is written), a name
 * npm would refuse, an unknown board.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { basename, join, relative, resolve, sep } from "node:path";
import { boards } from "../../../hal/boards.ts";
import { nearest } from "../../build/manifests.ts";
import { UserError } from "../../../hal/user-error.ts";
import { shown } from "../paths.ts";

export interface NewOptions {
  cwd: string;
  /** The Exo package this CLI runs from. */
  exo: string;
  folder: string;
  board?: string;
  port?: string;
  /** The npm spec of the exo dependency. */
  exoSpec?: string;
}

export interface NewResult {
  dir: string;
  name: string;
  files: string[];
  exo: string;
}

/** npm's rule for a package name (lower case, URL-safe, ≤ 214 characters). */
const PACKAGE_NAME = /^[a-z0-9][a-z0-9._-]*$/;

/** Template files whose name npm pack would drop or rename: stored without the dot. */
const DOTTED: Record<string, string> = { gitignore: ".gitignore" };

function templateFiles(dir: string, prefix = ""): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? templateFiles(dir, join(prefix, e.name)) : [join(prefix, e.name)],
  );
}

/** A spec npm reads as a path: ./x ../x /x ~/x file:x, or a tarball's name. */
const PATH_SPEC = /^(\.{1,2}([\\/]|$)|[\\/]|~[\\/]|file:)|\.tgz$|\.tar\.gz$/;

/**
 * The exo dependency as package.json should hold it. A path the user typed is
 * relative to where they typed it, but npm reads it relative to the new
 * project: it becomes `file:<absolute path>`, and must exist.
 */
function dependencySpec(cwd: string, exo: string, given?: string): string {
  if (given && PATH_SPEC.test(given)) {
    const raw = given.replace(/^file:/, "");
    const path = resolve(cwd, raw.startsWith("~") ? join(homedir(), raw.slice(1)) : raw);
    if (!existsSync(path)) throw new UserError(`--exo ${given}: there is no ${shown(path)}`, "give exo's folder or the tarball `npm pack` made, or a version such as ^1.0.0", 2);
    return `file:${path}`;
  }
  if (given) return given;
  const version: string = JSON.parse(readFileSync(join(exo, "package.json"), "utf8")).version;
  return exo.split(sep).includes("node_modules") ? `^${version}` : `file:${exo}`;
}

export async function run(options: NewOptions): Promise<NewResult> {
  if (!options.folder) throw new UserError("which folder?", "e.g. `exo new my-device`", 2);
  const dir = resolve(options.cwd, options.folder);
  const name = basename(dir);
  if (!PACKAGE_NAME.test(name) || name.length > 214) {
    throw new UserError(`"${name}" cannot be a package name`, "use lower-case letters, digits, - . and _, starting with a letter or digit, e.g. my-device", 2);
  }
  if (existsSync(dir) && (!statSync(dir).isDirectory() || readdirSync(dir).length)) {
    throw new UserError(`${shown(dir)} already exists and is not an empty folder; nothing was written`, "give a new folder name, e.g. `exo new my-device`");
  }
  const board = options.board ?? "esp32";
  if (!Object.hasOwn(boards, board)) {
    const near = nearest(board, Object.keys(boards));
    throw new UserError(`there is no board "${board}"` + (near ? ` (did you mean ${near}?)` : ""), `boards: ${Object.keys(boards).join(", ")}`, 2);
  }
  const exo = dependencySpec(options.cwd, options.exo, options.exoSpec);
  const template = join(options.exo, "templates", "project");
  const values: Record<string, string> = {
    name,
    board,
    exo: JSON.stringify(exo).slice(1, -1), // it sits inside a JSON string
    port: options.port ? `  "port": ${JSON.stringify(options.port)},\n` : "",
  };
  const files: string[] = [];
  for (const file of templateFiles(template)) {
    const text = readFileSync(join(template, file), "utf8").replace(/\{\{(\w+)\}\}/g, (m, key: string) => values[key] ?? m);
    const target = join(dir, DOTTED[file] ?? file);
    mkdirSync(join(target, ".."), { recursive: true });
    writeFileSync(target, text);
    files.push(relative(dir, target));
  }
  return { dir, name, files: files.sort(), exo };
}

export function render(result: NewResult): string {
  const at = shown(result.dir);
  return [
    `made ${at}/ (exo ${result.exo}):`,
    ...result.files.map((f) => "  " + f),
    "next:",
    `  cd ${at}`,
    "  npm install",
    "  npm test        # the app tests, on the simulated board",
    "  npm start       # build, then 5 s on the simulated board, with stim/presses.stim pressing the button",
  ].join("\n");
}
