/**
 * Confinement of app code (tools/build/confine/): what the build refuses, with
 * the original file and line; which computed keys it guards; and what the
 * guards do when the bundle runs on the simulated device.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parse, type Program } from "acorn";
import MagicString from "magic-string";
import { describe, expect, it } from "vitest";
import { EACCES } from "../../../firmware/errors.ts";
import { findBoard } from "../../../hal/boards.ts";
import { SimDevice } from "../../../hal/sim/device.ts";
import { bundleApps } from "../../../tools/build/confine/app-bundle.ts";
import { rewriteConfined } from "../../../tools/build/confine/rewrite.ts";
import { buildDevice } from "../../../tools/build/device.ts";
import { analyze } from "../../../tools/gate/scope.ts";

const root = join(import.meta.dirname, "..", "..", "..");
const bin = process.env.ESPRUINO_BIN;

/** An app folder in a fresh temp dir: main.ts (and more files), a manifest. */
function appDir(name: string, files: Record<string, string>, manifest: object = {}): { dir: string; parent: string; entry: string } {
  const parent = mkdtempSync(join(tmpdir(), "exo-confine-"));
  const dir = join(parent, name);
  mkdirSync(dir);
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  writeFileSync(join(dir, "manifest.json"), JSON.stringify({ name, timers: 2, ...manifest }));
  return { dir, parent, entry: join(dir, "main.ts") };
}

const libos = (dir: string, module: string) => relative(dir, join(root, "libos", module)).split("\\").join("/");

async function problems(files: Record<string, string>): Promise<string[]> {
  const app = appDir("probe", files);
  const bundle = await bundleApps([{ name: "probe", entry: app.entry, dir: app.dir }], { root });
  return bundle.problems.map((p) => `${p.line}:${p.column} ${p.name}`);
}

/** The guards the rewrite writes into `code` (an app's flat module code). */
function rewritten(code: string): string {
  const s = new MagicString(code);
  rewriteConfined(s, analyze(parse(code, { ecmaVersion: "latest", sourceType: "module" }) as Program));
  return s.toString();
}

