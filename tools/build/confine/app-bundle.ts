/**
 * The apps of one firmware, bundled and confined: each app's entry and every
 * module it imports (its own files and LibOS modules), exactly as rollup
 * resolves them, verified against the confined dialect, guarded, and turned
 * into module factories the kernel calls (guarded, after taming) to make a
 * fresh instance of an app: its own module state, its own instance of every
 * LibOS module it links — while the code of a LibOS module two apps share is
 * in the bundle once, and a LibOS chunk that holds no state at all has one
 * instance for every app (shareable.ts).
 *
 * Usage:
 *   const built = await bundleApps(apps, { root });
 *   built.problems                 // [] when every app is confined; else each with file:line:col
 *   built.factories                // modules: `export let factory = function (deps…) { …; return { exports }; }`
 *   built.apps[i].chunks           // the factories app i needs, in order; the last one's `start` is its entry
 *
 * Why factories: an app's top-level code then runs only when the kernel loads
 * it (a throw there faults that app, not the boot), two apps never share a
 * module's state, and what is verified is exactly what runs — after
 * resolution and realpath (an import without an extension that rollup
 * completes to a .js file, a symlink into firmware/: both are seen).
 *
 * Errors: problems are returned, not thrown (the build reports every app's
 * at once); a syntax error or an unreadable file throws a UserError. A shared
 * module that reassigns a variable it exports is refused (an instance gets
 * the value at its start, not later changes).
 */
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { parse, type Program } from "acorn";
import MagicString from "magic-string";
import { rollup, type OutputChunk, type Plugin, type RollupError } from "rollup";
import { UserError } from "../../../hal/user-error.ts";
import { analyze, type Analysis } from "../../gate/scope.ts";
import { createLocator } from "../../gate/sourcemap.ts";
import { typescript } from "../transpile.ts";
import { checkConfined } from "./check.ts";
import { statelessReason } from "./shareable.ts";
import { EMIT_GUARD, GLOBAL, JSON_GUARD, KEY_GUARD, NATIVE_GUARD, noGuards, rewriteConfined, type GuardCounts } from "./rewrite.ts";

export interface ConfineProblem {
  app: string;
  file: string;
  line: number;
  column: number;
  /** The construct or import that was refused. */
  name: string;
  why: string;
}

/** "apps/x/main.ts:3:5  app x names digitalWrite: not a plain language built-in: …" */
export const formatProblem = (p: ConfineProblem): string => `${p.file}:${p.line}:${p.column}  app ${p.app} names ${p.name}: ${p.why}`;

/**
 * One module factory: a chunk of app or LibOS code as
 * `export let factory = function (deps…) {…}; export function drop() {…}`:
 * the kernel drops the factories once every app is loaded, so that a
 * bundle run from RAM does not keep a second copy of all app code (Espruino
 * copies a function's text when it makes the function, unless the text is in
 * flash).
 */
export interface Factory {
  /** A path-like id for the kernel build (rollup leaves ids holding \0 out of the source map). */
  id: string;
  code: string;
  map: object;
  /** One instance serves every app that links it: a LibOS chunk with no state whose imports are shared too (shareable.ts). */
  shared: boolean;
}

export interface BundledApps {
  factories: Factory[];
  /** Per app (in the order given): the factories it needs, dependencies first, as indices into `factories`, and each one's arguments. */
  apps: { name: string; chunks: { factory: number; deps: number[] }[] }[];
  problems: ConfineProblem[];
  /** How many guards the rewrite added (computed keys, uses of `this`, …). */
  guards: GuardCounts;
  /** Every module bundled, as real paths. */
  modules: string[];
}

export interface BundleAppsOptions {
  /** The Exo package (holds firmware/, hal/, libos/). */
  root: string;
  /** The user's project, which the paths in messages are relative to (default root). */
  project?: string;
  /**
   * Verify and guard the apps (default true). false only for benchmarks whose
   * generated apps run raw baselines beside the capability (they name
   * digitalWrite): the code is still wrapped in factories.
   */
  confine?: boolean;
}

interface AppInput {
  name: string;
  entry: string;
  dir: string;
}

