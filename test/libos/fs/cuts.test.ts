/**
 * Several power cuts in a row on a full device (issue 13): each removal is
 * cut at its last flash program (torn), the device is remounted, and the
 * next removal is cut the same way. Afterwards, with no more cuts, removing
 * files must free their space: every removal succeeds and a large write fits.
 */
import { describe, expect, it } from "vitest";
import { NorFlash, PowerCut } from "../../../hal/sim/flash.ts";
import type { Fs } from "../../../libos/fs/fs.ts";
import {
  ENOENT, ENOSPC, OPEN_APPEND, OPEN_CREATE,
  fileClose, fileOpen, fileSync, fileWrite, fsCheck, fsGc, fsList, fsMount, fsRemove,
} from "../../../libos/fs/index.ts";
import { norExtent } from "../../../tools/fs/extent.ts";
import { bytes, rig, services } from "./helpers.ts";

const CONFIG = { files: 12, handles: 12 };

function mount(chip: NorFlash): Fs {
  const fs = fsMount(norExtent(chip), services, CONFIG);
  if (typeof fs === "number") throw new Error(`mount returned ${fs}`);
  return fs;
}

/** Fill the device with `files` files, appending `chunk` bytes + sync round robin until ENOSPC. */
function fill(count: number, files: number, chunk: number, idle: boolean): NorFlash {
  const r = rig(count, 4096, CONFIG, 5);
  const hs: number[] = [];
  for (let f = 0; f < files; f++) hs.push(fileOpen(r.fs, `f${f}`, OPEN_CREATE | OPEN_APPEND));
  for (let k = 0; ; k++) {
    const h = hs[k % files];
    const w = fileWrite(r.fs, h, bytes(chunk, k));
    if (w !== chunk || fileSync(r.fs, h) === ENOSPC) break;
    if (idle) fsGc(r.fs, 2);
  }
  for (const h of hs) fileClose(r.fs, h);
  return r.chip;
}

/** Remove `name` with a torn cut at the last flash op the removal makes; false if it makes none. */
function tornRemove(chip: NorFlash, name: string, seed: number): boolean {
  const dry = new NorFlash({ base: 0, size: chip.size, sectorSize: chip.sectorSize }, { image: chip.data });
  dry.ops = chip.ops;
  const before = dry.ops;
  fsRemove(mount(dry), name);
  const n = dry.ops - before;
  if (n === 0) return false;
  const fs = mount(chip);
  const cut = new NorFlash({ base: 0, size: chip.size, sectorSize: chip.sectorSize }, { image: chip.data, seed });
  cut.ops = chip.ops;
  cut.cutAt(chip.ops + n - 1, "torn");
  fs.flash = norExtent(cut);
  expect(() => fsRemove(fs, name)).toThrow(PowerCut);
  chip.data.set(cut.data);
  chip.ops = cut.ops;
  return true;
}

describe("libos/fs after several torn cuts on a full device", () => {
  const cases: [number, number, number, number, boolean][] = [];
  for (const cuts of [2, 3]) for (const [count, files, chunk] of [[8, 6, 700], [8, 10, 300], [6, 4, 1000], [12, 8, 500]]) for (const idle of [true, false]) cases.push([cuts, count, files, chunk, idle]);
  it.each(cases)("%i torn removals in a row (%i sectors, %i files of %i-B appends, idle GC %s): removing files frees their space", (cuts, count, files, chunk, idle) => {
    for (let seed = 1; seed <= 6; seed++) {
      const chip = fill(count, files, chunk, idle);
      for (let c = 0; c < cuts; c++) tornRemove(chip, `f${(c + seed) % files}`, seed * 31 + c);
      // No more cuts: remount, collect, remove every file, then a large write must fit.
      let fs = mount(chip);
      expect(fsCheck(fs).ok).toBe(true);
      expect(fsGc(fs, 1000)).toBeGreaterThanOrEqual(0);
      for (const f of fsList(fs)) expect([f.name, fsRemove(fs, f.name)]).toEqual([f.name, 0]);
      expect(fsRemove(fs, "f0")).toBe(ENOENT);
      fs = mount(chip);
      expect(fsList(fs)).toEqual([]);
      const h = fileOpen(fs, "big", OPEN_CREATE | OPEN_APPEND);
      const big = bytes(((count - 4) * 4096) >> 1, seed);
      expect(fileWrite(fs, h, big)).toBe(big.length);
      expect(fileSync(fs, h)).toBe(0);
    }
  });

  it("the issue's case: three torn removals in a row on a full device (before tombstones: the second or third left 0 free sectors and a closed head)", () => {
    const chip = fill(8, 10, 300, false);
    for (let k = 0; k < 3; k++) expect(tornRemove(chip, `f${k}`, 3 + k)).toBe(true);
    const fs = mount(chip);
    expect(fsGc(fs, 1000)).toBeGreaterThanOrEqual(0);
    for (const f of fsList(fs)) expect([f.name, fsRemove(fs, f.name)]).toEqual([f.name, 0]);
    const h = fileOpen(fs, "big", OPEN_CREATE | OPEN_APPEND);
    expect(fileWrite(fs, h, bytes(8000, 1))).toBe(8000);
    expect(fileSync(fs, h)).toBe(0);
  });

  it("random removals, writes and torn cuts on a full device (2 or 3 cuts in a row): removing every file always works", () => {
    let stuck = 0;
    for (let seed = 1; seed <= 60; seed++) {
      let r = seed * 7919;
      const rnd = (n: number) => ((r = (Math.imul(r, 1103515245) + 12345) >>> 0) >>> 8) % n;
      const chip = fill(8, 8, 200 + rnd(800), rnd(2) === 0);
      for (let step = 0; step < 12; step++) {
        const fs = mount(chip);
        const names = fsList(fs).map((f) => f.name);
        const op = rnd(4);
        if (op < 2 && names.length) tornRemove(chip, names[rnd(names.length)], seed * 100 + step);
        else if (op === 2 && names.length) fsRemove(fs, names[rnd(names.length)]);
        else {
          const h = fileOpen(fs, `n${step}`, OPEN_CREATE | OPEN_APPEND);
          for (let k = 0; h >= 0 && k < 40 && fileWrite(fs, h, bytes(300, k)) === 300 && fileSync(fs, h) === 0; k++) {}
          if (h >= 0) fileClose(fs, h);
        }
      }
      const fs = mount(chip);
      fsGc(fs, 1000);
      for (const f of fsList(fs)) if (fsRemove(fs, f.name) !== 0) { stuck++; console.log("STUCK", seed, f.name, "free", chip.sectorCount - (fs.seq - fs.tail + 1), "pos", fs.pos, "cursor", fs.cursor); break; }
    }
    expect(stuck).toBe(0);
  });
});
