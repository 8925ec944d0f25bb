/**
 * One instance of a stateless LibOS chunk for every app (tools/build/confine/shareable.ts):
 * what counts as state, and that the build shares exactly the stateless chunks.
 * The hostile suite's `shared-libos` app attacks the shared functions at run time.
 */
import { join } from "node:path";
import { parse, type Program } from "acorn";
import { describe, expect, it } from "vitest";
import { bundleApps } from "../../../tools/build/confine/app-bundle.ts";
import { statelessReason } from "../../../tools/build/confine/shareable.ts";
import { analyze } from "../../../tools/gate/scope.ts";

const root = join(import.meta.dirname, "..", "..", "..");
const reason = (code: string) => {
  const program = parse(code, { ecmaVersion: "latest", sourceType: "module" }) as Program;
  return statelessReason(program, analyze(program));
};

describe("a chunk with no state", () => {
  it("is functions, primitive constants and read-only tables", () => {
    expect(reason([
      'import { x } from "./y.js";',
      "const A = 1, B = -A, C = `t`, D = A > 0 ? 'a' : 'b';",
      'const NAMES = ["", "ready"], LIMITS = { max: 4 };',
      "const fail = (m) => new Error(m);",
      "function name(i) { return NAMES[i] + LIMITS.max + NAMES.indexOf('ready') + NAMES.join(','); }",
      "function g(o) { o.count++; const t = []; t.push(1); return name(1) + x(g); }",
      "export { name, g, A };",
    ].join("\n"))).toBeNull();
  });

  it("refuses module state, code that runs at load, and tables or functions that can change", () => {
    const cases: [string, RegExp][] = [
      ["let n = 0; export function f() { return n++; }", /top-level let/],
      ["var cache = {};", /top-level var/],
      ["const made = make(); function make() { return {}; }", /const made is not/],
      ["const T = [1, 2]; export function f() { T.push(3); }", /T\.push\(\) may change/],
      ["const T = [1, 2]; export function f(i) { T[i] = 0; }", /a property of T is written/],
      ["const T = { a: 1 }; export function f() { delete T.a; }", /a property of T is written/],
      ["const T = [1, 2]; export { T };", /passed on as a value/],
      ["const T = [1, 2]; export function f(g) { return g(T); }", /passed on as a value/],
      ["const T = [[1], 2];", /not a function, a primitive/],
      ["const T = [/x/];", /not a function, a primitive/],
      ["function f() {} export function g() { f = null; }", /f is reassigned/],
      ["function f() { f.calls = 1; }", /property of the function f/],
      ["function f() {} export function g(a) { return f.call(null, a); }", /property of the function f/],
      ["class A {}", /ClassDeclaration/],
      ["setup(); function setup() {}", /ExpressionStatement/],
      ["const { a } = { a: 1 };", /destructuring/],
    ];
    for (const [code, why] of cases) expect(reason(code), code).toMatch(why);
  });
});

describe("the build", () => {
  it("shares the chunks of the default apps' LibOS (no state), and never an app's own chunk", async () => {
    const apps = ["blinky", "logger", "telemetry"].map((name) => ({ name, entry: join(root, "apps", name, "main.ts"), dir: join(root, "apps", name) }));
    const built = await bundleApps(apps, { root });
    expect(built.problems).toEqual([]);
    const entries = new Set(built.apps.map((a) => a.chunks[a.chunks.length - 1]!.factory));
    built.factories.forEach((f, i) => expect(f.shared, f.id).toBe(!entries.has(i)));
    // Every app links the scheduler's chunk: the same factory, made once by the loader.
    const sched = built.apps.map((a) => a.chunks[0]!.factory);
    expect(new Set(sched).size).toBe(1);
  });

  it("shares the chunk the witness and `shared-libos` both link (the hostile suite's pair)", async () => {
    const hostile = join(root, "test", "fixtures", "hostile");
    const apps = ["witness", "shared-libos"].map((name) => ({ name, entry: join(hostile, name, "main.ts"), dir: join(hostile, name) }));
    const built = await bundleApps(apps, { root });
    expect(built.problems).toEqual([]);
    expect(built.factories.filter((f) => f.shared)).toHaveLength(1);
  });
});
