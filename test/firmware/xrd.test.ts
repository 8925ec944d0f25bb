/**
 * The capability contracts (doc/xrd) say what the code does: every example
 * type-checks as an app against firmware/types.ts, the error-code table is
 * firmware/errors.ts's, and each contract says why it is shaped as it is.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import * as errors from "../../firmware/errors.ts";

const root = join(import.meta.dirname, "..", "..");
const dir = join(root, "doc", "xrd");
const xrds = readdirSync(dir).filter((f) => f.endsWith(".md"));
const text = (file: string) => readFileSync(join(dir, file), "utf8");

/** The ```ts blocks of a markdown text. */
const examples = (md: string): string[] => [...md.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);

/** Type errors of `code` checked as apps/<name>/main.ts (strict, the app's lib), as file:line message. */
function typeErrors(name: string, code: string): string[] {
  const file = join(root, "apps", `xrd-example-${name}`, "main.ts");
  const source = code.includes("firmware/types.ts") ? code : 'import type { AppCaps } from "../../firmware/types.ts";\n' + code;
  const options: ts.CompilerOptions = { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, allowImportingTsExtensions: true, lib: ["lib.es2022.d.ts"], types: [] };
  const host = ts.createCompilerHost(options);
  const read = host.readFile.bind(host);
  host.readFile = (f) => (f === file ? source : read(f));
  host.fileExists = ((exists) => (f: string) => f === file || exists(f))(host.fileExists.bind(host));
  const getSource = host.getSourceFile.bind(host);
  host.getSourceFile = (f, v) => (f === file ? ts.createSourceFile(f, source, v) : getSource(f, v));
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
    return `line ${at}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`;
  });
}

describe("doc/xrd", () => {
  it("has contracts to check", () => {
    expect(xrds.length).toBeGreaterThanOrEqual(6);
    expect(xrds.flatMap((f) => examples(text(f))).length).toBeGreaterThan(0);
  });

  for (const file of xrds) {
    for (const [i, code] of examples(text(file)).entries()) {
      it(`${file}: example ${i + 1} type-checks as an app`, () => {
        expect(typeErrors(`${file.replace(/\.md$/, "")}-${i}`, code)).toEqual([]);
      });
    }
  }

  it("an example with a mistake does not pass (the check can fail)", () => {
    expect(typeErrors("broken", "export function start(caps: AppCaps) {\n  caps.pins.led.mode(\"outptu\");\n  on ^= 1;\n}\n").join("\n")).toMatch(/"outptu".*\n.*Cannot find name 'on'/);
  });

  it("lists the error codes of firmware/errors.ts, all of them, with their values", () => {
    const listed = /closed set in `firmware\/errors.ts`:\n([\s\S]*?)\n\n|closed set in `firmware\/errors.ts`:\n([\s\S]*)$/.exec(text("xrd1-xrds.md"));
    expect(listed, "xrd1-xrds.md lists the codes after 'closed set in `firmware/errors.ts`:'").not.toBeNull();
    const pairs = [...(listed![1] ?? listed![2]).matchAll(/([A-Z]+) (-?\d+)/g)].map((m) => [m[1], Number(m[2])]);
    const actual = Object.entries(errors).filter(([k, v]) => /^[A-Z]+$/.test(k) && typeof v === "number");
    expect(Object.fromEntries(pairs)).toEqual(Object.fromEntries(actual));
  });

  it("says why, in each resource's contract", () => {
    for (const file of xrds.filter((f) => /^xrd1\d\d-/.test(f))) expect(text(file), file).toMatch(/^## Why\n\n\S/m);
  });
});
