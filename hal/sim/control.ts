/**
 * Test controls of the simulated device, kept off the device interface.
 *
 * Usage:
 *   const device = new SimDevice({ board: boards.esp32, seed: 7 });
 *   device.control.cutFlashAfter(3, "torn");  // the 4th flash program/erase from now is cut
 *   device.control.drivePin(5, 1, 20);        // the outside world pulls D5 high 20 ms from now
 *   device.control.advance(100);              // = device.run(100)
 *
 * Errors: a pin outside the board, a negative delay or count, or an
 * unknown cut mode throws an Error naming the value.
 *
 * Contract: nothing here is reachable from device code. Flash operations are
 * counted by NorFlash (`ops`: one per erase, one per page-program command).
 */
import type { VirtualClock } from "./clock.ts";
import type { RunReport } from "./device.ts";
import type { CutMode, NorFlash } from "./flash.ts";
import type { PinBank } from "./pins.ts";

/** What the controls reach inside a SimDevice. */
export interface ControlTarget {
  flash: NorFlash;
  pins: PinBank;
  clock: VirtualClock;
  run(ms: number): RunReport;
  cutPower(reason: string): void;
}

const checkMode = (mode: string): CutMode => {
  if (mode !== "clean" && mode !== "torn") throw new Error(`cut mode must be "clean" or "torn", got ${JSON.stringify(mode)}`);
  return mode;
};

export class SimControl {
  constructor(private target: ControlTarget) {}

  /** Cut the power at flash operation number `op` (absolute: compare `flashOps`). */
  cutFlashAt(op: number, mode: CutMode = "clean"): void {
    if (!Number.isInteger(op) || op < this.target.flash.ops) {
      throw new Error(`cutFlashAt(${op}): must be an integer >= the next op index ${this.target.flash.ops}`);
    }
    this.target.flash.cutAt(op, checkMode(mode));
  }

  /** Cut the power at the flash operation `count` operations from now (0 = the next one). */
  cutFlashAfter(count: number, mode: CutMode = "clean"): void {
    if (!Number.isInteger(count) || count < 0) throw new Error(`cutFlashAfter(${count}): must be an integer >= 0`);
    this.target.flash.cutAt(this.target.flash.ops + count, checkMode(mode));
  }

  /** Disarm a pending flash cut. */
  clearFlashCut(): void {
    this.target.flash.clearCut();
  }

  /** Index of the next mutating flash operation. */
  get flashOps(): number {
    return this.target.flash.ops;
  }

  /** Cut the power now, between callbacks (the flash keeps what it holds); or `afterMs` of simulated time from now. */
  cutPower(afterMs = 0, reason = "power cut by the test"): void {
    if (afterMs === 0) return this.target.cutPower(reason);
    this.target.clock.add({ kind: "host", fn: () => this.target.cutPower(reason), args: [], label: "cutPower", external: true }, afterMs);
  }

  /**
   * The outside world drives pin `n` to `level` (undefined: lets go), now or
   * `afterMs` of simulated time from now. Watches see the change as an edge.
   */
  drivePin(n: number, level: 0 | 1 | boolean | undefined, afterMs = 0): void {
    this.target.pins.check(n);
    if (!(afterMs >= 0)) throw new Error(`drivePin: afterMs must be >= 0, got ${afterMs}`);
    const value = level === undefined ? undefined : level ? 1 : 0;
    if (afterMs === 0) {
      this.target.pins.drive(n, value);
      return;
    }
    this.target.clock.add(
      { kind: "host", fn: () => this.target.pins.drive(n, value), args: [], label: `drivePin D${n}`, external: true },
      afterMs,
    );
  }

  /** Run `fn` on the host `afterMs` of simulated time from now (the outside world acting: a datagram sent in). */
  at(afterMs: number, fn: () => void, label: string): void {
    this.target.clock.add({ kind: "host", fn, args: [], label, external: true }, afterMs);
  }

  /** A pulse on pin `n`: `level` for `widthMs`, starting `afterMs` from now, then let go. */
  pulsePin(n: number, level: 0 | 1, widthMs: number, afterMs = 0): void {
    this.drivePin(n, level, afterMs);
    this.drivePin(n, undefined, afterMs + widthMs);
  }

  /** The level of pin `n` now, as the outside world would measure it. */
  pinLevel(n: number): 0 | 1 {
    return this.target.pins.level(n);
  }

  /** The mode of pin `n` as getPinMode would report it. */
  pinMode(n: number): string | undefined {
    return this.target.pins.mode(n);
  }

  /** Run the device for `ms` of simulated time (same as SimDevice.run). */
  advance(ms: number): RunReport {
    return this.target.run(ms);
  }

  /** Simulated time in ms since power-on. */
  get now(): number {
    return this.target.clock.now;
  }

  /** Erase count of every sector of the chip (a copy). */
  eraseCounts(): number[] {
    return [...this.target.flash.eraseCounts];
  }

  /** The whole chip as a raw image (a copy): what `SimOptions.flashImage` takes back. */
  flashImage(): Uint8Array {
    return this.target.flash.data.slice();
  }
}
