/**
 * The flash ledger: the same app gets the same sectors after every reboot,
 * erase counts persist, sectors of removed apps are reclaimed and erased
 * before another app gets them — and a power cut at any flash operation of a
 * ledger update never loses or duplicates ownership.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { findBoard } from "../../hal/boards.ts";
import { SimDevice } from "../../hal/sim/device.ts";
import { app, boot, build, lines, status, type Built, type KernelStatus } from "./helpers.ts";

const board = findBoard("esp32");
const firstKernelSector = board.kernelFlash.base / board.chip.sectorSize;

/** Owners per sector, from the status, as a compact string ("kk ff n …"). */
const owners = (s: KernelStatus) => s.ledger.owners.map((o) => o || "-").join(" ");

describe("the flash ledger", () => {
  let before: Built; // flasher (2 sectors) + neighbour (1)
  let after: Built; // flasher + newcomer (3): neighbour removed
  let image: Uint8Array; // the chip after `before` ran once

  beforeAll(async () => {
    before = await build(["flasher", "neighbour"]);
    after = await build(["flasher", "newcomer"]);
    const device = boot(before, 100);
    expect(lines(device)).toContain("neighbour: marker in place");
    image = device.control.flashImage();
  }, 120_000);

  it("gives an app the same sectors after every reboot and keeps every erase count", () => {
    // A fresh chip: the simulator's own erase counters start with it.
    const device = boot(before, 100);
    const first = status(device);
    for (let i = 0; i < 3; i++) {
      device.reboot();
      device.run(100);
    }
    const later = status(device);
    expect(app(later, "flasher").flash).toMatchObject({ first: 2, count: 2 });
    expect(app(later, "neighbour").flash).toMatchObject({ first: 4, count: 1 });
    expect(owners(later)).toBe(owners(first));
    // The ledger's counts are the chip's own, sector for sector (the kernel region).
    const chip = device.control.eraseCounts().slice(firstKernelSector, firstKernelSector + later.ledger.erases.length);
    expect(later.ledger.erases).toEqual(chip);
    expect(app(later, "flasher").flash!.erases[0]).toBeGreaterThan(app(first, "flasher").flash!.erases[0]);
  });

  it("reclaims a removed app's sectors and erases them before another app gets them", () => {
    const device = boot(after, 100, image);
    const s = status(device);
    expect(app(s, "flasher").flash).toMatchObject({ first: 2, count: 2 });
    expect(app(s, "newcomer").flash).toMatchObject({ first: 4, count: 3 });
    expect(owners(s)).not.toContain("neighbour");
    expect(lines(device)).toContain("newcomer: 3 sectors, 0 bytes not erased");
  });

  it("compacts a full erase log into the other copy and keeps every count", async () => {
    const device = boot(await build(["eraser"]), 10);
    // The grant's scrub + 1200 erases by the app.
    expect(lines(device)).toContain("eraser: erases 1201");
    const s = status(device);
    expect(s.ledger.seq).toBeGreaterThan(1);
    device.reboot();
    device.run(10);
    expect(lines(device)).toContain("eraser: erases 2401");
    const later = status(device);
    const chip = device.control.eraseCounts().slice(firstKernelSector, firstKernelSector + later.ledger.erases.length);
    expect(later.ledger.erases).toEqual(chip);
  });

  it.each(["clean", "torn"] as const)("survives a power cut (%s) around every compaction of the erase log", async (mode) => {
    const eraser = await build(["eraser"]);
    // Find the flash operations that erase a ledger copy (compactions), cut-free.
    const dry = new SimDevice({ board, seed: 1 });
    const chip = dry.flash;
    const erase = chip.erase.bind(chip);
    const ledgerEnd = board.kernelFlash.base + 2 * board.chip.sectorSize;
    const marks: number[] = [];
    chip.erase = (addr: number) => {
      if (addr >= board.kernelFlash.base && addr < ledgerEnd) marks.push(chip.ops);
      erase(addr);
    };
    dry.boot(eraser.code, { file: eraser.file, map: eraser.map });
    dry.run(10); // apps start in a callback of their own, after boot
    expect(lines(dry)).toContain("eraser: erases 1201");
    expect(marks.length).toBeGreaterThanOrEqual(2); // the first ledger, then at least one compaction
    for (const mark of marks.slice(1)) {
      for (let k = mark - 2; k <= mark + 3; k++) {
        const device = new SimDevice({ board, seed: k });
        device.control.cutFlashAt(k, mode);
        device.boot(eraser.code, { file: eraser.file, map: eraser.map });
        device.run(10);
        expect(device.state, `cut at op ${k}`).toBe("power-cut");
        device.reboot();
        device.run(10);
        const s = status(device);
        const where = `cut (${mode}) at op ${k}, compaction at ${mark}`;
        expect(app(s, "eraser").flash, where).toMatchObject({ first: 2, count: 1 });
        expect(s.ledger.owners.filter((o) => o === "eraser"), where).toHaveLength(1);
        // At most the one erase that was cut goes uncounted: k ops = about k/2 app erases before the cut
        // (after the boot's own: the first ledger, the grant's scrub, the boot record and the first
        // boot's app list, 7 ops).
        const counted = app(s, "eraser").flash!.erases[0];
        expect(counted, where).toBeGreaterThanOrEqual(1201 + Math.floor((mark - 7) / 2) - 2);
        expect(lines(device).join("\n"), where).not.toMatch(/Uncaught/);
      }
    }
  });

  describe.each(["clean", "torn"] as const)("a power cut (%s) at every flash operation of the update", (mode) => {
    it("never loses or duplicates ownership, and never shows the old owner's data", () => {
      // How many flash operations the update takes, cut-free.
      const dry = new SimDevice({ board, seed: 1, flashImage: image });
      dry.boot(after.code, { file: after.file, map: after.map });
      const ops = dry.control.flashOps;
      expect(ops).toBeGreaterThan(5);
      for (let k = 0; k < ops; k++) {
        const device = new SimDevice({ board, seed: 1 + k, flashImage: image });
        device.control.cutFlashAt(k, mode);
        device.boot(after.code, { file: after.file, map: after.map });
        expect(device.state, `cut at op ${k}`).toBe("power-cut");
        device.reboot();
        device.run(100);
        const s = status(device);
        const where = `cut (${mode}) at op ${k} of ${ops}: ${owners(s)}`;
        expect(app(s, "flasher").flash, where).toMatchObject({ first: 2, count: 2 });
        expect(app(s, "newcomer").flash, where).toMatchObject({ first: 4, count: 3 });
        expect(s.ledger.owners.filter((o) => o === "flasher"), where).toHaveLength(2);
        expect(s.ledger.owners.filter((o) => o === "newcomer"), where).toHaveLength(3);
        expect(s.ledger.owners.filter((o) => o === "kernel"), where).toHaveLength(2);
        expect(lines(device), where).toContain("newcomer: 3 sectors, 0 bytes not erased");
        expect(lines(device).join("\n"), where).not.toMatch(/Uncaught/);
      }
    });
  });
});
