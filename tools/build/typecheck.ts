/**
 * `exo build` type-checks every app (strict TypeScript, the device's library:
 * ES2022, no DOM, no Node) against capabilities narrowed to its own manifest:
 * for each app, `AppCaps.pins` has exactly the pins the manifest names, so
 * `caps.pins.buton` is a compile error naming the file and line, as are a
 * pin mode or edge that does not exist (firmware/types.ts) and every other
 * type error in the app or the LibOS code it imports.
 *
 * Usage: `const errors = typecheckApps(root, apps)` → "apps/x/main.ts:3:5  TS2339: …" lines, [] when clean.
 *
 * How: one compiler program per app, whose copy of firmware/types.ts reads
 * `pins: { readonly led: PinCap; … }` for that app (the file on disk is not
 * touched); the programs share every other parsed file.
 */
import { readFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import ts from "typescript";
import type { AppGrant } from "./manifests.ts";

const OPTIONS: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  allowImportingTsExtensions: true,
  isolatedModules: true,
  skipLibCheck: true,
  resolveJsonModule: true,
  types: [],
  lib: ["lib.es2022.d.ts"],
};

const PINS = "pins: Record<string, PinCap>;";

/**
 * `root` is the Exo package; `project` the folder the lines' paths are relative to (default root). An
 * app's `import … from "exo/libos/…"` resolves into root, as the build resolves it.
 */
export function typecheckApps(root: string, apps: Pick<AppGrant, "name" | "entry" | "pins">[], project = root): string[] {
  const options: ts.CompilerOptions = { ...OPTIONS, paths: { "exo/*": [resolve(root) + "/*"] } };
  const typesFile = resolve(root, "firmware", "types.ts");
  const typesText = readFileSync(typesFile, "utf8");
  if (!typesText.includes(PINS)) throw new Error(`typecheck: firmware/types.ts no longer declares \`${PINS}\`; update tools/build/typecheck.ts`);
  const base = ts.createCompilerHost(options);
  const cache = new Map<string, ts.SourceFile>();
  const out: string[] = [];
  let old: ts.Program | undefined;
  for (const app of apps) {
    const names = Object.keys(app.pins);
    const narrowed = typesText.replace(PINS, `pins: { ${names.map((n) => `readonly ${JSON.stringify(n)}: PinCap;`).join(" ")} };`);
    const host: ts.CompilerHost = {
      ...base,
      getSourceFile: (file, target) => {
        if (resolve(file) === typesFile) return ts.createSourceFile(file, narrowed, target);
        let sf = cache.get(file);
        if (!sf) {
          sf = base.getSourceFile(file, target);
          if (sf) cache.set(file, sf);
        }
        return sf;
      },
    };
    const program = ts.createProgram({ rootNames: [app.entry], options, host, oldProgram: old });
    old = program;
    for (const d of [...program.getSyntacticDiagnostics(), ...program.getSemanticDiagnostics(), ...program.getGlobalDiagnostics()]) {
      const text = ts.flattenDiagnosticMessageText(d.messageText, "\n  ");
      if (!d.file || d.start === undefined) {
        out.push(`app ${app.name}: TS${d.code}: ${text}`);
        continue;
      }
      const at = d.file.getLineAndCharacterOfPosition(d.start);
      const where = relative(project, d.file.fileName);
      const line = `${where.startsWith("..") ? d.file.fileName : where}:${at.line + 1}:${at.character + 1}  TS${d.code}: ${text}` + (resolve(d.file.fileName) === typesFile ? ` (app ${app.name})` : "");
      if (!out.includes(line)) out.push(line);
    }
  }
  return out;
}
