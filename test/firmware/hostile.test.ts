/**
 * The hostile-app suite: each case is a real app (test/fixtures/apps/<name>)
 * built with the kernel and blinky, booted on the simulated ESP32. Every
 * attack is stopped with the right error, and blinky keeps blinking.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { EBUSY, EINVAL, ENOBUFS, ENOR, EREVOKED } from "../../firmware/errors.ts";
import { findBoard } from "../../hal/boards.ts";
import type { SimDevice } from "../../hal/sim/device.ts";
import { app, boot, build, lines, status, type Built } from "./helpers.ts";

const led = findBoard("esp32").led;

/** Blinky still toggles its LED every 250 ms up to `ms`. */
function blinkyAlive(device: SimDevice, ms: number): void {
  const edges = device.waveform.changes.filter((c) => c.pin === led).map((c) => c.ms);
  expect(edges.length).toBeGreaterThanOrEqual(Math.floor(ms / 250) - 1);
  expect(edges.at(-1)).toBeGreaterThanOrEqual(ms - 500);
}

describe("hostile apps on the kernel", () => {
  let built: Built;
  beforeAll(async () => {
    built = await build(["blinky", "forger", "flasher", "timerhog", "cacher", "polite", "thrower", "flood", "listener"]);
  }, 120_000);

  it("a forged capability (a look-alike, a forged this, an inheriting object) reaches nothing beyond the grant", () => {
    const device = boot(built, 1000);
    const out = lines(device);
    expect(out).toContain(`forger: fake extent read refused ${EINVAL}`);
    expect(out).toContain(`forger: fake extent erase refused ${EINVAL}`);
    expect(out).toContain(`forger: read with a forged this refused ${EINVAL}`);
    expect(out).toContain(`forger: inherited extent erase refused ${EINVAL}`);
    // The look-alike pin "works": it is the app's own function, and moves no pin.
    expect(out).toContain("forger: look-alike pin write worked");
    expect(device.waveform.changes.filter((c) => c.pin === 12)).toEqual([]);
    expect(out).toContain("forger: own read 4");
    blinkyAlive(device, 1000);
  });

  it("flash: reads, programs and erases outside the extent, and 0→1 programs, are refused", () => {
    const device = boot(built, 500);
    const out = lines(device);
    // 2: the kernel erased the sector before granting it, then the app did.
    expect(out).toContain("flasher: round trip ok, erases 2");
    for (const what of ["read past the end", "read the neighbour's sector", "read before the start", "program past the end", "program unaligned",
      "erase past the end", "erase a fraction", "read at a string offset"]) {
      expect(out).toContain(`flasher: ${what} refused ${EINVAL}`);
    }
    expect(out).toContain(`flasher: program 0 to 1 refused ${ENOR}`);
    expect(out).toContain(`flasher: program 0 to 1 in a long write refused ${ENOR}`);
    expect(out).toContain("flasher: program a long write again worked");
    expect(out).toContain("flasher: program over 0s with 0s worked");
    expect(app(status(device), "flasher").state).toBe("running");
  });

  it("timers: past the quota EBUSY, under the floor EINVAL, after(0) allowed", () => {
    const device = boot(built, 500);
    const out = lines(device);
    expect(out).toContain(`timerhog: every 1 ms refused ${EINVAL}`);
    expect(out).toContain("timerhog: after 0 ms worked");
    expect(out).toContain("timerhog: every 1000 ms worked");
    expect(out).toContain(`timerhog: a third timer refused ${EBUSY}`);
    expect(out).toContain("timerhog: yielded");
  });

  it("a cached method is useless after repossession; the swapped one throws EREVOKED; the log records it", () => {
    const device = boot(built, 300);
    expect(device.control.pinMode(13)).toBe("output");
    expect(device.eval('exo.reclaim("cacher", "pins.out", 50, "test")')).toBe(0);
    device.run(400);
    const out = lines(device);
    expect(out).toContain("cacher: asked for pins.out within 50 ms; keeping it");
    expect(out).toContain("kernel: repossessed pins.out from app cacher (test)");
    expect(out).toContain("cacher: cached write: Invalid pin");
    expect(out).toContain("cacher: cached read: Invalid pin");
    expect(out.find((l) => l.startsWith("cacher: cached mode:"))).toMatch(new RegExp(`revoked \\(repossessed\\) ${EREVOKED}$`));
    expect(out.find((l) => l.startsWith("cacher: swapped write:"))).toMatch(new RegExp(`app cacher: pins.out revoked \\(repossessed\\) ${EREVOKED}$`));
    // The pin went back to input; the app still runs (it caught its errors).
    expect(device.control.pinMode(13)).toBe("input");
    const s = status(device);
    expect(s.repossessions).toEqual([{ app: "cacher", name: "pins.out", reason: "test", at: 350 }]);
    expect(app(s, "cacher")).toMatchObject({ state: "running", withdrawn: ["pins.out"] });
    expect(app(s, "cacher").holds).not.toContain("pins.out");
    blinkyAlive(device, 700);
  });

  it("an app that gives the capability back by the deadline is not repossessed", () => {
    const device = boot(built, 100);
    expect(device.control.pinLevel(14)).toBe(1);
    device.eval('exo.reclaim("polite", "pins.out", 50, "test")');
    device.run(200);
    expect(lines(device)).toContain("polite: gave back pins.out");
    expect(device.control.pinMode(14)).toBe("input");
    expect(status(device).repossessions).toEqual([]);
    expect(device.eval('exo.reclaim("polite", "pins.nope", 50, "test")')).toBe(-2);
  });

  it("an app that throws is faulted, revoked and restarted with back-off, then stopped; the others keep running", () => {
    const device = boot(built, 3000);
    const out = lines(device);
    const faults = out.filter((l) => l.startsWith("kernel: app thrower faulted"));
    expect(faults).toEqual([
      "kernel: app thrower faulted: thrower: boom; restart 1 of 3 in 100 ms",
      "kernel: app thrower faulted: thrower: boom; restart 2 of 3 in 200 ms",
      "kernel: app thrower faulted: thrower: boom; restart 3 of 3 in 400 ms",
      "kernel: app thrower faulted: thrower: boom; stopped after 4 faults",
    ]);
    expect(out.filter((l) => l === "thrower: started")).toHaveLength(4);
    // Each fault reset its pin to input, each restart drove it again.
    const edges = device.waveform.changes.filter((c) => c.pin === 15);
    expect(edges.length).toBeGreaterThanOrEqual(4);
    expect(device.control.pinMode(15)).toBe("input");
    const s = status(device);
    expect(app(s, "thrower")).toMatchObject({ state: "stopped", faults: 4, restarts: 3, holds: [] });
    expect(app(s, "blinky")).toMatchObject({ state: "running", faults: 0 });
    blinkyAlive(device, 3000);
  });

  it("a CPU hog is measured and reported in the same pass; the others keep running", async () => {
    // On its own: a hog delays everything after it, so the others' times above would move.
    const device = boot(await build(["blinky", "hog"]), 1000);
    const out = lines(device);
    const i = out.indexOf("hog: done hogging");
    expect(i).toBeGreaterThan(0);
    expect(out[i + 1]).toMatch(/^kernel: app hog overran: an upcall took \d+ ms, its slice is 20 ms$/);
    const hog = app(status(device), "hog");
    expect(hog.overruns).toBe(1);
    expect(hog.worst).toBeGreaterThanOrEqual(100);
    expect(hog.state).toBe("running");
    expect(app(status(device), "blinky").overruns).toBe(0);
    blinkyAlive(device, 1000);
  });

  it("a flooded ring drops and counts; another app's ring is untouched; demux goes by port", () => {
    // 64-byte rings, 22 bytes a packet (2 of length): two fit.
    const device = boot(built, 100);
    expect(lines(device)).toContain(`flood: sent 2, then ${ENOBUFS}`);
    const sent = device.eval(`(function(){var r=[];for(var i=0;i<20;i++)r.push(exo.deliver("udp",7000,new Uint8Array(20)));return r.join()})()`) as string;
    expect(sent.split(",").map(Number)).toEqual([0, 0, ...Array(18).fill(ENOBUFS)]);
    expect(device.eval(`exo.deliver("udp",7001,new Uint8Array([42,1,2]))`)).toBe(0);
    expect(device.eval(`exo.deliver("udp",7002,new Uint8Array([1]))`)).toBe(-2);
    expect(device.eval(`exo.deliver("tcp",7000,new Uint8Array([1]))`)).toBe(-2);
    device.run(10);
    expect(lines(device)).toContain("listener: got 3 bytes, first 42");
    const rings = status(device).packets;
    expect(rings.find((r) => r.app === "flood")).toMatchObject({ queued: 2, received: 2, dropped: 18, sent: 2, refused: 1 });
    expect(rings.find((r) => r.app === "listener")).toMatchObject({ queued: 0, received: 1, dropped: 0 });
    expect(device.eval(`exo.transmit("flood").length`)).toBe(2);
  });
});