/** Where a string literal `spec` appears in `file` (for an import's line and column). */
function locateSpecifier(file: string, spec: string): { line: number; column: number } {
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return { line: 1, column: 1 };
  }
  const at = Math.max(text.indexOf(JSON.stringify(spec)), text.indexOf(`'${spec}'`));
  const before = text.slice(0, Math.max(at, 0));
  return { line: before.split("\n").length, column: before.length - before.lastIndexOf("\n") };
}

const within = (file: string, dir: string) => file === dir || file.startsWith(dir + sep);

/**
 * Resolution: relative paths and "exo/…" (the Exo package's own files), after
 * realpath, to the importing app's own folder or libos/ (a LibOS module: to
 * libos/ only); nothing else.
 */
function confinedResolver(apps: AppInput[], root: string, problems: ConfineProblem[], shown: (f: string) => string): Plugin {
  const dirs = apps.map((app) => realpathSync(app.dir));
  const libos = realpathSync(join(root, "libos"));
  const kernel = [realpathSync(join(root, "firmware")), realpathSync(join(root, "hal"))];
  const types = realpathSync(join(root, "firmware", "types.ts"));
  const refused = "\0exo-refused-import";
  const appOf = (file: string) => {
    const i = dirs.findIndex((dir) => within(file, dir));
    return i >= 0 ? apps[i]!.name : "libos";
  };
  const refuse = (importer: string, spec: string, why: string) => {
    problems.push({ app: appOf(importer), file: shown(importer), ...locateSpecifier(importer, spec), name: JSON.stringify(spec), why });
    return refused;
  };
  return {
    name: "exo-confined-resolve",
    resolveId(source, importer) {
      if (source === refused) return refused;
      if (!importer) return realpathSync(resolve(source));
      // "exo/libos/…" names a LibOS module of the Exo package (a project's apps have it in node_modules).
      const fromExo = source.startsWith("exo/");
      if (!fromExo && !source.startsWith("./") && !source.startsWith("../")) {
        return refuse(importer, source, 'apps import their own files by relative path and LibOS modules as "exo/libos/…"; hardware comes as capabilities');
      }
      const base = fromExo ? join(root, source.slice(4)) : resolve(dirname(importer), source);
      const file = [base, base + ".ts", base + ".js", join(base, "index.ts"), join(base, "index.js")].find((f) => existsSync(f) && statSync(f).isFile());
      if (!file) return refuse(importer, source, "no such file (give the path with its .ts extension)");
      const real = realpathSync(file);
      if (real === types) return real; // types only: its JavaScript is empty
      if (!/\.(ts|js)$/.test(real)) return refuse(importer, source, "apps import TypeScript or JavaScript modules only");
      const home = dirs.find((dir) => within(realpathSync(importer), dir));
      if ((home && within(real, home)) || within(real, libos)) return real;
      return refuse(importer, source, kernel.some((dir) => within(real, dir))
        ? "apps and LibOS may not import kernel or hal code (only `import type` from firmware/types.ts)"
        : `apps import only files inside their own folder and libos/ (this resolves to ${shown(real)})`);
    },
    load: (id) => (id === refused ? "export {};" : null),
  };
}

