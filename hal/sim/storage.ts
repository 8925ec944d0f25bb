/**
 * Espruino's Storage on the simulated NOR flash: named files in `board.storage`.
 *
 * Usage:
 *   const storage = new SimStorage(device.flash, board.storage);
 *   storage.write(".bootcde", code);  storage.read(".bootcde");  storage.list();
 *   storage.write("big", part1, 0, total); storage.write("big", part2, part1.length);
 *
 * Errors: the interpreter's messages (src/jsflash.c, 2v29): "Can't create zero
 * length file", "Too much data for file size", "File already written with
 * different data", "Unable to find or create file", "Not enough free space".
 * A name longer than 28 bytes throws. A power cut inside any flash operation
 * propagates as the NorFlash `PowerCut` (the flash keeps what it holds).
 *
 * Contract (the semantics of upstream's jsflash.c, not its code or exact
 * bytes): files are laid end to end from the region's start, each a 32-byte
 * header (size: uint32 little-endian, name: 28 bytes zero-padded) then the
 * data, padded to 4 bytes. An all-0xFF header ends the list. A file is
 * created by programming its header first and its data later (so a cut
 * leaves a file of the right size whose tail is 0xFF). Writing at offset 0
 * with a different size, or over non-erased bytes, erases the old file
 * (its name is programmed to zeros) and creates a new one at the end: not
 * atomic. Writing at offset > 0 fills an existing file's erased bytes.
 * When the end is reached, `compact()` runs: it copies every live file to
 * RAM, erases the region sector by sector and writes them back. That is not
 * power-safe, on the chip either (espruino.md §4). `isValid()` is the boot
 * check: a header that is neither valid nor all 0xFF means "corrupt", and
 * the interpreter then erases all of Storage (non-Bangle boards).
 */
import type { Region } from "../boards.ts";
import { DeviceError } from "./device-error.ts";
import type { NorFlash } from "./flash.ts";

/** Bytes of a file header: size (4) + name (28). */
export const HEADER_BYTES = 32;
/** The longest file name Storage takes. */
export const MAX_NAME = 28;
const UNSET = 0xffffffff;

/** A live file found by scanning Storage. */
export interface StorageEntry {
  name: string;
  /** Address of the header. */
  addr: number;
  size: number;
}

const align = (n: number) => (n + 3) & ~3;
const latin1 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");

/** One byte per char, as Espruino strings without Unicode. */
export function bytesOf(data: string | Uint8Array): Uint8Array {
  return typeof data === "string" ? Uint8Array.from(Buffer.from(data, "latin1")) : data;
}

export class SimStorage {
  constructor(
    private flash: NorFlash,
    readonly region: Region,
  ) {}

  /** Live files in Storage order (deleted ones skipped). */
  entries(): StorageEntry[] {
    return this.scan().files;
  }

  /** Names of the live files; `pattern` filters them as `Storage.list(regex)` does. */
  list(pattern?: RegExp | ((name: string) => boolean)): string[] {
    const test = pattern instanceof RegExp ? (n: string) => new RegExp(pattern.source, pattern.flags.replace("g", "")).test(n) : pattern;
    return this.entries()
      .map((e) => e.name)
      .filter((name) => !test || test(name));
  }

  /** The file's bytes (or the part `offset`..`offset+length`), or undefined if there is no such file. */
  readBytes(name: string, offset = 0, length?: number): Uint8Array | undefined {
    const entry = this.find(name);
    if (!entry) return undefined;
    const start = Math.min(Math.max(0, offset), entry.size);
    const end = length === undefined || length <= 0 ? entry.size : Math.min(entry.size, start + length);
    return this.flash.read(entry.addr + HEADER_BYTES + start, end - start);
  }

  /** The file as a string (one char per byte), or undefined. */
  read(name: string, offset = 0, length?: number): string | undefined {
    const bytes = this.readBytes(name, offset, length);
    return bytes && latin1(bytes);
  }

  /**
   * `Storage.write(name, data, offset, size)`: create (offset 0) or fill in
   * (offset > 0) a file. Writing identical data over an identical file does nothing.
   */
  write(name: string, data: string | Uint8Array, offset = 0, size = 0): void {
    const bytes = bytesOf(data);
    checkName(name);
    if (offset < 0 || size < 0) throw new DeviceError("Storage.write: offset and size must be >= 0");
    const total = size || bytes.length;
    if (!total) throw new DeviceError("Can't create zero length file");
    let entry = this.find(name);
    if (offset === 0 && (!entry || entry.size !== total || !this.erased(entry.addr + HEADER_BYTES, total))) {
      if (entry && entry.size === total && bytes.length === total && equal(this.flash.read(entry.addr + HEADER_BYTES, total), bytes)) return;
      if (entry) this.eraseEntry(entry);
      entry = this.create(name, total);
    }
    if (!entry) throw new DeviceError("Unable to find or create file");
    if (offset + bytes.length > entry.size) throw new DeviceError("Too much data for file size");
    const at = entry.addr + HEADER_BYTES + offset;
    if (!this.erased(at, bytes.length)) throw new DeviceError("File already written with different data");
    if (bytes.length) this.flash.program(at, bytes);
  }

