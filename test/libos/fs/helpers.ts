/**
 * Shared fixtures for the libos/fs suites: a chip, an extent, a mounted fs.
 */
import { expect } from "vitest";
import { NorFlash } from "../../../hal/sim/flash.ts";
import type { Fs, FsConfig } from "../../../libos/fs/fs.ts";
import { fileClose, fileOpen, fileRead, fileSize, fsFormat, fsMount } from "../../../libos/fs/index.ts";
import { hostServices, norExtent } from "../../../tools/fs/extent.ts";

export const services = hostServices();

export interface Rig {
  chip: NorFlash;
  extent: ReturnType<typeof norExtent>;
  fs: Fs;
  config: FsConfig;
  remount(): Fs;
}

/** A formatted, mounted fs on a fresh chip of `count` sectors of `sector` bytes. */
export function rig(count = 16, sector = 4096, config: FsConfig = {}, seed = 1): Rig {
  const chip = new NorFlash({ base: 0, size: count * sector, sectorSize: sector, pageSize: 256 }, { seed });
  const extent = norExtent(chip);
  expect(fsFormat(extent, services, config)).toBe(0);
  const r: Rig = {
    chip,
    extent,
    config,
    fs: mounted(extent, config),
    remount() {
      r.fs = mounted(norExtent(chip), config);
      return r.fs;
    },
  };
  return r;
}

export function mounted(extent: ReturnType<typeof norExtent>, config: FsConfig = {}): Fs {
  const fs = fsMount(extent, services, config);
  if (typeof fs === "number") throw new Error(`mount returned ${fs}`);
  return fs;
}

/** Deterministic bytes. */
export function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

/** A whole file, or the negative code of opening/reading it. */
export function slurp(fs: Fs, name: string): Uint8Array | number {
  const h = fileOpen(fs, name, 0);
  if (h < 0) return h;
  const out = new Uint8Array(fileSize(fs, h));
  const r = fileRead(fs, h, 0, out);
  fileClose(fs, h);
  return r < 0 ? r : out.subarray(0, r);
}
