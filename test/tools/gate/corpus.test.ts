import vm from "node:vm";
import { describe, expect, it } from "vitest";
import { checkBundle } from "../../../tools/gate/check.ts";
import { RULE_IDS } from "../../../tools/gate/rules.ts";
import { loadCorpus, printedOK } from "./corpus.ts";

const corpus = loadCorpus();

/** Run a snippet as a classic script in a fresh V8 context; its console output once timers have run. */
async function runOnNode(code: string): Promise<string> {
  let out = "";
  const context = vm.createContext({
    console: { log: (...args: unknown[]) => { out += args.join(" ") + "\n"; } },
    setTimeout: (f: () => void, ms?: number) => setTimeout(f, ms),
  });
  new vm.Script(code).runInContext(context, { timeout: 5_000 });
  await new Promise((resolve) => setTimeout(resolve, 30));
  return out;
}

describe("corpus: failing constructs are rejected with their rule", () => {
  for (const s of corpus.filter((x) => x.kind === "fails")) {
    it(s.name, () => {
      const rules = new Set(checkBundle(s.code, { file: s.name }).map((v) => v.rule));
      expect(rules).toContain(s.rule);
      const unexpected = [...rules].filter((r) => r !== s.rule && !s.also.includes(r));
      expect(unexpected, `other rules fired on ${s.name}`).toEqual([]);
    });
  }
});

describe("corpus: working constructs are accepted", () => {
  for (const s of corpus.filter((x) => x.kind === "works")) {
    it(s.name, () => {
      expect(checkBundle(s.code, { file: s.name })).toEqual([]);
    });
  }
});

describe("corpus: coverage", () => {
  it("has a failing snippet for every rule", () => {
    const covered = new Set(corpus.map((s) => s.rule));
    expect(RULE_IDS.filter((id) => !covered.has(id))).toEqual([]);
  });
  it("names only known rules", () => {
    const unknown = corpus.filter((s) => s.rule && !RULE_IDS.includes(s.rule)).map((s) => s.name);
    expect(unknown).toEqual([]);
  });
});

// A snippet is a fair test only if it prints OK where the construct works:
// run each on Node's V8, as a classic script (not a module), like Espruino runs it.
describe("corpus: every snippet prints OK on Node", () => {
  for (const s of corpus.filter((x) => !x.skipOnNode && x.rule !== "syntax")) {
    it.concurrent(`${s.kind}/${s.name}`, async () => {
      const out = await runOnNode(s.code);
      expect(printedOK(out), out).toBe(true);
    });
  }
});
