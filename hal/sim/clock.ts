/**
 * The simulated device's virtual clock: one queue of timers and events in simulated time.
 *
 * Usage:
 *   const clock = new VirtualClock();
 *   const id = clock.add({ fn, args: [], kind: "interval", label: "blink" }, 500, 500);
 *   for (let due; (due = clock.next(1000)); ) run(due.action); // fires in time order
 *
 * Errors: `add` throws on a delay or period that is not a finite number.
 *
 * Contract: entries fire in simulated-time order, ties broken by creation
 * order (an interval keeps its place when re-armed or changed, as in
 * Espruino's timer list, which it scans in creation order) — so a run is a
 * pure function of its inputs. Time is in milliseconds, rounded to the
 * nanosecond so that periods do not drift; `now` never goes backwards.
 */

/** What an entry does when it fires; the clock never calls it itself. */
export interface ClockAction {
  /**
   * "timeout"/"interval": the device's own timers (ids, clearTimeout);
   * "callback": a queued device callback (a watch); "host": a simulator event.
   */
  kind: "timeout" | "interval" | "callback" | "host";
  /** The device function to call, or for "host" the simulator's. */
  fn: Function;
  args: unknown[];
  /** A name for reports, e.g. the callback's function name. */
  label: string;
  /** The outside world's doing (a test driving a pin): survives a device reset. */
  external?: boolean;
}

/** A scheduled entry. */
export interface ClockEntry {
  /** Timer id for device timers (1, 2, …), 0 for internal events. */
  id: number;
  /** Simulated time (ms) at which it fires. */
  at: number;
  /** Re-arm period in ms (intervals), 0 for one-shot entries. */
  period: number;
  action: ClockAction;
  /** Creation order: breaks ties between entries with the same `at`. */
  seq: number;
  cancelled: boolean;
}

/**
 * Espruino fires `setInterval(f, 0)` about every 0.1 ms (measured on 2v29 Linux);
 * the clock re-arms shorter periods at this floor so time always advances.
 */
export const MIN_PERIOD_MS = 0.1;

/** Times are kept to the nanosecond: 0.1 ms ten times is 1 ms, not 0.9999999999999999. */
const roundTime = (ms: number): number => Math.round(ms * 1e6) / 1e6;

export class VirtualClock {
  /** Current simulated time in ms since the device was powered on. */
  now = 0;
  private heap: ClockEntry[] = [];
  private byId = new Map<number, ClockEntry>();
  private nextId = 1;
  private nextSeq = 0;

  /**
   * Schedule `action` `delayMs` from now; `periodMs` > 0 re-arms it. Device
   * timers get an id (1, 2, …); events get 0 and cannot be cleared by id.
   */
  add(action: ClockAction, delayMs: number, periodMs = 0): number {
    if (!Number.isFinite(delayMs) || !Number.isFinite(periodMs)) {
      throw new Error(`clock: delay ${delayMs} and period ${periodMs} must be finite numbers of ms`);
    }
    const timer = action.kind === "timeout" || action.kind === "interval";
    const entry: ClockEntry = {
      id: timer ? this.nextId++ : 0,
      at: roundTime(this.now + Math.max(0, delayMs)),
      period: periodMs > 0 ? Math.max(periodMs, MIN_PERIOD_MS) : 0,
      action,
      seq: this.nextSeq++,
      cancelled: false,
    };
    if (timer) this.byId.set(entry.id, entry);
    this.push(entry);
    return entry.id;
  }

  /** Cancel device timer `id`; false if there is no such live timer. */
  remove(id: number): boolean {
    const entry = this.byId.get(id);
    if (!entry) return false;
    entry.cancelled = true;
    this.byId.delete(id);
    return true;
  }

  /** Cancel every device timer (not internal events): `clearTimeout()` with no argument. */
  removeAll(): void {
    for (const entry of this.byId.values()) entry.cancelled = true;
    this.byId.clear();
  }

  /** Espruino's changeInterval: new period, next firing `periodMs` from now. False if unknown. */
  change(id: number, periodMs: number): boolean {
    const entry = this.byId.get(id);
    if (!entry) return false;
    entry.cancelled = true;
    const moved: ClockEntry = {
      ...entry,
      at: roundTime(this.now + Math.max(0, periodMs)),
      period: entry.period ? Math.max(periodMs, MIN_PERIOD_MS) : 0,
      cancelled: false,
    };
    this.byId.set(id, moved);
    this.push(moved);
    return true;
  }

  /** Live device timers (timeouts not yet fired, intervals not cleared). */
  get timers(): number {
    return this.byId.size;
  }

  /** The live device timers, for the memory estimate (their callbacks are roots). */
  liveTimers(): ClockEntry[] {
    return [...this.byId.values()];
  }

  /** Time of the earliest live entry, or undefined when nothing is scheduled. */
  peek(): number | undefined {
    this.dropCancelled();
    return this.heap[0]?.at;
  }

  /**
   * Take the earliest entry due at or before `limitMs`, advance `now` to its
   * time and re-arm it if periodic. Undefined (and `now` unchanged) if none.
   */
  next(limitMs: number): ClockEntry | undefined {
    this.dropCancelled();
    const top = this.heap[0];
    if (!top || top.at > limitMs) return undefined;
    this.pop();
    this.now = Math.max(this.now, top.at);
    if (top.period) {
      // Re-armed before it runs, so clearInterval inside the callback works.
      const again: ClockEntry = { ...top, at: roundTime(top.at + top.period) };
      this.byId.set(top.id, again);
      this.push(again);
    } else if (top.id) {
      this.byId.delete(top.id);
    }
    return top;
  }

  /** Move `now` forward to `ms` (never backwards) without firing anything. */
  advanceTo(ms: number): void {
    if (ms > this.now) this.now = ms;
  }

  /** A device reset: every entry but the outside world's is dropped, ids restart at 1, time runs on. */
  reset(): void {
    const kept = this.heap.filter((entry) => !entry.cancelled && entry.action.external);
    this.heap = [];
    this.byId.clear();
    this.nextId = 1;
    for (const entry of kept) this.push(entry);
  }

  private dropCancelled(): void {
    while (this.heap.length && this.heap[0].cancelled) this.pop();
  }

  private before(a: ClockEntry, b: ClockEntry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(entry: ClockEntry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  private pop(): ClockEntry | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let least = i;
        if (left < heap.length && this.before(heap[left], heap[least])) least = left;
        if (right < heap.length && this.before(heap[right], heap[least])) least = right;
        if (least === i) break;
        [heap[i], heap[least]] = [heap[least], heap[i]];
        i = least;
      }
    }
    return top;
  }
}
