/**
 * An app's entry point, checked before the build bundles it: main.ts must
 * parse, and export a function named `start` (the kernel calls
 * `start(caps)`; see README, "Writing an app").
 *
 * Usage: `const error = checkAppEntry("/…/apps/x/main.ts", "apps/x/main.ts")`
 *        → undefined when fine, else a UserError (throw it) whose message
 *        names the file (and line:col) and whose hint says what to write.
 *
 * Accepted: `export function start(…) {…}`; `export const start = function…`
 * or `= (…) => …` (also in parentheses or under `as`/`satisfies`);
 * `export { start }` / `export { main as start }` when the local binding is
 * one of those; a binding imported from, or re-exported from, a relative
 * file (`export { start } from "./impl.ts"`, `export * from …`) is followed
 * into that file. Not followed (accepted; the bundler resolves them): a
 * module that is not a relative path, or a file that does not exist.
 *
 * Rejected: a syntax error (the first, with the compiler's message); no
 * `start` at all; only a default export; `start` bound by `let`/`var`, by
 * destructuring, to a non-function value (`export const start = 42`,
 * `= make()`), to a class, enum, namespace or type; a function declared
 * without a body.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative, resolve } from "node:path";
import { createRequire } from "node:module";
import type TS from "typescript";
import { UserError } from "../../hal/user-error.ts";

/** TypeScript, loaded by the first checkAppEntry: it takes ~0.4 s to load, which commands that never read an app (exo sim, exo check) should not pay. */
let ts: typeof TS;

const START = "`export function start(caps: AppCaps) { … }`";
const SHAPE = "`start` must be a function declaration or a const initialised with a function or arrow expression";
const FIX_SHAPE = `write ${START} (or \`export const start = (caps: AppCaps) => { … }\`)`;

interface Source {
  file: string;
  shown: string;
  sf: TS.SourceFile;
}

/** The first syntax error of `sf`, as the compiler reports it, and how many there are. */
function syntaxErrors(sf: TS.SourceFile): readonly TS.Diagnostic[] {
  const options: TS.CompilerOptions = { noLib: true, noResolve: true, types: [], noEmit: true, allowImportingTsExtensions: true };
  const host = ts.createCompilerHost(options);
  host.getSourceFile = (name) => (resolve(name) === sf.fileName ? sf : undefined);
  const program = ts.createProgram({ rootNames: [sf.fileName], options, host });
  return program.getSyntacticDiagnostics(sf);
}

function where(src: Source, pos: number): string {
  const at = src.sf.getLineAndCharacterOfPosition(pos);
  return `${src.shown}:${at.line + 1}:${at.character + 1}`;
}

const at = (src: Source, node: TS.Node): string => where(src, node.getStart(src.sf));

