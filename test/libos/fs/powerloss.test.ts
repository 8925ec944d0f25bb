/**
 * Reentrancy (LOGCFG §5, CI-sized): a power cut, clean and torn, at every
 * flash operation of a small LOGCFG run; recovery must mount without
 * formatting, keep every acknowledged record and config, continue, remount.
 * The negative controls must fail, or the checker proves nothing.
 * A failure names the trial as k:mode:seed: `npx tsx tools/bench/fs.ts
 * --powerloss --records N --workload W --replay k:mode:seed` re-runs it.
 */
import { describe, expect, it, vi } from "vitest";
import { run } from "../../../tools/bench/powerloss.ts";

// Thousands of trials each: a loaded machine (CI shares its cores) needs more than the default minute.
vi.setConfig({ testTimeout: 300_000 });

describe("libos/fs under power loss (LOGCFG §5, small N)", () => {
  it.each([
    ["w0", 260],
    ["batched", 1500],
  ])("survives a cut at every flash op of %s (N=%i), clean and torn", async (workload, records) => {
    const r = await run({ workload, records, exhaustive: true, workers: 1, seed: 7 });
    expect(r.trials).toBeGreaterThan(2 * 200);
    expect(r.examples).toEqual([]);
    expect(r.failures).toBe(0);
  });

  // ~2,100 trials, every op once clean and once torn (`exo bench fs --powerloss --workload w1` samples 100,000 over a longer run).
  it("survives cuts through W1's cold file and the records after it (every op)", async () => {
    const r = await run({ workload: "w1", records: 200, exhaustive: true, workers: 1, seed: 3 });
    expect(r.examples).toEqual([]);
    expect(r.failures).toBe(0);
  }, 600_000);

  // W1's first cuts at every 3rd op: the test above already cuts its cold file at every op once.
  it.each([
    ["w0", 120, 2, 1],
    ["w0", 120, 3, 1],
    ["w1", 10, "mix", 3],
  ] as const)("survives several cuts in a row: %s (N=%i), --cuts %s, first cuts %i op(s) apart, each continuation cut again", async (workload, records, cuts, stride) => {
    const r = await run({ workload, records, exhaustive: true, stride, cuts, workers: 1, seed: 5 });
    expect(r.trials).toBeGreaterThan(250);
    // Most continuations reach their cut: more than one cut per trial on average.
    expect(r.cuts_made).toBeGreaterThan(1.5 * r.trials);
    expect(r.examples).toEqual([]);
    expect(r.failures).toBe(0);
  });

  it("catches W1's static.bin made visible before its close (negative control 3: synced after every write)", async () => {
    const r = await run({ workload: "w1", records: 10, exhaustive: true, negctl: 3, workers: 1 });
    expect(r.failures).toBeGreaterThan(0);
    expect(Object.keys(r.failures_by_class)).toContain("partial");
    expect(r.pass).toBe(true);
  });

  it("refuses a typo'd option value with a clear message", async () => {
    await expect(run({ cuts: "4" })).rejects.toThrow(/--cuts 4: .*/);
    await expect(run({ cuts: "two" })).rejects.toThrow(/--cuts two/);
    await expect(run({ negctl: 7 })).rejects.toThrow(/--negctl 7/);
  });

  it("catches a config written in two halves (negative control 1)", async () => {
    const r = await run({ workload: "w0", records: 260, exhaustive: true, negctl: 1, workers: 1 });
    expect(r.failures).toBeGreaterThan(0);
    expect(Object.keys(r.failures_by_class)).toContain("config");
    expect(r.pass).toBe(true);
  });

  it("catches a record acknowledged before its sync (negative control 2)", async () => {
    const r = await run({ workload: "w0", records: 260, exhaustive: true, negctl: 2, workers: 1 });
    expect(r.failures).toBeGreaterThan(0);
    expect(Object.keys(r.failures_by_class)).toContain("lost");
  });
});
