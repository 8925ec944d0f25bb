/**
 * A rollup plugin: TypeScript → ES2015 with a source map, one file at a time.
 *
 * Usage: `plugins: [typescript("ES2015")]` for the device, `"ES2022"` for the host.
 *
 * Why ES2015 for the device: Espruino runs classes, let/const, arrows and
 * template literals natively; TypeScript lowers `?.`, `??`, `**` and object
 * spread for us at this target. What it keeps that Espruino cannot run
 * (destructuring, default and rest parameters, array spread) is rejected by
 * the dialect gate with the TypeScript file and line, so nothing is lowered
 * through helpers that crash (espruino.md §1). Types are checked by `tsc`
 * in `npm test`, not here.
 */
import ts from "typescript";
import type { Plugin } from "rollup";

/** Transpiled files by target, path and text: a process that builds many bundles (tests, --watch) transpiles each kernel file once. */
const transpiled = new Map<string, { code: string; map: string | undefined }>();
const TRANSPILED_KEPT = 1000;

export function typescript(target: "ES2015" | "ES2022"): Plugin {
  const compilerOptions: ts.CompilerOptions = {
    target: ts.ScriptTarget[target],
    module: ts.ModuleKind.ESNext,
    sourceMap: true,
    inlineSources: true,
    // Class fields become constructor assignments: the smallest shape.
    useDefineForClassFields: false,
    verbatimModuleSyntax: true,
    allowImportingTsExtensions: true,
    // Kept for terser's call annotations (`/*@__NOINLINE__*/`); terser drops every comment from the bundle.
    removeComments: false,
  };
  return {
    name: "exo-typescript",
    transform(code, id) {
      if (!id.endsWith(".ts")) return null;
      const key = target + "\0" + id + "\0" + code;
      const known = transpiled.get(key);
      if (known) return { ...known };
      const out = ts.transpileModule(code, { compilerOptions, fileName: id, reportDiagnostics: true });
      const error = out.diagnostics?.find((d) => d.category === ts.DiagnosticCategory.Error);
      if (error) {
        const where = error.file && error.start !== undefined ? error.file.getLineAndCharacterOfPosition(error.start) : undefined;
        this.error({
          message: ts.flattenDiagnosticMessageText(error.messageText, "\n"),
          loc: where ? { file: id, line: where.line + 1, column: where.character } : undefined,
        });
      }
      const result = { code: out.outputText.replace(/\n\/\/# sourceMappingURL=.*$/, ""), map: out.sourceMapText };
      if (transpiled.size >= TRANSPILED_KEPT) transpiled.delete(transpiled.keys().next().value!);
      transpiled.set(key, result);
      return result;
    },
  };
}
