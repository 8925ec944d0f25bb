import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { holdMachineLock } from "../../../tools/test/machine-lock.ts";

const name = () => `test-${process.pid}-${Math.random().toString(36).slice(2)}`;

describe("holdMachineLock", () => {
  it("runs holders one at a time and frees the lock when one throws", async () => {
    const lock = name();
    const order: string[] = [];
    const hold = (who: string, fail = false) =>
      holdMachineLock(lock, async () => {
        order.push(who + " in");
        await new Promise((r) => setTimeout(r, 50));
        order.push(who + " out");
        if (fail) throw new Error(who + " failed");
      });
    const results = await Promise.allSettled([hold("a", true), hold("b")]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "fulfilled"]);
    expect(order).toEqual(["a in", "a out", "b in", "b out"]);
    expect(existsSync(join(tmpdir(), `exo-lock-${lock}`))).toBe(false);
  });

  it("takes over the lock of a process that died holding it", async () => {
    const lock = name();
    const dead = spawnSync(process.execPath, ["-e", "process.pid"]).pid!; // exited already
    mkdirSync(join(tmpdir(), `exo-lock-${lock}`));
    writeFileSync(join(tmpdir(), `exo-lock-${lock}`, "pid"), String(dead));
    expect(await holdMachineLock(lock, async () => "held")).toBe("held");
  });
});
