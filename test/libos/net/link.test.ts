/**
 * libos/net on the host: two links over a seeded lossy, duplicating,
 * reordering channel of fake packet capabilities and a virtual clock.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { PacketCap, Services, TimerCap } from "../../../firmware/types.ts";
import { ENOBUFS, link } from "../../../libos/net/index.ts";
import { ACK, DATA, decode, encode, receiver } from "../../../libos/net/wire.ts";

interface Channel {
  loss: number;
  dup: number;
  delay: number;
}

/** A virtual clock with timers, and a pair of packet capabilities joined by a faulty channel. */
function world(seed: number, channel: Channel) {
  let now = 0;
  let nextId = 1;
  let s = seed >>> 0 || 1;
  const random = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
  const timers: { id: number; at: number; fn: () => void }[] = [];
  const at = (ms: number, fn: () => void): number => {
    const id = nextId++;
    timers.push({ id, at: now + ms, fn });
    return id;
  };
  const timer: TimerCap = {
    after: at,
    every: () => {
      throw new Error("not used");
    },
    cancel: (id) => {
      const i = timers.findIndex((t) => t.id === id);
      if (i >= 0) timers.splice(i, 1);
    },
    live: () => timers.length,
    close: () => {},
  };
  const services: Services = { crc32: () => 0, now: () => now, log: () => {} };
  const cap = (): PacketCap & { peer?: PacketCap & { inbox: Uint8Array[]; reader?: () => void } } => {
    const me = {
      protocol: "udp",
      port: 1,
      inbox: [] as Uint8Array[],
      reader: undefined as undefined | (() => void),
      peer: undefined as undefined | (PacketCap & { inbox: Uint8Array[]; reader?: () => void }),
      recv: () => me.inbox.shift(),
      send: (data: Uint8Array) => {
        if (random() < channel.loss) return 0;
        const copies = random() < channel.dup ? 2 : 1;
        for (let i = 0; i < copies; i++) {
          const bytes = data.slice();
          at(Math.floor(random() * (channel.delay + 1)), () => {
            const to = me.peer!;
            to.inbox.push(bytes);
            if (to.inbox.length === 1 && to.reader) at(0, to.reader);
          });
        }
        return 0;
      },
      onReadable: (fn: () => void) => {
        me.reader = fn;
      },
      stats: () => ({ queued: 0, received: 0, dropped: 0, sent: 0, refused: 0 }),
      close: () => {},
    };
    return me;
  };
  const a = cap();
  const b = cap();
  a.peer = b as never;
  b.peer = a as never;
  const run = (ms: number) => {
    const end = now + ms;
    for (;;) {
      timers.sort((x, y) => x.at - y.at || x.id - y.id);
      const t = timers[0];
      if (!t || t.at > end) break;
      timers.shift();
      now = Math.max(now, t.at);
      t.fn();
    }
    now = end;
  };
  return { a, b, timer, services, run, get now() { return now; } };
}

