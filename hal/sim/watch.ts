/**
 * setWatch on the simulated pins: edge callbacks, queued like Espruino's events.
 *
 * Usage:
 *   const watches = new Watches(clock, pins, (fn, event, label) => queue(fn, [event], label));
 *   const id = watches.add(fn, 5, { repeat: true, edge: "rising", debounce: 10 });
 *   watches.remove(id);          // or watches.remove() for all
 *
 * Errors (DeviceError): a callback that is not a function ("Function or String
 * not supplied!"), a bad edge (the interpreter's message), an option the
 * interpreter does not know (stricter than the chip, which ignores it), a
 * negative debounce, and removing an unknown id ("Unknown Watch <id>").
 *
 * Contract: a level change of a watched pin queues the callback (it never runs
 * inside the code that caused the change) with `{state, time, lastTime, pin}`:
 * state a boolean, times in seconds like getTime(), lastTime the time of the
 * pin's previous change. With `debounce` (ms) the callback fires only once the
 * level has held for that long, reporting the time the level changed.
 * Without `repeat` the watch removes itself when it fires.
 */
import type { VirtualClock } from "./clock.ts";
import { DeviceError } from "./device-error.ts";
import type { PinBank } from "./pins.ts";

export interface WatchOptions {
  repeat?: boolean;
  edge?: "rising" | "falling" | "both" | 1 | -1 | 0;
  /** Milliseconds the new level must hold before the callback fires. */
  debounce?: number;
  irq?: boolean;
  data?: unknown;
  hispeed?: boolean;
}

/** What the callback receives, before conversion to a device object. */
export interface WatchEvent {
  state: boolean;
  time: number;
  lastTime: number;
  pin: number;
}

interface Watch {
  id: number;
  fn: Function;
  pin: number;
  /** 1 rising, -1 falling, 0 both. */
  edge: number;
  repeat: boolean;
  debounce: number;
  /** Debounced watches: the last level that held, its time, and the pending check's generation. */
  stable: 0 | 1;
  stableSince: number;
  generation: number;
}

const KNOWN_OPTIONS = new Set(["repeat", "edge", "debounce", "irq", "data", "hispeed"]);
const EDGES: Record<string, number> = { rising: 1, falling: -1, both: 0, "1": 1, "-1": -1, "0": 0 };

/** Delivers a fired watch: the device queues `fn(event)` as an event. */
export type WatchSink = (fn: Function, event: WatchEvent, label: string) => void;

export class Watches {
  private watches = new Map<number, Watch>();
  private nextId = 1;

  constructor(
    private clock: VirtualClock,
    private pins: PinBank,
    private deliver: WatchSink,
  ) {}

  /** setWatch(fn, pin, options) → id. */
  add(fn: unknown, pin: number, options: unknown): number {
    if (typeof fn !== "function") throw new DeviceError("Function or String not supplied!");
    this.pins.check(pin);
    const opts = (options ?? {}) as Record<string, unknown>;
    if (typeof opts !== "object") throw new DeviceError("setWatch: options must be an object like {repeat:true, edge:'rising'}");
    for (const key of Object.keys(opts)) {
      if (!KNOWN_OPTIONS.has(key)) {
        throw new DeviceError(`setWatch: unknown option '${key}' (the simulator knows ${[...KNOWN_OPTIONS].join(", ")}; the chip would ignore it)`);
      }
    }
    const edge = opts.edge === undefined ? 0 : EDGES[String(opts.edge)];
    if (edge === undefined) {
      throw new DeviceError("'edge' in setWatch should be 1, -1, 0, 'rising', 'falling' or 'both'");
    }
    const debounce = opts.debounce === undefined ? 0 : Number(opts.debounce);
    if (!(debounce >= 0)) throw new DeviceError(`setWatch: debounce must be a number of ms >= 0, got ${String(opts.debounce)}`);
    const id = this.nextId++;
    this.watches.set(id, {
      id,
      fn,
      pin,
      edge,
      repeat: Boolean(opts.repeat),
      debounce,
      stable: this.pins.level(pin),
      stableSince: this.pins.lastChange(pin),
      generation: 0,
    });
    return id;
  }

  /** clearWatch(id), or every watch when `id` is undefined. */
  remove(id?: unknown): void {
    if (id === undefined) {
      this.watches.clear();
      return;
    }
    if (!this.watches.delete(Number(id))) throw new DeviceError(`Unknown Watch ${String(id)}`);
  }

  /** The live watches' callbacks (roots for the memory estimate). */
  callbacks(): Function[] {
    return [...this.watches.values()].map((w) => w.fn);
  }

  get size(): number {
    return this.watches.size;
  }

  /** Forget every watch (a reboot). */
  reset(): void {
    this.watches.clear();
    this.nextId = 1;
  }

  /** PinBank.onChange: a pin changed level at clock.now. */
  changed(pin: number, level: 0 | 1, previousChangeMs: number): void {
    for (const watch of [...this.watches.values()]) {
      if (watch.pin !== pin) continue;
      if (watch.debounce > 0) {
        const generation = ++watch.generation;
        const changedAt = this.clock.now;
        this.clock.add(
          { kind: "host", fn: () => this.settle(watch, generation, changedAt), args: [], label: "setWatch debounce" },
          watch.debounce,
        );
      } else {
        this.fire(watch, level, this.clock.now, previousChangeMs);
      }
    }
  }

  /** A debounce period ended: fire if the level held and differs from the last stable one. */
  private settle(watch: Watch, generation: number, changedAt: number): void {
    if (watch.generation !== generation || this.watches.get(watch.id) !== watch) return;
    const level = this.pins.level(watch.pin);
    if (level === watch.stable) return;
    const lastTime = watch.stableSince;
    watch.stable = level;
    watch.stableSince = changedAt;
    this.fire(watch, level, changedAt, lastTime);
  }

  private fire(watch: Watch, level: 0 | 1, atMs: number, lastMs: number): void {
    if (watch.edge === 1 && level !== 1) return;
    if (watch.edge === -1 && level !== 0) return;
    if (!watch.repeat) this.watches.delete(watch.id);
    const name = (watch.fn as { name?: string }).name || "anonymous";
    this.deliver(watch.fn, { state: level === 1, time: atMs / 1000, lastTime: lastMs / 1000, pin: watch.pin }, `setWatch callback ${name} on D${watch.pin}`);
  }
}
