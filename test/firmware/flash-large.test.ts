/**
 * The kernel's flash grant on a region of more than 256 sectors: an app gets
 * a 1,024-sector extent (4 MiB of 4 KiB sectors), libos/fs formats and
 * mounts it through the capability, and after a "reboot" (the ledger read
 * again) the app has the same sectors and every erase count (sectors 256 and
 * up are logged as a pair of records: firmware/ledger.ts).
 */
import { describe, expect, it } from "vitest";
import { NorFlash } from "../../hal/sim/flash.ts";
import { hostServices } from "../../tools/fs/extent.ts";
import type { Hal } from "../../hal/types.ts";
import type { App } from "../../firmware/apps.ts";
import { grantExtent } from "../../firmware/flash.ts";
import { extentOf, ledgerStatus, loadLedger, reserveSectors } from "../../firmware/ledger.ts";
import { OPEN_APPEND, OPEN_CREATE, fileClose, fileOpen, fileRead, fileWrite, fsCheck, fsFormat, fsMount } from "../../libos/fs/index.ts";
import { ledgerSectors } from "../../tools/build/manifests.ts";
import { findBoard } from "../../hal/boards.ts";

/** The apps reserveSectors refuses. */
const reserve = (wanted: { name: string; count: number }[]): string[] => {
  const refused: string[] = [];
  reserveSectors(wanted, (name) => refused.push(name));
  return refused;
};

/** The hal the ledger and the flash grant use, over a simulated chip. */
const chipHal = (chip: NorFlash): Hal =>
  ({
    flash: {
      read: (length: number, addr: number) => chip.read(addr, length),
      write: (data: Uint8Array, addr: number) => chip.program(addr, data),
      erase: (addr: number) => chip.erase(addr),
    },
    crc32: hostServices().crc32,
    sum: (data: Uint8Array) => data.reduce((a, b) => a + b, 0),
  }) as unknown as Hal;

const SECTOR = 4096;
const APP = 1024;

describe("the flash grant on a large region", () => {
  it("grants a 1,024-sector extent that libos/fs formats, and keeps it and its erase counts across a reboot", () => {
    // The ledger's size for this region, as the build computes it (a board with a 4 MiB+ kernel region).
    const esp32 = findBoard("esp32");
    let ledger = 1;
    for (let k = 0; k < 4; k++) ledger = ledgerSectors({ ...esp32, kernelFlash: { base: 0, size: (APP + 2 * ledger) * SECTOR } });
    const region = { base: 0, size: (APP + 2 * ledger) * SECTOR, sector: SECTOR, ledger };
    const chip = new NorFlash({ base: 0, size: region.size, sectorSize: SECTOR, pageSize: 256 });
    const services = hostServices();
    const hal = chipHal(chip);
    const app = { name: "big" } as App;

    loadLedger(hal, region);
    expect(reserve([{ name: "big", count: APP }])).toEqual([]);
    const cap = grantExtent(hal, app)!.cap;
    expect(cap.count).toBe(APP);
    expect(fsFormat(cap, services)).toBe(0);
    const fs = fsMount(cap, services);
    if (typeof fs === "number") throw new Error(`mount ${fs}`);
    const h = fileOpen(fs, "hello", OPEN_CREATE | OPEN_APPEND);
    fileWrite(fs, h, new Uint8Array([1, 2, 3, 4, 5]));
    expect(fileClose(fs, h)).toBe(0);
    // Erase a sector far past 255 a few more times through the capability.
    for (let k = 0; k < 3; k++) cap.erase(1000);

    // Reboot: the ledger is read again.
    loadLedger(hal, region);
    expect(reserve([{ name: "big", count: APP }])).toEqual([]);
    expect(extentOf("big")).toEqual({ first: 2 * ledger, count: APP });
    expect(ledgerStatus().erases).toEqual(Array.from(chip.eraseCounts));
    const again = grantExtent(hal, app)!.cap;
    expect(again.erases(1000)).toBe(chip.eraseCounts[2 * ledger + 1000]);
    expect(again.erases(1000)).toBe(5); // the grant's scrub, format, and 3 more
    // The erased sector held nothing of the file (it was free): the file system is whole.
    const m = fsMount(again, services);
    if (typeof m === "number") throw new Error(`remount ${m}`);
    const r = fileOpen(m, "hello", 0);
    const out = new Uint8Array(5);
    expect(fileRead(m, r, 0, out)).toBe(5);
    expect(Array.from(out)).toEqual([1, 2, 3, 4, 5]);
    expect(fsCheck(m).dirty).toBe(1);
  });
});

describe("the ledger's reservation at boot", () => {
  it("refuses, naming the app and why, one for which no run of free sectors is left; the others keep theirs", () => {
    const region = { base: 0, size: 10 * SECTOR, sector: SECTOR, ledger: 1 };
    const chip = new NorFlash({ base: 0, size: region.size, sectorSize: SECTOR, pageSize: 256 });
    const hal = chipHal(chip);
    loadLedger(hal, region);
    // 8 sectors after the ledger's 2: a (3) and b (3) fit, c (3) does not.
    const refusals: string[] = [];
    reserveSectors([{ name: "a", count: 3 }, { name: "b", count: 3 }, { name: "c", count: 3 }], (name, code, why) => refusals.push(`${name} ${code} ${why}`));
    expect(refusals).toEqual(["c -28 no run of 3 free flash sectors left for it"]);
    expect([extentOf("a"), extentOf("b"), extentOf("c")]).toEqual([{ first: 2, count: 3 }, { first: 5, count: 3 }, undefined]);
  });
});
