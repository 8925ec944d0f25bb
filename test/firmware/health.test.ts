/**
 * The kernel's health tick (firmware/health.ts): the watchdog and the
 * quarantine of an app that hangs the device, the memory guard, interrupted
 * upcalls. On the simulated ESP32 (its watchdog resets the chip; the Linux
 * interpreter has none).
 */
import { describe, expect, it } from "vitest";
import { findBoard } from "../../hal/boards.ts";
import { SimDevice } from "../../hal/sim/device.ts";
import { RESETS } from "../../firmware/health.ts";
import { app, boot, build, lines, status } from "./helpers.ts";

const led = findBoard("esp32").led;

describe("a hanging app", () => {
  it("is quarantined after RESETS watchdog resets in a row; the others run; the host can let it go", async () => {
    const built = await build(["blinky", "hanger"]);
    // A hang is found after 200 ms of host time; the watchdog then resets the chip.
    const device = new SimDevice({ board: findBoard("esp32"), seed: 1, hangTimeoutMs: 200 });
    device.boot(built.code, { file: built.file, map: built.map });
    device.run(40_000);
    const out = lines(device);
    const resets = out.filter((l) => l.startsWith("[sim] WATCHDOG RESET"));
    expect(resets.length).toBeGreaterThanOrEqual(RESETS);
    expect(out).toContain(`kernel: app hanger quarantined: the device reset ${RESETS} times in a row while it ran`);
    const s = status(device);
    expect(app(s, "hanger").state).toBe("quarantined");
    expect(app(s, "blinky").state).toBe("running");
    expect(s.quarantined).toEqual(["hanger"]);
    // Blinky kept toggling after the last reset.
    const last = device.console.filter((c) => c.line.startsWith("[sim] WATCHDOG RESET")).at(-1)!.simMs;
    expect(device.waveform.changes.filter((c) => c.pin === led && c.ms > last + 1000).length).toBeGreaterThan(10);

    // Persisted: the next boot does not start it either.
    device.reboot();
    device.run(1000);
    expect(app(status(device), "hanger").state).toBe("quarantined");
    // The host lets it go: from the next boot on it starts again.
    expect(device.eval('exo.unquarantine("hanger")')).toBe(0);
    expect(device.eval('exo.unquarantine("hanger")')).toBe(-2);
    device.reboot();
    device.run(100);
    expect(lines(device).filter((l) => l === "hanger: started").length).toBeGreaterThan(RESETS);
    expect(app(status(device), "hanger").state).toBe("running");
  }, 60_000);
});

describe("an app that keeps allocating", () => {
  it("is stopped before the interpreter runs out, as the one that grew; the others keep running", async () => {
    const device = boot(await build(["blinky", "hoarder"]), 5000);
    const out = lines(device);
    const stopped = out.find((l) => l.startsWith("kernel: app hoarder stopped: out of memory: it kept"));
    expect(stopped, out.join("\n")).toBeDefined();
    expect(out.join("\n")).not.toMatch(/OUT OF MEMORY|Execution Interrupted/);
    const s = status(device);
    expect(app(s, "hoarder").state).toBe("stopped");
    expect(app(s, "blinky")).toMatchObject({ state: "running", faults: 0 });
    // Its memory was let go: well under the board's total again.
    expect(device.memory().usage).toBeLessThan(device.memory().total / 2);
    blinkyAliveAfter(device, device.console.find((c) => c.line === stopped)!.simMs);
  }, 60_000);
});

describe("an upcall the interpreter interrupts", () => {
  it("(recursion without end: no catch sees it) stops the app, not restarted; the others keep running", async () => {
    const device = boot(await build(["blinky", "recurser"]), 3000);
    const out = lines(device);
    expect(out.filter((l) => l.startsWith("kernel: app recurser stopped: execution interrupted"))).toHaveLength(1);
    expect(out.filter((l) => l === "recurser: started")).toHaveLength(1);
    expect(out.some((l) => l.startsWith("recurser: caught"))).toBe(false);
    const s = status(device);
    expect(app(s, "recurser")).toMatchObject({ state: "stopped", faults: 1 });
    expect(app(s, "blinky")).toMatchObject({ state: "running", faults: 0 });
    blinkyAliveAfter(device, 2000);
  }, 60_000);
});

/** Blinky still toggles its LED after `ms`. */
function blinkyAliveAfter(device: SimDevice, ms: number): void {
  expect(device.waveform.changes.filter((c) => c.pin === led && c.ms > ms).length).toBeGreaterThan(2);
}
