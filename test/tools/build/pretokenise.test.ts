/**
 * The pretokeniser (tools/build/pretokenise.ts) and the simulator's reading
 * of stored code (hal/sim/tokens.ts): on the host, the stored form of any
 * program reads back as the program's own tokens; on the interpreter
 * (ESPRUINO_BIN; skipped without it), pretokenised code prints what its text
 * prints.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { detokenise, TOKEN } from "../../../hal/sim/tokens.ts";
import { buildDevice } from "../../../tools/build/device.ts";
import { pretokenise, sameTokens, storedImage } from "../../../tools/build/pretokenise.ts";

const root = join(import.meta.dirname, "..", "..", "..");
const bin = process.env.ESPRUINO_BIN;
if (!bin) console.log("test/tools/build/pretokenise.test.ts: the interpreter half is skipped; set ESPRUINO_BIN to an Espruino binary built for Linux");

/** Code that prints one line per construct a tokeniser could get wrong. */
const CORPUS = [
  // integers on every raw boundary, in decimal and hex, and next to operators
  "var n=[0,1,9,10,99,100,127,128,255,256,257,512,4096,32767,32768,65535,65536,0x7f,0x80,0xff,0x100,0x7fff,0x8000,1e3,1.5,.5,-128,-129,-32768,0x0a,0x0d,0x10a,0xa0d];print(JSON.stringify(n));",
  'var t=["0123456789","0123456789abc","a\\nb","c\\rd"];print(JSON.stringify(t),t[0].length);',
  "var a=5,b=3;print(a- -b,a+ +b,a-- - --b,a++ + ++b,a>>>1,a>>1,a<<2,a>>>=1,a,a??7,null??8);",
  // strings: empty, escapes, quotes, lengths around one and two raw length bytes, a line continuation
  'var s=["","a","\\"q\\"",\'\\\'\',"\\\\","tab\\there","nl\\n","\\x41\\u0042","ab\\\ncd"];print(JSON.stringify(s));',
  'print(["x".repeat(0),"' + "y".repeat(255) + '".length,"' + "z".repeat(256) + '".length,"' + "w".repeat(257) + '".length,"' + "v".repeat(512) + '".length].join());',
  // regexes where a division could be, and divisions where a regex could be
  'function f(s){if(!s)return/^a+$/.test("aa");return s.split(/,/).length}var x=4,y=2,g=1;print(f(),f("a,b"),x/y/g,(x)/2,[8][0]/4,/[\\/]"/.test("/"),1||/\'/.test("\'"));',
  // keywords in every role, words the lexer makes tokens of used as property names, typeof/void/delete/in/instanceof
  'var o={default:1,"case":2,in:3,of:4,new:5,this:6};var k=[];for(var p in o)k.push(p+"="+o[p]);print(k.join(),typeof o,void 0,delete o.in,"of" in o,[] instanceof Array,o.default);',
  "var r=[];for(var i=0;i<3;i++){switch(i){case 0:r.push('z');break;default:r.push(i)}}do{r.push('d')}while(false);try{throw new Error('e')}catch(e){r.push(e.message)}finally{r.push('f')}print(r.join(),undefined===void 0,null==undefined,true!==false);",
  // automatic semicolons across line ends
  "var a=1\nvar b=a\n++b\nprint(a,b)\nfunction h(){return\n42}\nprint(h())",
  // arrows, compound assignment, conditional
  "var t=(x,y)=>x*y;var u=1;u+=2;u-=1;u*=6;u/=3;u%=3;u&=7;u|=8;u^=1;print(t(6,7),u,u>3?'big':'small');",
];

