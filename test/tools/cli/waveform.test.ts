import { describe, expect, it } from "vitest";
import { drawWaveform, waveformWidth } from "../../../tools/cli/waveform.ts";

const square = (periodMs: number, count: number) => Array.from({ length: count }, (_, i) => ({ ms: periodMs * (i + 1), pin: 2, level: ((i + 1) % 2) as 0 | 1 }));

describe("the terminal waveform", () => {
  it("covers the whole run; pulses at least a column wide show with their true width", () => {
    const picture = drawWaveform(square(250, 3), [2], 1000, 8);
    expect(picture).toMatchObject({ windowMs: 1000, columnMs: 125 });
    expect(picture.rows).toEqual(["D2  ▁▁▀▀▁▁▀▀  3 changes"]);
    expect(picture.detail).toBeUndefined();
  });

  it("marks a column where the pin was both high and low, rather than aliasing a long run", () => {
    const picture = drawWaveform(square(250, 40), [2], 10_000, 16);
    expect(picture.windowMs).toBe(10_000);
    // 625 ms a column: every column holds an edge of the 250 ms square wave.
    expect(picture.rows[0]).toBe("D2  ▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒  40 changes");
    // ... and then the start at pulse resolution: a column is half the shortest pulse.
    expect(picture.detail).toMatchObject({ windowMs: 2000, columnMs: 125 });
    expect(picture.detail!.rows[0]).toMatch(/^D2 {2}▁▁▀▀▁▁▀▀▁▁▀▀▁▁▀▀/);
    // One short pulse in a long quiet run still shows.
    const blip = drawWaveform([{ ms: 5000, pin: 2, level: 1 }, { ms: 5001, pin: 2, level: 0 }], [2], 10_000, 10);
    expect(blip.rows[0]).toBe("D2  ▁▁▁▁▁▒▁▁▁▁  2 changes");
  });

  it("fits the terminal: 20 columns for the label and count, 16..200 for the picture, 64 off a terminal", () => {
    expect(waveformWidth(100)).toBe(80);
    expect(waveformWidth(20)).toBe(16);
    expect(waveformWidth(1000)).toBe(200);
    expect(waveformWidth(undefined)).toBe(64);
  });
});
