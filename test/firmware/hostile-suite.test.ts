/**
 * The hostile-app suite: every app in test/fixtures/hostile (README.md there
 * lists them) is built beside the witness and run for 2 s on the simulated
 * linux board and, with ESPRUINO_BIN, on the real interpreter built for Linux.
 *
 * For every app, whatever it does, the kernel must guarantee (the threat
 * model): the witness kept ticking at its period to the end of the run
 * (± 1 tick) and toggling its pin, it saw no tampering (its flash, built-ins,
 * timers), its flash sector holds exactly what it wrote, the kernel's status
 * answers with the witness running and never faulted, no pin outside the
 * pair's grants moved, and no app logged `ESCAPE`. A hostile app may end
 * faulted, stopped or refused. A build refusal counts as blocked only when
 * the error names a file of that app. Each test fails with the list of
 * breaches it saw; a summary table is printed at the end.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { symlinkSync, rmSync } from "node:fs";
import { join } from "node:path";
import { breaches, buildPair, root, runInterpreter, runSim, verdicts, type BuildOutcome, type Observed, type Spec } from "./hostile-suite-helpers.ts";

const bin = process.env.ESPRUINO_BIN;
if (!bin) console.log("hostile suite: skipping the real-interpreter runs: set ESPRUINO_BIN to an Espruino binary built for Linux");

/** A reclaim by the host at `at` ms with a 50 ms deadline. */
const reclaim = (app: string, name: string, at = 300) => ({ at, js: `exo.reclaim(${JSON.stringify(app)},${JSON.stringify(name)},50,"hostile suite")` });
/** Replace `file` in the app's temporary copy with a symlink to `target` (a path in the repository). */
const symlinkTo = (file: string, target: string) => (dir: string) => {
  rmSync(join(dir, file), { recursive: true, force: true });
  symlinkSync(join(root, target), join(dir, file));
};
const HANG = "a busy loop: the Linux interpreter has no hardware watchdog (E.enableWatchdog is a no-op), nothing could stop it";

const deliver = (port: number, at: number, count = 1) => ({
  at,
  js: `(function(){for(var i=0;i<${count};i++)exo.deliver("udp",${port},new Uint8Array([1,2,3,4,5,6,7,8,9,10]))})()`,
});