describe("static verification", () => {
  it("refuses an app that names digitalWrite, setTimeout, a pin, .constructor or imports the kernel, with file, line and name", async () => {
    const error = await build(["blinky", "rogue"]).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toContain('test/fixtures/apps/rogue/main.ts:3:22  app rogue names "../../../../firmware/boot.ts"');
    expect(message).toContain("test/fixtures/apps/rogue/main.ts:9:3  app rogue names digitalWrite");
    expect(message).toContain("test/fixtures/apps/rogue/main.ts:9:16  app rogue names D5");
    expect(message).toContain("test/fixtures/apps/rogue/main.ts:10:3  app rogue names setTimeout");
    // `this` in a plain function is no longer refused: the build guards it (it is undefined where it would be the global).
    expect(message).not.toContain("app rogue names this");
    expect(message).toContain("app rogue names .constructor");
  });
});

describe("conflicting manifests", () => {
  it("fail the build, naming both apps and the pin", async () => {
    await expect(build(["pina", "pinb"])).rejects.toThrow(/apps pina and pinb both ask for pin D20/);
  });

  it("fail at boot too (a bundle built unchecked): the second app is refused, the first runs", async () => {
    const device = boot(await build(["blinky", "pina", "pinb"], { check: false }), 500);
    const out = lines(device);
    expect(out).toContain("kernel: app pinb refused: apps pina and pinb both ask for pin D20");
    expect(out).toContain("pina: started");
    expect(out).not.toContain("pinb: started");
    expect(app(status(device), "pinb").state).toBe("refused");
    blinkyAlive(device, 500);
  });
});