describe("static verification of app code", () => {
  it("refuses globals outside the plain built-ins, and built-ins used as values, assigned or extended", async () => {
    const found = await problems({
      "main.ts": [
        "export function start(caps: any) {", // 1
        "  const M = Math;", // 2
        "  Math.floor = (x: number) => x;", // 3
        "  class A extends Object {}", // 4
        "  (Array as any).prototype.push = 1;", // 5
        "  new Promise(() => 0);", // 6
        "  return [M, A, Math.floor(2.5), new Uint8Array(2), [] instanceof Array, typeof globalThis, Object.keys({})];", // 7
        "}",
      ].join("\n"),
    });
    expect(found).toEqual(expect.arrayContaining(["2:13 Math", "3:3 Math.floor", "4:19 Object", "5:4 Array.prototype", "5:18 .prototype", "6:7 Promise", "7:81 globalThis"]));
    expect(found.some((p) => p.startsWith("7:") && p.includes("Math.floor"))).toBe(false);
  });

  it("refuses forbidden members in every spelling the source can give, and reflective statics", async () => {
    const found = await problems({
      "main.ts": [
        "export function start(caps: any) {", // 1
        "  const f = () => 0;", // 2
        "  const a = (f as any).constructor;", // 3
        "  const b = (f as any)['__proto__'];", // 4
        "  const c = caps.pins.led.write.bind(undefined);", // 5
        "  (f as any).replaceWith(() => 1);", // 6
        "  const d = Object.getOwnPropertyDescriptor(f, 'x');", // 7
        "  Object.defineProperty(f, '\\xFFcod', { value: 'return 1' });", // 8
        "  const k = 'x';", // 9
        "  Object.defineProperty(f, k, { value: 1 });", // 10
        "  return [a, b, c, d, { '\\xFFsco': 1 }];", // 11
        "}",
      ].join("\n"),
    });
    expect(found).toEqual(expect.arrayContaining([
      "3:24 .constructor", '4:24 ["__proto__"]', "5:33 .bind", "6:14 .replaceWith", "7:13 Object.getOwnPropertyDescriptor",
      '8:28 "\\xFFcod"', "10:28 Object.defineProperty", '11:25 "\\xFFsco"',
    ]));
  });

  it("refuses `this` and `arguments` at the top level, super assignments and reserved names; allows them where they are safe", async () => {
    const found = await problems({
      "main.ts": [
        "const top = this;", // 1
        "const args = () => arguments;", // 2
        "class B { m() { return 1; } }", // 3
        "class C extends B { n() { (super.m as any) = 1; return super.m() + this.k() + arguments.length; } k() { return 1; } }", // 4
        "const __exoMine = 1;", // 5
        "export function start() { return [top, args, new C(), __exoMine]; }", // 6
      ].join("\n"),
    });
    // rollup itself turns a top-level `this` into `undefined` (it is a module): nothing to refuse there
    expect(found).toEqual(expect.arrayContaining(["2:20 arguments", "4:28 super.m", "5:7 __exoMine"]));
    expect(found.filter((p) => p.startsWith("4:") && !p.includes("super.m"))).toEqual([]);
  });

  it("verifies exactly what rollup bundles: an import without extension that resolves to a .js file, a re-export", async () => {
    const found = await problems({
      "main.ts": 'import { grab } from "./evil";\nexport * from "./more.ts";\nexport function start() { grab(); }\n',
      "evil.js": "export function grab() { return digitalWrite(5, 1); }\n",
      "more.ts": "export const pinned = setTimeout;\n",
    });
    expect(found).toEqual(expect.arrayContaining(["1:33 digitalWrite", "1:23 setTimeout"]));
  });

  it("refuses imports of the kernel, the hal, node modules, and files outside the app's folder and libos/", async () => {
    const app = appDir("probe", { "main.ts": "" });
    const kernel = relative(app.dir, join(root, "firmware", "caps.ts"));
    writeFileSync(app.entry, [
      `import { held } from ${JSON.stringify(kernel)};`,
      'import fs from "node:fs";',
      `import { create } from ${JSON.stringify(libos(app.dir, "sched/coop.ts"))};`,
      'import { fsMount } from "exo/libos/fs/index.ts";',
      'import { boot } from "exo/firmware/boot.ts";',
      'import { x } from "exo/../../etc/x.ts";',
      "export function start() { return [held, fs, create, fsMount, boot, x]; }",
    ].join("\n"));
    const bundle = await bundleApps([{ name: "probe", entry: app.entry, dir: app.dir }], { root });
    const why = bundle.problems.map((p) => `${p.line} ${p.why}`);
    expect(why).toEqual(expect.arrayContaining([
      expect.stringMatching(/^1 apps and LibOS may not import kernel or hal code/),
      expect.stringMatching(/^2 apps import their own files by relative path and LibOS modules as "exo\/libos\/…"/),
      expect.stringMatching(/^5 apps and LibOS may not import kernel or hal code/),
      expect.stringMatching(/^6 no such file/),
    ]));
    // "exo/libos/…" is the Exo package's LibOS, as a relative path to it is.
    expect(why.some((w) => w.startsWith("3 ") || w.startsWith("4 "))).toBe(false);
  });

  it("refuses what hands over a built-in or that the interpreter reads as another name", async () => {
    const found = await problems({
      "main.ts": [
        "export function start(caps: any) {", // 1
        "  const M: any = Math.valueOf();", // 2
        "  const O: any = (Array as any).clone();", // 3
        "  const e = Object.fromEntries([['a', 1]]);", // 4
        "  const p = { '__proto__': 0 };", // 5
        "  const q = (caps as any)['__proto__\\u0100'];", // 6
        "  const r = (caps as any)['\\u01FFsco'];", // 7
        "  (JSON as any).on('x', () => 0);", // 8
        "  return [M, O, e, p, q, r, Math.max(1, 2), JSON.stringify(1), Object.keys(caps), caps.valueOf()];", // 9
        "}",
        "class K { __proto__() { return 1; } }", // 11
        "export const k = K;",
      ].join("\n"),
    });
    expect(found).toEqual(expect.arrayContaining([
      "2:18 Math.valueOf", "3:19 Array.clone", "4:13 Object.fromEntries", '5:15 "__proto__"', '6:27 ["__proto__\\u0100"]', '7:27 ["\\u01FFsco"]',
      "8:4 JSON.on", '11:11 "__proto__"',
    ]));
    expect(found.filter((p) => p.startsWith("9:"))).toEqual([]);
  });

  it("refuses names that are not ASCII (the ESP32's interpreter keeps one byte of each character)", async () => {
    const found = await problems({ "main.ts": "const \u0100x = 1;\nexport function start() { return \u0100x; }\n" });
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((p) => p.endsWith(" \u0100x"))).toBe(true);
  });

  it("refuses an entry without a `start` export", async () => {
    expect(await problems({ "main.ts": "export default function () {}\n" })).toEqual(["1:1 start"]);
  });
});

