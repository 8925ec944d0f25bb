/**
 * `exo sim --stim FILE`: the outside world from a file — a button pressed,
 * a pin held, the power cut — and what a newcomer's typo in that file gets.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { buildDevice } from "../../../tools/build/device.ts";
import { run } from "../../../tools/cli/commands/sim.ts";
import { parseStimulus } from "../../../tools/cli/stimulus.ts";

const root = join(import.meta.dirname, "..", "..", "..");
const dir = mkdtempSync(join(tmpdir(), "exo-stim-"));

// A button to ground on D0 (input with pull-up): each press is a falling edge, logged.
mkdirSync(join(dir, "button"));
writeFileSync(join(dir, "button", "manifest.json"), JSON.stringify({ name: "button", pins: { btn: "D0" } }));
writeFileSync(
  join(dir, "button", "main.ts"),
  [
    `import type { AppCaps } from "${relative(join(dir, "button"), join(root, "firmware", "types.ts"))}";`,
    "export function start(caps: AppCaps): void {",
    "  let presses = 0;",
    '  caps.pins.btn.mode("input_pullup");',
    '  caps.pins.btn.watch((state) => { if (!state) caps.services.log("button: press " + ++presses); }, "falling");',
    '  caps.services.log("button: ready");',
    "}",
    "",
  ].join("\n"),
);

describe("exo sim --stim", () => {
  it("presses a button at the given times, and after a power cut the device boots again and goes on", async () => {
    const out = join(dir, "fw", "firmware.js");
    expect((await buildDevice({ root, board: "esp32", apps: ["button"], appDirs: [dir], out })).violations).toEqual([]);
    writeFileSync(join(dir, "stim.txt"), "# two presses, a cut, one more press\n550ms press D0 120ms\n1s press D0 50ms  # a short one\n1.5s cut\n2s press D0 100ms\n");
    const result = await run({ cwd: dir, bundle: out, for: "3s", stim: "stim.txt" });
    const lines = result.console.filter((c) => /^button:|POWER CUT/.test(c.line)).map((c) => `${c.ms} ${c.line}`);
    expect(lines).toEqual([
      "0 button: ready",
      "550 button: press 1",
      "1000 button: press 2",
      "1500 [sim] POWER CUT: power cut by the stimulus (line 4)",
      "1500 button: ready",
      "2000 button: press 1",
    ]);
    expect(result.simulatedMs).toBe(3000);
    expect(result.state).toBe("running");
    // The pin went back up each time the press ended: the pull-up, once the outside world let go.
    expect(result.pins.find((p) => p.pin === "D0")?.level).toBe(1);
  });

  it("reads every form and keeps time order", () => {
    const events = parseStimulus("3s pulse D2 1 50ms\n2s drive D3 1\n2.5s release D3\n550ms press D0 120ms\n5s cut\n", "s.txt", 40);
    expect(events.map((e) => [e.at, e.kind, "pin" in e ? e.pin : "-"])).toEqual([
      [550, "pulse", 0],
      [2000, "drive", 3],
      [2500, "drive", 3],
      [3000, "pulse", 2],
      [5000, "cut", "-"],
    ]);
  });

  it.each([
    ["550ms prss D0 120ms", /s\.txt:1: unknown event "prss"/],
    ["550ms press D0", /s\.txt:1: press takes 2 arguments/],
    ["soon press D0 10ms", /s\.txt:1: time "soon" is not a duration/],
    ["1s press D99 10ms", /s\.txt:1: the board has pins D0\.\.D39, not D99/],
    ["1s drive LED 1", /s\.txt:1: "LED" is not a pin/],
    ["1s drive D1 high", /s\.txt:1: level "high" is not 0 or 1/],
    ["# fine\n\n2s", /s\.txt:3: a time with no event/],
    ["1s udp", /s\.txt:1: "" is not a UDP port/],
    ["1s udp 70000 hi", /s\.txt:1: "70000" is not a UDP port/],
    ["1s udp 7200", /s\.txt:1: udp takes a port and the datagram's text/],
    ['1s udp 7200 "open', /s\.txt:1: "open is not a JSON string/],
  ])("names the file, line and mistake: %s", (text, message) => {
    expect(() => parseStimulus(text, "s.txt", 40)).toThrow(message);
    try {
      parseStimulus(text, "s.txt", 40);
    } catch (e) {
      expect((e as { hint?: string }).hint).toMatch(/press D<n> <duration>/);
    }
  });

  it("sends datagrams in: the rest of the line, or a JSON string; a port nobody bound is said, not silent", async () => {
    const out = join(dir, "fw-echo", "firmware.js");
    const fixtures = join(root, "test", "fixtures", "apps");
    expect((await buildDevice({ root, board: "esp32", apps: ["echo"], appDirs: [fixtures], out })).violations).toEqual([]);
    expect(parseStimulus('1s udp 7200 hello world  # greeting\n2s udp 7200 "a\\u0023b\\n"\n', "s.txt", 40).map((e) => (e.kind === "udp" ? [e.port, e.data.toString()] : e.kind))).toEqual([
      [7200, "hello world"],
      [7200, "a#b\n"],
    ]);
    writeFileSync(join(dir, "udp.txt"), "500ms udp 7200 one\n600ms udp 7200 \"two\"\n700ms udp 7300 nobody\n");
    const lines: string[] = [];
    const result = await run({ cwd: dir, bundle: out, for: "2s", stim: "udp.txt", live: (l) => lines.push(l) });
    expect(result.net?.counters).toMatchObject({ received: 2, sent: 2 });
    expect(lines).toContain("[   0.700s] [sim] stimulus line 3: nothing listens on udp 7300; the datagram is dropped");
  });

  it("a missing stimulus file is named, with what to write", async () => {
    await expect(run({ cwd: dir, bundle: join(dir, "fw", "firmware.js"), for: "1s", stim: "nope.txt" })).rejects.toThrow(/no stimulus file at .*nope\.txt/);
  });
});
