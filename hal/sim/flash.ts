/**
 * A NOR flash chip: erase sets 0xFF, program only clears bits, power cuts.
 *
 * Usage:
 *   const chip = new NorFlash({ base: 0, size: 4 << 20, sectorSize: 4096 });
 *   chip.erase(0x310000); chip.program(0x310000, bytes); chip.read(0x310000, 16);
 *   chip.cutAt(chip.ops + 3, "torn");   // the 4th mutating op from now is cut
 *
 * Errors: addresses outside the chip throw; a cut throws `PowerCut` (the
 * device stops; the array keeps what the chip would hold).
 *
 * Contract: every mutating operation (one erase, or one page-program command:
 * a program never crosses a `pageSize` boundary, longer ones are split) has an
 * index `ops` = 0, 1, 2, … — the unit of ../shared/bench/LOGCFG.md §5.
 * The chip itself has no alignment rule; Espruino's `Flash` module adds one
 * (see espruino-api.ts).
 */

/** Where the chip sits in the address space and how it is divided. */
export interface FlashGeometry {
  /** Address of the first byte (Espruino flash addresses are absolute). */
  base: number;
  /** Total bytes; a multiple of `sectorSize`. */
  size: number;
  /** Erase unit in bytes ("page" in Espruino's Flash module). */
  sectorSize: number;
  /** Program unit boundary in bytes; one program command never crosses it. Default 256. */
  pageSize?: number;
}

/** How a cut operation ends: not applied at all, or partly applied. */
export type CutMode = "clean" | "torn";

/** Thrown by the operation that the power cut interrupts. */
export class PowerCut extends Error {
  constructor(readonly op: number, readonly mode: CutMode, readonly kind: "erase" | "program") {
    super(`power cut at flash op ${op} (${kind}, ${mode})`);
    this.name = "PowerCut";
  }
}

/** Raw counters, and device time modelled as in LOGCFG §4 (ESP32 + W25Q32). */
export interface FlashStats {
  reads: number;
  readBytes: number;
  programs: number;
  programBytes: number;
  /** Bytes programmed over a byte that was not 0xFF (legal, but counted). */
  programOverNonErased: number;
  erases: number;
  modelMicros: number;
}

const ERASE_US = 45_000;
const PROGRAM_US = 138.5;
const PROGRAM_US_PER_BYTE = 0.387;
const READ_US = 79.2;
const READ_US_PER_BYTE = 0.0666;