/** Every app of test/fixtures/hostile (README.md there), in the order the report lists them. */
export const SPECS: Spec[] = [
  { name: "control-benign", cls: "control", tries: "nothing: its own pin, timer and sector (must pass)" },
  // 1. The Function constructor without naming `constructor`.
  { name: "fnctor-descriptor", cls: "1", tries: "the Function constructor from a property descriptor of a function's prototype" },
  { name: "fnctor-computed", cls: "1", tries: "the Function constructor through member names built at run time" },
  { name: "fnctor-class", cls: "1", tries: "the Function constructor through class statics, instances and super[k]" },
  { name: "fnctor-error", cls: "1", tries: "the Function constructor through error objects, the kernel's included" },
  { name: "fnctor-caller", cls: "1/5", tries: "fn.caller and fn.arguments up into the kernel's frames" },
  // 2. `this` leaking the global object.
  { name: "this-detached", cls: "2", tries: "methods called detached, with call/apply(undefined)" },
  { name: "this-callbacks", cls: "2", tries: "methods passed to built-ins as callbacks" },
  { name: "this-class", cls: "2", tries: "class methods, statics and super methods called detached" },
  {
    name: "this-kernel-calls", cls: "2", tries: "methods handed to the kernel: timers, watch, onReadable, release",
    host: [deliver(47011, 300), reclaim("this-kernel-calls", "pins.out", 400)],
  },
  { name: "this-libos", cls: "2", tries: "methods handed to libos/sched as hooks and steps" },
  { name: "shared-libos", cls: "10", tries: "the LibOS functions it shares with the witness: call/apply/toString set, defined, assigned" },
  { name: "this-toplevel", cls: "2/10", tries: "this and arguments at the module's top level, this in a plain function" },
  // 3. Imports the verifier never saw.
  { name: "import-noext", cls: "3", tries: "import from ./evil (no extension) resolved to evil.js" },
  { name: "import-reexport", cls: "3", tries: "export * / export { } from an extensionless ./evil" },
  { name: "import-sideeffect", cls: "3", tries: "a side-effect import of ./evil whose top level uses the hardware" },
  { name: "import-symlink-file", cls: "3", tries: "evil.ts symlinked (at run time) to firmware/caps.ts", prepare: symlinkTo("evil.ts", "firmware/caps.ts") },
  { name: "import-symlink-dir", cls: "3", tries: "kern/ symlinked (at run time) to firmware/", prepare: symlinkTo("kern", "firmware") },
  { name: "import-dynamic", cls: "3", tries: "import() of firmware/caps.ts" },
  // 4. Shared built-ins changed by one app.
  { name: "builtin-assign", cls: "4", tries: "assigns Math.floor, Object.keys, String.fromCharCode, JSON.parse" },
  { name: "builtin-alias", cls: "4", tries: "changes Math and Array through aliases, assign and defineProperty" },
  { name: "builtin-proto-assign", cls: "4", tries: "hooks Array.prototype.push/indexOf to steal and withdraw capabilities" },
  { name: "builtin-super-write", cls: "4", tries: "super.x = … in a class extending Object" },
  { name: "builtin-super-proto-pins", cls: "4", tries: "Object.prototype via super[\"__proto__\"]; a planted pin granted on restart" },
  { name: "builtin-super-proto-timers", cls: "4", tries: "Object.prototype via super; planted ids make cancel take others' timers" },
  { name: "builtin-super-proto-getter", cls: "4", tries: "Object.prototype via super; toJSON spoofs the status, a getter reads kernel records" },
  { name: "builtin-super-indexof", cls: "4", tries: "Object.prototype via super; a planted indexOf blinds a NUL check; Array.prototype via \"__proto__\\0\"" },
  { name: "builtin-nul-proto", cls: "4", tries: 'Array.prototype through the member name "__proto__\\0" (Espruino reads it as __proto__); push hook' },
  { name: "builtin-nul-string", cls: "4/8", tries: 'String.prototype via "__proto__\\0"; charCodeAt hooked past the key guard; a kernel closure\'s scope' },
  { name: "builtin-super-array", cls: "4", tries: "Array.prototype via super with an array receiver; push hook steals capabilities" },
  // 5. Shared kernel objects.
  { name: "shared-services", cls: "5", tries: "replaces caps.services.log/now to read others' lines" },
  { name: "shared-services-delete", cls: "5", tries: "replaces caps.services.log with a counting getter that goes undefined" },
  // 6. Argument coercion between check and use.
  { name: "coerce-flash-read", cls: "6", tries: "flash.read with valueOf offsets/lengths and odd numbers" },
  { name: "coerce-flash-flatten", cls: "6", tries: "flash.write with [s, s, s, s] (1 KiB strings) and nested arrays" },
  { name: "coerce-flash-count", cls: "6", tries: "flash.write with {length, data, count} and an array whose length lies" },
  { name: "coerce-flash-typedlen", cls: "6", tries: "flash.write with a Uint8Array whose own length lies" },
  { name: "coerce-flash-erase", cls: "6", tries: "flash.erase/erases with valueOf indexes and odd values" },
  { name: "coerce-timer", cls: "6", tries: "timer.every with a period whose valueOf changes; odd periods" },
  { name: "coerce-pin", cls: "6", tries: "watch/mode/unwatch with objects, odd edges and debounces, forged ids" },
  {
    name: "coerce-packets", cls: "6", tries: "net.send with lying lengths and subarrays",
    host: [{ at: 300, js: 'print("host: drained " + exo.transmit("coerce-packets").map(function (p) { return p.length; }).join(",") + " bytes")' }, deliver(47012, 350)],
  },
  // 7. Hostile values the kernel touches.
  { name: "value-throw-getter", cls: "7", tries: "start throws an object whose message getter throws" },
  { name: "value-throw-tostring", cls: "7", tries: "start throws a value whose toString/valueOf/code throw" },
  { name: "value-timer-throw", cls: "7", tries: "a timer throws getter-laden values again and again" },
  {
    name: "value-release-getter", cls: "7", tries: "start returns handlers whose release getter throws; the host reclaims",
    host: [reclaim("value-release-getter", "pins.out")], reclaimed: "pins.out",
  },
  {
    name: "value-revoke-getter", cls: "7/8", tries: "getters/setters planted on its own capability; the host reclaims flash",
    host: [reclaim("value-revoke-getter", "flash")], reclaimed: "flash",
  },
  // 8. Revocation missing copies; Espruino's function internals.
  { name: "revoke-bind", cls: "8", tries: "pin.write.bind(undefined) kept across close" },
  { name: "revoke-evasive", cls: "8", tries: "bind by a computed name, clone, call/apply of kept methods after close" },
  { name: "revoke-nul-bind", cls: "8", tries: 'bind reached as "bind\\0", copies kept across close' },
  { name: "hidden-replace-nul", cls: "8", tries: 'replaceWith reached as "replaceWith\\0"; a probe reads the kernel closure\'s variables' },
  { name: "hidden-static", cls: "8", tries: "\\xFFsco, \\xFFcod, replaceWith named in the source" },
  { name: "hidden-computed", cls: "8", tries: "a kernel closure's scope, code strings and replaceWith by computed names" },
  // 9. Exhaustion without quota or recovery.
  { name: "exhaust-watch", cls: "9", tries: "5000 pin.watch calls" },
  { name: "exhaust-memory", cls: "9", tries: "allocate and keep until the heap is gone" },
  { name: "exhaust-recursion-start", cls: "9", tries: "unbounded recursion in start" },
  { name: "exhaust-recursion-timer", cls: "9", tries: "unbounded recursion in a timer, every 100 ms" },
  { name: "exhaust-hang-start", cls: "9", tries: "while (true) in start", skipInterpreter: HANG, runMs: 40_000, hangMs: 500 },
  { name: "exhaust-hang-timer", cls: "9", tries: "while (true) in a timer at 500 ms", skipInterpreter: HANG, runMs: 40_000, hangMs: 500 },
  { name: "exhaust-log-flood", cls: "9", tries: "2 KiB console lines, five every 10 ms, for 1.5 s" },
  { name: "exhaust-cpu", cls: "9", tries: "a 10 ms timer that keeps the CPU 70 ms, for 1.5 s" },
  { name: "exhaust-packets", cls: "9", tries: "packet floods both ways", host: [deliver(47014, 300, 500)] },
  { name: "exhaust-error-message", cls: "9", tries: "start throws a 40 KB message at every restart" },
  { name: "exhaust-yield-spin", cls: "9", tries: "two after(0) chains for 1.5 s" },
  // 10. The rest.
  { name: "misc-toplevel-throw", cls: "10", tries: "throws from the module's top level" },
  { name: "misc-promise-zombie", cls: "10", tries: "Promise callbacks run after the kernel stopped it" },
  { name: "misc-stack-secrets", cls: "10", tries: "other apps' source and constants from an error's stack" },
  { name: "crash-array-native", cls: "10", tries: "[].pop, [].slice, [].concat called with no this" },
  { name: "crash-string-native", cls: "10", tries: '"".slice, "".substr, a Uint8Array\'s slice called with no this' },
  // Round 2: written against the mechanisms above, with their source in hand.
  { name: "r2-builtin-valueof", cls: "1/4/8", tries: "Math.valueOf() and Object.clone() hand over a built-in as a value" },
  { name: "r2-keys-named-fn", cls: "1/4/8", tries: "o[k] where k comes through a function expression's own name" },
  { name: "r2-keys-prefix-inc", cls: "1/4/8", tries: 'o[++k]: Espruino\'s prefix ++ of "__proto__\\0" appends "1"' },
  { name: "r2-unicode-alias", cls: "1/4/8", tries: "member names with \\u escapes a non-Unicode interpreter reads as NUL and \\xFF" },
  { name: "r2-native-nul", cls: "10", tries: '[]["pop\\0"]: a built-in method by a name the native list did not hold, called detached' },
  { name: "r2-crash-json-proto", cls: "10", tries: 'start returns JSON.parse(\'{"__proto__":0}\'): a prototype that is a number' },
  { name: "r2-emit-zombie", cls: "9/10", tries: "on/emit listeners that throw unfaulted and run after the kernel stopped the app" },
  { name: "r2-emit-memory", cls: "9", tries: "memory taken in emit listeners, charged to the witness" },
  { name: "r2-timer-reentry", cls: "6/9", tries: "after() re-entered from its delay's valueOf: past the quota, across close()" },
  { name: "r2-log-forge", cls: "5/10", tries: "new lines in log text and fault messages forge kernel, witness and host lines" },
];

