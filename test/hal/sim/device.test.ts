import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { boards } from "../../../hal/boards.ts";
import { SimDevice, type SimOptions } from "../../../hal/sim/device.ts";
import { readFlashImage, writeFlashImage } from "../../../hal/sim/image.ts";
import { UserError } from "../../../hal/user-error.ts";
import { bundleGate } from "../../../tools/gate/check.ts";

const device = (options: Partial<SimOptions> = {}) => new SimDevice({ board: boards.esp32, hangTimeoutMs: 200, ...options });
const lines = (d: SimDevice) => d.console.map((l) => l.line);

describe("the device console", () => {
  it("formats values like Espruino 2v29 (measured on the interpreter)", () => {
    const d = device();
    d.boot(`
      print("a", 1, [1, 2, "x"], { a: 1, b: "s", c: [1] }, undefined, null, true, 1.5, new Uint8Array([1, 2]), function f(x) {return x;});
      console.log({ a: true, b: D1, c: 2, d: 3, e: 4, f: 5, g: 6, h: 7, i: 8, j: 9, k: 10 });
      class A { constructor() { this.x = 1; } }
      print(new A(), new Error("m"), [], {}, -0);`);
    expect(lines(d)).toEqual([
      'a 1 [ 1, 2, ',
      '  "x"',
      ' ] { "a": 1, ',
      '  "b": "s", ',
      '  "c": [ 1 ]',
      ' } undefined null true 1.5 new Uint8Array([1, 2]) function (x) {return x;}',
      '{ "a": true, "b": D1, "c": 2, "d": 3, ',
      '  "e": 4, "f": 5, "g": 6, "h": 7, "i": 8, ',
      '  "j": 9, "k": 10 }',
      'A: { "x": 1 } Error: Error: m [  ] {  } 0',
    ]);
  });

  it("reports each line to onConsole with its simulated time", () => {
    const seen: string[] = [];
    const d = device({ onConsole: (line, ms) => seen.push(`${ms}:${line}`) });
    d.boot(`print("boot"); setTimeout(function () { print("later"); }, 25);`);
    d.run(30);
    expect(seen).toEqual(["0:boot", "25:later"]);
  });
});

describe("uncaught errors", () => {
  it("are printed as `Uncaught …` and the other timers keep running", () => {
    const d = device();
    d.boot(`
      var ticks = 0;
      setInterval(function () { ticks++; }, 10);
      setTimeout(function () { throw new Error("boom"); }, 15);
      setTimeout(function () { null.x; }, 25);
      setTimeout(function () { throw "str"; }, 35);
      setTimeout(function () { print("ticks", ticks); }, 100);
      throw new Error("top");`);
    expect(d.run(100).state).toBe("running");
    expect(lines(d)).toEqual([
      "Uncaught Error: top",
      "Uncaught Error: boom",
      "Uncaught TypeError: Cannot read properties of null (reading 'x')",
      "Uncaught str",
      "ticks 10",
    ]);
  });

  it("a syntax error in the bundle is printed and nothing runs", () => {
    const d = device();
    d.boot(`print("x"`);
    expect(lines(d)[0]).toMatch(/^Uncaught SyntaxError: /);
    expect(d.state).toBe("idle");
  });
});

describe("hangs", () => {
  it("a while(true) in a callback stops the device and names the callback", () => {
    const d = device();
    d.boot(`setTimeout(function spin() { while (true) {} }, 50); setInterval(function () { print("tick"); }, 20);`);
    const report = d.run(1000);
    expect(report.state).toBe("hung");
    expect(report.simulatedMs).toBe(50);
    expect(report.reason).toMatch(/setTimeout callback spin \(timer 1\) did not return within 200 ms of host time/);
    expect(lines(d)).toEqual(["tick", "tick", expect.stringMatching(/^\[sim\] HUNG: setTimeout callback spin/)]);
    expect(d.run(100)).toMatchObject({ simulatedMs: 0, state: "hung" });
  });

  it("a while(true) at the top level is caught too", () => {
    const d = device();
    d.boot(`while (true) {}`);
    expect(d.state).toBe("hung");
    expect(d.reason).toMatch(/the top-level script of bundle\.js/);
  });

  it("with E.enableWatchdog the hang is a watchdog reset: RAM gone, flash kept, the program runs again", () => {
    const d = device();
    d.boot(`
      E.enableWatchdog(2);
      var F = require("Flash");
      var boots = F.read(4, 0x310000).indexOf(255); // one byte cleared per boot: survives the reset
      print("boot", boots);
      if (boots < 2) {
        var mark = [255, 255, 255, 255];
        mark[boots] = 0;
        F.write(mark, 0x310000);
        setTimeout(function spin() { for (;;) {} }, 100);
      }`);
    const report = d.run(10_000);
    expect(report.state).toBe("idle");
    expect(lines(d)).toEqual([
      "boot 0",
      expect.stringMatching(/^\[sim\] WATCHDOG RESET: setTimeout callback spin .* \(watchdog 2 s\)$/),
      "boot 1",
      expect.stringMatching(/^\[sim\] WATCHDOG RESET/),
      "boot 2",
    ]);
    expect(d.console[1].simMs).toBe(2100); // the watchdog bites 2 s after the loop began
    expect(d.console[2].simMs).toBe(2100);
  });

  it("a watchdog that is not kicked (manual mode) resets the device at its deadline", () => {
    const d = device();
    d.boot(`
      E.enableWatchdog(1, false);
      var n = 0;
      var i = setInterval(function () { if (++n < 5) E.kickWatchdog(); }, 300);
      print("up");`);
    d.run(5000);
    const resets = d.console.filter((l) => l.line.includes("WATCHDOG RESET"));
    expect(resets[0]).toEqual({ line: expect.stringMatching(/E\.kickWatchdog\(\) was not called for 1 s/), simMs: 2200 });
    expect(lines(d).filter((l) => l === "up").length).toBeGreaterThanOrEqual(2);
  });
});

