import { describe, expect, it } from "vitest";
import {
  EBADF, EBUSY, EEXIST, EINVAL, EMFILE, ENAMETOOLONG, ENFILE, ENOENT, ENOSPC, OPEN_APPEND, OPEN_CREATE, OPEN_EXCL, OPEN_REPLACE,
  fileClose, fileOpen, fileRead, fileSize, fileSync, fileWrite, fsCheck, fsGc, fsList, fsRemove, fsStat, fsStats, fsUnmount,
} from "../../../libos/fs/index.ts";
import { bytes, rig, slurp } from "./helpers.ts";

describe.each([
  [16, 4096],
  [32, 1024],
])("libos/fs API on %i x %i-byte sectors", (count, sector) => {
  it("creates, appends, syncs and reads back at any offset, across a remount", () => {
    const r = rig(count, sector, { files: 16 });
    const h = fileOpen(r.fs, "a", OPEN_CREATE | OPEN_APPEND);
    expect(h).toBeGreaterThanOrEqual(0);
    const data = bytes(5000, 1);
    for (let at = 0; at < data.length; at += 333) expect(fileWrite(r.fs, h, data.subarray(at, at + 333))).toBe(Math.min(333, data.length - at));
    const out = new Uint8Array(700);
    expect(fileRead(r.fs, h, 4500, out)).toBe(500);
    expect(out.subarray(0, 500)).toEqual(data.subarray(4500));
    expect(fileSync(r.fs, h)).toBe(0);
    expect(fileClose(r.fs, h)).toBe(0);
    expect(fsUnmount(r.fs)).toBe(0);
    r.remount();
    expect(slurp(r.fs, "a")).toEqual(data);
    const h2 = fileOpen(r.fs, "a", 0);
    expect(fileRead(r.fs, h2, 1234, out)).toBe(700);
    expect(out).toEqual(data.subarray(1234, 1934));
    expect(fileRead(r.fs, h2, 5000, out)).toBe(0);
    expect(fsCheck(r.fs).ok).toBe(true);
  });

  // A removal programs the tombstone word its entry has in the head's snapshot: the first record after the
  // snapshot must start past those words (a merge once put it on them, and removing one file broke another).
  it("removes a file whose entry is in the head's snapshot without touching the records after it", () => {
    const r = rig(count, sector, { files: 16 });
    const keep = fileOpen(r.fs, "keep", OPEN_CREATE | OPEN_APPEND);
    const fill = fileOpen(r.fs, "fill", OPEN_CREATE | OPEN_APPEND);
    expect(fileWrite(r.fs, keep, bytes(40, 2))).toBe(40);
    expect(fileSync(r.fs, keep)).toBe(0);
    // Fill until the head moves on: the new head's snapshot then holds both files' entries.
    const head = r.fs.head;
    while (r.fs.head === head) {
      expect(fileWrite(r.fs, fill, bytes(100, 3))).toBe(100);
      expect(fileSync(r.fs, fill)).toBe(0);
    }
    expect(fileWrite(r.fs, keep, bytes(40, 4))).toBe(40);
    expect(fileSync(r.fs, keep)).toBe(0);
    expect(fileClose(r.fs, fill)).toBe(0);
    expect(fsRemove(r.fs, "fill")).toBe(0);
    const want = new Uint8Array([...bytes(40, 2), ...bytes(40, 4)]);
    expect(slurp(r.fs, "keep")).toEqual(want);
    expect(fsCheck(r.fs).ok).toBe(true);
    r.remount();
    expect(slurp(r.fs, "keep")).toEqual(want);
    expect(slurp(r.fs, "fill")).toBe(ENOENT);
  });

  it("makes a sync durable without unmount, and replaces files atomically", () => {
    const r = rig(count, sector, { files: 16 });
    const h = fileOpen(r.fs, "log", OPEN_CREATE | OPEN_APPEND);
    fileWrite(r.fs, h, bytes(40, 2));
    fileSync(r.fs, h);
    fileWrite(r.fs, h, bytes(8, 3)); // never synced: may be lost
    const c = fileOpen(r.fs, "cfg", OPEN_REPLACE);
    fileWrite(r.fs, c, bytes(64, 4));
    expect(fileClose(r.fs, c)).toBe(0);
    const c2 = fileOpen(r.fs, "cfg", OPEN_REPLACE);
    fileWrite(r.fs, c2, bytes(10, 5));
    expect(slurp(r.fs, "cfg")).toEqual(bytes(64, 4)); // invisible until close
    r.remount(); // power cut: no unmount
    expect(slurp(r.fs, "cfg")).toEqual(bytes(64, 4));
    expect((slurp(r.fs, "log") as Uint8Array).subarray(0, 40)).toEqual(bytes(40, 2));
  });

  it("returns the documented codes for expected failures", () => {
    const r = rig(count, sector, { files: 4, handles: 2 });
    const fs = r.fs;
    expect(fileOpen(fs, "missing", 0)).toBe(ENOENT);
    expect(fileOpen(fs, "x".repeat(29), OPEN_CREATE)).toBe(ENAMETOOLONG);
    expect(fileOpen(fs, "", OPEN_CREATE)).toBe(EINVAL);
    expect(fileOpen(fs, "bad\nname", OPEN_CREATE)).toBe(EINVAL);
    const a = fileOpen(fs, "x".repeat(28), OPEN_CREATE | OPEN_APPEND);
    expect(a).toBeGreaterThanOrEqual(0);
    expect(fileOpen(fs, "x".repeat(28), OPEN_CREATE | OPEN_EXCL)).toBe(EEXIST);
    const b = fileOpen(fs, "b", OPEN_CREATE);
    expect(fileOpen(fs, "c", OPEN_CREATE)).toBe(EMFILE);
    expect(fileWrite(fs, b, bytes(4, 1))).toBe(EBADF); // read-only handle
    expect(fsRemove(fs, "b")).toBe(EBUSY);
    fileClose(fs, b);
    expect(fsRemove(fs, "b")).toBe(0);
    expect(fsRemove(fs, "b")).toBe(ENOENT);
    fileClose(fs, a);
    for (const n of ["c", "d", "e"]) fileClose(fs, fileOpen(fs, n, OPEN_CREATE));
    expect(fileOpen(fs, "f", OPEN_CREATE)).toBe(ENFILE);
    expect(fsStat(fs, "c")).toEqual({ name: "c", size: 0 });
    expect(fsList(fs).map((f) => f.name).sort()).toEqual(["c", "d", "e", "x".repeat(28)]);
  });

  it("throws an Error with a code on misuse", () => {
    const r = rig(count, sector);
    expect(() => fileRead(r.fs, 3, 0, new Uint8Array(1))).toThrow(expect.objectContaining({ code: EBADF }));
    fsUnmount(r.fs);
    expect(() => fileOpen(r.fs, "a", OPEN_CREATE)).toThrow(expect.objectContaining({ code: EINVAL }));
  });

  it("makes handles on a replaced file stale", () => {
    const r = rig(count, sector);
    fileClose(r.fs, fileOpen(r.fs, "f", OPEN_CREATE));
    const old = fileOpen(r.fs, "f", 0);
    const n = fileOpen(r.fs, "f", OPEN_REPLACE);
    fileWrite(r.fs, n, bytes(3, 1));
    expect(fileClose(r.fs, n)).toBe(0);
    expect(fileSize(r.fs, old)).toBe(EBADF);
    expect(fileRead(r.fs, old, 0, new Uint8Array(3))).toBe(EBADF);
    expect(fileClose(r.fs, old)).toBe(0);
  });
});