/** A few at a time: each build is mostly rollup and terser, which overlap well. */
function limiter(slots: number) {
  const waiting: (() => void)[] = [];
  return async <T>(job: () => Promise<T>): Promise<T> => {
    if (slots > 0) slots--;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await job();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else slots++;
    }
  };
}
const building = limiter(3);
const builds = new Map<string, Promise<BuildOutcome>>();
const build = (spec: Spec) => {
  let b = builds.get(spec.name);
  if (!b) builds.set(spec.name, (b = building(() => buildPair(spec))));
  return b;
};
/**
 * Every build, before any run: the simulator counts a callback's host CPU
 * time past 50 ms as device time (hal/sim/device.ts), and a build's garbage
 * collected inside a run's callback would count.
 */
const buildAll = async () => {
  await Promise.all(SPECS.map(build));
};

interface Row {
  cls: string;
  sim?: string;
  interpreter?: string;
}
const rows = new Map<string, Row>();
const row = (spec: Spec) => {
  let r = rows.get(spec.name);
  if (!r) rows.set(spec.name, (r = { cls: spec.cls }));
  return r;
};

/** One line for the summary: refused, escaped (with what), or blocked. */
function summarize(o: Observed, spec: Spec, found: string[]): string {
  const own = verdicts(o, spec.name);
  if (!found.length) return `blocked (${own.blocked.length} BLOCKED)`;
  return "ESCAPED: " + found.join("; ");
}

