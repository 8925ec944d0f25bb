// The gate runs at the end of every build: a bundle of a few hundred KB must
// take well under a second or two (the walk is linear; a quadratic scope walk
// would take minutes here).
import { describe, expect, it } from "vitest";
import { checkBundle } from "../../../tools/gate/check.ts";

/** A bundle shaped like the device build's: many modules in one IIFE, classes, closures, calls. */
function syntheticBundle(modules: number): string {
  const parts: string[] = ["(function () {"];
  for (let i = 0; i < modules; i++) {
    parts.push(`
  function helper${i}(x, y) { return x + y * ${i}; }
  class Base${i} {
    constructor(n) { this.n = n; this.items = []; }
    add(v) { this.items.push(helper${i}(v, this.n)); return this; }
    get size() { return this.items.length; }
    static create(n) { return new Base${i}(n); }
  }
  class Derived${i} extends Base${i} {
    constructor(n) { super(n); this.seen = {}; }
    add(v) { this.seen["k" + v] = true; return super.add(v); }
  }
  const table${i} = [1, 2, 3].map((v) => helper${i}(v, ${i}));
  let state${i} = { count: 0, last: null, label: \`module ${i}\` };
  function tick${i}(cb) {
    for (let k = 0; k < table${i}.length; k++) { state${i}.count += table${i}[k]; }
    setTimeout(function () { state${i}.last = Date.now(); cb && cb(state${i}); }, 10);
    return state${i}.count ?? 0;
  }
  const module${i} = { tick: tick${i}, make: (n) => new Derived${i}(n).add(1).add(2), state: state${i} };`);
  }
  parts.push(`  var all = [${Array.from({ length: modules }, (_, i) => `module${i}`).join(", ")}];`);
  parts.push("  all.forEach(function (m) { m.tick(function () {}); m.make(3); });");
  parts.push("})();");
  return parts.join("\n");
}

describe("performance", () => {
  it("checks a 300 KB bundle in well under the build's budget", () => {
    const code = syntheticBundle(360);
    expect(code.length).toBeGreaterThan(300_000);
    checkBundle(syntheticBundle(5)); // warm the JIT
    const t0 = performance.now();
    const violations = checkBundle(code);
    const ms = performance.now() - t0;
    expect(violations).toEqual([]);
    expect(ms).toBeLessThan(3_000);
    console.log(`gate: ${(code.length / 1024).toFixed(0)} KB in ${ms.toFixed(0)} ms`);
  });
});
