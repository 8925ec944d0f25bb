/**
 * libos/net: acknowledged datagrams over the packet-buffer capability —
 * a sliding window with cumulative and selective acks, retry with
 * exponential back-off, de-duplication and in-order delivery at the
 * receiver, and a bounded send queue. Survives loss, duplication and
 * reordering (wire.ts has the format; README.md the protocol).
 *
 * Usage:
 *   import { link } from "../../libos/net/index.ts";
 *   const l = link(caps.net!, caps.timer, caps.services, { window: 4, queue: 16 });
 *   const code = l.send(bytes, (ok) => …);   // 0, or ENOBUFS when the queue is full
 *   l.onMessage((bytes) => …);               // in order, once each
 *
 * Errors: `send` returns ENOBUFS (-105) when `queue` packets are waiting
 * (nothing is queued); a packet not acknowledged after `tries` sends is given
 * up: its `done(false)` runs, and the link starts a new session (the
 * receiver restarts its sequence) so the packets after it still flow.
 * Capability errors (EREVOKED) propagate from the capability's methods.
 *
 * Timers: at most one live timer of the app's timer service (the earliest
 * retry deadline). The destination is the kernel's business: the grant's
 * peer, or whoever last sent to the app's port (doc/xrd/xrd104-packets.md §7).
 *
 * Contract: device code (espruino.md §1 dialect); names only what it imports.
 */
import type { PacketCap, Services, TimerCap } from "../../firmware/types.ts";
import { ACK, DATA, decode, encode, receiver, u32, type Frame } from "./wire.ts";

export const ENOBUFS = -105;

export interface LinkOptions {
  /** Packets in flight at once (1..32). Default 4. */
  window?: number;
  /** Packets waiting or in flight at most; `send` refuses more. Default 16. */
  queue?: number;
  /** First retry after this many ms; each retry doubles it. Default 200. */
  rto?: number;
  /** The back-off's cap, ms. Default 3200. */
  maxRto?: number;
  /** Sends of one packet before it is given up (0: never). Default 30. */
  tries?: number;
}

export interface LinkStats {
  /** Packets waiting or in flight. */
  queued: number;
  /** Frames handed to the capability (first sends and retries), and retries alone. */
  frames: number;
  retries: number;
  /** Packets acknowledged, and given up. */
  acked: number;
  failed: number;
  /** Frames the tx ring refused (counted as lost; retried). */
  refused: number;
  /** Incoming: payloads delivered in order, duplicates dropped, frames that were not ours. */
  received: number;
  duplicates: number;
  junk: number;
  /** New sessions started (first one, and after each give-up). */
  sessions: number;
}

export interface Link {
  send(data: Uint8Array, done?: (ok: boolean) => void): number;
  onMessage(fn: (data: Uint8Array) => void): void;
  /** Packets waiting or in flight. */
  pending(): number;
  stats(): LinkStats;
  /** Stop the retry timer (the capability stays the app's). */
  close(): void;
}

