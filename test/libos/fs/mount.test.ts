/**
 * Mount finds the head by a binary search over sector headers (DESIGN.md
 * §3.1): the same head as reading every header would give, wherever the
 * ring stands, and a 1,024-sector device (a 4 MiB flash) formats, fills,
 * remounts and reads back with a mount that reads a few dozen headers, not
 * every one. No timing thresholds: read calls are counted.
 */
import { describe, expect, it } from "vitest";
import { NorFlash } from "../../../hal/sim/flash.ts";
import { norExtent } from "../../../tools/fs/extent.ts";
import type { Fs } from "../../../libos/fs/fs.ts";
import { secProbe } from "../../../libos/fs/fs.ts";
import {
  OPEN_APPEND, OPEN_CREATE, fileClose, fileOpen, fileSync, fileWrite, fsCheck, fsFormat, fsGc, fsMount, fsRemove, fsStats, fsUnmount,
} from "../../../libos/fs/index.ts";
import { bytes, mounted, rig, services, slurp } from "./helpers.ts";

/** The head the old mount took: the used sector with the highest seq (every header read). */
function newest(fs: Fs): number {
  let h = -1;
  let best = -1;
  for (let i = 0; i < fs.count; i++) {
    const q = secProbe(fs, i);
    if (q > best) {
      best = q;
      h = i;
    }
  }
  return h;
}

/** Byte-equal (toEqual on MiBs of typed arrays is slow). */
const same = (a: Uint8Array | number, b: Uint8Array) => typeof a !== "number" && Buffer.compare(a, b) === 0;

/** Record k of a rotating log: 40 bytes into log.<gen>, the generation before the last removed; GC in idle time. */
const gen = (k: number) => Math.floor(k / 60);
function write(fs: Fs, k: number): void {
  if (k % 60 === 0 && k >= 120) expect(fsRemove(fs, `log.${gen(k) - 2}`)).toBe(0);
  const h = fileOpen(fs, `log.${gen(k)}`, OPEN_CREATE | OPEN_APPEND);
  expect(fileWrite(fs, h, bytes(40, k))).toBe(40);
  expect(fileClose(fs, h)).toBe(0);
  fsGc(fs, 2);
}

