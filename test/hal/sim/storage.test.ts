import { describe, expect, it } from "vitest";
import { boards } from "../../../hal/boards.ts";
import { SimDevice } from "../../../hal/sim/device.ts";
import { NorFlash } from "../../../hal/sim/flash.ts";
import { SimStorage } from "../../../hal/sim/storage.ts";

const storage = () => {
  const board = boards.linux;
  const flash = new NorFlash(board.chip);
  return { flash, storage: new SimStorage(flash, board.storage) };
};

describe("the simulated Storage (upstream jsflash.c semantics)", () => {
  it("writes, reads, lists and erases files", () => {
    const { storage: s } = storage();
    s.write("a", "hello");
    s.write(".bootcde", "print(1)");
    expect(s.read("a")).toBe("hello");
    expect(s.read("a", 1, 3)).toBe("ell");
    expect(s.list()).toEqual(["a", ".bootcde"]);
    expect(s.list(/^\./)).toEqual([".bootcde"]);
    s.erase("a");
    expect(s.read("a")).toBeUndefined();
    expect(s.stats()).toMatchObject({ fileCount: 1, trashCount: 1 });
  });

  it("fills a file created with a size at later offsets, and refuses to overwrite written bytes", () => {
    const { storage: s } = storage();
    s.write("big", "abc", 0, 6);
    expect(s.read("big")).toBe("abc\xff\xff\xff");
    s.write("big", "def", 3);
    expect(s.read("big")).toBe("abcdef");
    expect(() => s.write("big", "x", 0 + 1)).toThrow("File already written with different data");
    expect(() => s.write("big", "toolong", 3)).toThrow("Too much data for file size");
    expect(() => s.write("none", "x", 5)).toThrow("Unable to find or create file");
  });

  it("replacing a file erases the old one and appends the new one; compact reclaims the space", () => {
    const { storage: s } = storage();
    s.write("f", "one");
    s.write("f", "three");
    expect(s.read("f")).toBe("three");
    expect(s.stats().trashCount).toBe(1);
    s.compact();
    expect(s.stats()).toMatchObject({ trashCount: 0, fileCount: 1 });
    expect(s.read("f")).toBe("three");
  });

  it("compacts by itself when a new file does not fit", () => {
    const { storage: s } = storage();
    const chunk = "x".repeat(40_000);
    s.write("a", chunk);
    s.write("b", chunk);
    s.erase("a");
    s.write("c", chunk);
    s.write("d", chunk); // needs a's space back
    expect(s.list().sort()).toEqual(["b", "c", "d"]);
  });

  it("a torn header makes Storage corrupt, and the device erases it at power-on, as the interpreter does", () => {
    const device = new SimDevice({ board: boards.linux });
    device.storage.write(".bootcde", 'print("booted")');
    device.bootFromStorage();
    expect(device.console.map((c) => c.line)).toContain("booted");
    // A header that is neither valid nor erased: a size reaching past the end.
    const at = device.storage.entries()[0].addr + 64 - device.flash.base;
    device.flash.data.set([0x00, 0x00, 0x10, 0x00], align(at));
    expect(device.storage.isValid()).toBe(false);
    device.reboot();
    expect(device.console.map((c) => c.line)).toContain("Storage is corrupt.");
    expect(device.storage.list()).toEqual([]);
  });

  it("Storage, load() and reset() are reachable from device code", () => {
    const device = new SimDevice({ board: boards.esp32 });
    device.bootFromStorage();
    device.eval('require("Storage").write(".bootcde", "print(\'from storage\')")');
    device.eval("load()");
    device.run(0);
    expect(device.console.at(-1)?.line).toBe("from storage");
    device.eval("reset()");
    device.run(0);
    expect(device.console.at(-1)?.line).toBe("from storage");
    expect(device.eval('require("Storage").list(/boot/)')).toEqual([".bootcde"]);
  });
});

function align(n: number): number {
  return (n + 3) & ~3;
}
