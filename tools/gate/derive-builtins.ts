/**
 * Derive what the interpreter lacks from two sources instead of a hand-kept
 * table: the interpreter's own sources (every built-in is declared in a
 * `/*JSON{…}*\/` comment in a jswrap_*.c file, which upstream's
 * scripts/common.py reads to build it and its documentation), and the
 * standard library TypeScript declares (esnext, without DOM or Node).
 * Missing = standard − interpreter. Writes tools/gate/espruino-builtins.generated.ts.
 *
 * Usage: `npx tsx tools/gate/derive-builtins.ts <Espruino checkout>` (e.g. a
 * clone of github:espruino/Espruino; nothing of it is copied, only names).
 * test/tools/gate/derive-builtins.test.ts re-derives it where ESPRUINO_SRC is
 * set and checks the file is current; interpreter.test.ts checks each name
 * on the interpreter where ESPRUINO_BIN is set.
 *
 * Reading the comments as common.py does: the JSON ends at the first line
 * that starts with "}"; every `ifdef`/`ifndef` variant counts (the
 * documentation's view: a name any build has is not "missing"). Files: the
 * core's src/jswrap_*.c and libs/**\/jswrap_*.c (targets/ are other chips).
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";

interface Entry {
  type: string;
  class?: string;
  name?: string;
  /** Built only where the board defines this (BANGLEJS, USB, …), or where this C condition holds. */
  ifdef?: string;
  "#if"?: string;
  /** The wrapper it is declared in, relative to the checkout (added here). */
  file: string;
}

/** Every JSON declaration in the interpreter's wrappers. */
export function interpreterEntries(source: string): Entry[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (/^jswrap.*\.c$/.test(e.name)) files.push(path);
    }
  };
  walk(join(source, "src"));
  walk(join(source, "libs"));
  const out: Entry[] = [];
  for (const file of files.sort()) {
    const code = readFileSync(file, "latin1");
    for (const m of code.matchAll(/\/\*JSON([\s\S]*?)\*\//g)) {
      const end = m[1].indexOf("\n}");
      if (end < 0) continue;
      try {
        out.push({ ...(JSON.parse(m[1].slice(0, end + 2)) as Entry), file: relative(source, file) });
      } catch (e) {
        throw new Error(`${relative(source, file)}: a /*JSON comment does not parse: ${(e as Error).message}`);
      }
    }
  }
  return out;
}

/** Standard JavaScript as TypeScript declares it (esnext: what any engine may have, no DOM, no Node): globals, each global's statics, each instance interface's methods. */
export function standardLibrary(): { globals: Set<string>; statics: Map<string, Set<string>>; methods: Map<string, Set<string>> } {
  // One empty root file: a program without any loads no library either.
  const options: ts.CompilerOptions = { lib: ["lib.esnext.d.ts"], types: [], noEmit: true };
  const host = ts.createCompilerHost(options);
  const empty = "/exo-empty.ts";
  const read = host.getSourceFile;
  host.getSourceFile = (file, target, ...rest) => (file === empty ? ts.createSourceFile(file, "export {};", target) : read.call(host, file, target, ...rest));
  const program = ts.createProgram({ rootNames: [empty], options, host });
  const checker = program.getTypeChecker();
  const globals = new Set<string>();
  const statics = new Map<string, Set<string>>();
  const methods = new Map<string, Set<string>>();
  const add = (map: Map<string, Set<string>>, key: string, name: string) => map.set(key, (map.get(key) ?? new Set()).add(name));
  for (const file of program.getSourceFiles()) {
    if (!program.isSourceFileDefaultLibrary(file)) continue;
    for (const st of file.statements) {
      if (ts.isVariableStatement(st)) {
        for (const d of st.declarationList.declarations) {
          if (!ts.isIdentifier(d.name)) continue;
          globals.add(d.name.text);
          const type = checker.getTypeAtLocation(d);
          if (!(type.flags & ts.TypeFlags.Object)) continue; // NaN, Infinity: numbers, no statics
          // Only names code can write after a dot (not Symbol.species, not RegExp.$&).
          for (const p of checker.getPropertiesOfType(type)) if (p.name !== "prototype" && /^[A-Za-z_$][\w$]*$/.test(p.name)) add(statics, d.name.text, p.name);
        }
      } else if (ts.isFunctionDeclaration(st) && st.name) globals.add(st.name.text);
      else if (ts.isModuleDeclaration(st) && ts.isIdentifier(st.name)) globals.add(st.name.text);
      else if (ts.isInterfaceDeclaration(st)) {
        for (const m of st.members) if (ts.isMethodSignature(m) && m.name && ts.isIdentifier(m.name)) add(methods, st.name.text, m.name.text);
      }
    }
  }
  return { globals, statics, methods };
}