describe("libos/net link", () => {
  it("delivers everything once and in order over 30% loss, 10% duplication and reordering", () => {
    const w = world(7, { loss: 0.3, dup: 0.1, delay: 50 });
    const sender = link(w.a, w.timer, w.services, { window: 8, queue: 300 });
    const rx = link(w.b, w.timer, w.services);
    const got: number[] = [];
    rx.onMessage((d) => got.push(d[0] | (d[1] << 8)));
    let done = 0;
    for (let i = 0; i < 200; i++) expect(sender.send(new Uint8Array([i & 255, i >> 8]), (ok) => ok && done++)).toBe(0);
    w.run(120_000);
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(done).toBe(200);
    const st = sender.stats();
    expect(st).toMatchObject({ queued: 0, acked: 200, failed: 0, sessions: 1 });
    expect(st.retries).toBeGreaterThan(0);
    expect(rx.stats().duplicates).toBeGreaterThan(0);
  });

  it("property: any seed, loss up to 40%, any window — exactly once, in order", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 }), fc.double({ min: 0, max: 0.4, noNaN: true }), fc.integer({ min: 1, max: 32 }), (seed, loss, window) => {
        const w = world(seed, { loss, dup: 0.1, delay: 30 });
        const sender = link(w.a, w.timer, w.services, { window, queue: 64, tries: 0 });
        const rx = link(w.b, w.timer, w.services);
        const got: number[] = [];
        rx.onMessage((d) => got.push(d[0]));
        for (let i = 0; i < 40; i++) sender.send(new Uint8Array([i]));
        w.run(600_000);
        expect(got).toEqual(Array.from({ length: 40 }, (_, i) => i));
      }),
      { numRuns: 60 },
    );
  });

  it("the send queue is bounded: past `queue` packets send returns ENOBUFS and queues nothing", () => {
    const w = world(1, { loss: 1, dup: 0, delay: 0 });
    const l = link(w.a, w.timer, w.services, { queue: 4 });
    for (let i = 0; i < 4; i++) expect(l.send(new Uint8Array([i]))).toBe(0);
    expect(l.send(new Uint8Array([9]))).toBe(ENOBUFS);
    expect(l.pending()).toBe(4);
  });

  it("retries back off exponentially to the cap, holding one timer", () => {
    const w = world(1, { loss: 1, dup: 0, delay: 0 });
    const l = link(w.a, w.timer, w.services, { window: 1, rto: 100, maxRto: 800, tries: 0 });
    const sends: number[] = [];
    const send = w.a.send;
    w.a.send = (d) => (sends.push(w.now), send(d));
    l.send(new Uint8Array([1]));
    w.run(4000);
    expect(sends.slice(0, 7)).toEqual([0, 100, 300, 700, 1500, 2300, 3100]);
    expect(w.timer.live()).toBe(1);
    l.close();
    expect(w.timer.live()).toBe(0);
  });

  it("a packet given up after `tries` fails, and a new session lets the rest through", () => {
    const channel = { loss: 1, dup: 0, delay: 0 };
    const w = world(3, channel);
    const sender = link(w.a, w.timer, w.services, { window: 1, rto: 10, maxRto: 10, tries: 3 });
    const rx = link(w.b, w.timer, w.services);
    const got: number[] = [];
    rx.onMessage((d) => got.push(d[0]));
    const outcome: boolean[] = [];
    sender.send(new Uint8Array([1]), (ok) => outcome.push(ok));
    w.run(100);
    expect(outcome).toEqual([false]);
    channel.loss = 0;
    sender.send(new Uint8Array([2]), (ok) => outcome.push(ok));
    w.run(100);
    expect(outcome).toEqual([false, true]);
    expect(got).toEqual([2]);
    expect(sender.stats()).toMatchObject({ failed: 1, acked: 1, sessions: 2 });
  });
});

describe("libos/net wire format", () => {
  it("round-trips frames and rejects what is not one", () => {
    const f = decode(encode(DATA, 0xbeef, 0x12345678, new Uint8Array([1, 2, 3])))!;
    expect(f).toMatchObject({ type: DATA, session: 0xbeef, seq: 0x12345678 });
    expect([...f.payload]).toEqual([1, 2, 3]);
    expect(decode(new Uint8Array([1, 2, 3]))).toBeUndefined();
    expect(decode(new Uint8Array(8))).toBeUndefined();
  });

  it("the receiver holds out-of-order frames, acks cumulatively with a bitmap, and resets on a new session", () => {
    const got: number[] = [];
    const r = receiver((p) => got.push(p[0]));
    const data = (session: number, seq: number) => decode(encode(DATA, session, seq, new Uint8Array([seq])))!;
    let a = decode(r.take(data(1, 2)))!;
    expect(a).toMatchObject({ type: ACK, seq: 0 });
    expect(a.payload[0]).toBe(0b10); // seq 2 = next + 2 held
    a = decode(r.take(data(1, 0)))!;
    expect(a.seq).toBe(1);
    a = decode(r.take(data(1, 1)))!;
    expect(a.seq).toBe(3);
    expect(got).toEqual([0, 1, 2]);
    r.take(data(1, 1));
    expect(r.stats().duplicates).toBe(1);
    r.take(data(2, 0));
    expect(got).toEqual([0, 1, 2, 0]);
    expect(r.stats().resets).toBe(1);
  });
});
