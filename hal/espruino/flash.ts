/**
 * Raw flash through Espruino's `Flash` module, absolute addresses: its own
 * natives, bound once, so the kernel's capability adds no JS layer of ours.
 * The kernel (firmware/flash.ts) checks every range before calling.
 */
import type { HalFlash } from "../types.ts";

const chip = require("Flash") as {
  read(length: number, addr: number): Uint8Array;
  write(data: Uint8Array, addr: number): void;
  erasePage(addr: number): void;
};

export const flash: HalFlash = {
  read: chip.read.bind(chip),
  write: chip.write.bind(chip),
  erase: chip.erasePage.bind(chip),
};
