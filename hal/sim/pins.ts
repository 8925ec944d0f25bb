/**
 * The simulated GPIO pins: modes, levels, and the recorded waveform.
 *
 * Usage:
 *   const pins = new PinBank(40, () => clock.now);
 *   pins.write(2, 1);            // digitalWrite: the pin becomes an output unless forced
 *   pins.drive(5, 1);            // the outside world drives D5 high (test control)
 *   pins.changes                 // every level change, with its simulated time
 *
 * Errors: a pin number outside 0..count-1 throws `DeviceError` ("Invalid pin …");
 * an unknown mode throws "Unknown pin mode" (the interpreter's message).
 *
 * Contract (Espruino's rules, measured on 2v29 and read from its source):
 * `pinMode(p, m)` forces mode m; "auto" (or no mode) un-forces it. On a pin
 * that is not forced, digitalWrite makes it an output and digitalRead makes it
 * an input. A pin's level is what it drives when it is an output; otherwise
 * what the outside world drives (`drive`), else its pull (up 1, down 0), else 0.
 * An open-drain pin drives 0 or lets go (then external, else 1: we assume a pull-up).
 */
import { DeviceError } from "./device-error.ts";

/** The modes `pinMode` accepts. */
export const PIN_MODES = [
  "analog",
  "input",
  "input_pullup",
  "input_pulldown",
  "output",
  "opendrain",
  "opendrain_pullup",
  "af_output",
  "af_opendrain",
  "auto",
] as const;
export type PinMode = (typeof PIN_MODES)[number];

/** One level change of one pin. */
export interface LevelChange {
  /** Simulated time in ms. */
  ms: number;
  pin: number;
  level: 0 | 1;
}

interface PinState {
  /** Undefined until the pin is first configured (getPinMode returns undefined). */
  mode?: Exclude<PinMode, "auto">;
  forced: boolean;
  /** What the device last wrote (the output register). */
  output: 0 | 1;
  /** What the outside world drives, if anything (survives reboots). */
  external?: 0 | 1;
  level: 0 | 1;
  /** Time (ms) of the last level change. */
  lastChange: number;
}

const OUTPUTS = new Set(["output", "af_output"]);
const OPEN_DRAIN = new Set(["opendrain", "opendrain_pullup", "af_opendrain"]);

export class PinBank {
  /** Every level change since power-on, in time order. */
  readonly changes: LevelChange[] = [];
  /** Pins that were ever driven (by the device or the outside) or set to output: the VCD's wires. */
  readonly traced = new Set<number>();
  /** Called after each level change (the watch machinery listens here). */
  onChange?: (pin: number, level: 0 | 1, previousChangeMs: number) => void;
  private pins: PinState[];

  constructor(
    readonly count: number,
    private now: () => number,
  ) {
    this.pins = Array.from({ length: count }, () => ({ forced: false, output: 0 as const, level: 0 as const, lastChange: 0 }));
  }

  /** Throw unless `n` is a pin of this board. */
  check(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n >= this.count) {
      throw new DeviceError(`Invalid pin ${n}: this board has D0..D${this.count - 1}`);
    }
  }

  /** The mode as getPinMode reports it (undefined before first use). */
  mode(n: number): string | undefined {
    this.check(n);
    return this.pins[n].mode;
  }

  /** pinMode: force a mode, or "auto" to let digitalWrite/digitalRead choose. */
  setMode(n: number, mode: unknown): void {
    this.check(n);
    if (mode === undefined) mode = "auto";
    if (typeof mode !== "string" || !(PIN_MODES as readonly string[]).includes(mode)) {
      throw new DeviceError("Unknown pin mode");
    }
    const pin = this.pins[n];
    if (mode === "auto") {
      pin.forced = false;
      return;
    }
    pin.forced = true;
    pin.mode = mode as Exclude<PinMode, "auto">;
    if (OUTPUTS.has(mode) || OPEN_DRAIN.has(mode)) this.traced.add(n);
    this.settle(n);
  }

  /** digitalWrite of one pin. */
  write(n: number, value: 0 | 1): void {
    this.check(n);
    const pin = this.pins[n];
    pin.output = value;
    if (!pin.forced) pin.mode = "output";
    this.traced.add(n);
    this.settle(n);
  }

  /** digitalRead of one pin (an un-forced pin becomes an input, as on Espruino). */
  read(n: number): 0 | 1 {
    this.check(n);
    const pin = this.pins[n];
    if (!pin.forced && pin.mode !== "input") {
      pin.mode = "input";
      this.settle(n);
    }
    return pin.level;
  }

  /** The current level, without side effects (for tests and watches). */
  level(n: number): 0 | 1 {
    this.check(n);
    return this.pins[n].level;
  }

  /** Time (ms) of the pin's last level change (0: none since power-on). */
  lastChange(n: number): number {
    this.check(n);
    return this.pins[n].lastChange;
  }

  /** The outside world drives the pin (0/1), or lets go (undefined). */
  drive(n: number, level: 0 | 1 | undefined): void {
    this.check(n);
    this.pins[n].external = level;
    if (level !== undefined) this.traced.add(n);
    this.settle(n);
  }

  /** A reset: every pin unconfigured again; external drives and the recording stay. */
  reset(): void {
    for (let n = 0; n < this.count; n++) {
      const pin = this.pins[n];
      pin.mode = undefined;
      pin.forced = false;
      pin.output = 0;
      this.settle(n);
    }
  }

  /** Recompute the level from mode, output, external drive and pull; record a change. */
  private settle(n: number): void {
    const pin = this.pins[n];
    const mode = pin.mode ?? "input";
    let level: 0 | 1;
    if (OUTPUTS.has(mode)) level = pin.output;
    else if (OPEN_DRAIN.has(mode)) level = pin.output === 0 ? 0 : (pin.external ?? 1);
    else level = pin.external ?? (mode === "input_pullup" ? 1 : 0);
    if (level === pin.level) return;
    const previous = pin.lastChange;
    pin.level = level;
    pin.lastChange = this.now();
    this.changes.push({ ms: pin.lastChange, pin: n, level });
    this.onChange?.(n, level, previous);
  }
}
