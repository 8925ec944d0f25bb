/**
 * Hostile and damaged images: ≥ 10,000 crafted images must mount (or give a
 * clean code), list, stat, read and fsck without throwing. Images come from
 * real workloads; records are rewritten with hostile fields and their CRCs
 * recomputed (so they pass the checksum), headers get hostile seqs with valid
 * header CRCs, and real images get random byte flips. Typed-array reads out
 * of range are made to throw (format.ts get16/get32 are checked here), and
 * the extent throws on an access outside it.
 */
import { crc32 } from "node:zlib";
import { describe, expect, it, vi } from "vitest";

vi.mock("../../../libos/fs/format.ts", async (orig) => {
  const m = await orig<typeof import("../../../libos/fs/format.ts")>();
  return {
    ...m,
    get32: (b: Uint8Array, i: number) => {
      if (!(i >= 0 && i + 4 <= b.length)) throw new RangeError(`get32 at ${i} of ${b.length} bytes`);
      return m.get32(b, i);
    },
    get16: (b: Uint8Array, i: number) => {
      if (!(i >= 0 && i + 2 <= b.length)) throw new RangeError(`get16 at ${i} of ${b.length} bytes`);
      return m.get16(b, i);
    },
  };
});

import { NorFlash } from "../../../hal/sim/flash.ts";
import { norExtent } from "../../../tools/fs/extent.ts";
import {
  ECORRUPT, EINVAL, ENFILE, OPEN_APPEND, OPEN_CREATE, OPEN_REPLACE,
  fileClose, fileOpen, fileRead, fileSize, fileSync, fileWrite, fsCheck, fsGc, fsList, fsMount, fsRemove, fsStat, fsUnmount,
} from "../../../libos/fs/index.ts";
import { bytes, rig, services } from "./helpers.ts";

const SECTOR = 1024;
const COUNT = 8;
const TOP = SECTOR * COUNT;

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

const put32 = (b: Uint8Array, i: number, v: number) => {
  b[i] = v & 255;
  b[i + 1] = (v >>> 8) & 255;
  b[i + 2] = (v >>> 16) & 255;
  b[i + 3] = (v >>> 24) & 255;
};
const get32 = (b: Uint8Array, i: number) => (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
const crc = (b: Uint8Array) => crc32(b) >>> 0;

/** Images of a workload at several points: creates, appends, replaces, removes, GC moves. */
function baseImages(): Uint8Array[] {
  const out: Uint8Array[] = [];
  const r = rig(COUNT, SECTOR, {}, 7);
  const fs = r.fs;
  for (let round = 0; round < 40; round++) {
    const name = `log.${round % 3}`;
    const h = fileOpen(fs, name, OPEN_CREATE | OPEN_APPEND);
    if (h >= 0) {
      fileWrite(fs, h, bytes(40 + (round % 5) * 30, round));
      fileSync(fs, h);
      fileClose(fs, h);
    }
    if (round % 4 === 1) {
      const c = fileOpen(fs, "config", OPEN_REPLACE);
      if (c >= 0) {
        fileWrite(fs, c, bytes(64, 1000 + round));
        fileClose(fs, c);
      }
    }
    if (round % 9 === 8) fsRemove(fs, `log.${(round + 1) % 3}`);
    fsGc(fs, 4);
    if (round % 5 === 4) out.push(r.chip.data.slice());
  }
  fsUnmount(fs);
  out.push(r.chip.data.slice());
  return out;
}

/** Every record with a valid CRC: [offset, size]. */
function records(img: Uint8Array): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < COUNT; i++) {
    const end = (i + 1) * SECTOR;
    for (let a = i * SECTOR + 24; a + 8 <= end; ) {
      const tag = get32(img, a);
      if (tag === 0xffffffff) break;
      const size = 8 + (((tag & 0xfff) + 3) & ~3);
      if (a + size > end) break;
      if (crc(img.subarray(a, a + size - 4)) === get32(img, a + size - 4)) out.push([a, size]);
      a += size;
    }
  }
  return out;
}

function hostile(rand: () => number, near: number): number {
  const k = Math.floor(rand() * 12);
  if (k === 0) return 0;
  if (k === 1) return 0xffffffff;
  if (k === 2) return TOP + Math.floor(rand() * 64) - 32;
  if (k === 3) return SECTOR + Math.floor(rand() * 16) - 8;
  if (k === 4) return (near + Math.floor(rand() * 64) - 32) >>> 0;
  if (k === 5) return Math.floor(rand() * TOP);
  if (k === 6) return 0x7fffffff;
  if (k === 7) return Math.floor(rand() * 64);
  if (k === 8) return 0xffff;
  if (k === 9) return (near ^ (1 << Math.floor(rand() * 32))) >>> 0;
  return Math.floor(rand() * 4294967296) >>> 0;
}

