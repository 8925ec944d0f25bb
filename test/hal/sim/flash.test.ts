import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { boards } from "../../../hal/boards.ts";
import { SimDevice } from "../../../hal/sim/device.ts";
import { NorFlash, PowerCut } from "../../../hal/sim/flash.ts";

const geometry = { base: 0x1000, size: 4 * 1024, sectorSize: 1024, pageSize: 256 };

describe("NorFlash (the chip model)", () => {
  it("starts erased and erases a whole sector back to 0xFF", () => {
    const chip = new NorFlash(geometry);
    expect(chip.read(0x1000, 8)).toEqual(new Uint8Array(8).fill(0xff));
    chip.program(0x1400, new Uint8Array([0, 1, 2, 3]));
    chip.erase(0x17ff); // any address in the sector
    expect(chip.read(0x1400, 1024)).toEqual(new Uint8Array(1024).fill(0xff));
  });

  it("programs by clearing bits only: new = old AND data", () => {
    const chip = new NorFlash(geometry);
    chip.program(0x1000, new Uint8Array([0x0f, 0xf0, 0xaa, 0xff]));
    chip.program(0x1000, new Uint8Array([0xf0, 0xff, 0x55, 0x0f]));
    expect([...chip.read(0x1000, 4)]).toEqual([0x00, 0xf0, 0x00, 0x0f]);
    expect(chip.stats.programOverNonErased).toBe(3); // the last byte was still erased
  });

  it("counts operations, erases per sector, and splits programs at page boundaries", () => {
    const chip = new NorFlash(geometry);
    chip.erase(0x1000);
    chip.erase(0x1000);
    chip.erase(0x1c00);
    chip.program(0x10f0, new Uint8Array(0x20)); // crosses the 256-byte page at 0x1100
    expect([...chip.eraseCounts]).toEqual([2, 0, 0, 1]);
    expect(chip.stats.erases).toBe(3);
    expect(chip.stats.programs).toBe(2);
    expect(chip.ops).toBe(5);
  });

  it("rejects addresses outside the chip", () => {
    const chip = new NorFlash(geometry);
    expect(() => chip.read(0x0fff, 1)).toThrow(/outside the chip/);
    expect(() => chip.program(0x1ffe, new Uint8Array(4))).toThrow(/outside the chip/);
    expect(() => chip.erase(0x2000)).toThrow(/outside the chip/);
  });

  it("a clean cut throws PowerCut at the k-th operation and leaves that operation undone", () => {
    const chip = new NorFlash(geometry);
    chip.cutAt(1, "clean");
    chip.program(0x1000, new Uint8Array([0x11, 0x22, 0x33, 0x44]));
    const error = (() => {
      try {
        chip.program(0x1004, new Uint8Array([0, 0, 0, 0]));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(PowerCut);
    expect(error).toMatchObject({ op: 1, mode: "clean", kind: "program" });
    expect([...chip.read(0x1000, 8)]).toEqual([0x11, 0x22, 0x33, 0x44, 0xff, 0xff, 0xff, 0xff]);
  });

  it("a clean cut erase changes nothing and counts no erase", () => {
    const chip = new NorFlash(geometry);
    chip.program(0x1000, new Uint8Array([1, 2, 3, 4]));
    chip.cutAt(chip.ops, "clean");
    expect(() => chip.erase(0x1000)).toThrow(PowerCut);
    expect([...chip.read(0x1000, 4)]).toEqual([1, 2, 3, 4]);
    expect(chip.eraseCounts[0]).toBe(0);
  });

  it("a torn program never sets a bit: every byte ends between old and old AND data", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1024, maxLength: 1024 }),
        fc.uint8Array({ minLength: 1, maxLength: 700 }),
        fc.nat({ max: 300 }),
        fc.nat({ max: 3 }),
        fc.integer({ min: 1, max: 0x7fffffff }),
        (before, data, at, k, seed) => {
          const image = new Uint8Array(geometry.size).fill(0xff);
          image.set(before, 1024);
          const chip = new NorFlash(geometry, { image, seed });
          const addr = 0x1400 + at;
          chip.cutAt(chip.ops + k, "torn");
          let cut: PowerCut | undefined;
          try {
            chip.program(addr, data);
          } catch (e) {
            cut = e as PowerCut;
          }
          const after = chip.data;
          const start = addr - geometry.base;
          const wrong: string[] = [];
          for (let i = 0; i < image.length; i++) {
            const old = image[i];
            if (i < start || i >= start + data.length) {
              if (after[i] !== old) wrong.push(`byte ${i} outside the program changed`);
              continue;
            }
            const target = old & data[i - start];
            if (after[i] & ~old & 0xff) wrong.push(`byte ${i}: a bit was set`);
            if ((after[i] & target) !== target) wrong.push(`byte ${i}: a bit the program keeps was cleared`);
            if (!cut && after[i] !== target) wrong.push(`byte ${i}: an uncut program was not applied`);
          }
          expect(wrong.slice(0, 3)).toEqual([]);
          if (cut) expect(cut.kind).toBe("program");
        },
      ),
      { numRuns: 300 },
    );
  });

  it("a torn program cut at page k leaves the earlier pages done and the later ones untouched", () => {
    fc.assert(
      fc.property(fc.nat({ max: 3 }), fc.integer({ min: 1, max: 1e9 }), (k, seed) => {
        const chip = new NorFlash(geometry, { seed });
        chip.cutAt(k, "torn");
        expect(() => chip.program(0x1000, new Uint8Array(1024))).toThrow(PowerCut);
        const bytes = chip.read(0x1000, 1024);
        expect(bytes.subarray(0, 256 * k).every((b) => b === 0)).toBe(true);
        expect(bytes.subarray(256 * (k + 1)).every((b) => b === 0xff)).toBe(true);
      }),
    );
  });

  it("a torn erase touches only its sector and still counts as wear", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: geometry.size, maxLength: geometry.size }), fc.integer({ min: 1, max: 1e9 }), (image, seed) => {
        const chip = new NorFlash(geometry, { image, seed });
        chip.cutAt(0, "torn");
        expect(() => chip.erase(0x1800)).toThrow(PowerCut);
        const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
        expect(same(chip.data.subarray(0, 2048), image.subarray(0, 2048))).toBe(true);
        expect(same(chip.data.subarray(3072), image.subarray(3072))).toBe(true);
        expect([...chip.eraseCounts]).toEqual([0, 0, 1, 0]);
      }),
    );
  });

  it("tears the same way for the same seed", () => {
    const tear = (seed: number) => {
      const chip = new NorFlash(geometry, { seed });
      chip.cutAt(0, "torn");
      try {
        chip.program(0x1000, new Uint8Array(256));
      } catch {
        // expected
      }
      return chip.read(0x1000, 256);
    };
    expect(tear(42)).toEqual(tear(42));
  });
});