describe("power cuts", () => {
  it("a flash cut turns the device off: the code may catch it once, every later call throws, nothing else runs", () => {
    const d = device();
    d.boot(`
      var F = require("Flash");
      setInterval(function () { print("tick"); }, 10);
      setTimeout(function writer() {
        F.erasePage(0x310000);
        try { F.write([1, 2, 3, 4], 0x310000); } catch (e) { /* caught: the device is off all the same */ }
        print("still here"); // throws the cut again: not printed, and not reported as Uncaught
      }, 25);`);
    d.control.cutFlashAfter(1, "clean");
    const report = d.run(100);
    expect(report.state).toBe("power-cut");
    expect(report.simulatedMs).toBe(25);
    expect(report.reason).toMatch(/power cut at flash op 1 \(program, clean\)/);
    expect(lines(d)).toEqual(["tick", "tick", expect.stringMatching(/^\[sim\] POWER CUT: power cut at flash op 1/)]);
    expect(() => d.eval("1")).toThrow(/power-cut/);
    d.reboot();
    expect(d.state).toBe("running");
    expect(d.eval(`require("Flash").read(4, 0x310000)[0]`)).toBe(255); // the cut program never happened
    expect(d.flash.eraseCounts[0x310]).toBe(1);
  });

  it("a torn cut leaves a state a real chip can leave, and the rebooted program sees it", () => {
    const first = device();
    first.boot(`require("Flash").write([15, 15, 15, 15, 15, 15, 15, 15], 0x310000);`);
    const d = device({ seed: 3, flashImage: first.control.flashImage() });
    d.control.cutFlashAfter(0, "torn");
    d.boot(`var F = require("Flash"); print(F.read(8, 0x310000)); F.write([3, 3, 3, 3, 3, 3, 3, 3], 0x310000);`);
    expect(d.state).toBe("power-cut");
    const torn = d.control.flashImage().subarray(0x310000, 0x310008);
    for (const b of torn) {
      expect(b | 0x0f).toBe(0x0f); // no bit set
      expect(b & 0x03).toBe(0x03); // no bit cleared that the program keeps
    }
    expect(d.control.flashImage().subarray(0x310008, 0x311000).every((b) => b === 0xff)).toBe(true);
    d.reboot();
    expect(d.console.at(-1)?.line).toBe(`new Uint8Array([${[...torn].join(", ")}])`);
  });

  it("control.cutPower() stops the device between callbacks", () => {
    const d = device();
    d.boot(`setInterval(function () { print("tick"); }, 10);`);
    d.run(25);
    d.control.cutPower();
    expect(d.run(100)).toMatchObject({ simulatedMs: 0, state: "power-cut" });
    expect(lines(d).filter((l) => l === "tick")).toHaveLength(2);
  });
});

describe("memory estimate", () => {
  it("grows when the program allocates, in globals and in closures, and reaches process.memory()", () => {
    const d = device();
    d.boot(`
      var before = process.memory();
      var list = [];
      for (var i = 0; i < 200; i++) list.push({ k: i });
      var after = process.memory();
      print(before.total, after.usage - before.usage > 400, after.free === after.total - after.usage);`);
    expect(lines(d)).toEqual(["16383 true true"]);
    const empty = device();
    empty.boot(`(function () {})();`);
    const closure = device();
    closure.boot(`(function () { var big = []; for (var i = 0; i < 300; i++) big.push("item " + i); setInterval(function () { big.length; }, 1000); })();`);
    expect(closure.memory().usage - empty.memory().usage).toBeGreaterThan(600);
    expect(closure.memory().total).toBe(16383);
  });

  it("E.getSizeOf follows Espruino's counts for small values", () => {
    const d = device();
    d.boot(`print(E.getSizeOf({ a: 1 }), E.getSizeOf({ a: 1, b: 2 }), E.getSizeOf([1, 2, 3]), E.getSizeOf("x"));`);
    expect(lines(d)).toEqual(["2 3 4 1"]);
  });
});