describe("pretokenise on the host", () => {
  it("stores every corpus program with no NUL byte, reading back as its own tokens, and the corpus in fewer bytes", () => {
    expect(CORPUS.map(pretokenise).join("").length).toBeLessThan(CORPUS.join("").length);
    for (const code of CORPUS) {
      const stored = pretokenise(code);
      expect(stored).not.toContain("\0");
      // Line breaks only where the source has them (raw tokens never carry one).
      expect(stored.split("\n").length).toBe(code.split("\n").length);
      expect(stored).not.toContain("\r");
      expect(/[^\x00-\xff]/.test(stored)).toBe(false);
      expect(sameTokens(code, detokenise(stored))).toBe(true);
    }
  });

  it("keeps the line of every token (error lines stay the bundle's)", () => {
    const code = "var a=1;\nfunction f(x){\n  return x+100000;\n}\n\nthrow new Error(f(a));\n";
    const stored = pretokenise(code);
    expect(stored.split("\n").length).toBe(code.split("\n").length);
    expect(stored.split("\n")[5]).toBe(String.fromCharCode(TOKEN.get("throw")!, TOKEN.get("new")!) + "Error(f(a));");
  });

  it("the default firmware: 15% or more smaller, and its stored form reads back as its tokens", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "exo-pretok-")), "fw.js");
    await buildDevice({ root, board: "linux", out });
    const code = readFileSync(out, "utf8");
    const image = storedImage(code);
    expect(image.length).toBeLessThan(code.length * 0.85);
    expect(sameTokens(code, detokenise(Buffer.from(image).toString("latin1")))).toBe(true);
  });

  it("any program of numbers, strings, regexes, words and operators reads back as its own tokens", () => {
    const piece = fc.oneof(
      fc.integer({ min: 0, max: 70_000 }).map(String),
      fc.integer({ min: 0, max: 70_000 }).map((n) => "0x" + n.toString(16)),
      fc.string({ unit: fc.constantFrom("a", "b", '"', "'", "\\", "\n", "\t", " ", "é", "\u0001", "/"), maxLength: 300 }).map((s) => JSON.stringify(s)),
      // after "(" acorn and the interpreter both read a regex (after ")" or a name they can differ)
      fc.constantFrom("(/a[\\/]b/g", "(/\\//", "(/\"'/"),
      fc.constantFrom(...TOKEN.keys()).filter((t) => /^[a-z]/.test(t)),
      fc.constantFrom("x", "y1", "$", "_z", "of", "let", "static"),
    );
    // No "/" or "/=" here: after `static` or `of` the interpreter reads a regex where acorn reads a division.
    const op = fc.constantFrom(...[...TOKEN.keys()].filter((t) => !/^[a-z]|^\/=$/.test(t)), "+", "-", "*", "(", ")", ",", ";", "\n", " ");
    fc.assert(
      fc.property(fc.array(fc.tuple(piece, op), { maxLength: 40 }), (parts) => {
        const code = parts.map(([p, o]) => p + " " + o + " ").join("");
        let tokensOk = true;
        try {
          sameTokens(code, code); // only programs acorn can tokenise
        } catch {
          tokensOk = false;
        }
        fc.pre(tokensOk);
        const stored = pretokenise(code);
        return !stored.includes("\0") && stored.split("\n").length === code.split("\n").length && sameTokens(code, detokenise(stored));
      }),
      { numRuns: 400 },
    );
  });

  it("text with no byte token reads back unchanged, bytes in its strings and comments included", () => {
    const text = 'var s="\xe9\xd1\xaa"; // \xd5 comment\nvar r=/\xb0/; /* \xa7 */ print(s)';
    expect(detokenise(text)).toBe(text);
  });

  it("sameTokens tells programs apart by any token's value", () => {
    expect(sameTokens("a=1+'x'", "a = 1 + \"x\"")).toBe(true);
    expect(sameTokens("a=1+'x'", "a=2+'x'")).toBe(false);
    expect(sameTokens("a=/x/g", "a=/x/i")).toBe(false);
    expect(sameTokens("a=b", "a==b")).toBe(false);
  });

  it("refuses a character beyond ASCII where the interpreter would read it as a token, naming the line", () => {
    expect(() => pretokenise("var a=1;\nvar caf\u00e9=2;")).toThrow(/line 2 holds a non-ASCII character/);
    // in a string it is stored escaped: the same value
    const stored = pretokenise('var s="caf\u00e9";');
    expect(stored).toContain('"caf\\u00e9"');
    expect(sameTokens('var s="caf\u00e9";', detokenise(stored))).toBe(true);
  });
});

/** Run `code` (one char per byte) as a file on the interpreter; its output lines. */
function runFile(code: string): string {
  const dir = mkdtempSync(join(tmpdir(), "exo-pretok-run-"));
  writeFileSync(join(dir, "run.js"), code + "\n", "latin1");
  const run = spawnSync(bin!, ["run.js"], { cwd: dir, input: "", timeout: 20_000, killSignal: "SIGKILL", encoding: "latin1" });
  return run.stdout.replace(/\r/g, "").split("\n").filter((l) => l && !l.startsWith(">") && !/Espruino|espruino\.com|^ *[_|]|Donate|Open Source|sales of/.test(l)).join("\n");
}

describe.skipIf(!bin)("pretokenised code on the interpreter (ESPRUINO_BIN)", () => {
  it("prints what its text prints, construct by construct", () => {
    for (const code of CORPUS) {
      const text = runFile(code);
      expect(text).not.toMatch(/Uncaught|SyntaxError/);
      expect(runFile(pretokenise(code))).toBe(text);
    }
  });
});