const TYPED = ["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array", "Float32Array", "Float64Array"];
/** Instance interfaces whose missing methods the gate reports, and the name it gives their owner. */
const OWNERS: [string, string[]][] = [
  ["Array and typed arrays", ["Array", ...TYPED]],
  ["String", ["String"]],
  ["Number", ["Number"]],
  ["Date", ["Date"]],
  ["Object", ["Object"]],
  ["RegExp", ["RegExp"]],
  ["Function", ["Function"]],
  ["Promise", ["Promise"]],
  ["Error", ["Error"]],
  ["ArrayBuffer", ["ArrayBuffer"]],
  ["DataView", ["DataView"]],
  ["Boolean", ["Boolean"]],
];

export interface Derived {
  globals: string[];
  statics: Record<string, string[]>;
  methods: Record<string, string[]>;
  e: string[];
}

export function derive(entries: Entry[]): Derived {
  const std = standardLibrary();
  const has = new Set<string>();
  const instance = new Set<string>();
  const staticOf = new Map<string, Set<string>>();
  for (const e of entries) {
    if (e.type === "class" || e.type === "object" || e.type === "constructor") has.add(e.class ?? e.name ?? "");
    if ((e.type === "function" || e.type === "variable") && e.name) has.add(e.name);
    // Methods of standard classes only (and ArrayBufferView, Espruino's typed-array base): code that calls a
    // method of an expression of unknown type meets standard values, not a OneWire (whose `search` would hide String's).
    if ((e.type === "method" || e.type === "property") && e.name && e.class && (std.globals.has(e.class) || e.class === "ArrayBufferView")) instance.add(e.name);
    if ((e.type === "staticmethod" || e.type === "staticproperty") && e.class && e.name) staticOf.set(e.class, (staticOf.get(e.class) ?? new Set()).add(e.name));
  }
  const sorted = (names: Iterable<string>) => [...names].sort();
  const globals = sorted([...std.globals].filter((g) => !has.has(g)));
  const statics: Record<string, string[]> = {};
  for (const [owner, names] of [...std.statics].sort(([a], [b]) => a.localeCompare(b))) {
    if (!has.has(owner)) continue; // a missing global is reported as one
    const missing = sorted([...names].filter((n) => !staticOf.get(owner)?.has(n)));
    if (missing.length) statics[owner] = missing;
  }
  const methods: Record<string, string[]> = {};
  const seen = new Set<string>();
  for (const [owner, interfaces] of OWNERS) {
    const names = interfaces.flatMap((i) => [...(std.methods.get(i) ?? [])]).filter((n) => !instance.has(n) && !seen.has(n));
    for (const n of names) seen.add(n);
    if (names.length) methods[owner] = sorted(new Set(names));
  }
  // E's members on every build: the core's, unconditional (E.getBattery is a Puck's, E.showMenu a Bangle.js's).
  const e = entries
    .filter((x) => x.class === "E" && (x.type === "staticmethod" || x.type === "staticproperty") && x.file.startsWith("src/") && !x.ifdef && !x["#if"] && x.name)
    .map((x) => x.name!);
  return { globals, statics, methods, e: sorted(new Set(e)) };
}

export function generated(derived: Derived, commit: string): string {
  const list = (names: string[]) => JSON.stringify(names).replace(/","/g, '", "');
  const record = (r: Record<string, string[]>) => "{\n" + Object.entries(r).map(([k, v]) => `  ${JSON.stringify(k)}: ${list(v)},`).join("\n") + "\n}";
  return [
    `// Generated by tools/gate/derive-builtins.ts from Espruino ${commit} (the /*JSON{…}*/ declarations of`,
    `// src/ and libs/ jswrap_*.c) and TypeScript ${ts.version}'s lib.esnext: what standard JavaScript has and the interpreter does not.`,
    "// Do not edit: run `npx tsx tools/gate/derive-builtins.ts <Espruino checkout>` again.",
    "",
    "/** Standard globals the interpreter does not declare. */",
    `export const DERIVED_MISSING_GLOBALS: readonly string[] = ${list(derived.globals)};`,
    "",
    "/** Static members of globals it has, that it does not declare, by global. */",
    `export const DERIVED_MISSING_STATICS: Readonly<Record<string, readonly string[]>> = ${record(derived.statics)};`,
    "",
    "/** Instance methods no standard built-in of the interpreter declares, by the standard built-in that has them. */",
    `export const DERIVED_MISSING_METHODS: Readonly<Record<string, readonly string[]>> = ${record(derived.methods)};`,
    "",
    "/** The static members of `E` that every build has. */",
    `export const DERIVED_E_MEMBERS: readonly string[] = ${list(derived.e)};`,
    "",
  ].join("\n");
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const source = process.argv[2];
  if (!source) {
    process.stderr.write("usage: npx tsx tools/gate/derive-builtins.ts <Espruino checkout>\n");
    process.exit(2);
  }
  const commit = execFileSync("git", ["-C", source, "rev-parse", "--short=9", "HEAD"], { encoding: "utf8" }).trim();
  const out = join(import.meta.dirname, "espruino-builtins.generated.ts");
  writeFileSync(out, generated(derive(interpreterEntries(source)), commit));
  process.stdout.write(`wrote ${relative(process.cwd(), out)}\n`);
}
