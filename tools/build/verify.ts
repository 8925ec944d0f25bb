/**
 * Static verification of app and LibOS code: the exokernel's "verify
 * downloaded code", done at build time. App code reaches hardware only
 * through the capabilities it is handed, so it may name the plain language
 * built-ins and what it imports, and nothing else.
 *
 * Usage: `const problems = verifyApps([{ name: "blinky", entry: "/…/apps/blinky/main.ts" }], root)`
 *        → [] when clean; `buildDevice` throws a UserError listing them.
 *
 * What is rejected (each with file, line and name):
 *  - a global not on the allow-list (ALLOWED): hardware (digitalWrite,
 *    pinMode, setWatch, peek32, poke32, E, Pin, SPI, Serial1, D5, LED1),
 *    timers (setTimeout…: they would escape the quota), load, reset, save,
 *    require, global, globalThis, eval, Function, console, process, …;
 *  - an import of hal/ or firmware/ (only `import type` from
 *    firmware/types.ts is allowed) or of anything not a relative .ts file;
 *  - `.constructor` and `.__proto__` (the way from any function to the
 *    Function constructor), and `this` outside class members and object
 *    methods (a plain function's `this` is the global object on Espruino).
 *
 * Not caught (say so, do not pretend): computed member access with a key
 * built at run time (`o[k]` with k = "constructor"), and a method taken off
 * an object literal and called plainly (its `this` is then the global
 * object). The kernel's capabilities do not rely on this check for their
 * integrity: forging one is impossible regardless; the check keeps apps off
 * the hardware the kernel does not hand out.
 *
 * How: one TypeScript program over the apps' files and every file they
 * import (relative imports, followed transitively); the type checker resolves
 * each identifier, and one that resolves to nothing in those files is a global.
 */
import { existsSync } from "node:fs";
import { dirname, relative, resolve, sep } from "node:path";
import ts from "typescript";

/** The globals app and LibOS code may name: the plain language, nothing that touches the device. */
export const ALLOWED: ReadonlySet<string> = new Set([
  "undefined", "NaN", "Infinity", "arguments",
  "Object", "Array", "String", "Number", "Boolean", "Math", "JSON", "Date", "RegExp", "Promise",
  "Error", "TypeError", "SyntaxError", "ReferenceError",
  "ArrayBuffer", "DataView", "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array",
  "Int32Array", "Uint32Array", "Float32Array", "Float64Array",
  "parseInt", "parseFloat", "isNaN", "isFinite", "encodeURIComponent", "decodeURIComponent",
]);

const OPTIONS: ts.CompilerOptions = {
  noResolve: true, lib: ["lib.es2015.d.ts"], types: [], target: ts.ScriptTarget.ES2015, allowImportingTsExtensions: true, noEmit: true,
};
const libs = new Map<string, ts.SourceFile | undefined>();

/** Member names that lead from any value to the Function constructor or the prototype chain. */
const FORBIDDEN_MEMBERS = new Set(["constructor", "__proto__"]);

export interface VerifyProblem {
  app: string;
  file: string;
  line: number;
  column: number;
  /** The name (or import) that was rejected. */
  name: string;
  why: string;
}

export interface VerifyTarget {
  name: string;
  entry: string;
}

/** "apps/hostile/main.ts:3:5 app hostile names digitalWrite: a hardware global …" */
export const formatProblem = (p: VerifyProblem): string => `${p.file}:${p.line}:${p.column}  app ${p.app} names ${p.name}: ${p.why}`;