  /** Remove a file (its name is programmed to zeros; the space is trash until `compact`). */
  erase(name: string): void {
    const entry = this.find(name);
    if (entry) this.eraseEntry(entry);
  }

  /** Erase every sector of Storage. */
  eraseAll(): void {
    for (let a = this.region.base; a < this.end; a += this.flash.sectorSize) this.flash.erase(a);
  }

  /**
   * Move the live files to the start and free the trash. Not power-safe: a
   * cut between the erases and the rewrites loses files (as on the chip).
   */
  compact(): void {
    const { files, end } = this.scan();
    const live = files.map((f) => ({ name: f.name, data: this.flash.read(f.addr + HEADER_BYTES, f.size) }));
    for (let a = this.region.base; a < Math.min(this.end, end + this.flash.sectorSize); a += this.flash.sectorSize) this.flash.erase(a);
    let addr = this.region.base;
    for (const file of live) {
      this.flash.program(addr, header(file.name, file.data.length));
      this.flash.program(addr + HEADER_BYTES, file.data);
      addr = align(addr + HEADER_BYTES + file.data.length);
    }
  }

  /** Bytes free after the last file (what a new file can use without compacting, header included). */
  getFree(): number {
    return this.end - this.scan().end;
  }

  /** `Storage.getStats()`. */
  stats(): { totalBytes: number; freeBytes: number; fileBytes: number; fileCount: number; trashBytes: number; trashCount: number } {
    const { files, trash, end } = this.scan();
    return {
      totalBytes: this.region.size,
      freeBytes: this.end - end,
      fileBytes: files.reduce((n, f) => n + align(HEADER_BYTES + f.size), 0),
      fileCount: files.length,
      trashBytes: trash.reduce((n, t) => n + t, 0),
      trashCount: trash.length,
    };
  }

  /** The boot check: false if a header is neither a valid file nor all 0xFF (the interpreter then erases Storage). */
  isValid(): boolean {
    return this.scan().valid;
  }

  private get end(): number {
    return this.region.base + this.region.size;
  }

  private find(name: string): StorageEntry | undefined {
    return this.entries().find((e) => e.name === name);
  }

  private scan(): { files: StorageEntry[]; trash: number[]; end: number; valid: boolean } {
    const files: StorageEntry[] = [];
    const trash: number[] = [];
    let addr = this.region.base;
    while (addr + HEADER_BYTES <= this.end) {
      const head = this.flash.data.subarray(addr - this.flash.base, addr - this.flash.base + HEADER_BYTES);
      const size = (head[0] | (head[1] << 8) | (head[2] << 16) | (head[3] << 24)) >>> 0;
      if (size === UNSET) {
        const valid = head.every((b) => b === 0xff);
        return { files, trash, end: addr, valid };
      }
      if (size === 0 || addr + HEADER_BYTES + size > this.end) return { files, trash, end: addr, valid: false };
      const nameBytes = head.subarray(4);
      const zero = nameBytes.indexOf(0);
      const name = latin1(nameBytes.subarray(0, zero < 0 ? MAX_NAME : zero));
      if (name) files.push({ name, addr, size });
      else trash.push(align(HEADER_BYTES + size));
      addr = align(addr + HEADER_BYTES + size);
    }
    return { files, trash, end: Math.min(addr, this.end), valid: true };
  }

  private create(name: string, size: number): StorageEntry {
    const need = align(HEADER_BYTES + size);
    if (this.getFree() < need) {
      this.compact();
      if (this.getFree() < need) throw new DeviceError("Not enough free space");
    }
    const addr = this.scan().end;
    this.flash.program(addr, header(name, size));
    return { name, addr, size };
  }

  private eraseEntry(entry: StorageEntry): void {
    this.flash.program(entry.addr + 4, new Uint8Array(MAX_NAME));
  }

  private erased(addr: number, length: number): boolean {
    const offset = addr - this.flash.base;
    for (let i = 0; i < length; i++) if (this.flash.data[offset + i] !== 0xff) return false;
    return true;
  }
}

function checkName(name: string): void {
  if (typeof name !== "string" || !name.length) throw new DeviceError("Storage: a file name must be a non-empty string");
  if (name.length > MAX_NAME) throw new DeviceError(`Storage: file name ${JSON.stringify(name)} is longer than ${MAX_NAME} characters`);
}

function header(name: string, size: number): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES);
  new DataView(out.buffer).setUint32(0, size, true);
  out.set(bytesOf(name), 4);
  return out;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