describe("computed keys: guarded unless provably harmless", () => {
  it("leaves loop counters, arithmetic, Math results and literal keys alone", () => {
    const out = rewritten([
      "const t = new Uint8Array(8);",
      "function at(i) { return i * 2 + 1; }",
      "let s = 0;",
      "for (let i = 0; i < t.length; i++) { s += t[i] + t[i + 1] + t[i >> 1] + t[at(i)] + t[Math.floor(i / 2)] + t['a'] + t[s & 7]; }",
      "export { s as start };",
    ].join("\n"));
    expect(out).not.toContain("__exoK(");
  });

  it("guards parameters of functions that escape, string arithmetic, for-in keys, member reads and call results it cannot see", () => {
    const out = rewritten([
      "const o = {};",
      "export function start(k) { return o[k]; }", // a parameter from outside
      "function add(a, b) { return a + b; }",
      "const x = o[add('con', 'structor')];", // string concatenation
      "for (const key in o) o[key];", // keys of an object
      "const y = o[o.length];", // a member read
      "let z = 0; z = 'proto' + 'type'; o[z];", // a variable given a string it could build
      "const cb = (i) => o[i]; [1].map(cb);", // an escaping function's parameter
      "class A { m() { return 1; } } class B extends A { n(k) { return super[k]; } }", // super[k] is the parent's prototype's
    ].join("\n"));
    expect(out.match(/__exoK\(/g)).toHaveLength(7);
    expect(out).toContain("super[__exoK(k)]");
  });

  it("sees calls through a function expression's own name, and Espruino's prefix ++ of a string", () => {
    const out = rewritten([
      "const o = {};",
      "const member = function inner(k, hop) { return hop ? inner('__pro' + 'to__', 0) : o[k]; };", // k gets a built string through `inner`
      "const m = member(0, 1);",
      "let s = '__proto__'; const a = o[++s];", // "__proto__1"? Espruino: a string, so guarded
      "let n = 0; const b = o[++n] + o[n++] + o[--n];", // numbers stay unguarded
      "export { m as start, a, b };",
    ].join("\n"));
    expect(out).toContain("o[__exoK(k)]");
    expect(out).toContain("o[__exoK(++s)]");
    expect(out).toContain("o[++n] + o[n++] + o[--n]");
  });

  it("checks emit called in place, and sends JSON.parse through its guard", () => {
    const out = rewritten("const bus = {};\nconst p = JSON.parse('{}');\nexport function start(k) { bus.emit('x'); return [bus.emit, p]; }\n");
    expect(out).toContain("__exoE(bus).emit('x')");
    expect(out).toContain("__exoN(bus.emit)");
    expect(out).toContain("const p = __exoJ('{}')");
  });

  it("turns `this` into a guarded value: inline where used once, one var where used more", () => {
    const out = rewritten([
      "class A { one() { return this.x; } many() { return this.a + this.b; } }",
      "class B extends A { constructor() { super(); this.a = 1; this.b = 2; this.c = 3; } }",
      "export { A as start, B };",
    ].join("\n"));
    expect(out).toContain("one() { return (this===__exoG?void 0:this).x; }");
    expect(out).toContain("many() {var __exoT=this===__exoG?void 0:this; return __exoT.a + __exoT.b; }");
    // a derived constructor has no `this` before super(): guarded inline
    expect(out).toContain("super(); (this===__exoG?void 0:this).a = 1;");
  });
});

/** The guards' app: its console lines tell what each attempt got. */
const guardedApp = () =>
  appDir("guarded", {
    "main.ts": [
      "import type { AppCaps } from '../../../firmware/types.ts';",
      "class Box { v = 1; get(): unknown { return this; } }",
      "export function start(caps: AppCaps) {",
      "  const log = caps.services.log;",
      "  const b = new Box();",
      "  const get = b.get;",
      "  log('method this ' + (b.get() === b) + ', detached this ' + typeof get() + ', callback this ' + typeof [1].map(b.get)[0]);",
      "  const f: Record<string, unknown> = { a: 1 };",
      "  for (const k of ['a', 'con' + 'structor', '__pro' + 'to__', String.fromCharCode(255) + 'sco', 'bi' + 'nd', '__proto__' + String.fromCharCode(0), 'cal' + 'ler']) {",
      "    const shown = k.split(String.fromCharCode(0)).join('<NUL>').split(String.fromCharCode(255)).join('<FF>');",
      "    try { log('key ' + shown + ' ' + typeof f[k]); } catch (e) { log('key ' + shown + ' refused ' + (e as { code?: number }).code); }",
      "  }",
      "  const data = { fill: 3, slice: (x: number) => x };",
      "  const fill = data.fill, slice = data.slice;", // data and an app function under built-in names: fine
      "  log('data ' + (data.fill === 3) + ' ' + fill + ' ' + slice(4));",
      "  try { const pop = [1, 2].pop; log('pop taken ' + typeof pop); } catch (e) { log('pop refused ' + (e as { code?: number }).code); }",
      "  try { const m = 'p' + 'op'; const pop = ([1, 2] as any)[m]; log('computed pop taken ' + typeof pop); } catch (e) { log('computed pop refused ' + (e as { code?: number }).code); }",
      "  log('called in place ' + [1, 2].pop() + ' ' + ([1, 2] as any)['p' + 'op']());",
      "  let calls = 0;",
      "  const sly = { toString: () => (++calls === 2 ? 'a' : 'constructor') };",
      "  log('first ' + sly.toString());", // (also keeps the minifier from dropping toString)
      "  log('object key ' + typeof f[sly as unknown as string] + ' after ' + calls + ' toString call(s)');",
      "  const bus: any = { own: { emit: (x: number) => x + 1 } };",
      "  try { bus.on('x', () => log('emit ran')); bus.emit('x'); } catch (e) { log('emit refused ' + (e as { code?: number }).code); }",
      "  log('own emit ' + bus.own.emit(1));",
      "  log('json ' + JSON.parse('{\"a\":[1]}').a[0]);",
      "  for (const t of ['{\"__proto__\":0}', '{\"\\\\u005f_proto__\":0}', '{\"_\\\\137proto__\":0}']) {",
      "    try { log('json proto ' + typeof JSON.parse(t)); } catch (e) { log('json proto refused ' + (e as { code?: number }).code); }",
      "  }",
      "  log('two' + String.fromCharCode(10) + 'guarded: lines');",
      "}",
    ].join("\n"),
  });

function expectGuarded(out: string[], platform: "simulator" | "interpreter"): void {
  expect(out).toContain("guarded: method this true, detached this undefined, callback this undefined");
  expect(out).toContain("guarded: key a number");
  for (const k of ["constructor", "__proto__", "<FF>sco", "bind", "__proto__<NUL>", "caller"]) expect(out).toContain(`guarded: key ${k} refused ${EACCES}`);
  // built-in methods: called in place they work; taken off their object (static or computed name) they are refused
  expect(out).toContain("guarded: data true 3 4");
  expect(out).toContain(`guarded: pop refused ${EACCES}`);
  expect(out).toContain(`guarded: computed pop refused ${EACCES}`);
  expect(out).toContain("guarded: called in place 2 2");
  // the guard made the key a string once ("a"); a second conversion would have given "constructor"
  expect(out).toContain("guarded: object key number after 2 toString call(s)");
  // the interpreter's emit would run the listener outside the kernel (the simulator's objects have no on/emit: a TypeError)
  expect(out).not.toContain("guarded: emit ran");
  if (platform === "interpreter") expect(out).toContain(`guarded: emit refused ${EACCES}`);
  expect(out).toContain("guarded: own emit 2");
  expect(out).toContain("guarded: json 1");
  expect(out.filter((l) => l === `guarded: json proto refused ${EACCES}`)).toHaveLength(3);
  // one log call is one console line: a new line inside it is shown, not obeyed
  expect(out).toContain("guarded: two\\nguarded: lines");
  expect(out).not.toContain("guarded: lines");
}

describe("the guards at run time", () => {
  it("on the simulated device: a detached method's `this` is undefined; forbidden keys throw EACCES; a key's toString runs once; built-in methods stay on their objects", async () => {
    const app = guardedApp();
    const file = join(app.parent, "firmware.js");
    await buildDevice({ root, board: "esp32", apps: ["guarded"], appDirs: [app.parent], out: file });
    const device = new SimDevice({ board: findBoard("esp32"), seed: 1 });
    device.boot(readFileSync(file, "utf8"), { file });
    device.run(10);
    expectGuarded(device.console.map((c) => c.line), "simulator");
  });

  it.skipIf(!bin)("the same on the real interpreter (ESPRUINO_BIN)", async () => {
    const app = guardedApp();
    const file = join(app.parent, "firmware.js");
    await buildDevice({ root, board: "linux", apps: ["guarded"], appDirs: [app.parent], out: file });
    writeFileSync(join(app.parent, "run.js"), "echo(0);\n" + readFileSync(file, "utf8") + "\nsetTimeout(function(){quit()},100);\n");
    const run = spawnSync(bin!, ["run.js"], { cwd: app.parent, input: "", timeout: 20_000, killSignal: "SIGKILL", encoding: "utf8" });
    expectGuarded(run.stdout.replace(/\r/g, "").split("\n"), "interpreter");
    expect(run.stdout).not.toMatch(/Uncaught|ASSERT/);
  });
});