describe("the device surface", () => {
  it("lacks what the interpreter lacks", () => {
    const d = device();
    const missing = d.eval(`[typeof Map, typeof Set, typeof WeakMap, typeof Symbol, typeof Proxy, typeof Reflect, typeof WeakRef,
      typeof queueMicrotask, typeof structuredClone, typeof [].flat, typeof Math.trunc, typeof Object.freeze, typeof Array.from].join()`);
    expect(missing).toBe(Array(13).fill("undefined").join());
    expect(() => d.eval(`Object.create({}, { a: { value: 1 } })`)).toThrow(/not supported by Espruino/);
    expect(d.eval(`[typeof globalThis, typeof global, typeof Promise, typeof JSON, typeof Uint8Array, typeof DataView].join()`)).toBe(
      "object,object,function,object,function,function",
    );
  });

  it("has E, process and require as the interpreter does", () => {
    const d = device({ seed: 5 });
    d.boot(`
      print(E.CRC32("123456789").toString(16), E.CRC32([1, 2, 3]));
      print(process.env.VERSION, process.env.BOARD);
      try { require("http"); } catch (e) { print(e.message); }
      print(typeof E.hwRand(), Math.random() < 1);`);
    expect(lines(d)).toEqual(["cbf43926 1438416925", "2v29-sim esp32", 'Module "http" not found', "number true"]);
  });

  it("does not hand device code the host's Function through an API function", () => {
    const d = device();
    expect(d.eval(`digitalWrite.constructor === Function && Object.getPrototypeOf(require("Flash").read(1, 0)) === Uint8Array.prototype`)).toBe(true);
  });

  it("runs Promise callbacks within the callback that resolved them", () => {
    const d = device();
    d.boot(`new Promise(function (r) { setTimeout(r, 10); }).then(function () { print("resolved", getTime()); });`);
    d.run(20);
    expect(d.console).toEqual([{ line: "resolved 0.01", simMs: 10 }]);
  });

  // A worker waiting for a core while other suites run is blocked, not busy: virtual time must not move.
  it("charges a callback's CPU time past the grace, not its wall time: one blocked 150 ms is not a hog", () => {
    // The host blocks (no CPU) while the device prints "block", inside the device's callback.
    const block = (line: string) => line === "block" && Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 150);
    const d = device({ hangTimeoutMs: 2000, onConsole: block });
    d.boot(`setTimeout(function () { print("block"); print("after", getTime()); }, 10);
      setTimeout(function () { print("next", getTime()); }, 20);`);
    d.run(30);
    expect(d.console.map((c) => [c.line, c.simMs])).toEqual([["block", 10], ["after 0.01", 10], ["next 0.02", 20]]);
  });
});

describe("flash image files", () => {
  it("save and load the whole chip; a file of the wrong size is refused", () => {
    const dir = mkdtempSync(join(tmpdir(), "exo-sim-"));
    const d = device();
    d.boot(`require("Flash").write([1, 2, 3, 4], 0x310000);`);
    writeFlashImage(join(dir, "dev.flash"), d.control.flashImage());
    const again = device({ flashImage: readFlashImage(join(dir, "dev.flash"), boards.esp32) });
    expect(again.eval(`require("Flash").read(4, 0x310000).join()`)).toBe("1,2,3,4");
    expect(() => readFlashImage(join(dir, "dev.flash"), boards.linux)).toThrow(/is 4194304 bytes; the linux chip has 262144/);
    expect(() => readFlashImage(join(dir, "none.flash"), boards.esp32)).toThrow(UserError);
  });
});

describe("boot and the dialect gate", () => {
  it("refuses a bundle the gate rejects, naming construct, file and line", () => {
    const d = new SimDevice({ board: boards.esp32, gate: bundleGate });
    let error: unknown;
    try {
      d.boot(`var m = new Map();\nvar { a } = m;`, { file: "dist/app.js" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(/dist\/app\.js: the dialect gate rejects the bundle: 2 construct/);
    expect((error as Error).message).toMatch(/dist\/app\.js:1:\d+ .*Map/);
    expect((error as Error).message).toMatch(/dist\/app\.js:2:\d+ .*destructuring/);
    expect(d.state).toBe("halted");
  });

  it("boots a bundle the gate accepts", () => {
    const d = new SimDevice({ board: boards.esp32 });
    d.boot(`(function () { var n = 0; setInterval(function () { digitalWrite(D2, n++ & 1); }, 100); })();`);
    expect(d.run(1000)).toMatchObject({ state: "running", timersPending: 1 });
  });

  it("reboot gives fresh RAM and re-runs the code; eval reaches the device context", () => {
    const d = device();
    d.boot(`var count = 0; setInterval(function () { count++; }, 10);`);
    d.run(95);
    expect(d.eval("count")).toBe(9);
    d.reboot();
    expect(d.eval("count")).toBe(0);
    expect(() => d.eval("nope()")).toThrow(/nope is not defined/);
  });
});