export function link(net: PacketCap, timer: TimerCap, services: Services, options?: LinkOptions): Link {
  const o = options || {};
  const window = Math.max(1, Math.min(32, o.window || 4));
  const limit = o.queue || 16;
  const rto = o.rto || 200;
  const maxRto = o.maxRto || 3200;
  const tries = o.tries === undefined ? 30 : o.tries;
  const s: LinkStats = { queued: 0, frames: 0, retries: 0, acked: 0, failed: 0, refused: 0, received: 0, duplicates: 0, junk: 0, sessions: 0 };
  let session = 0;
  /** seq of queue[0]; the next seq to number. */
  let base = 0;
  const queue: Uint8Array[] = [];
  const dones: (((ok: boolean) => void) | undefined)[] = [];
  /** Per queued packet: sends so far (0 = never sent), the retry deadline, acked out of order. */
  const sends: number[] = [];
  const due: number[] = [];
  const held: boolean[] = [];
  let armed = -1;
  let armedAt = 0;
  let closed = false;
  let listener: ((data: Uint8Array) => void) | undefined;
  const rx = receiver((payload) => {
    s.received++;
    if (listener) listener(payload);
  });

  const newSession = () => {
    let next = session;
    while (next === session) next = Math.floor(Math.random() * 65536);
    session = next;
    base = 0;
    s.sessions++;
    for (let i = 0; i < queue.length; i++) {
      sends[i] = 0;
      held[i] = false;
    }
  };

  const transmit = (i: number, now: number) => {
    const frame = encode(DATA, session, base + i, queue[i]);
    if (sends[i]) s.retries++;
    sends[i]++;
    s.frames++;
    let wait = rto;
    for (let k = 1; k < sends[i] && wait < maxRto; k++) wait *= 2;
    due[i] = now + (wait < maxRto ? wait : maxRto);
    if (net.send(frame) !== 0) s.refused++;
  };

  /** Drop the first `n` packets (acked, or given up). */
  const retire = (n: number, ok: boolean) => {
    for (let k = 0; k < n; k++) {
      const done = dones.shift();
      queue.shift();
      sends.shift();
      due.shift();
      held.shift();
      if (ok) s.acked++;
      else s.failed++;
      if (done) done(ok);
    }
    base += n;
  };

  const pump = () => {
    if (closed) return;
    const now = services.now();
    for (let i = 0; i < queue.length && i < window; i++) {
      if (held[i]) continue;
      if (sends[i] === 0 || due[i] <= now) {
        if (sends[i] > 0 && tries > 0 && sends[i] >= tries) {
          // Given up: it and the packets before it (the receiver delivers in order, so
          // it would hold those back) are failed; a new session lets the rest flow.
          retire(i + 1, false);
          newSession();
          pump();
          return;
        }
        transmit(i, now);
      }
    }
    s.queued = queue.length;
    arm(now);
  };

  const arm = (now: number) => {
    let first = -1;
    for (let i = 0; i < queue.length && i < window; i++) if (!held[i] && sends[i] > 0 && (first < 0 || due[i] < first)) first = due[i];
    if (first < 0) {
      if (armed >= 0) timer.cancel(armed);
      armed = -1;
      return;
    }
    if (armed >= 0 && armedAt === first) return;
    if (armed >= 0) timer.cancel(armed);
    armedAt = first;
    armed = timer.after(first > now ? first - now : 0, () => {
      armed = -1;
      pump();
    });
  };

  const acked = (f: Frame) => {
    if (f.session !== session) return;
    const upto = f.seq - base;
    if (upto > 0 && upto <= queue.length) retire(upto, true);
    if (f.payload.length >= 4) {
      const bits = u32(f.payload, 0);
      // Bit k: seq (f.seq + 1 + k) is held by the receiver.
      for (let k = 0; k < 32; k++) {
        const i = f.seq + 1 + k - base;
        if (i >= 0 && i < queue.length && (bits >>> k) & 1) held[i] = true;
      }
    }
    pump();
  };

  const readable = () => {
    for (let bytes = net.recv(); bytes; bytes = net.recv()) {
      const f = decode(bytes);
      if (!f) s.junk++;
      else if (f.type === ACK) acked(f);
      else if (f.type === DATA) net.send(rx.take(f));
    }
    const r = rx.stats();
    s.duplicates = r.duplicates;
  };
  net.onReadable(readable);
  newSession();

  return {
    send: (data, done) => {
      if (queue.length >= limit) return ENOBUFS;
      queue.push(data.slice());
      dones.push(done);
      sends.push(0);
      due.push(0);
      held.push(false);
      s.queued = queue.length;
      if (queue.length <= window) pump();
      return 0;
    },
    onMessage: (fn) => {
      listener = fn;
    },
    pending: () => queue.length,
    stats: () => {
      s.queued = queue.length;
      return s;
    },
    close: () => {
      closed = true;
      if (armed >= 0) timer.cancel(armed);
      armed = -1;
    },
  };
}
