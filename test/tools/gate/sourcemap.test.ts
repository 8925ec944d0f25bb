// Violations come out at the original TypeScript file and line, through the
// bundle's source map; without one, at the bundle's own position.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { rollup, type Plugin } from "rollup";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { checkBundle, checkFile } from "../../../tools/gate/check.ts";
import { deviceMinifier } from "../../../tools/build/device.ts";

/** TypeScript → ES2015 with a map, as the device build does. */
function transpile(): Plugin {
  return {
    name: "transpile",
    transform(code, id) {
      if (!id.endsWith(".ts")) return null;
      const out = ts.transpileModule(code, {
        fileName: id,
        compilerOptions: { target: ts.ScriptTarget.ES2015, module: ts.ModuleKind.ESNext, sourceMap: true },
      });
      return { code: out.outputText.replace(/\n\/\/# sourceMappingURL=.*$/, ""), map: out.sourceMapText };
    },
  };
}

describe("source maps", () => {
  it("reports the TypeScript file and line of a real rollup + terser build", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "gate-map-"));
    fs.mkdirSync(path.join(root, "firmware"));
    fs.writeFileSync(path.join(root, "firmware", "util.ts"), [
      "export function sum(values: number[]): number {",
      "  let total = 0;",
      "  for (const v of values) total += v;",
      "  return total;",
      "}",
      "export function pair(o: { a: number; b: number }): number {",
      "  const { a, b } = o; // line 7: destructuring",
      "  return a + b;",
      "}",
      "",
    ].join("\n"));
    fs.writeFileSync(path.join(root, "firmware", "boot.ts"), [
      'import { pair, sum } from "./util.ts";',
      "",
      "class Clock {",
      "  ticks = 0;",
      "  tick(): number { return ++this.ticks; }",
      "}",
      "const clock = new Clock();",
      "const frozen = Object.freeze({ n: 1 }); // line 8, column 16",
      "console.log(sum([1, 2]), pair({ a: 1, b: 2 }), clock.tick(), frozen.n);",
      "const early = triangle(clock.tick()); // line 10: used before its declaration",
      "function triangle(n: number): number {",
      "  let s = 0;",
      "  for (let i = 0; i < n; i++) s += i * n;",
      "  return s;",
      "}",
      "console.log(early, triangle(clock.tick()));",
      "",
    ].join("\n"));

    const bundle = await rollup({
      input: path.join(root, "firmware", "boot.ts"),
      plugins: [transpile(), deviceMinifier()],
    });
    const out = path.join(root, "dist", "firmware.js");
    await bundle.write({ file: out, format: "iife", sourcemap: true });
    await bundle.close();

    const map = JSON.parse(fs.readFileSync(out + ".map", "utf8")) as { sources: string[] };
    expect(map.sources).toContain("../firmware/boot.ts");
    expect(fs.readFileSync(out, "utf8")).not.toContain("triangle"); // minified: top-level names mangled

    const found = checkFile(out).map((v) => ({ ...v, file: path.relative(root, path.resolve(v.file)) }));
    expect(found).toContainEqual(expect.objectContaining({ rule: "destructuring", file: "firmware/util.ts", line: 7 }));
    expect(found).toContainEqual(expect.objectContaining({
      rule: "object-freeze-seal-is", construct: "Object.freeze", file: "firmware/boot.ts", line: 8, column: 16,
    }));
    const hoisting = found.find((v) => v.rule === "hoisting");
    expect(hoisting).toMatchObject({ file: "firmware/boot.ts", line: 10 });
    expect(hoisting!.hint).toContain("'triangle'"); // the original name, not the mangled one
    expect(found).toHaveLength(3);
  });

  it("resolves sources relative to the map file, and paths under the working directory relative to it", () => {
    // "var {a} = o;" at bundle 1:5 comes from firmware/boot.ts 12:3 (0-based 11:2).
    const map = { version: 3, file: "firmware.js", sources: ["../firmware/boot.ts"], names: [], mappings: "IAWE" };
    const [v] = checkBundle("var {a} = o;", { file: "dist/firmware.js", map });
    expect(v).toMatchObject({ rule: "destructuring", file: "firmware/boot.ts", line: 12, column: 3 });
    const [w] = checkBundle("var {a} = o;", { file: path.resolve("dist/firmware.js"), map: JSON.stringify(map) });
    expect(w).toMatchObject({ file: "firmware/boot.ts", line: 12 });
  });

  it("reads an inline data: URL map", () => {
    const map = { version: 3, sources: ["../libos/fs/log.ts"], names: [], mappings: "IAAA" };
    const code = "var {a} = o;\n//# sourceMappingURL=data:application/json;base64," +
      Buffer.from(JSON.stringify(map)).toString("base64");
    const [v] = checkBundle(code, { file: "dist/firmware.js" });
    expect(v).toMatchObject({ file: "libos/fs/log.ts", line: 1, column: 1 });
  });

  it("falls back to the bundle's position without a map, or where the map has no mapping", () => {
    expect(checkBundle("var x = 1;\nvar {a} = o;", { file: "dist/firmware.js" })[0])
      .toMatchObject({ file: "dist/firmware.js", line: 2, column: 5 });
    const empty = { version: 3, sources: [], names: [], mappings: "" };
    expect(checkBundle("var {a} = o;", { file: "dist/firmware.js", map: empty })[0])
      .toMatchObject({ file: "dist/firmware.js", line: 1, column: 5 });
    expect(checkBundle("var {a} = o;", { map: "not json" })[0]).toMatchObject({ file: "bundle.js", line: 1, column: 5 });
  });

  it("maps a syntax error too", () => {
    const map = { version: 3, sources: ["../apps/blinky/main.ts"], names: [], mappings: "AAIA" };
    expect(checkBundle("var a = {;", { file: "dist/firmware.js", map })[0])
      .toMatchObject({ rule: "syntax", file: "apps/blinky/main.ts", line: 5 });
  });
});