/** Parse `file`, or say why it cannot be used. */
function parse(file: string, shown: string): Source | UserError {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    return new UserError(`${shown} cannot be read: ${(error as Error).message}`, `create it with ${START}`);
  }
  const sf = ts.createSourceFile(resolve(file), text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const src: Source = { file: resolve(file), shown, sf };
  const errors = syntaxErrors(sf);
  if (errors.length) {
    const first = errors[0];
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more syntax error${errors.length > 2 ? "s" : ""})` : "";
    return new UserError(
      `${where(src, first.start ?? 0)} ${ts.flattenDiagnosticMessageText(first.messageText, "\n").replace(/\.$/, "")}${more}`,
      "fix the syntax there (the build compiles it as TypeScript)",
    );
  }
  return src;
}

const hasModifier = (node: TS.Node, kind: TS.SyntaxKind): boolean =>
  ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === kind);

/** Names bound by a binding name (an identifier or a destructuring pattern). */
function boundNames(name: TS.BindingName): string[] {
  if (ts.isIdentifier(name)) return [name.text];
  return name.elements.flatMap((e) => (ts.isOmittedExpression(e) ? [] : boundNames(e.name)));
}

/** What an exported name leads to. */
type Target =
  | { kind: "node"; node: TS.Node } // a declaration in this file
  | { kind: "module"; module: string; name: string; node: TS.Node } // re-exported from another module
  | { kind: "missing"; local: string; node: TS.Node }; // `export { x }` with no x declared here

/** The top-level declaration of `name` in this file (a function with a body preferred), if any. */
function local(sf: TS.SourceFile, name: string): TS.Node | undefined {
  let found: TS.Node | undefined;
  const take = (node: TS.Node) => {
    if (!found || (ts.isFunctionDeclaration(found) && !found.body)) found = node;
  };
  for (const s of sf.statements) {
    if (ts.isFunctionDeclaration(s) && s.name?.text === name) take(s);
    else if ((ts.isClassDeclaration(s) || ts.isEnumDeclaration(s)) && s.name?.text === name) take(s);
    else if (ts.isModuleDeclaration(s) && ts.isIdentifier(s.name) && s.name.text === name) take(s);
    else if (ts.isVariableStatement(s)) {
      for (const d of s.declarationList.declarations) if (boundNames(d.name).includes(name)) take(d);
    } else if (ts.isImportDeclaration(s) && s.importClause && !s.importClause.isTypeOnly) {
      const clause = s.importClause;
      if (clause.name?.text === name) take(clause);
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings) && bindings.name.text === name) take(bindings);
      if (bindings && ts.isNamedImports(bindings)) for (const e of bindings.elements) if (e.name.text === name && !e.isTypeOnly) take(e);
    }
  }
  return found;
}

/** The value exports of a file: exported name → what it is, and its `export *` modules. */
function exportsOf(sf: TS.SourceFile): { names: Map<string, Target>; stars: { module: string; node: TS.Node }[] } {
  const names = new Map<string, Target>();
  const stars: { module: string; node: TS.Node }[] = [];
  const set = (name: string, target: Target) => {
    const had = names.get(name);
    // Overloads: keep the declaration with a body.
    if (!had || (had.kind === "node" && ts.isFunctionDeclaration(had.node) && !had.node.body)) names.set(name, target);
  };
  for (const s of sf.statements) {
    if (ts.isExportAssignment(s)) {
      set("default", { kind: "node", node: s });
      continue;
    }
    if (ts.isExportDeclaration(s)) {
      if (s.isTypeOnly) continue;
      const module = s.moduleSpecifier && ts.isStringLiteral(s.moduleSpecifier) ? s.moduleSpecifier.text : undefined;
      if (!s.exportClause) {
        if (module !== undefined) stars.push({ module, node: s });
      } else if (ts.isNamespaceExport(s.exportClause)) {
        set(s.exportClause.name.text, { kind: "node", node: s.exportClause });
      } else {
        for (const e of s.exportClause.elements) {
          if (e.isTypeOnly) continue;
          const from = (e.propertyName ?? e.name).text;
          if (module !== undefined) set(e.name.text, { kind: "module", module, name: from, node: e });
          else {
            const node = local(sf, from);
            set(e.name.text, node ? { kind: "node", node } : { kind: "missing", local: from, node: e });
          }
        }
      }
      continue;
    }
    if (!hasModifier(s, ts.SyntaxKind.ExportKeyword)) continue;
    if (ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s)) {
      set(s.name.text, { kind: "node", node: s });
      continue;
    }
    const isDefault = hasModifier(s, ts.SyntaxKind.DefaultKeyword);
    if (ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s)) {
      if (isDefault) set("default", { kind: "node", node: s });
      else if (s.name) set(s.name.text, { kind: "node", node: s });
    } else if (ts.isEnumDeclaration(s)) {
      set(s.name.text, { kind: "node", node: s });
    } else if (ts.isModuleDeclaration(s) && ts.isIdentifier(s.name)) {
      set(s.name.text, { kind: "node", node: s });
    } else if (ts.isVariableStatement(s)) {
      for (const d of s.declarationList.declarations) for (const n of boundNames(d.name)) set(n, { kind: "node", node: d });
    }
  }
  return { names, stars };
}

/** `(f)`, `f as T`, `f satisfies T`, `<T>f`, `f!` → f. */
function unwrap(e: TS.Expression): TS.Expression {
  for (;;) {
    if (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e) || ts.isTypeAssertionExpression(e) || ts.isNonNullExpression(e)) e = e.expression;
    else return e;
  }
}

const isFunction = (e: TS.Expression | undefined): boolean => !!e && (ts.isFunctionExpression(unwrap(e)) || ts.isArrowFunction(unwrap(e)));

function snippet(src: Source, node: TS.Node): string {
  const text = node.getText(src.sf).replace(/\s+/g, " ");
  return text.length > 40 ? text.slice(0, 37) + "…" : text;
}

/** A relative module specifier as a file, or undefined when it cannot be followed. */
function follow(src: Source, module: string): Source | UserError | undefined {
  if (!module.startsWith("./") && !module.startsWith("../")) return undefined;
  const file = resolve(dirname(src.file), module);
  if (!existsSync(file) || !file.endsWith(".ts")) return undefined;
  return parse(file, normalize(join(dirname(src.shown), relative(dirname(src.file), file))));
}

/**
 * Check that `name` (as `shown` asks for it) is exported by `src` as a function.
 * Returns an error, "absent" when the file does not export it, or undefined when fine.
 */
function checkExport(src: Source, name: string, seen: Set<string>): UserError | "absent" | undefined {
  const key = src.file + "#" + name;
  if (seen.has(key)) return undefined; // a cycle: the bundler reports it
  seen.add(key);
  const { names, stars } = exportsOf(src.sf);
  const target = names.get(name);
  if (!target) {
    if (name === "default") return "absent";
    for (const star of stars) {
      const other = follow(src, star.module);
      if (other === undefined) return undefined; // an `export *` we cannot follow may supply it
      if (other instanceof UserError) return other;
      const found = checkExport(other, name, seen);
      if (found !== "absent") return found;
    }
    return "absent";
  }
  if (target.kind === "missing") {
    return new UserError(`${at(src, target.node)} exports \`${target.local}\` as \`${name}\`, and the file declares no \`${target.local}\``, FIX_SHAPE);
  }
  if (target.kind === "module") return viaModule(src, target.module, target.name, seen);
  return checkNode(src, name, target.node, seen);
}

