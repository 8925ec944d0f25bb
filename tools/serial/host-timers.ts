/**
 * Time for the serial tools: the host's real timers, or a virtual clock for tests and benches.
 * (Not the simulated device's clock, hal/sim/clock.ts's VirtualClock, which moves only in
 * `device.run`; this one drives the host's async code: links, the protocol client, the flasher.)
 *
 * Usage:
 *   const time = new VirtualTimers();
 *   const result = await time.drive(flash(...));   // runs timers in time order until the promise settles
 *
 * Errors: `drive` rejects with "deadlock" when the promise is still pending
 * and no timer is left to fire (a bug in the code under test: it waits on
 * something that never comes).
 *
 * Contract: code under test only waits on `Timers` and on events the link
 * delivers through them; between two timers every pending promise callback
 * runs (a macrotask turn), so async code sees time move only when it waits.
 */

/** The timers the protocol client and links use. */
export interface Timers {
  /** Milliseconds since an arbitrary origin. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Resolve after `ms` on the given timers. */
export function sleep(timers: Timers, ms: number): Promise<void> {
  return new Promise((resolve) => timers.setTimeout(resolve, ms));
}

interface Entry {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A virtual clock: timers fire in time order (ties in creation order) as fast as the host can. */
export class VirtualTimers implements Timers {
  private time = 0;
  private seq = 0;
  private queue: Entry[] = [];

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const entry = { at: this.time + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    // Sorted insert from the back: most timers are due last.
    let i = this.queue.length;
    while (i > 0 && (this.queue[i - 1].at > entry.at || (this.queue[i - 1].at === entry.at && this.queue[i - 1].seq > entry.seq))) i--;
    this.queue.splice(i, 0, entry);
    return entry;
  }

  clearTimeout(handle: unknown): void {
    if (handle) (handle as Entry).cancelled = true;
  }

  /** Run timers until `promise` settles; its value or rejection is returned. */
  async drive<T>(promise: Promise<T>): Promise<T> {
    let settled = false;
    promise.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (;;) {
      await turn();
      if (settled) return promise;
      const entry = this.queue.shift();
      if (!entry) throw new Error("deadlock: the code under test waits, and no timer is pending");
      if (entry.cancelled) continue;
      this.time = Math.max(this.time, entry.at);
      entry.fn();
    }
  }
}
