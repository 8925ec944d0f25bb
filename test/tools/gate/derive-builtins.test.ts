/**
 * The gate's tables of what the interpreter lacks are derived, not kept by
 * hand: read from the /*JSON{…}*\/ declarations of Espruino's wrappers and
 * TypeScript's standard library (tools/gate/derive-builtins.ts).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { derive, generated, interpreterEntries } from "../../../tools/gate/derive-builtins.ts";

const json = (o: object, description = "") => `/*JSON${JSON.stringify(o, null, 2)}\n${description}*/\n`;

describe("derived built-in tables", () => {
  it("reads declarations as upstream's scripts do, and subtracts them from the standard library", () => {
    const src = mkdtempSync(join(tmpdir(), "exo-espruino-"));
    mkdirSync(join(src, "src"));
    mkdirSync(join(src, "libs", "board"), { recursive: true });
    writeFileSync(join(src, "src", "jswrap_array.c"), [
      json({ type: "class", class: "Array" }, "The array class {with braces} in its text"),
      json({ type: "method", class: "Array", name: "map", params: [["f", "JsVar", "a function"]] }),
      json({ type: "staticmethod", class: "Array", name: "isArray" }),
      json({ type: "class", class: "E" }),
      json({ type: "staticmethod", class: "E", name: "CRC32" }),
      json({ type: "staticmethod", class: "E", name: "getBattery", "#if": "defined(PUCKJS)" }),
      "int not_json = 1; /* a plain comment */",
    ].join("\n"));
    // A hardware class's method does not hide a standard one (a OneWire's search is not a string's).
    writeFileSync(join(src, "libs", "board", "jswrap_onewire.c"), json({ type: "class", class: "OneWire" }) + json({ type: "method", class: "OneWire", name: "search" }));
    const entries = interpreterEntries(src);
    expect(entries.map((e) => `${e.type} ${e.class}.${e.name ?? ""}`)).toContain("method Array.map");
    const d = derive(entries);
    expect(d.globals).toContain("Map");
    expect(d.globals).not.toContain("Array");
    expect(d.statics.Array).toContain("from");
    expect(d.statics.Array).not.toContain("isArray");
    expect(d.methods["Array and typed arrays"]).toContain("at");
    expect(d.methods["Array and typed arrays"]).not.toContain("map");
    expect(d.methods.String).toContain("search");
    expect(d.e).toEqual(["CRC32"]);
  });

  const source = process.env.ESPRUINO_SRC;
  it.skipIf(!source)("the committed tables are what the Espruino checkout at ESPRUINO_SRC gives", () => {
    const commit = execFileSync("git", ["-C", source!, "rev-parse", "--short=9", "HEAD"], { encoding: "utf8" }).trim();
    const committed = readFileSync(join(import.meta.dirname, "..", "..", "..", "tools", "gate", "espruino-builtins.generated.ts"), "utf8");
    expect(generated(derive(interpreterEntries(source!)), commit)).toBe(committed);
  });
  if (!source) console.log("derive-builtins.test.ts: set ESPRUINO_SRC to an Espruino checkout to check the committed tables are current");
});