/** Verify each app's entry and everything it imports; returns every problem found. */
export function verifyApps(targets: VerifyTarget[], root: string): VerifyProblem[] {
  const firmware = resolve(root, "firmware") + sep;
  const hal = resolve(root, "hal") + sep;
  const typesFile = resolve(root, "firmware", "types.ts");
  const problems: VerifyProblem[] = [];
  const shown = (file: string) => relative(root, file).split(sep).join("/");

  // Files of each app: its entry and its relative imports, transitively (hal/ and firmware/ are not followed).
  const owner = new Map<string, string>();
  const queue: { app: string; file: string }[] = targets.map((t) => ({ app: t.name, file: resolve(t.entry) }));
  const sources = new Map<string, ts.SourceFile>();
  const program = () => {
    const host = ts.createCompilerHost(OPTIONS, true);
    const plain = host.getSourceFile;
    // The lib files are the same on every build: parse them once per process.
    host.getSourceFile = (name, version, onError) => {
      if (!owner.has(resolve(name))) {
        let lib = libs.get(name);
        if (!lib) libs.set(name, (lib = plain(name, version, onError)));
        return lib;
      }
      return plain(name, version, onError);
    };
    return ts.createProgram({ rootNames: [...owner.keys()], options: OPTIONS, host });
  };
  const report = (app: string, source: ts.SourceFile, node: ts.Node, name: string, why: string) => {
    const at = source.getLineAndCharacterOfPosition(node.getStart(source));
    problems.push({ app, file: shown(source.fileName), line: at.line + 1, column: at.character + 1, name, why });
  };

  while (queue.length) {
    const { app, file } = queue.shift()!;
    if (owner.has(file)) continue;
    owner.set(file, app);
    const text = ts.sys.readFile(file) ?? "";
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2015, true);
    sources.set(file, source);
    const follow = (node: ts.Node, spec: string, typeOnly: boolean) => {
      if (!spec.startsWith(".")) {
        report(app, source, node, JSON.stringify(spec), "apps import only their own files and LibOS modules (relative .ts paths); hardware comes as capabilities");
        return;
      }
      const target = resolve(dirname(file), spec);
      if (target === typesFile && typeOnly) return;
      if (target.startsWith(firmware) || target.startsWith(hal)) {
        report(app, source, node, JSON.stringify(spec), "apps and LibOS may not import kernel or hal code (only `import type` from firmware/types.ts)");
        return;
      }
      if (existsSync(target)) queue.push({ app, file: target });
    };
    for (const statement of source.statements) {
      if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
        const clause = statement.importClause;
        const typeOnly = !!clause && (clause.isTypeOnly || (!clause.name && !!clause.namedBindings && ts.isNamedImports(clause.namedBindings) &&
          clause.namedBindings.elements.every((e) => e.isTypeOnly)));
        follow(statement.moduleSpecifier, statement.moduleSpecifier.text, typeOnly);
      } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier)) {
        follow(statement.moduleSpecifier, statement.moduleSpecifier.text, statement.isTypeOnly);
      }
    }
  }
  if (!owner.size) return problems;

  const built = program();
  const checker = built.getTypeChecker();
  // A `declare` in app code makes a name type-check, not exist: it counts as a global.
  const ours = (decl: ts.Declaration) => owner.has(resolve(decl.getSourceFile().fileName)) && !ambient(decl);
  for (const [file, app] of owner) {
    const source = built.getSourceFile(file) ?? sources.get(file)!;
    const visit = (node: ts.Node): void => {
      const extendsClause = ts.isExpressionWithTypeArguments(node) && ts.isHeritageClause(node.parent) && node.parent.token === ts.SyntaxKind.ExtendsKeyword &&
        ts.isClassLike(node.parent.parent);
      if (declared(node)) return; // `declare …`: types only, nothing at run time
      if ((ts.isTypeNode(node) && !extendsClause) || ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node) || ts.isImportDeclaration(node) ||
        ts.isExportDeclaration(node)) return;
      if (node.kind === ts.SyntaxKind.ThisKeyword) {
        const f = ts.findAncestor(node.parent, (n) => (ts.isFunctionLike(n) && !ts.isArrowFunction(n)) || ts.isClassLike(n) || ts.isSourceFile(n));
        if (!f || ts.isSourceFile(f) || ts.isFunctionDeclaration(f) || ts.isFunctionExpression(f)) {
          report(app, source, node, "this", "a plain function's `this` is the global object on Espruino: use a class or pass the object");
        }
      }
      if ((ts.isPropertyAccessExpression(node) && FORBIDDEN_MEMBERS.has(node.name.text)) ||
        (ts.isElementAccessExpression(node) && ts.isStringLiteralLike(node.argumentExpression) && FORBIDDEN_MEMBERS.has(node.argumentExpression.text))) {
        report(app, source, node, ts.isPropertyAccessExpression(node) ? "." + node.name.text : `[${node.argumentExpression.getText(source)}]`,
          "leads to the Function constructor (ambient authority)");
      }
      if (ts.isIdentifier(node) && isReference(node)) {
        const symbol = ts.isShorthandPropertyAssignment(node.parent) ? checker.getShorthandAssignmentValueSymbol(node.parent) : checker.getSymbolAtLocation(node);
        const local = symbol?.declarations?.some(ours);
        if (!local && !ALLOWED.has(node.text)) {
          report(app, source, node, node.text, "not a plain language built-in: hardware, timers and the console reach apps only as capabilities (caps.pins, caps.timer, caps.services)");
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return problems;
}

/** A node with a `declare` modifier of its own. */
const declared = (node: ts.Node): boolean =>
  ts.canHaveModifiers(node) && !!ts.getModifiers(node)?.some((m) => m.kind === ts.SyntaxKind.DeclareKeyword);

/** A declaration inside a `declare` (or a .d.ts): it makes a name type-check, not exist. */
const ambient = (node: ts.Node): boolean => node.getSourceFile().isDeclarationFile || !!ts.findAncestor(node, declared);

/** An identifier that reads or writes a binding (not a property name, label or declaration's own name). */
function isReference(id: ts.Identifier): boolean {
  const p = id.parent;
  if (ts.isPropertyAccessExpression(p) && p.name === id) return false;
  if (ts.isQualifiedName(p) && p.right === id) return false;
  if ((ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p) || ts.isMethodDeclaration(p) || ts.isGetAccessor(p) || ts.isSetAccessor(p) ||
    ts.isPropertySignature(p) || ts.isMethodSignature(p) || ts.isEnumMember(p)) && p.name === id) return false;
  if ((ts.isLabeledStatement(p) || ts.isBreakOrContinueStatement(p)) && p.label === id) return false;
  if (ts.isBindingElement(p) && p.propertyName === id) return false;
  if (ts.isImportSpecifier(p) || ts.isExportSpecifier(p)) return false;
  if (ts.isMetaProperty(p)) return false;
  return true;
}
