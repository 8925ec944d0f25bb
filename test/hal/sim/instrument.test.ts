import vm from "node:vm";
import { describe, expect, it } from "vitest";
import { boards } from "../../../hal/boards.ts";
import { SimDevice } from "../../../hal/sim/device.ts";
import { CodeRegistry, instrument } from "../../../hal/sim/instrument.ts";

const device = () => new SimDevice({ board: boards.esp32, hangTimeoutMs: 2000 });
const lines = (d: SimDevice) => d.console.map((l) => l.line);

/** Boot `code` on a fresh device; its console. */
function run(code: string, ms = 10): string[] {
  const d = device();
  d.boot(code);
  d.run(ms);
  return lines(d);
}

describe("the simulator's rewrite of device code", () => {
  it("keeps every line where it was, so file:line in errors and stacks still points at the code as written", () => {
    const source = [
      "class A extends Object {",
      "  constructor(x) {",
      "    super();",
      "    this.x = x;",
      "  }",
      "  m() { return new Error('here').stack; }",
      "}",
      "var where = new A(1).m();",
      "for (var i = 0; i < 2; i++)",
      "  where += '';",
      "function f() {",
      "  try { throw new Error('line 12'); } catch (e) { return e.stack; } finally { }",
      "}",
    ].join("\n");
    const out = instrument(source, new CodeRegistry()).code;
    expect(out.split("\n")).toHaveLength(source.split("\n").length);
    const d = device();
    d.boot(source, { file: "app.js" });
    expect(d.eval("where")).toMatch(/app\.js:6:/);
    expect(d.eval("f()")).toMatch(/app\.js:12:/);
  });

  it("runs what it rewrites as before: empty bodies, ASI, arrows returning objects, labels, accessors, eval'd functions", () => {
    expect(
      run(`
        function empty() {}
        var arrow = (a) => ({ a: a }), nested = (a) => (b) => a + b;
        var o = { get g() { return 1; }, set s(v) { this.v = v; }, m() { return 2; } };
        o.s = 3;
        var total = 0;
        outer: for (var i = 0; i < 3; i++) { for (var j = 0; j < 3; j++) { if (j === 1) continue outer; total++; } }
        var k = 0; while (k < 3) k++;
        do k--; while (k > 0);
        var f = eval("(function (x) { return function () { return x * 2; }; })")(21);
        var a = 1
        var b = a
        ;(function () { b++; })()
        print(empty(), arrow(1).a, nested(1)(2), o.g, o.v, o.m(), total, k, f(), b);`),
    ).toEqual(["undefined 1 3 1 3 2 3 0 42 2"]);
  });

  it("lowers classes: computed keys, stray semicolons and comments between members, super in arrows, accessors on statics", () => {
    expect(
      run(`
        var key = "dyn";
        class A {
          ; // a stray delimiter; and another in this comment
          [key]() { return "computed"; };
          static get s() { return "static getter"; }
          m() { return "A.m"; }
        }
        class B extends A {
          m() { var up = () => super.m(); return "B>" + up(); }
        }
        var b = new B();
        print(b.dyn(), A.s, b.m(), Object.keys(A.prototype).join());`),
    ).toEqual(["computed static getter B>A.m dyn,m"]);
  });

  it("keeps what a lowered class expression binds to: new class {…}(1), extends (a, b), a class as an argument", () => {
    expect(
      run(`
        var x = new class { constructor(v) { this.v = v; } m() { return this.v; } }(7).m();
        function id(c) { return c; }
        var Base = class { n() { return 1; } };
        var C = class extends (0, Base) { n() { return super.n() + 1; } };
        print(x, new (id(class { k() { return "arg"; } }))().k(), new C().n());`),
    ).toEqual(["7 arg 2"]);
  });

  it("gives functions Espruino's this, and assigning an undeclared name creates a global", () => {
    expect(
      run(`
        function who() { return this; }
        function make() { created = 5; for (loopVar in { a: 1 }) {} }
        make();
        print(who() === global, who.call(null), typeof who.call(7), created, loopVar);`),
    ).toEqual(["true null number 5 a"]);
  });

  it("keeps the REPL's answers: a statement's completion value is not the strict-mode line", () => {
    const d = device();
    expect(d.eval("var a = 1")).toBeUndefined();
    expect(d.eval("a + 1")).toBe(2);
    expect(d.eval("(function () { return this === global; })()")).toBe(true);
  });

  it("runs code strict mode rejects without it, and says so", () => {
    const out = run(`function dup(a, a) { return a; } print(dup(1, 2)); function rec() { rec(); } setTimeout(rec, 1);`);
    expect(out[0]).toMatch(/^\[sim\] bundle\.js runs not in strict mode \(Duplicate parameter name/);
    expect(out.slice(1)).toEqual(["2", "Execution Interrupted during event processing.", "Uncaught Error: Too much recursion - the stack is about to overflow"]);
  });

  it("leaves code acorn cannot parse to V8, which reports it", () => {
    const out = instrument("print(", new CodeRegistry());
    expect(out).toEqual({ code: "print(", rewritten: false });
    expect(() => new vm.Script(out.code)).toThrow(SyntaxError);
  });

  it("shows functions as the interpreter does, not as rewritten", () => {
    expect(run(`function f(a, b) { return a + b; } print(f, String(function () { var x = 1; return x; }), String(print));`)).toEqual([
      "function (a,b) {return a + b;} function () {var x = 1; return x;} function () { [native code] }",
    ]);
  });
});
