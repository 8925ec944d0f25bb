/**
 * Where the kernel's isolation depends on the interpreter's behaviour, the
 * simulated device must behave the same. Each behaviour is one script and one
 * assertion, run on the simulator always and on the real interpreter when
 * ESPRUINO_BIN points at an Espruino binary built for Linux (shared/espruino.md §2b).
 * The memory case needs a fixed store of 16383 variables (the ESP32-like
 * build); with a resizable one it is skipped on the interpreter, with a message.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { boards } from "../../../hal/boards.ts";
import { SimDevice } from "../../../hal/sim/device.ts";
import { MAX_DEPTH } from "../../../hal/sim/guard.ts";

const bin = process.env.ESPRUINO_BIN;
if (!bin) console.log("skipping the interpreter half of the simulator's fidelity tests: set ESPRUINO_BIN to an Espruino binary built for Linux");

interface Target {
  name: string;
  /** Run `script` for `ms` of (simulated or real) time; the console's lines, without stack traces. */
  run(script: string, ms: number): string[];
  /** The simulator throws where it cannot model the interpreter. */
  simulator: boolean;
}

const simulator: Target = {
  name: "simulator",
  simulator: true,
  run(script, ms) {
    const device = new SimDevice({ board: boards.esp32, hangTimeoutMs: 5000 });
    device.boot(script);
    device.run(ms);
    return device.console.map((l) => l.line);
  },
};

/**
 * The interpreter's console, as the simulator prints it: no banner, prompts,
 * stack traces or places, not the `Uncaught undefined` the Linux build adds
 * when a script run from a file stops at its top level, nor the FIFO_FULL
 * report a busy host can cause (the interpreter's event queue filled up).
 */