/** One crafted image: hostile fields with valid CRCs, or plain damage. */
function craft(base: Uint8Array, recs: number[][], seed: number): Uint8Array {
  const rand = rng(seed);
  const img = base.slice();
  const kind = seed % 5;
  const edits = 1 + Math.floor(rand() * 3);
  for (let e = 0; e < edits; e++) {
    const [a, size] = recs[Math.floor(rand() * recs.length)];
    if (kind === 0 || kind === 1) {
      // A field of the body (snapshot entry, offset, name location, MOVE cursor, entry tag…), CRC fixed.
      const at = a + 4 + 2 * Math.floor(rand() * ((size - 8) / 2));
      if (rand() < 0.5) put32(img, at - (at & 2), hostile(rand, get32(img, at - (at & 2))));
      else {
        const v = hostile(rand, 0) & 0xffff;
        img[at] = v & 255;
        img[at + 1] = v >>> 8;
      }
      put32(img, a + size - 4, crc(img.subarray(a, a + size - 4)));
    } else if (kind === 2) {
      // The tag: another length, type or id; the CRC written where the new size ends.
      const tag = get32(img, a);
      const len = rand() < 0.5 ? tag & 0xfff : Math.floor(rand() * 4096);
      const type = rand() < 0.7 ? (tag >>> 12) & 15 : 1 + Math.floor(rand() * 5);
      const id = rand() < 0.6 ? tag >>> 16 : hostile(rand, tag >>> 16) & 0xffff;
      const nsize = 8 + ((len + 3) & ~3);
      const end = a - (a % SECTOR) + SECTOR;
      if (a + nsize > end) continue;
      put32(img, a, (len | (type << 12) | (id << 16)) >>> 0);
      put32(img, a + nsize - 4, crc(img.subarray(a, a + nsize - 4)));
    } else if (kind === 3) {
      // A sector header: a hostile seq under a valid header CRC.
      const i = Math.floor(rand() * COUNT) * SECTOR;
      const h = new Uint8Array(16);
      h.set(img.subarray(i, i + 12), 0);
      const seq = hostile(rand, get32(img, i + 16));
      put32(h, 12, seq);
      put32(img, i + 16, seq);
      put32(img, i + 20, crc(h));
    } else {
      // Random byte damage, no CRC fixed.
      const n = 1 + Math.floor(rand() * 200);
      for (let k = 0; k < n; k++) img[Math.floor(rand() * img.length)] = Math.floor(rand() * 256);
    }
  }
  return img;
}

const CODES = new Set([ECORRUPT, EINVAL, ENFILE]);

/** Mount, list, stat and read every file, fsck: a clean code or consistent data, never a throw. */
function exercise(img: Uint8Array): string | null {
  const chip = new NorFlash({ base: 0, size: TOP, sectorSize: SECTOR, pageSize: 256 }, { image: img });
  const fs = fsMount(norExtent(chip), services);
  if (typeof fs === "number") return CODES.has(fs) ? null : `mount returned ${fs}`;
  const list = fsList(fs);
  for (const f of list) {
    if (!/^[\x20-\x7e]{1,28}$/.test(f.name)) return `listed name ${JSON.stringify(f.name)}`;
    if (!Number.isInteger(f.size) || f.size < 0 || f.size > TOP) return `${f.name}: size ${f.size}`;
    const st = fsStat(fs, f.name);
    // A crafted table may hold a name twice: stat finds one of them.
    if (typeof st === "number" ? st !== ECORRUPT : !list.some((g) => g.name === f.name && g.size === st.size)) return `stat ${f.name}: ${JSON.stringify(st)}`;
    const h = fileOpen(fs, f.name, 0);
    if (h < 0) return `open ${f.name} returned ${h}`;
    const out = new Uint8Array(fileSize(fs, h));
    const n = fileRead(fs, h, 0, out);
    if (n !== out.length && n !== ECORRUPT) return `read ${f.name} returned ${n} of ${out.length}`;
    fileClose(fs, h);
  }
  const report = fsCheck(fs);
  if (typeof report.ok !== "boolean") return "fsck gave no verdict";
  if (chip.ops !== 0) return "mount or read wrote to the flash";
  return null;
}

describe("libos/fs on hostile images", () => {
  it("mounts, lists, reads and checks 10,000 crafted images without throwing", () => {
    const bases = baseImages();
    const recs = bases.map(records);
    for (const b of bases) expect(exercise(b)).toBeNull();
    let mounted = 0;
    const N = 10_000;
    for (let seed = 1; seed <= N; seed++) {
      const k = seed % bases.length;
      const img = craft(bases[k], recs[k], seed);
      let bad: string | null;
      try {
        bad = exercise(img);
      } catch (e) {
        bad = `threw ${(e as Error).stack?.split("\n").slice(0, 4).join(" | ")}`;
      }
      if (bad) throw new Error(`image seed ${seed} (base ${k}, kind ${seed % 5}): ${bad}`);
      if (fsMount(norExtent(new NorFlash({ base: 0, size: TOP, sectorSize: SECTOR }, { image: img })), services) !== ECORRUPT) mounted++;
    }
    // Most hostile images still mount: the checks keep what is good.
    expect(mounted).toBeGreaterThan(N / 2);
  }, 120_000);
});
