// The interpreter is the judge: run every corpus snippet on a real Espruino
// binary (ESPRUINO_BIN). A working snippet must print OK; a failing one must
// not (an error, or a wrong result). Also re-measures the tables in
// tools/gate/espruino-builtins.ts. Skipped when ESPRUINO_BIN is unset.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  BUILTIN_CONSTRUCTORS, ESPRUINO_KEYWORDS, E_MEMBERS, MISSING_GLOBALS, MISSING_METHODS, MISSING_STATICS,
  MISSING_TYPED_ARRAY_STATICS, TYPED_ARRAYS,
} from "../../../tools/gate/espruino-builtins.ts";
import { loadCorpus, printedOK } from "./corpus.ts";

// hal/espruino/globals.d.ts types `process` as the device's for the whole project.
const env = (globalThis as unknown as { process: NodeJS.Process }).process.env;
const bin = env.ESPRUINO_BIN && isExecutable(env.ESPRUINO_BIN) ? env.ESPRUINO_BIN : undefined;
if (!bin) {
  console.log("test/tools/gate/interpreter.test.ts: skipped; set ESPRUINO_BIN to an Espruino binary (e.g. /work/espruino-bin/espruino) to run the corpus on the interpreter");
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

const TIMEOUT_MS = 10_000;

/** Run a script on the interpreter in a fresh temp dir (it keeps espruino.flash in the cwd); stdout. */
function runEspruino(code: string): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gate-espruino-"));
  const file = path.join(dir, "snippet.js");
  fs.writeFileSync(file, code);
  return new Promise((resolve) => {
    const child = execFile(bin!, [file], { cwd: dir, timeout: TIMEOUT_MS, encoding: "utf8" }, (_err, stdout, stderr) => {
      fs.rmSync(dir, { recursive: true, force: true });
      resolve(String(stdout) + String(stderr)); // an error exit is an answer too
    });
    child.stdin?.end(); // stdin at EOF, as with </dev/null
  });
}

describe.skipIf(!bin)("on the Espruino interpreter (ESPRUINO_BIN)", () => {
  describe("corpus", () => {
    for (const s of loadCorpus()) {
      it.concurrent(`${s.kind}/${s.name} ${s.kind === "works" ? "prints OK" : "does not print OK"}`, async () => {
        const out = await runEspruino(s.code);
        expect(printedOK(out), out).toBe(s.kind === "works");
      });
    }
  });

  describe("measured tables", () => {
    it("every missing global and static reads as undefined", async () => {
      const names = [
        ...MISSING_GLOBALS,
        ...Object.entries(MISSING_STATICS).flatMap(([owner, members]) => members.map((m) => `${owner}.${m}`)),
        ...TYPED_ARRAYS.flatMap((t) => [...MISSING_TYPED_ARRAY_STATICS, "from", "of"].map((m) => `${t}.${m}`)),
      ];
      const code = `var r = [];\n${names.map((n) => `r.push(${JSON.stringify(n)} + ":" + typeof ${n});`).join("\n")}\nprint(r.join(" "));`;
      const out = await runEspruino(code);
      const present = names.filter((n) => !out.includes(`${n}:undefined`));
      expect(present).toEqual([]);
    });

    it("every missing instance method is missing on each built-in that has it in Node, and E's members are E's", async () => {
      // A sample value per owner; reading a missing member of a string throws there, so each read is in a try.
      const samples: Record<string, string[]> = {
        "Array and typed arrays": ["[]", "new Uint8Array(1)"], String: ['"s"'], Number: ["(1)"], Date: ["new Date()"],
        Object: ["({})"], DataView: ["new DataView(new ArrayBuffer(8))"], RegExp: ["/a/"], Function: ["(function () {})"],
        Promise: ["Promise.resolve(1)"], Error: ["new Error()"], ArrayBuffer: ["new ArrayBuffer(8)"], Boolean: ["true"],
      };
      expect(Object.keys(MISSING_METHODS).filter((owner) => !samples[owner])).toEqual([]);
      const checks = Object.entries(MISSING_METHODS).flatMap(([owner, names]) =>
        samples[owner]!.flatMap((v) => names.map((m) => `${v}.${m}`)));
      const code = `var r = [];\n${checks.map((c) => `try { r.push(${JSON.stringify(c)} + ":" + typeof ${c}); } catch (e) { r.push(${JSON.stringify(c)} + ":throws"); }`).join("\n")}\n` +
        `print(r.join(" ")); print("E " + Object.getOwnPropertyNames(E).join(","));`;
      const out = await runEspruino(code);
      expect(checks.filter((c) => !out.includes(`${c}:undefined`) && !out.includes(`${c}:throws`))).toEqual([]);
      const listed = /E (.*)/.exec(out)![1]!.trim().split(",");
      expect(E_MEMBERS.filter((m) => !listed.includes(m))).toEqual([]);
    });

    // eval inside try/catch: a SyntaxError there is catchable, so one run checks many forms.
    const probe = (cases: Record<string, string>): string =>
      `var r = [];\n${Object.entries(cases).map(([k, c]) =>
        `try { eval(${JSON.stringify(c)}); r.push(${JSON.stringify(k + ":works")}); } catch (e) { r.push(${JSON.stringify(k + ":fails")}); }`,
      ).join("\n")}\nprint(r.join(" "));`;

    it("no built-in constructor can be extended", async () => {
      const cases = Object.fromEntries(BUILTIN_CONSTRUCTORS.map((b) => [b,
        `class X extends ${b} { constructor(a) { super(a); this.k = 1; } m() { return 2; } }; var x = new X(1);` +
        ` if (!(x instanceof X) || x.k !== 1 || x.m() !== 2) throw 0;`]));
      const out = await runEspruino(probe(cases));
      expect(BUILTIN_CONSTRUCTORS.filter((b) => !out.includes(`${b}:fails`))).toEqual([]);
    });

    it("keywords cannot name class members or getters, but can name object keys and methods", async () => {
      const cases: Record<string, string> = { control: "class C { plain() { return 1 } }; if (new C().plain() !== 1) throw 0;" };
      for (const k of ESPRUINO_KEYWORDS) {
        cases[`class-${k}`] = `class C { ${k}() { return 1 } }; if (new C().${k}() !== 1) throw 0;`;
        cases[`getter-${k}`] = `var o = { get ${k}() { return 1 } }; if (o.${k} !== 1) throw 0;`;
        cases[`key-${k}`] = `var o = { ${k}: 1, m() { return 2 } }; o.${k} = 3; if (o.${k} !== 3) throw 0;`;
      }
      const out = await runEspruino(probe(cases));
      expect(out).toContain("control:works");
      const wrong = ESPRUINO_KEYWORDS.flatMap((k) => [
        out.includes(`class-${k}:fails`) ? [] : [`class member ${k} works`],
        out.includes(`getter-${k}:fails`) ? [] : [`getter ${k} works`],
        out.includes(`key-${k}:works`) ? [] : [`key ${k} fails`],
      ].flat());
      expect(wrong).toEqual([]);
    });
  });
});
