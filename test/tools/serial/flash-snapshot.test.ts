/**
 * flashSnapshot: a region read sector by sector while an app writes is
 * still one moment of the flash, or says which sectors would not settle.
 * The device side is the real expression, run against an in-memory flash
 * with the few Espruino built-ins it uses (E.CRC32, E.toString, btoa).
 */
import fc from "fast-check";
import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { checkBundle } from "../../../tools/gate/check.ts";
import { flashSnapshot, sectorExpression, snapshotNote, type FlashRegionGeometry } from "../../../tools/serial/flash-snapshot.ts";
import type { ProtocolClient } from "../../../tools/serial/protocol.ts";

const g: FlashRegionGeometry = { base: 0x310000, size: 8 * 256, sector: 256 };

/** A device whose flash `writer` changes before each EVAL (an app running between them); `garble` corrupts answers. */
function device(writer: (flash: Uint8Array, evalNumber: number) => void, garble: (evalNumber: number) => boolean = () => false) {
  const flash = Uint8Array.from({ length: g.size }, (_, i) => (i * 7 + (i >> 8) * 13) & 0xff); // no two sectors alike
  const moments: Uint8Array[] = [];
  const Flash = { read: (length: number, address: number) => flash.slice(address - g.base, address - g.base + length) };
  const E = { CRC32: (d: Uint8Array) => crc32(d) >>> 0, toString: (d: Uint8Array) => Buffer.from(d).toString("latin1") };
  const btoa = (s: string) => Buffer.from(s, "latin1").toString("base64");
  let evals = 0;
  const client = {
    eval: async (code: string) => {
      writer(flash, evals);
      moments.push(flash.slice());
      const answer = new Function("require", "E", "btoa", "return " + code)(() => Flash, E, btoa) as [number, string, number[]];
      if (garble(evals++)) answer[1] = answer[1].slice(4); // three bytes lost on the way
      return answer;
    },
  } as unknown as ProtocolClient;
  return { client, flash, moments, evals: () => evals };
}

const write = (flash: Uint8Array, sector: number, value: number) => flash.fill(value, sector * g.sector, sector * g.sector + 16);

describe("flashSnapshot", () => {
  it("sends device code the dialect gate passes", () => {
    expect(checkBundle(sectorExpression({ base: 0x310000, size: 0x10000, sector: 0x1000 }, 3) + ";\n", { file: "snapshot.js" })).toEqual([]);
  });

  it("reads a quiet region byte for byte in one pass", async () => {
    const d = device(() => {});
    const s = await flashSnapshot(d.client, g);
    expect(Buffer.compare(s.bytes, d.flash)).toBe(0);
    expect(s).toMatchObject({ rereads: 0, unsettled: [] });
    expect(d.evals()).toBe(8);
    expect(snapshotNote(s, g)).toMatch(/^one moment of the flash/);
  });

  // A reclaim moving a file from sector 6 to sector 1 while the pass is between them: read once each,
  // the image would hold it in neither (sector 1 read before the copy, sector 6 after its erase).
  it("never shows a mix of moments: data moved behind the reader is read again", async () => {
    const d = device((flash, n) => {
      if (n === 3) {
        flash.copyWithin(1 * g.sector, 6 * g.sector, 7 * g.sector);
        flash.fill(0xff, 6 * g.sector, 7 * g.sector);
      }
    });
    const s = await flashSnapshot(d.client, g);
    expect(s.unsettled).toEqual([]);
    expect(Buffer.compare(s.bytes, d.flash)).toBe(0);
    expect(s.rereads).toBe(1);
  });

  it("settles one sector that keeps changing (read last, with its own CRC list); names a second", async () => {
    let value = 0;
    const one = device((flash) => write(flash, 5, value++ & 0xff));
    const settled = await flashSnapshot(one.client, g);
    expect(settled.unsettled).toEqual([]);
    expect(Buffer.compare(settled.bytes, one.moments[one.moments.length - 1])).toBe(0);
    const two = device((flash) => {
      write(flash, 2, value & 0xff);
      write(flash, 5, value++ & 0xff);
    });
    const s = await flashSnapshot(two.client, g);
    // The one read last agrees with its own list; the other changed after its read, round after round.
    expect(s.unsettled.length).toBe(1);
    expect([2, 5]).toContain(s.unsettled[0]);
    expect(snapshotNote(s, g)).toMatch(/sector\(s\) at 0x310[25]00 kept changing/);
  });

  it("reads a garbled sector again, and gives up after three garbled reads of one", async () => {
    const once = device(() => {}, (n) => n === 2);
    const s = await flashSnapshot(once.client, g);
    expect(Buffer.compare(s.bytes, once.flash)).toBe(0);
    expect(s.rereads).toBe(1);
    const always = device(() => {}, (n) => n >= 2);
    await expect(flashSnapshot(always.client, g)).rejects.toThrow(/sector at 0x310200 came back different .* 3 times/);
  });

  it("property: whatever an app writes, a settled image is the flash at the last EVAL; writes that stop always settle", async () => {
    const writes = fc.array(fc.record({ at: fc.nat(40), sector: fc.nat(7), value: fc.nat(255) }), { maxLength: 30 });
    await fc.assert(
      fc.asyncProperty(writes, async (list) => {
        const d = device((flash, n) => {
          for (const w of list) if (w.at === n) write(flash, w.sector, w.value);
        });
        const s = await flashSnapshot(d.client, g);
        if (s.unsettled.length === 0) expect(Buffer.compare(s.bytes, d.moments[d.moments.length - 1])).toBe(0);
        // Writes over by the end of the first pass: the rounds after it see them all.
        if (list.every((w) => w.at < 8)) expect(s.unsettled).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});
