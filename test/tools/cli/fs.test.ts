/**
 * `exo fs IMAGE …` (tools/cli/commands/fs.ts): run() over a fixture image
 * written by the simulator, embedded at an offset in a bigger dump.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { OPEN_APPEND, OPEN_CREATE, OPEN_REPLACE, fileClose, fileOpen, fileSync, fileWrite, fsUnmount } from "../../../libos/fs/index.ts";
import { failed, render, run } from "../../../tools/cli/commands/fs.ts";
import { UserError } from "../../../hal/user-error.ts";
import { PowerCut } from "../../../hal/sim/flash.ts";
import { bytes, rig } from "../../libos/fs/helpers.ts";

function fixture(): string {
  const dir = mkdtempSync(join(tmpdir(), "exo-fs-"));
  const r = rig(16, 4096);
  const h = fileOpen(r.fs, "log.0", OPEN_CREATE | OPEN_APPEND);
  fileWrite(r.fs, h, bytes(12000, 1));
  fileSync(r.fs, h);
  fileClose(r.fs, h);
  const c = fileOpen(r.fs, "notes.txt", OPEN_REPLACE);
  fileWrite(r.fs, c, new TextEncoder().encode("hello from the device\n"));
  fileClose(r.fs, c);
  fsUnmount(r.fs);
  const dump = new Uint8Array(256 * 1024).fill(0xff);
  dump.set(r.chip.data, 0x20000);
  writeFileSync(join(dir, "flash.bin"), dump);
  return dir;
}

describe("exo fs IMAGE", () => {
  const dir = fixture();

  it("lists the files, finding the file system inside a larger image", async () => {
    const r = await run({ cwd: dir, image: "flash.bin", action: "ls" });
    expect(r.action === "ls" && r.geometry).toEqual({ base: 0x20000, sector: 4096, count: 16 });
    expect(r.action === "ls" && r.files).toEqual([{ name: "log.0", size: 12000 }, { name: "notes.txt", size: 22 }]);
    expect(render(r)).toContain("notes.txt");
  });

  it("prints a text file, hex-dumps a binary one, and writes --out", async () => {
    const t = await run({ cwd: dir, image: "flash.bin", action: "cat", name: "notes.txt" });
    expect(render(t)).toBe("hello from the device\n");
    const b = await run({ cwd: dir, image: "flash.bin", action: "cat", name: "log.0", out: "log.bin" });
    expect(new Uint8Array(readFileSync(join(dir, "log.bin")))).toEqual(bytes(12000, 1));
    expect(b.action === "cat" && Buffer.from(b.base64, "base64").length).toBe(12000);
  });

  it("checks the image and says when it is damaged", async () => {
    const ok = await run({ cwd: dir, image: "flash.bin", action: "check" });
    expect(failed(ok)).toBe(false);
    const image = new Uint8Array(readFileSync(join(dir, "flash.bin")));
    image.fill(0, 0x20000 + 4096, 0x20000 + 4096 + 32); // sector 1's header
    writeFileSync(join(dir, "damaged.bin"), image);
    const bad = await run({ cwd: dir, image: "damaged.bin", action: "check", base: "0x20000" });
    expect(failed(bad)).toBe(true);
    expect(render(bad)).toMatch(/sector 1: no valid header/);
  });

  it("tells damage in the middle of the log (exit 1) from a cut last write (exit 0)", async () => {
    const logImage = (cut: number) => {
      const r = rig(8, 4096, {}, cut + 1);
      const h = fileOpen(r.fs, "log.0", OPEN_CREATE | OPEN_APPEND);
      for (let k = 0; k < 60; k++) {
        fileWrite(r.fs, h, bytes(100, k));
        if (k === 59 && cut) r.chip.cutAt(r.chip.ops, "torn");
        try {
          fileSync(r.fs, h);
        } catch (e) {
          if (!(e instanceof PowerCut)) throw e;
        }
      }
      return r.chip.data.slice();
    };
    for (let seed = 1; seed <= 20; seed++) {
      // 200 random byte flips in the middle of the log: records are lost.
      const image = logImage(0);
      let s = seed * 7919;
      const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0);
      // Sector 0 is full of records (60 × 112 bytes fill it and part of sector 1, the head).
      for (let k = 0; k < 200; k++) image[100 + (next() % 3800)] ^= 1 + (next() % 255);
      writeFileSync(join(dir, "flipped.bin"), image);
      const bad = await run({ cwd: dir, image: "flipped.bin", action: "check", base: 0, sectorSize: 4096, count: 8 });
      expect(failed(bad), `seed ${seed}: ${render(bad)}`).toBe(true);
      expect(bad.action === "check" && bad.messages.length).toBeGreaterThan(0);
      // One unparseable tag in the middle of the head (sector 1) hides the records after it: not a cut.
      const tagged = logImage(0);
      let a = 4096 + 24;
      for (let k = 0; k < 1 + (seed % 6); k++) {
        const tag = tagged[a] | (tagged[a + 1] << 8);
        const len = tag & 0xfff;
        // A NAME is followed by one tombstone word, a SNAP by one per entry.
        a += 8 + ((len + 3) & ~3) + (tag >> 12 === 2 ? 4 : tag >> 12 === 1 ? ((len - 12) / 20) * 4 : 0);
      }
      tagged[a + 1] &= 0x0f;
      writeFileSync(join(dir, "tagged.bin"), tagged);
      const hidden = await run({ cwd: dir, image: "tagged.bin", action: "check", base: 0, sectorSize: 4096, count: 8 });
      expect(failed(hidden), `seed ${seed}: ${render(hidden)}`).toBe(true);
      // A damaged head header: mount falls back to sector 0, and the head's records are lost.
      const headless = logImage(0);
      headless[4096 + 16 + (seed % 8)] ^= 0x41;
      writeFileSync(join(dir, "headless.bin"), headless);
      const lost = await run({ cwd: dir, image: "headless.bin", action: "check", base: 0, sectorSize: 4096, count: 8 });
      expect(failed(lost), `seed ${seed}: ${render(lost)}`).toBe(true);
      expect(render(lost)).toMatch(/sector 1: \d+ valid record\(s\) .* lost/);
      // The last write cut by the power: a normal cut, exit 0.
      writeFileSync(join(dir, "cut.bin"), logImage(seed));
      const cut = await run({ cwd: dir, image: "cut.bin", action: "check" });
      expect(failed(cut), render(cut)).toBe(false);
      expect(cut.action === "check" && cut.report.torn + cut.report.records).toBeGreaterThan(0);
    }
  });

  it("draws the wear map as SVG", async () => {
    const r = await run({ cwd: dir, image: "flash.bin", action: "wear", svg: "wear.svg" });
    expect(r.action === "wear" && r.erases).toHaveLength(16);
    const svg = readFileSync(join(dir, "wear.svg"), "utf8");
    expect(svg).toMatch(/^<svg /);
    expect(svg.match(/<rect /g)).toHaveLength(16);
  });

  it("explains a missing file system or file as a UserError with a hint", async () => {
    writeFileSync(join(dir, "blank.bin"), new Uint8Array(65536).fill(0xff));
    await expect(run({ cwd: dir, image: "blank.bin", action: "ls" })).rejects.toBeInstanceOf(UserError);
    await expect(run({ cwd: dir, image: "flash.bin", action: "stat", name: "nope" })).rejects.toThrow(/no file named "nope"/);
    await expect(run({ cwd: dir, image: "flash.bin", action: "frobnicate" })).rejects.toThrow(/unknown action/);
  });
});