/** Bundle, verify and guard the apps; the result is module factories and how each app instantiates them. */
export async function bundleApps(apps: AppInput[], options: BundleAppsOptions): Promise<BundledApps> {
  const root = options.root;
  const confine = options.confine !== false;
  const base = options.project ?? root;
  const shown = (file: string) => {
    const rel = relative(base, file);
    return rel.startsWith("..") ? file : rel.split(sep).join("/");
  };
  const problems: ConfineProblem[] = [];
  const input: Record<string, string> = {};
  apps.forEach((app, i) => (input["app" + i] = app.entry));
  const anchor = join(root, "apps", "__exo_apps"); // never written: anchors the maps' relative sources
  let bundle;
  try {
    bundle = await rollup({
      input,
      plugins: [confinedResolver(apps, root, problems, shown), typescript("ES2015")],
      shimMissingExports: true, // a refused import still lets the rest be checked
      onwarn: () => {}, // top-level `this` becomes undefined; refused imports are reported above
    });
  } catch (error) {
    const e = error as RollupError;
    const where = e.loc ? `${shown(e.loc.file ?? e.id ?? "")}:${e.loc.line}:${e.loc.column + 1}` : shown(e.id ?? "");
    throw new UserError(`${where}: ${e.message.replace(/^\[plugin [^\]]+\] /, "")}`, "fix the app's code (`npm test` type-checks it too)");
  }
  try {
    const output = {
      format: "es" as const, sourcemap: true, dir: anchor, chunkFileNames: "[name]-[hash].js", entryFileNames: "[name].js",
      sourcemapPathTransform: (rel: string) => resolve(anchor, rel),
    };
    const plain = (await bundle.generate(output)).output.filter((o): o is OutputChunk => o.type === "chunk");
    // Chunks with no state, by their modules (the wrapped chunks below have other hashes in their names).
    const stateless = new Set<string>();
    const appOfChunk = (chunk: OutputChunk) => (chunk.isEntry ? apps[Number(chunk.name.slice(3))]! : undefined);
    for (const chunk of plain) {
      const program = parse(chunk.code, { ecmaVersion: "latest", sourceType: "module" }) as Program;
      const analysis = analyze(program);
      const app = appOfChunk(chunk);
      if (!chunk.isEntry && statelessReason(program, analysis) === null) stateless.add(chunk.moduleIds.join("\n"));
      if (app && !chunk.exports.includes("start")) {
        const why = chunk.exports.includes("default") ? "a default export is not an app's entry: `export function start(caps) { … }`" : "add `export function start(caps) { … }`";
        problems.push({ app: app.name, file: shown(app.entry), line: 1, column: 1, name: "start", why: "its entry exports no `start`: " + why });
      }
      if (!confine) continue;
      const locator = createLocator(chunk.code, { file: join(anchor, chunk.fileName), map: chunk.map as object, mapFile: join(anchor, chunk.fileName + ".map") });
      const owner = app?.name ?? "libos";
      for (const p of checkConfined(analysis)) {
        const at = locator.locate(p.offset);
        const file = resolve(at.file);
        const named = apps.find((a) => within(file, a.dir))?.name ?? owner;
        problems.push({ app: named, file: shown(file), line: at.line, column: at.column, name: p.name, why: p.why });
      }
      for (const name of reassignedExports(program, analysis)) {
        problems.push({ app: owner, file: shown(app?.entry ?? chunk.facadeModuleId ?? anchor), line: 1, column: 1, name, why: "a module shared by several apps reassigns this exported variable: export a function that returns it" });
      }
    }
    const modules = [...new Set(plain.flatMap((c) => Object.keys(c.modules)))];
    if (problems.length) return { factories: [], apps: [], problems: dedupe(problems), guards: noGuards(), modules };

    const guards = noGuards();
    const factories: Factory[] = [];
    const factoryPlugin: Plugin = {
      name: "exo-module-factories",
      renderChunk(code, chunk) {
        // The chunks of `plain`, before rollup's last touches: parsed again so that offsets match.
        const program = parse(code, { ecmaVersion: "latest", sourceType: "module" }) as Program;
        const out = toFactory(code, program, analyze(program), root, confine);
        for (const k of Object.keys(guards) as (keyof GuardCounts)[]) guards[k] += out.guards[k];
        void chunk;
        return { code: out.code, map: out.map };
      },
    };
    const wrapped = (await bundle.generate({ ...output, plugins: [factoryPlugin] })).output.filter((o): o is OutputChunk => o.type === "chunk");
    const index = new Map(wrapped.map((chunk, i) => [chunk.fileName, i]));
    const shared = (chunk: OutputChunk): boolean =>
      stateless.has(chunk.moduleIds.join("\n")) && chunk.imports.every((dep) => shared(wrapped[index.get(dep)!]!));
    for (const chunk of wrapped) factories.push({ id: join(anchor, chunk.fileName), code: chunk.code, map: chunk.map as object, shared: shared(chunk) });
    const order = (fileName: string, seen: string[] = []): string[] => {
      if (seen.includes(fileName)) return seen;
      const chunk = wrapped[index.get(fileName)!]!;
      for (const dep of chunk.imports) order(dep, seen);
      seen.push(fileName);
      return seen;
    };
    const appChunks = apps.map((app, i) => {
      const entry = wrapped.find((c) => c.isEntry && c.name === "app" + i)!;
      const chunks = order(entry.fileName).map((fileName) => ({
        factory: index.get(fileName)!,
        deps: wrapped[index.get(fileName)!]!.imports.map((dep) => index.get(dep)!),
      }));
      return { name: app.name, chunks };
    });
    return { factories, apps: appChunks, problems: [], guards, modules };
  } finally {
    await bundle.close();
  }
}

