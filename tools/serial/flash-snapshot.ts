/**
 * A consistent image of a flash region read off a running device, one
 * sector per EVAL (tools/serial/protocol.ts), while its apps keep writing.
 *
 * Usage:
 *   const snap = await flashSnapshot(client, { base, size, sector }, (done, total) => …);
 *   snap.bytes      // the region
 *   snap.unsettled  // sectors that kept changing (empty: the image is one moment of the flash)
 *
 * How: each EVAL returns one sector (base64, with the CRC-32 the device
 * computed over what it read); the last of a pass also returns the CRC-32 of
 * every sector of the region, in the same callback, so at one instant.
 * Reading takes seconds and an app may write meanwhile, so every sector
 * whose bytes disagree with that list is read again, the last with a new
 * list (a few rounds). When they all
 * agree, the image is the flash as it was at that last EVAL: a snapshot, not
 * a mix of moments (which, for a log-structured file system in the middle of
 * moving data, could show a file twice or not at all). A sector that keeps
 * changing (a log written every few hundred ms, over a slow link) is reported,
 * not hidden.
 *
 * Errors: UserError when a sector's bytes still differ from the CRC the
 * device sent with them after three reads (a bad cable or baud rate).
 */
import { crc32 } from "node:zlib";
import { UserError } from "../../hal/user-error.ts";
import type { ProtocolClient } from "./protocol.ts";

export interface FlashRegionGeometry {
  /** Chip address and bytes of the region; its erase sector (one EVAL each). */
  base: number;
  size: number;
  sector: number;
}

export interface FlashSnapshot {
  bytes: Uint8Array;
  /** Sectors read again: garbled on the way, or changed while the others were read. */
  rereads: number;
  /** Sectors (indexes in the region) still changing after the last round. */
  unsettled: number[];
}

/** Reads of one sector whose bytes disagree with their own CRC before giving up (the link garbles them). */
const READS = 3;
/** Rounds of re-reading sectors that changed during the pass. */
const ROUNDS = 4;

/**
 * The device code for one sector, and with `sums` the CRC-32 of every sector of the region at the same
 * instant: gated like the firmware (test/tools/serial/flash-snapshot.test.ts), only what Espruino's Flash
 * module, E and btoa offer.
 */
export const sectorExpression = (g: FlashRegionGeometry, index: number, sums = true): string =>
  `(function(F,a,s,n,i){var v=[];for(var k=0;k<n;k++)v.push(E.CRC32(F.read(s,a+k*s)));` +
  `var d=F.read(s,a+i*s);return [E.CRC32(d),btoa(E.toString(d)),v];})(require("Flash"),${g.base},${g.sector},${sums ? g.size / g.sector : 0},${index})`;

export async function flashSnapshot(client: ProtocolClient, g: FlashRegionGeometry, onProgress?: (done: number, total: number) => void): Promise<FlashSnapshot> {
  if (g.size % g.sector) throw new Error(`flashSnapshot: the region (${g.size} bytes) is not a whole number of ${g.sector}-byte sectors`);
  const count = g.size / g.sector;
  const bytes = new Uint8Array(g.size);
  let newest: number[] = [];
  let rereads = 0;
  // Only the last EVAL's list is compared against: the sectors before it in a pass or round skip it
  // (a list per EVAL made a 128-sector region quadratic: 10 s on the Linux interpreter).
  const read = async (index: number, sums: boolean) => {
    for (let attempt = 1; ; attempt++) {
      const answer = (await client.eval(sectorExpression(g, index, sums))) as [number, string, number[]] | undefined;
      const data = Buffer.from(String(answer?.[1] ?? ""), "base64");
      if (data.length === g.sector && crc32(data) === answer![0] >>> 0 && Array.isArray(answer![2]) && answer![2].length === (sums ? count : 0)) {
        bytes.set(data, index * g.sector);
        if (sums) newest = answer![2].map((c) => c >>> 0);
        return;
      }
      if (attempt === READS) {
        throw new UserError(`the sector at 0x${(g.base + index * g.sector).toString(16)} came back different from what the device read, ${READS} times`, "check the cable and the baud rate, then try again");
      }
      rereads++;
    }
  };
  const changed = () => {
    const out: number[] = [];
    for (let i = 0; i < count; i++) if (crc32(bytes.subarray(i * g.sector, (i + 1) * g.sector)) !== newest[i]) out.push(i);
    return out;
  };
  for (let i = 0; i < count; i++) {
    await read(i, i === count - 1);
    onProgress?.((i + 1) * g.sector, g.size);
  }
  let unsettled = changed();
  for (let round = 0; round < ROUNDS && unsettled.length; round++) {
    for (const [k, i] of unsettled.entries()) await read(i, k === unsettled.length - 1);
    rereads += unsettled.length;
    unsettled = changed();
  }
  return { bytes, rereads, unsettled };
}

/** One line for people: a snapshot, or which sectors kept changing. */
export function snapshotNote(s: FlashSnapshot, g: FlashRegionGeometry): string {
  const checked = `every sector checked against the CRC-32 the device computed${s.rereads ? ` (${s.rereads} read again)` : ""}`;
  if (!s.unsettled.length) return `one moment of the flash, ${checked}`;
  const where = s.unsettled.map((i) => "0x" + (g.base + i * g.sector).toString(16)).join(", ");
  return `${checked}; the sector(s) at ${where} kept changing while they were read (an app writing): they may be newer than the rest — read again, or at a faster baud rate, for one moment of the flash`;
}
