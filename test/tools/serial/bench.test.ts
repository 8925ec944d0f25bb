import { describe, expect, it } from "vitest";
import { render, run } from "../../../tools/bench/flash.ts";

describe("exo bench flash", () => {
  it("uploads and verifies the default firmware at ≥ 80% of the simulated link's byte rate", async () => {
    const result = await run({ links: "sim", baud: 115200 });
    expect(result.results[0].efficiency).toBeGreaterThanOrEqual(0.8);
    expect(result.goal.met).toBe(true);
    expect(render(result)).toContain("% of the link's");
  });
});