/** xorshift32: the chip's own deterministic source for torn states. */
export function xorshift32(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

export class NorFlash {
  readonly base: number;
  readonly size: number;
  readonly sectorSize: number;
  readonly pageSize: number;
  /** The cells, base-relative. Tests may read it; writing it bypasses the NOR rules. */
  readonly data: Uint8Array;
  /** Erase count per sector. */
  readonly eraseCounts: Uint32Array;
  readonly stats: FlashStats = { reads: 0, readBytes: 0, programs: 0, programBytes: 0, programOverNonErased: 0, erases: 0, modelMicros: 0 };
  /** Index of the next mutating operation. */
  ops = 0;
  private cut?: { at: number; mode: CutMode };
  private random: () => number;

  constructor(geometry: FlashGeometry, options: { image?: Uint8Array; seed?: number } = {}) {
    const { base, size, sectorSize } = geometry;
    if (size <= 0 || sectorSize <= 0 || size % sectorSize) {
      throw new Error(`flash geometry: size ${size} must be a positive multiple of sectorSize ${sectorSize}`);
    }
    this.base = base;
    this.size = size;
    this.sectorSize = sectorSize;
    this.pageSize = geometry.pageSize ?? 256;
    this.data = new Uint8Array(size).fill(0xff);
    if (options.image) {
      if (options.image.length !== size) throw new Error(`flash image is ${options.image.length} bytes, the chip has ${size}`);
      this.data.set(options.image);
    }
    this.eraseCounts = new Uint32Array(size / sectorSize);
    this.random = xorshift32(options.seed ?? 1);
  }

  get sectorCount(): number {
    return this.eraseCounts.length;
  }

  /** Arm a power cut: mutating op number `at` (absolute, compare `ops`) is cut. */
  cutAt(at: number, mode: CutMode = "clean"): void {
    this.cut = { at, mode };
  }

  /** Disarm any pending cut. */
  clearCut(): void {
    this.cut = undefined;
  }

  read(addr: number, length: number): Uint8Array {
    const offset = this.offset(addr, length);
    this.stats.reads++;
    this.stats.readBytes += length;
    this.stats.modelMicros += READ_US + READ_US_PER_BYTE * length;
    return this.data.slice(offset, offset + length);
  }

  /** Program `bytes` at `addr`: new = old AND data, split at page boundaries. */
  program(addr: number, bytes: Uint8Array): void {
    let offset = this.offset(addr, bytes.length);
    let done = 0;
    while (done < bytes.length) {
      const room = this.pageSize - (offset % this.pageSize);
      const chunk = bytes.subarray(done, done + Math.min(room, bytes.length - done));
      this.programCommand(offset, chunk);
      offset += chunk.length;
      done += chunk.length;
    }
  }

  /** Erase the sector that contains `addr`. */
  erase(addr: number): void {
    const offset = this.offset(addr, 1);
    const start = offset - (offset % this.sectorSize);
    const sector = this.data.subarray(start, start + this.sectorSize);
    const op = this.ops++;
    if (this.cut?.at === op) {
      const mode = this.cut.mode;
      this.cut = undefined;
      if (mode === "torn") {
        this.tearErase(sector);
        this.eraseCounts[start / this.sectorSize]++; // the cells were stressed all the same
      }
      throw new PowerCut(op, mode, "erase");
    }
    sector.fill(0xff);
    this.eraseCounts[start / this.sectorSize]++;
    this.stats.erases++;
    this.stats.modelMicros += ERASE_US;
  }

  /** Sector index of an absolute address. */
  sectorOf(addr: number): number {
    return Math.floor(this.offset(addr, 1) / this.sectorSize);
  }

  private programCommand(offset: number, chunk: Uint8Array): void {
    const op = this.ops++;
    if (this.cut?.at === op) {
      const mode = this.cut.mode;
      this.cut = undefined;
      if (mode === "torn") this.tearProgram(offset, chunk);
      throw new PowerCut(op, mode, "program");
    }
    for (let i = 0; i < chunk.length; i++) {
      if (this.data[offset + i] !== 0xff) this.stats.programOverNonErased++;
      this.data[offset + i] &= chunk[i];
    }
    this.stats.programs++;
    this.stats.programBytes += chunk.length;
    this.stats.modelMicros += PROGRAM_US + PROGRAM_US_PER_BYTE * chunk.length;
  }

  /**
   * A program cut midway: either a prefix done plus one byte half done, or a
   * random subset of the bits it would clear. Never sets a bit.
   */
  private tearProgram(offset: number, chunk: Uint8Array): void {
    if (this.random() < 0.5) {
      const prefix = Math.floor(this.random() * chunk.length);
      for (let i = 0; i < prefix; i++) this.data[offset + i] &= chunk[i];
      if (prefix < chunk.length) this.data[offset + prefix] &= chunk[prefix] | this.randomByte();
    } else {
      for (let i = 0; i < chunk.length; i++) this.data[offset + i] &= chunk[i] | this.randomByte();
    }
  }

  /** An erase cut midway: one of the four states of LOGCFG §5. */
  private tearErase(sector: Uint8Array): void {
    const kind = Math.floor(this.random() * 4);
    if (kind === 0) {
      // Chips pre-program the sector to 0x00 before erasing it.
      sector.fill(0x00, 0, Math.floor(this.random() * sector.length));
    } else if (kind === 1) {
      for (let i = 0; i < sector.length; i++) sector[i] |= this.randomByte();
    } else if (kind === 2) {
      sector.fill(0xff);
      for (let i = 0; i < sector.length; i += 64) {
        const at = i + Math.floor(this.random() * 64);
        sector[at] &= ~(1 << Math.floor(this.random() * 8));
      }
    } else {
      for (let i = 0; i < sector.length; i++) sector[i] = this.randomByte();
    }
  }

  private randomByte(): number {
    return Math.floor(this.random() * 256);
  }

  private offset(addr: number, length: number): number {
    const offset = addr - this.base;
    if (!Number.isInteger(addr) || !Number.isInteger(length) || length < 0 || offset < 0 || offset + length > this.size) {
      throw new Error(
        `flash address 0x${addr.toString(16)}+${length} is outside the chip ` +
          `(0x${this.base.toString(16)}..0x${(this.base + this.size).toString(16)})`,
      );
    }
    return offset;
  }
}