describe("libos/fs capacity", () => {
  it("holds 64 files with 28-character names across remounts", () => {
    const r = rig(64, 4096);
    const name = (i: number) => `file-${String(i).padStart(2, "0")}-${"n".repeat(20)}`;
    for (let i = 0; i < 64; i++) {
      const h = fileOpen(r.fs, name(i), OPEN_CREATE | OPEN_APPEND);
      expect(h).toBeGreaterThanOrEqual(0);
      fileWrite(r.fs, h, bytes(100 + i, i));
      expect(fileClose(r.fs, h)).toBe(0);
    }
    expect(fileOpen(r.fs, "one-too-many", OPEN_CREATE)).toBe(ENFILE);
    r.remount();
    expect(fsList(r.fs)).toHaveLength(64);
    for (let i = 0; i < 64; i++) expect(slurp(r.fs, name(i))).toEqual(bytes(100 + i, i));
    expect(fsCheck(r.fs).ok).toBe(true);
  });

  it("stores one file nearly as large as the extent, and keeps its data through GC laps", () => {
    const r = rig(16, 4096);
    const h = fileOpen(r.fs, "big", OPEN_CREATE | OPEN_APPEND);
    const chunk = 500;
    let size = 0;
    for (;;) {
      const w = fileWrite(r.fs, h, bytes(chunk, size));
      if (w < chunk || fileSync(r.fs, h) < 0) break;
      size += chunk;
      fsGc(r.fs, 2);
    }
    expect(size).toBeGreaterThan(12 * 4096 * 0.9);
    const out = slurp(r.fs, "big") as Uint8Array;
    for (let at = 0; at < size; at += chunk) expect(out.subarray(at, at + chunk)).toEqual(bytes(chunk, at));
    // Churn a small file: the ring must keep moving the big one (static wear levelling).
    fileClose(r.fs, h);
    expect(fsRemove(r.fs, "big")).toBe(0);
    const s = fileOpen(r.fs, "s", OPEN_CREATE | OPEN_APPEND);
    for (let i = 0; i < 2000; i++) {
      fileWrite(r.fs, s, bytes(32, i));
      fileSync(r.fs, s);
      fsGc(r.fs, 4);
    }
    const erases = fsStats(r.fs).erases;
    expect(Math.max(...erases) - Math.min(...erases)).toBeLessThanOrEqual(1);
  });

  it("with no idle GC: ENOSPC means full (a retry fails again), a removal makes writes succeed again", () => {
    const r = rig(8, 4096);
    const a = fileOpen(r.fs, "a", OPEN_CREATE | OPEN_APPEND);
    const b = fileOpen(r.fs, "b", OPEN_CREATE | OPEN_APPEND);
    let size = 0;
    let code = 0;
    for (let i = 0; i < 10000 && code === 0; i++) {
      const h = i % 2 ? b : a;
      fileWrite(r.fs, h, bytes(40, i));
      code = fileSync(r.fs, h);
      if (code === 0) size += 40;
    }
    expect(code).toBe(ENOSPC);
    expect(size).toBeGreaterThan(4 * 4096 * 0.7);
    const last = size / 40 % 2 ? b : a;
    // Retrying the same sync, and any other write, without freeing space fails again.
    for (let k = 0; k < 3; k++) expect(fileSync(r.fs, last)).toBe(ENOSPC);
    expect(fileSync(r.fs, last === a ? b : a)).toBe(0);
    // Another handle's write must first flush the failed buffer: ENOSPC too.
    expect(fileWrite(r.fs, last === a ? b : a, bytes(8, 1))).toBe(ENOSPC);
    // Free space: remove the other file; writes go on, with no fsGc call.
    const other = last === a ? "b" : "a";
    fileClose(r.fs, last === a ? b : a);
    expect(fsRemove(r.fs, other)).toBe(0);
    expect(fileSync(r.fs, last)).toBe(0);
    for (let i = 0; i < 100; i++) {
      expect(fileWrite(r.fs, last, bytes(40, i))).toBe(40);
      expect(fileSync(r.fs, last)).toBe(0);
    }
    expect(fsCheck(r.fs).ok).toBe(true);
    r.remount();
    expect(fsCheck(r.fs).ok).toBe(true);
  });
});