function interpreterLines(stdout: string): string[] {
  const lines = stdout.replace(/\r/g, "").replace(/\x1b\[J/g, "").split("\n");
  const start = lines.findIndex((l) => l.includes("espruino.com/Donate")) + 1;
  return lines
    .slice(start)
    .map((l) => l.replace(/^>+/, "").replace(/^(OUT OF MEMORY)\s+at .*$/, "$1"))
    .filter((l) => l.trim() !== "" && !/^\s+at /.test(l) && !/^\s*\^\s*$/.test(l) && l !== "Uncaught undefined" && l !== "New interpreter error: FIFO_FULL");
}

const interpreter: Target = {
  name: "interpreter",
  simulator: false,
  run(script, ms) {
    const dir = mkdtempSync(join(tmpdir(), "exo-fidelity-"));
    // The quit timer first: a top-level interruption stops everything after it.
    writeFileSync(join(dir, "fidelity.js"), `setTimeout(function () { quit(); }, ${ms});\n${script}\n`);
    const run = spawnSync(bin!, ["fidelity.js"], { cwd: dir, input: "", timeout: 60_000, killSignal: "SIGKILL", encoding: "utf8" });
    return interpreterLines(run.stdout);
  },
};

/** 16383 for the ESP32-like build; a resizable store reports less at first and grows instead of running out. */
const fixedStore = (() => {
  if (!bin) return false;
  const total = interpreter.run("print('TOTAL ' + process.memory().total);", 10).find((l) => l.startsWith("TOTAL "));
  const fixed = total === "TOTAL 16383";
  if (!fixed) console.log(`skipping the out-of-memory case on the interpreter: ${bin} has a resizable variable store (${total}); build it with 16383 fixed variables`);
  return fixed;
})();

/** `lines` holds `expected` in this order (other lines may come between). */
function inOrder(lines: string[], expected: (string | RegExp)[]): void {
  let at = 0;
  for (const line of expected) {
    const found = lines.findIndex((l, i) => i >= at && (typeof line === "string" ? l === line : line.test(l)));
    expect(found, `"${line}" after line ${at} in:\n${lines.join("\n")}`).toBeGreaterThanOrEqual(0);
    at = found + 1;
  }
}

function behaviours(target: Target): void {
  it("this: a plain function, a detached method, a method passed as a callback, f.call(undefined) and a detached class method all get the global object", () => {
    const lines = target.run(
      `var g = this;
      function plain() { return this === g; }
      var o = { m: function () { return this === g; } };
      class A { m() { return this === g; } }
      var detached = o.m, classMethod = new A().m;
      print("plain", plain(), "detached", detached(), "callback", [1].map(o.m)[0], "call", plain.call(undefined));
      print("class", classMethod(), "class callback", [1].map(new A().m)[0]);
      print("null", (function () { return this; }).call(null), typeof (function () { return this; }).call(5));`,
      10,
    );
    expect(lines).toEqual(["plain true detached true callback true call true", "class true class callback true", "null null number"]);
  });

  it("classes keep new, extends, super(...), super.m(), getters and setters, static methods and fields; statics are not inherited", () => {
    const lines = target.run(
      `class Base { constructor(x) { this.x = x; } get double() { return this.x * 2; } set double(v) { this.x = v / 2; }
        m() { return "base " + this.x; } static make(x) { return new this(x); } }
      class Derived extends Base { constructor(x) { super(x + 1); this.y = 1; } m() { return "derived " + super.m(); } }
      var d = new Derived(1);
      print(d.x, d.y, d.double, d.m(), d instanceof Base, d instanceof Derived);
      d.double = 10; print(d.x);
      var s = Base.make(3); print(s.x, s instanceof Base, typeof Derived.make);
      class F { constructor() { this.c = this.a + 1; } a = 1; static b = 2; }
      var f = new F(); print(f.a, f.c, F.b);
      var keys = []; for (var k in Base.prototype) keys.push(k); print(keys.join());
      print(new Derived(5));`,
      10,
    );
    expect(lines).toEqual([
      "2 1 4 derived base 2 true true",
      "5",
      "3 true undefined",
      "1 2 2",
      "double,m",
      'Derived: { "x": 6, "y": 1 }',
    ]);
  });

  it("Flash.write and E.toUint8Array flatten nested arrays, strings and {data, count}; a {callback} runs once to count and once to copy", () => {
    const lines = target.run(
      `var F = require("Flash"), a = F.getFree()[0].addr;
      print(E.toUint8Array([["AB", "CD"]]), E.toUint8Array({ data: [1, 2], count: 3 }));
      F.erasePage(a); F.write([["AB", "CD"]], a); print(F.read(8, a));
      F.erasePage(a); F.write({ data: [1, 2], count: 2 }, a); print(F.read(8, a));
      var calls = 0;
      F.erasePage(a); F.write({ callback: function () { calls++; return [9, 8, 7, 6]; } }, a); print(calls, F.read(4, a));
      try { F.write([1, 2, 3, 4, null], a + 4); } catch (e) { print(e.message); }
      print(F.read(8, a + 4));`,
      10,
    );
    expect(lines).toEqual([
      "new Uint8Array([65, 66, 67, 68]) new Uint8Array([1, 2, 1, 2, 1, 2])",
      "new Uint8Array([65, 66, 67, 68, 255, 255, 255, 255])",
      "new Uint8Array([1, 2, 1, 2, 255, 255, 255, 255])",
      "2 new Uint8Array([9, 8, 7, 6])",
      // What was flattened before the error is written, then the error is raised.
      "Expecting Number or iterable, got null",
      "new Uint8Array([1, 2, 3, 4, 255, 255, 255, 255])",
    ]);
  });

  it("re-binding a bound native copies its bound arguments: the copy survives the holder's revocation; w(1), w.call and w.clone() throw Invalid pin", () => {
    const lines = target.run(
      `var h = [D5];
      var w = digitalWrite.bind(undefined, h), w2 = w.bind(undefined), c = w.clone();
      h[0] = undefined;
      function attempt(name, f) { try { f(); print(name, "ok"); } catch (e) { print(name, e.message); } }
      attempt("rebound", function () { w2(1); });
      attempt("bound", function () { w(1); });
      attempt("call", function () { w.call(undefined, 1); });
      attempt("clone", function () { c(1); });`,
      10,
    );
    expect(lines).toEqual(["rebound ok", "bound Invalid pin", "call Invalid pin", "clone Invalid pin"]);
  });

  it("clone() copies one level; \\xFFcod is the body; a bound native's replaceWith runs the new code in the global scope; f.caller is undefined", () => {
    const lines = target.run(
      `var o = { a: [1], b: 2 }, oc = o.clone(); print(oc.a === o.a, oc.b, oc === o);
      function sum(a, b) { return a + b; }
      var body = function () { var s = 1; return s; };
      print(JSON.stringify(sum["\\xFFcod"]), JSON.stringify(body["\\xFFcod"]), typeof sum["\\xFFsco"], String(sum));
      var w = digitalWrite.bind(undefined, [D6]);
      w.replaceWith(function (a, b) { return [typeof a, typeof b, this === global].join(); });
      print(w(7));
      function callee() { return [typeof callee.caller, typeof callee.arguments].join(); }
      print((function caller() { return callee(); })());`,
      10,
    );
    expect(lines).toEqual([
      "true 2 false",
      '"a + b;" "var s = 1; return s;" undefined function (a,b) {return a + b;}',
      "number,undefined,true",
      "undefined,undefined",
    ]);
  });

  it("a closure's replaceWith and \\xFFsco: the interpreter runs the new code in the old scope; the simulator throws (not modelled)", () => {
    const lines = target.run(
      `function outer() { var secret = 42; return function () { return secret; }; }
      function other() { var secret = 1; return function () { return secret; }; }
      var f = outer();
      try { f.replaceWith(other()); print("replaced", f()); } catch (e) { print(e.message); }
      try { print("scope", Object.keys(outer()["\\xFFsco"]).join()); } catch (e) { print(e.message); }`,
      10,
    );
    if (target.simulator) {
      expect(lines).toEqual([expect.stringMatching(/^replaceWith\(\) on a function of device code .* is not modelled by the simulator/), expect.stringMatching(/\\xFFsco.* is not modelled by the simulator/)]);
    } else {
      expect(lines).toEqual(["replaced 42", "scope secret"]);
    }
  });

  it.skipIf(!target.simulator && !fixedStore)(
    "running out of variables prints OUT OF MEMORY and interrupts the callback past its catch; LOW_MEMORY and MEMORY are set; the other timers run on and the callback's locals are freed",
    () => {
      const lines = target.run(
        `var keep = [], flag = 0, ticks = 0;
        setInterval(function () { ticks++; }, 100);
        setTimeout(function () {
          flag = 1;
          try {
            var local = [];
            for (var i = 0; i < 1e6; i++) { local.push({ k: i }); if (i % 2) keep.push([i]); }
          } catch (e) { flag = 2; }
          print("not reached");
        }, 50);
        setTimeout(function () {
          var m = process.memory(), f = E.getErrorFlags();
          print("after", flag, ticks > 5, keep.length > 1000, m.usage < m.total / 2, f.indexOf("LOW_MEMORY") >= 0 && f.indexOf("MEMORY") >= 0);
        }, 1000);
        setTimeout(function () { print("cleared", E.getErrorFlags().indexOf("MEMORY") < 0); }, 1100);`,
        1200,
      );
      // A busy host can make the interpreter add FIFO_FULL (its event queue filled up): not part of the case.
      inOrder(lines, [
        "OUT OF MEMORY",
        "Execution Interrupted during event processing.",
        /^New interpreter error: .*LOW_MEMORY,MEMORY/,
        "after 1 true true true true",
        "cleared true",
      ]);
      expect(lines).not.toContain("not reached");
    },
  );

  it.skipIf(!target.simulator && !fixedStore)("running out at the top level stops the script there: OUT OF MEMORY, Execution Interrupted.", () => {
    const lines = target.run(
      `var keep = [];
      print("start");
      try { for (var i = 0; i < 1e6; i++) keep.push({ k: i }); } catch (e) { print("caught"); }
      print("not reached");`,
      200,
    );
    inOrder(lines, ["start", "OUT OF MEMORY", "Execution Interrupted.", "New interpreter error: LOW_MEMORY,MEMORY"]);
    expect(lines).not.toContain("caught");
    expect(lines).not.toContain("not reached");
  });

  it("deep recursion interrupts the whole callback: neither its catch nor its finally runs, later timers do", () => {
    const lines = target.run(
      `var flag = 0, depth = 0;
      function rec(n) { depth = n; return rec(n + 1) + 1; }
      setTimeout(function () {
        flag = 1;
        try { rec(0); } catch (e) { flag = 2; print("caught"); } finally { print("finally"); }
        print("not reached");
      }, 10);
      setTimeout(function () { print("later", flag, depth > 300 && depth < 2000); }, 50);`,
      100,
    );
    expect(lines).toEqual([
      "Execution Interrupted during event processing.",
      "Uncaught Error: Too much recursion - the stack is about to overflow",
      "later 1 true",
    ]);
  });

  it("deep recursion at the top level: Uncaught Error: Too much recursion, then Execution Interrupted.; the rest of the script does not run", () => {
    const lines = target.run(
      `function rec(n) { return rec(n + 1) + 1; }
      try { rec(0); } catch (e) { print("caught"); }
      print("not reached");`,
      100,
    );
    expect(lines).toEqual(["Uncaught Error: Too much recursion - the stack is about to overflow", "Execution Interrupted."]);
  });
}

describe("the simulated device behaves like the interpreter where isolation depends on it: on the simulator", () => {
  behaviours(simulator);

  it("keeps its stricter Flash.write: the flattened length must be whole 4-byte words", () => {
    const lines = simulator.run(
      `var F = require("Flash"), a = F.getFree()[0].addr;
      try { F.write({ data: [1, 2], count: 3 }, a); } catch (e) { print(e.message); }`,
      10,
    );
    expect(lines).toEqual([expect.stringMatching(/^Flash\.write: length 6 is not a multiple of 4 \(the simulator requires whole 4-byte words/)]);
  });

  it("stops recursion at MAX_DEPTH frames and running out just past the board's count, the same way every run; after that only growth runs out", () => {
    const script = `var depth = 0, keep = [];
      function rec(n) { depth = n; rec(n + 1); }
      setTimeout(function () { rec(0); }, 10);
      setTimeout(function () { print("depth", depth); for (;;) keep.push({ k: keep.length }); }, 20);
      setTimeout(function () { print("full, but this keeps nothing"); }, 30);
      setTimeout(function () { for (;;) keep.push({ k: keep.length }); }, 35);`;
    const once = () => {
      const d = new SimDevice({ board: boards.esp32 });
      d.boot(script);
      d.run(40);
      return { lines: d.console.map((l) => l.line), usage: d.memory().usage };
    };
    const first = once();
    expect(once()).toEqual(first);
    // The timer callback and its caller are frames too.
    expect(first.lines).toEqual([
      "Execution Interrupted during event processing.",
      "Uncaught Error: Too much recursion - the stack is about to overflow",
      `depth ${MAX_DEPTH - 2}`,
      "OUT OF MEMORY",
      "Execution Interrupted during event processing.",
      "New interpreter error: LOW_MEMORY,MEMORY",
      // What was kept stands for a full memory: a callback that keeps nothing runs, one that keeps more runs out.
      "full, but this keeps nothing",
      "OUT OF MEMORY",
      "Execution Interrupted during event processing.",
    ]);
    expect(first.usage).toBeGreaterThan(16383);
    expect(first.usage).toBeLessThan(16383 * 1.25);
  });

  it("reports an interruption inside a Promise callback after it, and the next timer runs", () => {
    const lines = simulator.run(
      `function rec() { rec(); }
      setTimeout(function () { Promise.resolve().then(function () { rec(); }); }, 10);
      setTimeout(function () { print("next"); }, 20);`,
      30,
    );
    expect(lines).toEqual(["Execution Interrupted during event processing.", "Uncaught Error: Too much recursion - the stack is about to overflow", "next"]);
  });
});

describe.skipIf(!bin)("the simulated device behaves like the interpreter where isolation depends on it: on the real interpreter (ESPRUINO_BIN)", () => {
  behaviours(interpreter);
});
