/**
 * Bad input: blank, foreign and damaged images, another geometry; the
 * promise that mount never writes; the format version in SPEC.md.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NorFlash } from "../../../hal/sim/flash.ts";
import {
  CHECK_BAD_RECORD, CHECK_LOST_SECTOR, CHECK_SHORT_FILE, ECORRUPT, EINVAL, FS_FORMAT_VERSION, OPEN_APPEND, OPEN_CREATE,
  fileClose, fileOpen, fileRead, fileSync, fileWrite, fsCheck, fsGc, fsList, fsMount, fsUnmount,
} from "../../../libos/fs/index.ts";
import { norExtent } from "../../../tools/fs/extent.ts";
import { bytes, mounted, rig, services, slurp } from "./helpers.ts";

/** Three files spread over a 16-sector chip: a (early), b (middle), c (late). */
function populated() {
  const r = rig(16, 4096);
  for (const [name, n] of [["a", 9000], ["b", 9000], ["c", 9000]] as const) {
    const h = fileOpen(r.fs, name, OPEN_CREATE | OPEN_APPEND);
    for (let at = 0; at < n; at += 300) {
      fileWrite(r.fs, h, bytes(300, at + name.charCodeAt(0)));
      fileSync(r.fs, h);
    }
    fileClose(r.fs, h);
  }
  fsUnmount(r.fs);
  return r;
}

function expected(name: string): Uint8Array {
  const out = new Uint8Array(9000);
  for (let at = 0; at < 9000; at += 300) out.set(bytes(300, at + name.charCodeAt(0)), at);
  return out;
}

describe("libos/fs images", () => {
  it("states the format version of SPEC.md", () => {
    const spec = readFileSync(join(import.meta.dirname, "../../../libos/fs/SPEC.md"), "utf8");
    const m = /format version (\d+)\.(\d+) \(0x([0-9a-f]{8})\)/i.exec(spec);
    expect(m, "SPEC.md names 'format version X.Y (0x...)'").not.toBeNull();
    expect(Number.parseInt(m![3], 16)).toBe(FS_FORMAT_VERSION);
    expect((Number(m![1]) << 16) | Number(m![2])).toBe(FS_FORMAT_VERSION);
  });

  it("never writes while mounting, and reads the same state twice", () => {
    const r = populated();
    const ops = r.chip.ops;
    const image = r.chip.data.slice();
    const fs = mounted(norExtent(r.chip));
    expect(r.chip.ops).toBe(ops);
    expect(r.chip.data).toEqual(image);
    expect(fsList(fs)).toEqual(fsList(mounted(norExtent(r.chip))));
  });

  it("refuses a blank or foreign image with ECORRUPT and never formats it", () => {
    const blank = new NorFlash({ base: 0, size: 16 * 4096, sectorSize: 4096 });
    expect(fsMount(norExtent(blank), services)).toBe(ECORRUPT);
    const garbage = new NorFlash({ base: 0, size: 16 * 4096, sectorSize: 4096 }, { image: bytes(16 * 4096, 99) });
    expect(fsMount(norExtent(garbage), services)).toBe(ECORRUPT);
    expect(garbage.ops).toBe(0);
    expect(garbage.data).toEqual(bytes(16 * 4096, 99));
  });

  it("refuses an image formatted for another geometry with EINVAL", () => {
    const r = populated();
    const other = new NorFlash({ base: 0, size: 32 * 2048, sectorSize: 2048 }, { image: r.chip.data });
    expect(fsMount(norExtent(other), services)).toBe(EINVAL);
  });

  it("mounts an image with a destroyed sector, reports it, and keeps every intact file", () => {
    const r = populated();
    // Files are written in order (a in sectors 0..2, b in 2..4, c in 4..7): wipe sector 4's header.
    const victim = 4;
    r.chip.data.fill(0x5a, victim * 4096, victim * 4096 + 64);
    const damaged = mounted(norExtent(r.chip));
    const report = fsCheck(damaged);
    expect(report.ok).toBe(false);
    expect(report.lost).toBe(1);
    expect(report.problems.some((p) => p[0] === CHECK_LOST_SECTOR && p[1] === victim)).toBe(true);
    expect(report.problems.some((p) => p[0] === CHECK_SHORT_FILE)).toBe(true);
    expect(fsList(damaged).map((f) => f.name).sort()).toEqual(["a", "b", "c"]);
    expect(slurp(damaged, "a")).toEqual(expected("a"));
    // A read of a range that is gone says so; the rest of the file still reads.
    const shortFile = ["b", "c"].find((n) => typeof slurp(damaged, n) === "number")!;
    expect(slurp(damaged, shortFile)).toBe(ECORRUPT);
    const h = fileOpen(damaged, shortFile, 0);
    const head = new Uint8Array(300);
    expect(fileRead(damaged, h, 0, head)).toBe(300);
    // Writing goes on, and the GC reclaims the lost sector when the ring reaches it.
    const w = fileOpen(damaged, "d", OPEN_CREATE | OPEN_APPEND);
    for (let i = 0; i < 200; i++) {
      fileWrite(damaged, w, bytes(200, i));
      fileSync(damaged, w);
      fsGc(damaged, 2);
    }
    expect(slurp(damaged, "a")).toEqual(expected("a"));
  });

  it("flags a flipped bit inside a record and keeps the records after it", () => {
    const r = populated();
    // Flip one data bit in the middle of sector 1 (inside "a"'s data).
    r.chip.data[1 * 4096 + 2000] ^= 0x10;
    const fs = mounted(norExtent(r.chip));
    const report = fsCheck(fs);
    expect(report.problems.some((p) => p[0] === CHECK_BAD_RECORD && p[1] === 1)).toBe(true);
    expect(slurp(fs, "b")).toEqual(expected("b"));
    expect(slurp(fs, "c")).toEqual(expected("c"));
    expect(slurp(fs, "a")).toBe(ECORRUPT);
  });

  it("falls back to the previous sector when the newest sector's snapshot is damaged", () => {
    const r = populated();
    const fs = mounted(norExtent(r.chip));
    const head = fs.head;
    fsUnmount(fs);
    r.chip.data[head * 4096 + 40] ^= 0xff; // inside the snapshot record
    const again = fsMount(norExtent(r.chip), services);
    expect(typeof again).toBe("object");
    if (typeof again === "number") return;
    expect(slurp(again, "a")).toEqual(expected("a"));
    expect(slurp(again, "b")).toEqual(expected("b"));
  });
});
