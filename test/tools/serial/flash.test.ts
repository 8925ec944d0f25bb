import { describe, expect, it } from "vitest";
import { checkBundle } from "../../../tools/gate/check.ts";
import { BOOT_STUB } from "../../../tools/serial/boot-stub.ts";
import { sleep } from "../../../tools/serial/host-timers.ts";
import { booted, firmware, setup } from "./helpers.ts";

describe("exo flash over a simulated serial line", () => {
  it("uploads, verifies, commits, and the device boots the new image", async () => {
    const sim = setup();
    const report = await sim.flash(firmware("A"));
    expect(report.action).toBe("flashed");
    expect(report.stubWritten).toBe(true);
    expect(booted(sim.powerCycle())).toBe("A");
  });

  it("skips when the device already boots the same image", async () => {
    const sim = setup();
    await sim.flash(firmware("A"));
    const again = await sim.flash(firmware("A"));
    expect(again.action).toBe("skipped");
    expect(again.sentBytes).toBe(0);
  });

  it("replaces an image and erases the older generation", async () => {
    const sim = setup();
    await sim.flash(firmware("A"));
    const b = await sim.flash(firmware("B"));
    expect(b.generation).toBe(2);
    expect(b.stubWritten).toBe(false);
    expect(sim.device.storage.list().sort()).toEqual([".bootcde", b.image, "exo.ok.2"].sort());
    expect(booted(sim.powerCycle())).toBe("B");
  });

  it("the boot stub passes the dialect gate", () => {
    expect(checkBundle(BOOT_STUB, { file: "stub.js" })).toEqual([]);
  });
});

describe("exo flash on a faulty link", () => {
  it("recovers from a link that drops bytes", async () => {
    const sim = setup({ faults: { dropRate: 0.0005, seed: 3 } });
    const report = await sim.flash(firmware("A"));
    expect(report.retries).toBeGreaterThan(0);
    expect(booted(sim.powerCycle())).toBe("A");
  });

  it("recovers from a link that inserts garbage", async () => {
    const sim = setup({ faults: { garbageRate: 0.0002, seed: 5 } });
    const report = await sim.flash(firmware("A"), { restarts: 5 });
    expect(report.action).not.toBe("skipped");
    expect(booted(sim.powerCycle())).toBe("A");
  });

  for (const seed of [1, 4, 11, 17]) {
    it(`survives drops, garbage and NAKs together (seed ${seed})`, async () => {
      const sim = setup({ faults: { garbageRate: 0.0001, dropRate: 0.0001, nakRate: 0.01, seed } });
      await sim.flash(firmware("A", 30_000));
      expect(booted(sim.powerCycle())).toBe("A");
    });
  }

  it("rides out a link that stalls for seconds", async () => {
    const sim = setup({ faults: { stallEvery: 5000, stallMs: 4000 } });
    await sim.flash(firmware("A"));
    expect(booted(sim.powerCycle())).toBe("A");
  });

  it("after a disconnect and an immediate reconnect, still ends with a verified image", async () => {
    const sim = setup({ faults: { disconnectAfter: 12_000 } });
    const data = firmware("A", 40_000);
    await expect(sim.flash(data)).rejects.toMatchObject({ kind: "closed" });
    await sim.flash(data);
    expect(booted(sim.powerCycle())).toBe("A");
  });

  it("resumes after a disconnect mid-upload without resending what was verified", async () => {
    const sim = setup({ faults: { disconnectAfter: 12_000 } });
    const data = firmware("A", 40_000);
    await expect(sim.flash(data)).rejects.toMatchObject({ kind: "closed" });
    // A person replugs the cable: a few seconds pass (the device drops the half-received packet meanwhile).
    await sim.time.drive(sleep(sim.time, 6000));
    const second = await sim.flash(data);
    expect(second.action).toBe("resumed");
    expect(second.resumedFrom).toBeGreaterThan(8000);
    expect(second.sentBytes).toBe(data.length - second.resumedFrom);
    expect(booted(sim.powerCycle())).toBe("A");
  });

  it("retries packets the device NAKs now and then", async () => {
    const sim = setup({ faults: { nakRate: 0.05, seed: 9 } });
    const report = await sim.flash(firmware("A"));
    expect(report.naks).toBeGreaterThan(0);
    expect(booted(sim.powerCycle())).toBe("A");
  });

  it("fails with a clear error when the device NAKs everything", async () => {
    const sim = setup({ faults: { nakRate: 1 } });
    await expect(sim.flash(firmware("A"))).rejects.toMatchObject({ kind: "nak" });
  });

  it("fails with 'no-device' when nothing answers", async () => {
    const sim = setup();
    sim.device.control.cutPower();
    await expect(sim.flash(firmware("A"))).rejects.toMatchObject({ kind: "no-device" });
  });
});

describe("power cuts never boot a partial image", () => {
  for (const mode of ["clean", "torn"] as const) {
    it(`a ${mode} cut at every flash operation of an update boots the old or the new image`, async () => {
      // Count the flash operations of one update A → B.
      const probe = setup();
      await probe.flash(firmware("A", 6000));
      const before = probe.device.control.flashOps;
      await probe.flash(firmware("B", 6000), { run: false });
      const ops = probe.device.control.flashOps - before;
      expect(ops).toBeGreaterThan(10);
      const outcomes = new Map<string, number>();
      for (let k = 0; k < ops; k++) {
        const sim = setup();
        await sim.flash(firmware("A", 6000));
        sim.device.control.cutFlashAfter(k, mode);
        await sim.flash(firmware("B", 6000), { run: false }).catch(() => undefined);
        const lines = sim.powerCycle();
        const which = booted(lines);
        outcomes.set(which, (outcomes.get(which) ?? 0) + 1);
        const context = `cut at op ${k} of ${ops} (${mode}): ${lines.join(" | ")}`;
        expect(lines.some((l) => l.startsWith("Uncaught")), context).toBe(false);
        if (mode === "clean") expect(["A", "B"], context).toContain(which);
        else if (which === "none") expect(lines, context).toContain("Storage is corrupt.");
        // After the cut, flashing again gets B booting.
        await sim.flash(firmware("B", 6000));
        expect(booted(sim.powerCycle()), context).toBe("B");
      }
      expect(outcomes.get("A")).toBeGreaterThan(0);
      expect(outcomes.get("B")).toBeGreaterThan(0);
    });
  }
});

describe("exo flash checks the board", () => {
  it("refuses a bundle built for another board than the device reports", async () => {
    const sim = setup({ board: "linux" });
    await expect(sim.flash(firmware("A"), { board: "esp32" })).rejects.toMatchObject({ kind: "board" });
    expect((await sim.flash(firmware("A"), { board: "linux" })).action).toBe("flashed");
  });
});