/** The build, or a pass when the build refused the app naming its own file. */
async function built(spec: Spec, where: "sim" | "interpreter") {
  const b = await build(spec);
  if (b.kind === "refused") {
    row(spec)[where] = "refused at build: " + b.message.split("\n").find((l) => l.includes(`hostile/${spec.name}/`))?.trim();
    return undefined;
  }
  if (b.kind === "error") {
    row(spec)[where] = "BUILD FAILED without naming the app: " + b.message.split("\n")[0];
    expect.fail(`the build failed without naming a file of ${spec.name}:\n${b.message}`);
  }
  return b as Extract<BuildOutcome, { kind: "built" }>;
}

describe("hostile apps beside the witness, on the simulator", () => {
  beforeAll(buildAll, 600_000);
  for (const spec of SPECS) {
    it(`${spec.name} [class ${spec.cls}]: ${spec.tries}`, async () => {
      const b = await built(spec, "sim");
      if (!b) return;
      const o = runSim(b, spec);
      const found = breaches(o, spec);
      row(spec).sim = summarize(o, spec, found);
      expect(found, `${spec.name} on the simulator`).toEqual([]);
    }, 60_000);
  }
});

describe.skipIf(!bin)("hostile apps beside the witness, on the interpreter (ESPRUINO_BIN)", () => {
  // Two interpreters at a time; each run waits on its own clock for RUN_MS.
  const running = limiter(2);
  const runs = new Map<string, Promise<Observed>>();
  const run = (spec: Spec, b: Extract<BuildOutcome, { kind: "built" }>) => {
    let r = runs.get(spec.name);
    if (!r) runs.set(spec.name, (r = running(() => runInterpreter(bin!, b, spec))));
    return r;
  };
  beforeAll(buildAll, 600_000);
  for (const spec of SPECS) {
    const test = spec.skipInterpreter ? it.skip : it;
    test(`${spec.name} [class ${spec.cls}]: ${spec.tries}${spec.skipInterpreter ? " (skipped: " + spec.skipInterpreter + ")" : ""}`, async () => {
      const b = await built(spec, "interpreter");
      if (!b) return;
      // Start the next runs while this one goes: the interpreter mostly waits on its clock.
      const i = SPECS.indexOf(spec);
      for (const next of SPECS.slice(i + 1, i + 3)) {
        if (next.skipInterpreter) continue;
        const nb = await build(next);
        if (nb.kind === "built") run(next, nb);
      }
      const o = await run(spec, b);
      const found = breaches(o, spec);
      row(spec).interpreter = summarize(o, spec, found);
      expect(found, `${spec.name} on the interpreter`).toEqual([]);
    }, 90_000);
  }
});

afterAll(() => {
  const lines = ["", "hostile suite: app | class | simulator | interpreter"];
  for (const spec of SPECS) {
    const r = rows.get(spec.name) ?? { cls: spec.cls };
    lines.push(`${spec.name} | ${r.cls} | ${r.sim ?? "-"} | ${spec.skipInterpreter ? "skipped: " + spec.skipInterpreter : r.interpreter ?? "-"}`);
  }
  const count = (where: "sim" | "interpreter", prefix: string) => [...rows.values()].filter((r) => r[where]?.startsWith(prefix)).length;
  for (const where of ["sim", "interpreter"] as const) {
    lines.push(`${where}: ${count(where, "ESCAPED")} escaped, ${count(where, "blocked")} blocked at run time, ${count(where, "refused")} refused at build, ${count(where, "BUILD FAILED")} builds failed without naming the app`);
  }
  console.log(lines.join("\n"));
});
