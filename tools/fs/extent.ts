/**
 * A FlashExtent over the simulated NOR chip, stricter than the kernel's.
 *
 * Usage:
 *   const chip = new NorFlash({ base: 0, size: 64 * 4096, sectorSize: 4096 });
 *   const extent = norExtent(chip);            // whole chip; or norExtent(chip, first, count)
 *   const services = hostServices();            // crc32 = zlib.crc32 (= E.CRC32)
 *
 * Errors: throws on an offset outside the extent, a misaligned program, and
 * a program that would need a 0→1 bit (a FS bug: NOR cannot do it).
 */
import { crc32 } from "node:zlib";
import type { FlashExtent, Services } from "../../firmware/types.ts";
import type { NorFlash } from "../../hal/sim/flash.ts";

export interface ExtentOptions {
  /** Allow programs that need 0→1 bits (default false: they throw). */
  lax?: boolean;
}

export function norExtent(chip: NorFlash, first = 0, count = chip.sectorCount - first, options: ExtentOptions = {}): FlashExtent {
  const sector = chip.sectorSize;
  const start = chip.base + first * sector;
  const size = count * sector;
  const check = (offset: number, length: number) => {
    if (!Number.isInteger(offset) || offset < 0 || length < 0 || offset + length > size) {
      throw new Error(`extent access ${offset}+${length} outside 0..${size}`);
    }
  };
  return {
    sector,
    count,
    read(offset, length) {
      check(offset, length);
      return chip.read(start + offset, length);
    },
    write(offset, data) {
      check(offset, data.length);
      if (offset % 4 || data.length % 4) throw new Error(`unaligned program at ${offset}+${data.length}`);
      if (!options.lax) {
        const at = start + offset - chip.base;
        for (let i = 0; i < data.length; i++) {
          if ((chip.data[at + i] & data[i]) !== data[i]) {
            throw new Error(`program needs a 0→1 bit at extent offset ${offset + i} (0x${chip.data[at + i].toString(16)} → 0x${data[i].toString(16)})`);
          }
        }
      }
      chip.program(start + offset, data);
    },
    erase(index) {
      if (!Number.isInteger(index) || index < 0 || index >= count) throw new Error(`erase of sector ${index} outside 0..${count - 1}`);
      chip.erase(start + index * sector);
    },
    erases(index) {
      return chip.eraseCounts[first + index];
    },
  };
}

/** Services for host runs: CRC-32 like E.CRC32, a clock, a log. */
export function hostServices(log: (text: string) => void = () => {}): Services {
  return {
    crc32: (data) => crc32(typeof data === "string" ? Buffer.from(data, "latin1") : data) >>> 0,
    now: () => Date.now(),
    log,
  };
}
