import { describe, expect, it } from "vitest";
import { drawWaveform } from "../../../tools/cli/waveform.ts";

describe("the terminal waveform", () => {
  it("shows every pulse with its true width: a column is at most half the shortest pulse", () => {
    const changes = [250, 500, 750, 1000].map((ms, i) => ({ ms, pin: 2, level: (i % 2 ? 0 : 1) as 0 | 1 }));
    const picture = drawWaveform(changes, [2], 1000, 8);
    expect(picture.windowMs).toBe(1000);
    expect(picture.rows).toEqual(["D2  ▁▁▀▀▁▁▀▀  4 changes"]);
  });

  it("shows the start of a long run rather than aliasing it", () => {
    const changes = Array.from({ length: 40 }, (_, i) => ({ ms: 250 * (i + 1), pin: 2, level: ((i + 1) % 2) as 0 | 1 }));
    const picture = drawWaveform(changes, [2], 10_000, 16);
    expect(picture.windowMs).toBe(2000);
    expect(picture.rows[0]).toMatch(/^D2 {2}▁▁▀▀▁▁▀▀▁▁▀▀▁▁▀▀/);
  });
});