/** Exported names whose local binding is assigned after its declaration (a factory copies exports once). */
function reassignedExports(program: Program, a: Analysis): string[] {
  const out: string[] = [];
  for (const node of program.body) {
    if (node.type !== "ExportNamedDeclaration") continue;
    for (const spec of node.specifiers) {
      if (spec.local.type !== "Identifier") continue;
      const decl = a.refOf.get(spec.local)?.decl;
      if (!decl || decl.kind !== "let" && decl.kind !== "var") continue;
      const written = a.refs.some((r) => r.decl === decl && isAssigned(a, r.id));
      if (written) out.push(spec.local.name);
    }
  }
  return out;
}

function isAssigned(a: Analysis, id: import("acorn").Identifier): boolean {
  const parent = a.parentOf.get(id);
  return !!parent && ((parent.type === "AssignmentExpression" && parent.left === id) || parent.type === "UpdateExpression");
}

/**
 * One ES chunk → `export let factory = function (__exoM0, …) { guards; imports as vars; code; return { exports }; }`.
 * The guards are the factory's first variables: Espruino finds a name by
 * scanning each scope in declaration order, so first is cheapest.
 */
function toFactory(code: string, program: Program, analysis: Analysis, root: string, confine: boolean) {
  const s = new MagicString(code);
  const guards = confine ? rewriteConfined(s, analysis) : noGuards();
  const deps: string[] = [];
  const bindings: string[] = [];
  const exports: string[] = [];
  for (const node of program.body) {
    if (node.type === "ImportDeclaration") {
      const dep = "__exoM" + deps.length;
      deps.push(dep);
      for (const spec of node.specifiers) {
        if (spec.type !== "ImportSpecifier") continue; // a chunk imports named bindings only
        const imported = spec.imported.type === "Identifier" ? spec.imported.name : String(spec.imported.value);
        bindings.push(`${spec.local.name}=${dep}[${JSON.stringify(imported)}]`);
      }
      s.remove(node.start, node.end);
    } else if (node.type === "ExportNamedDeclaration") {
      for (const spec of node.specifiers) {
        const exported = spec.exported.type === "Identifier" ? spec.exported.name : String(spec.exported.value);
        if (spec.local.type === "Identifier") exports.push(`${JSON.stringify(exported)}:${spec.local.name}`);
      }
      s.remove(node.start, node.end);
    }
  }
  const path = (file: string) => JSON.stringify(join(root, file));
  s.prepend(
    `import { key as __exoKey, native as __exoNative, emitter as __exoEmitter, json as __exoJson } from ${path("firmware/confine.ts")};\n` +
      `import { root as __exoRoot } from ${path("hal/espruino/realm.ts")};\n` +
      `export let factory = function (${deps.join(", ")}) {\nvar ${GLOBAL} = __exoRoot, ${KEY_GUARD} = __exoKey, ${NATIVE_GUARD} = __exoNative, ` +
      `${EMIT_GUARD} = __exoEmitter, ${JSON_GUARD} = __exoJson${bindings.map((b) => ", " + b).join("")};\n`,
  );
  s.append(`\nreturn {${exports.join(",")}};\n};\nexport function drop() {\n  factory = undefined;\n}\n`);
  return { code: s.toString(), map: s.generateMap({ hires: true }), guards };
}

function dedupe(problems: ConfineProblem[]): ConfineProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.file}:${p.line}:${p.column}:${p.name}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