describe("libos/fs mount", () => {
  it.each([
    ["default spare", {}],
    ["a large free region (spare 13 of 16)", { spare: 13 }],
  ])("finds the newest sector at every position of the ring (%s)", (_, config) => {
    const r = rig(16, 1024, config);
    let checked = 0;
    let last = -1;
    for (let k = 0; k < 1500; k++) {
      write(r.fs, k);
      if (r.fs.head === last) continue;
      last = r.fs.head;
      const copy = new NorFlash({ base: 0, size: 16 * 1024, sectorSize: 1024, pageSize: 256 }, { image: r.chip.data });
      const m = mounted(norExtent(copy), config);
      expect(m.head, `after record ${k}`).toBe(r.fs.head);
      expect(m.seq).toBe(r.fs.seq);
      expect(m.tail).toBe(r.fs.tail);
      expect(newest(m)).toBe(m.head);
      expect(slurp(m, `log.${gen(k)}`)).toEqual(slurp(r.fs, `log.${gen(k)}`));
      checked++;
    }
    // The ring went round several times.
    expect(r.fs.seq).toBeGreaterThan(3 * 16);
    expect(checked).toBeGreaterThan(3 * 16);
  });

  it("falls back when the sector after the head was cut while being opened, or sector 0 is dirty", () => {
    const r = rig(16, 1024);
    // Until the head is sector 15 (sector 0 comes next, in the next lap).
    let k = 0;
    while (!(r.fs.head === 15 && r.fs.seq > 16)) write(r.fs, k++);
    fsUnmount(r.fs);
    const name = `log.${gen(k - 1)}`;
    const want = slurp(mounted(norExtent(r.chip)), name);
    expect(typeof want).toBe("object");
    const img = r.chip.data.slice();
    // The header a real open of sector 0 writes (seq + 1 and its CRC), from a scratch copy.
    const scratch = new NorFlash({ base: 0, size: 16 * 1024, sectorSize: 1024 }, { image: img.slice() });
    const sfs = mounted(norExtent(scratch));
    for (let j = k; sfs.head !== 0; j++) write(sfs, j);
    // A torn open of sector 0: that valid header, a broken snapshot.
    const cut = new NorFlash({ base: 0, size: 16 * 1024, sectorSize: 1024 }, { image: img });
    const torn = new Uint8Array(12);
    torn.set(scratch.data.subarray(16, 24), 0);
    torn.set([0x78, 0x56, 0x34, 0x12], 8);
    norExtent(cut, 0, 16, { lax: true }).write(16, torn);
    expect(secProbe(mounted(norExtent(cut)), 0)).toBe(r.fs.seq + 1);
    const m = mounted(norExtent(cut));
    expect(m.head).toBe(15);
    expect(slurp(m, name)).toEqual(want);
    // Sector 0 dirty (a cut erase): mount still finds the head.
    const dirty = r.chip.data.slice();
    dirty.fill(0, 0, 300);
    const m2 = mounted(norExtent(new NorFlash({ base: 0, size: 16 * 1024, sectorSize: 1024 }, { image: dirty })));
    expect(m2.head).toBe(15);
    expect(slurp(m2, name)).toEqual(want);
  });

  it("formats, fills, remounts and reads a 1,024-sector device (4 MiB) with a mount of a few header reads", () => {
    const count = 1024;
    const chip = new NorFlash({ base: 0, size: count * 4096, sectorSize: 4096, pageSize: 256 });
    expect(chip.size).toBe(4 << 20);
    expect(fsFormat(norExtent(chip), services)).toBe(0);
    let fs = mounted(norExtent(chip));
    // Fill: 256 KiB files until the device is full (ENOSPC).
    const block = (f: number, n: number) => bytes(512, f * 1000 + n / 512);
    const sizes: number[] = [];
    let full = 0;
    for (let f = 0; !full; f++) {
      const h = fileOpen(fs, `f${f}`, OPEN_CREATE | OPEN_APPEND);
      if (h < 0) break;
      let n = 0;
      while (n < 1 << 18) {
        if (fileWrite(fs, h, block(f, n)) !== 512 || fileSync(fs, h) !== 0) break;
        n += 512;
      }
      if (n < 1 << 18) full = 1;
      fileClose(fs, h);
      sizes.push(n);
    }
    expect(full).toBe(1);
    const total = sizes.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(3 << 20);
    expect(fs.seq).toBeGreaterThan(count);
    // Remount: a binary search, not 1,024 header reads.
    const before = chip.stats.reads;
    fs = mounted(norExtent(chip));
    expect(chip.stats.reads - before).toBeLessThan(40);
    for (let f = 0; f < sizes.length; f++) {
      const want = new Uint8Array(sizes[f]);
      for (let n = 0; n < sizes[f]; n += 512) want.set(block(f, n), n);
      expect(same(slurp(fs, `f${f}`), want), `f${f}`).toBe(true);
    }
    expect(fsCheck(fs).ok).toBe(true);
    const stats = fsStats(fs);
    expect(stats.sectors).toBe(count);
    expect(stats.lost).toBe(0);
    // RAM per sector is one bit.
    expect(fs.ok.length).toBe(count / 8);
  });

  it("remounts a 1,024-sector ring after it wrapped, and reads the log back", () => {
    const r = rig(1024, 4096);
    const rec = new Uint8Array(512);
    for (let k = 0; k < 10000; k++) {
      if (k % 1000 === 0 && k >= 2000) expect(fsRemove(r.fs, `log.${k / 1000 - 2}`)).toBe(0);
      const h = fileOpen(r.fs, `log.${Math.floor(k / 1000)}`, OPEN_CREATE | OPEN_APPEND);
      rec.set(bytes(512, k));
      expect(fileWrite(r.fs, h, rec)).toBe(512);
      expect(fileClose(r.fs, h)).toBe(0);
      fsGc(r.fs, 1);
    }
    expect(r.fs.seq).toBeGreaterThan(1024);
    const head = r.fs.head;
    const at = r.chip.stats.reads;
    const fs = r.remount();
    expect(r.chip.stats.reads - at).toBeLessThan(40);
    expect(fs.head).toBe(head);
    for (const g of [8, 9]) {
      const want = new Uint8Array(512 * 1000);
      for (let k = 0; k < 1000; k++) want.set(bytes(512, g * 1000 + k), k * 512);
      expect(same(slurp(fs, `log.${g}`), want), `log.${g}`).toBe(true);
    }
    expect(fsCheck(fs).ok).toBe(true);
  });
});

describe("exo bench fs --sectors", () => {
  it("takes a comma list of sector counts and refuses a typo with a hint", async () => {
    const { parseSectors } = await import("../../../tools/bench/fs.ts");
    expect(parseSectors("64,256,1024")).toEqual([64, 256, 1024]);
    expect(parseSectors(undefined)).toEqual([64, 256, 1024]);
    expect(() => parseSectors("64,25b")).toThrow(/"25b" is not a sector count/);
    expect(() => parseSectors("64,8")).toThrow(/"8"/);
  });
});