function viaModule(src: Source, module: string, name: string, seen: Set<string>): UserError | undefined {
  const other = follow(src, module);
  if (other === undefined) return undefined;
  if (other instanceof UserError) return other;
  const found = checkExport(other, name, seen);
  if (found === "absent") return new UserError(`${other.shown} exports no \`${name}\` (${src.shown} takes \`${name}\` from it)`, `export a function \`${name}\` there, or ${FIX_SHAPE}`);
  return found;
}

/** Is `node` (the binding behind an exported `name`) a function? */
function checkNode(src: Source, name: string, node: TS.Node, seen: Set<string>): UserError | undefined {
  const said = name === "default" ? "the default export" : `\`${name}\``;
  if (ts.isFunctionDeclaration(node)) {
    if (node.body) return undefined;
    return new UserError(`${at(src, node)} ${said} is a function declared without a body`, FIX_SHAPE);
  }
  if (ts.isExportAssignment(node)) {
    const e = unwrap(node.expression);
    if (isFunction(e)) return undefined;
    if (ts.isIdentifier(e)) {
      const decl = local(src.sf, e.text);
      if (decl) return checkNode(src, name, decl, seen);
    }
    return new UserError(`${at(src, node)} ${said} is \`${snippet(src, node.expression)}\`, not a function`, FIX_SHAPE);
  }
  if (ts.isVariableDeclaration(node)) {
    const list = node.parent as TS.VariableDeclarationList;
    const keyword = list.flags & ts.NodeFlags.Const ? "const" : list.flags & ts.NodeFlags.Let ? "let" : "var";
    if (!ts.isIdentifier(node.name)) {
      return new UserError(`${at(src, node)} ${said} comes out of a destructuring pattern: ${SHAPE}`, FIX_SHAPE);
    }
    if (keyword !== "const") {
      return new UserError(`${at(src, node)} ${said} is declared with \`${keyword}\`, so it could be reassigned: ${SHAPE}`, FIX_SHAPE);
    }
    if (!node.initializer) return new UserError(`${at(src, node)} ${said} is declared without a value: ${SHAPE}`, FIX_SHAPE);
    if (isFunction(node.initializer)) return undefined;
    return new UserError(`${at(src, node)} ${said} is \`${snippet(src, node.initializer)}\`, not a function: ${SHAPE}`, FIX_SHAPE);
  }
  if (ts.isImportSpecifier(node)) {
    const decl = node.parent.parent.parent;
    return viaModule(src, (decl.moduleSpecifier as TS.StringLiteral).text, (node.propertyName ?? node.name).text, seen);
  }
  if (ts.isImportClause(node)) {
    return viaModule(src, (node.parent.moduleSpecifier as TS.StringLiteral).text, "default", seen);
  }
  const what = ts.isClassDeclaration(node)
    ? "a class"
    : ts.isEnumDeclaration(node)
      ? "an enum"
      : ts.isModuleDeclaration(node) || ts.isNamespaceImport(node) || ts.isNamespaceExport(node)
        ? "a namespace"
        : ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)
          ? "only a type"
          : "not a function";
  return new UserError(`${at(src, node)} ${said} is ${what}: ${SHAPE}`, FIX_SHAPE);
}

/**
 * Check an app's main.ts: it parses, and exports a function `start`.
 * `shown` is the path to print (relative to the project root).
 */
export function checkAppEntry(file: string, shown: string): UserError | undefined {
  ts ??= createRequire(import.meta.url)("typescript") as typeof TS;
  const src = parse(file, shown);
  if (src instanceof UserError) return src;
  const found = checkExport(src, "start", new Set());
  if (found !== "absent") return found;
  const { names } = exportsOf(src.sf);
  const fallback = names.get("default");
  if (fallback) {
    return new UserError(
      `${at(src, fallback.node)} exports a default and no \`start\`: the kernel calls the named export \`start\``,
      `export a named \`start\` instead of \`export default\`: ${START}`,
    );
  }
  const others = [...names.keys()];
  const similar = others.find((n) => n.toLowerCase() === "start");
  return new UserError(
    `${shown} exports no \`start\`` + (others.length ? ` (it exports ${others.map((n) => "`" + n + "`").join(", ")})` : ""),
    (similar ? `rename \`${similar}\` to \`start\` (names are case-sensitive), or ` : "") + `add ${START}`,
  );
}