describe('require("Flash") on the simulated device', () => {
  const run = (code: string) => {
    const device = new SimDevice({ board: boards.esp32 });
    device.boot(code);
    return device;
  };

  it("rejects a write at an address that is not 4-byte aligned", () => {
    const device = run(`try { require("Flash").write(new Uint8Array(4), 0x310002); } catch (e) { print(e instanceof Error, e.message); }`);
    expect(device.console[0].line).toMatch(/^true Flash\.write: address 0x310002 is not 4-byte aligned/);
  });

  it("rejects a write whose length is not a multiple of 4", () => {
    const device = run(`try { require("Flash").write([1, 2, 3], 0x310000); } catch (e) { print(e.message); }`);
    expect(device.console[0].line).toMatch(/length 3 is not a multiple of 4/);
  });

  it("writes a Uint8Array, an array or a string, and reads back a Uint8Array", () => {
    const device = run(`
      var F = require("Flash");
      F.write(new Uint8Array([1, 2, 3, 4]), 0x310000);
      F.write([5, 6, 7, 8], 0x310004);
      F.write("ABCD", 0x310008);
      var r = F.read(12, 0x310000);
      print(r instanceof Uint8Array, r);`);
    expect(device.console[0].line).toBe("true new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 65, 66, 67, 68])");
  });

  it("fails loudly on a write that would need a 0→1 bit, but lets 0xFF bytes pass", () => {
    const device = run(`
      var F = require("Flash");
      F.write([0x0f, 0xff, 0xff, 0xff], 0x310000);
      F.write([0xff, 0x00, 0xff, 0xff], 0x310000);
      print(F.read(4, 0x310000));
      try { F.write([0xf0, 0xff, 0xff, 0xff], 0x310000); } catch (e) { print(e.message); }`);
    expect(device.console[0].line).toBe("new Uint8Array([15, 0, 255, 255])");
    expect(device.console[1].line).toMatch(/would set bits 0→1 .*erase the page first/);
  });

  it("getPage and erasePage work on whole pages; getFree is the board's list", () => {
    const device = run(`
      var F = require("Flash");
      F.write([0, 0, 0, 0], 0x310ffc);
      print(F.getPage(0x310ffd));
      F.erasePage(0x310ffd);
      print(F.read(4, 0x310ffc), F.getPage(0x500000), F.getFree().length);`);
    expect(device.console[0].line).toBe(`{ "addr": ${0x310000}, "length": 4096 }`);
    expect(device.console[1].line).toBe("new Uint8Array([255, 255, 255, 255]) undefined 3");
    expect(device.flash.eraseCounts[0x310]).toBe(1);
  });

  it("refuses to erase or write outside the free regions and Storage (the firmware)", () => {
    const device = run(`try { require("Flash").erasePage(0x1000); } catch (e) { print(e.message); }`);
    expect(device.console[0].line).toMatch(/outside the free flash/);
  });

  it("keeps flash across reboots and loads a saved image", () => {
    const device = run(`var F = require("Flash"); if (F.read(1, 0x310000)[0] === 0xff) { F.write([1, 2, 3, 4], 0x310000); print("wrote"); } else print("found", F.read(4, 0x310000));`);
    device.reboot();
    expect(device.console.map((l) => l.line)).toEqual(["wrote", "found new Uint8Array([1, 2, 3, 4])"]);
    const copy = new SimDevice({ board: boards.esp32, flashImage: device.control.flashImage() });
    copy.boot(`print(require("Flash").read(4, 0x310000));`);
    expect(copy.console[0].line).toBe("new Uint8Array([1, 2, 3, 4])");
  });
});