describe("libos/fs visibility at sync/close (LOGCFG §5 invariant 6)", () => {
  it.each([
    [16, 4096],
    [32, 1024],
  ])("on %i x %i-byte sectors: unsynced bytes never show after a cut, and rewriting them later never counts a range twice", (count, sector) => {
    const r = rig(count, sector, { files: 16 });
    const h = fileOpen(r.fs, "big", OPEN_CREATE | OPEN_APPEND);
    expect(fileWrite(r.fs, h, bytes(3000, 1))).toBe(3000); // several full buffers go to flash unsynced
    expect(fileSize(r.fs, h)).toBe(3000);
    r.remount(); // a power cut: no sync, no close
    expect(fsStat(r.fs, "big")).toEqual({ name: "big", size: 0 });
    // The same offsets written again with other bytes, across sectors, then synced.
    const h2 = fileOpen(r.fs, "big", OPEN_APPEND);
    const want = bytes(5000, 2);
    for (let at = 0; at < 5000; at += 700) expect(fileWrite(r.fs, h2, want.subarray(at, at + 700))).toBe(Math.min(700, 5000 - at));
    expect(fileSync(r.fs, h2)).toBe(0);
    r.remount();
    expect(slurp(r.fs, "big")).toEqual(want);
    expect(fsCheck(r.fs).ok).toBe(true);
    // The collector moves what it must (synced and cut-off records alike, each keeps its epoch): reads stay exact.
    let f = fileOpen(r.fs, "filler", OPEN_CREATE | OPEN_APPEND);
    for (let k = 0; k < 6 * count; k++) {
      expect(fileWrite(r.fs, f, bytes(sector >> 2, k))).toBe(sector >> 2);
      expect(fileSync(r.fs, f)).toBe(0);
      fsGc(r.fs, 4);
      if (k % 4 === 3) {
        fileClose(r.fs, f);
        fsRemove(r.fs, "filler");
        f = fileOpen(r.fs, "filler", OPEN_CREATE | OPEN_APPEND);
      }
    }
    expect(fsStats(r.fs).gc.moved).toBeGreaterThan(0);
    expect(slurp(r.fs, "big")).toEqual(want);
    r.remount();
    expect(slurp(r.fs, "big")).toEqual(want);
    expect(fsCheck(r.fs).ok).toBe(true);
  });

  it("a sync from another handle's file: the pending bytes of each file count only at its own sync", () => {
    const r = rig(16, 4096, { files: 16 });
    const a = fileOpen(r.fs, "a", OPEN_CREATE | OPEN_APPEND);
    const b = fileOpen(r.fs, "b", OPEN_CREATE | OPEN_APPEND);
    fileWrite(r.fs, a, bytes(1500, 3));
    fileWrite(r.fs, b, bytes(100, 4)); // takes the buffer: a's last bytes go out unsynced
    expect(fileSync(r.fs, b)).toBe(0);
    r.remount();
    expect(fsStat(r.fs, "a")).toEqual({ name: "a", size: 0 });
    expect(slurp(r.fs, "b")).toEqual(bytes(100, 4));
    const a2 = fileOpen(r.fs, "a", OPEN_APPEND);
    fileWrite(r.fs, a2, bytes(1500, 5));
    const b2 = fileOpen(r.fs, "b", OPEN_APPEND);
    fileWrite(r.fs, b2, bytes(10, 6));
    expect(fileSync(r.fs, a2)).toBe(0); // a does not own the buffer: its pending bytes are committed all the same
    r.remount();
    expect(slurp(r.fs, "a")).toEqual(bytes(1500, 5));
    expect(slurp(r.fs, "b")).toEqual(bytes(100, 4));
  });
});
