/**
 * Board profiles: the facts about a target that the build, the kernel and the
 * simulator share (flash geometry, the region the kernel may hand out, pins).
 *
 * Usage: `const board = findBoard("esp32")` — throws a UserError listing the
 * known boards otherwise. The build bakes `deviceFacts(board)` into the bundle.
 *
 * Sources: ../shared/espruino.md §3–§4 (ESP32 rows read from upstream's board
 * files; Linux rows measured on the interpreter built for Linux).
 */
import { UserError } from "./user-error.ts";

/** A span of flash addresses. */
export interface Region {
  /** Absolute address of the first byte. */
  base: number;
  /** Length in bytes. */
  size: number;
}

export interface Board {
  name: string;
  description: string;
  /** The whole flash chip as the simulator models it. */
  chip: Region & { sectorSize: number; pageSize: number };
  /**
   * The flash the kernel may hand out to apps (and keep its ledger in): a
   * board fact, not `Flash.getFree()`, which overlaps Storage on both boards.
   */
  kernelFlash: Region;
  /** Where Espruino's own Storage (saved code, .bootcde) lives. */
  storage: Region;
  /** What `require("Flash").getFree()` reports on this board's firmware. */
  getFree: { addr: number; length: number }[];
  /** Pins D0 .. D(pins-1) exist. */
  pins: number;
  /** The on-board LED pin, or -1. */
  led: number;
  /**
   * JsVars the interpreter has: fixed on the ESP32. The Linux build's store
   * grows from 4096 (or is fixed with VARIABLES=…): it counts as an ESP32's
   * 16383 here, for the simulator and for the kernel's memory guard (which
   * compares against at least this many, whatever the store reports now).
   */
  variables: number;
  /** Bytes per JsVar. */
  bytesPerVariable: number;
}

export const boards: Record<string, Board> = {
  esp32: {
    name: "esp32",
    description: "ESP32 (4 MiB flash, 4 KiB sectors, 16383 variables)",
    chip: { base: 0, size: 0x400000, sectorSize: 0x1000, pageSize: 256 },
    // The 64 KiB user-data partition; 0x360000+ from getFree() overlaps Storage.
    kernelFlash: { base: 0x310000, size: 0x10000 },
    storage: { base: 0x320000, size: 0xe0000 },
    getFree: [
      { addr: 0xe000, length: 0x2000 },
      { addr: 0x310000, length: 0x10000 },
      { addr: 0x360000, length: 0xa0000 },
    ],
    pins: 40,
    led: 2,
    variables: 16383,
    bytesPerVariable: 14,
  },
  linux: {
    name: "linux",
    description: "Espruino built for Linux (./espruino.flash: 256 KiB at 0x10000000, 1 KiB pages)",
    chip: { base: 0x10000000, size: 0x40000, sectorSize: 0x400, pageSize: 0x400 },
    // Storage shares the 256 KiB from the bottom: the kernel keeps to the top half.
    kernelFlash: { base: 0x10020000, size: 0x20000 },
    storage: { base: 0x10000000, size: 0x20000 },
    getFree: [{ addr: 0x10000000, length: 0x40000 }],
    pins: 33,
    led: 1,
    variables: 16383,
    bytesPerVariable: 27,
  },
};

export const defaultBoard = "esp32";

/** The profile named `name`, or a UserError that lists the known ones. */
export function findBoard(name: string = defaultBoard): Board {
  const board = boards[name];
  if (!board) {
    throw new UserError(`unknown board "${name}"`, `known boards: ${Object.keys(boards).join(", ")}`);
  }
  return board;
}

/** The part of a profile the device needs at run time, as baked into the bundle. */
export function deviceFacts(board: Board) {
  return {
    name: board.name,
    flash: { base: board.kernelFlash.base, size: board.kernelFlash.size, sector: board.chip.sectorSize },
    led: board.led,
    variables: board.variables,
  };
}
