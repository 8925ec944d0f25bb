/**
 * Packet buffers: per-app rx and tx rings of a fixed byte budget, and a
 * packet filter (protocol, port) checked when it is installed. Incoming
 * packets are demultiplexed through a hash table of filters into one pool of
 * rx rings, all typed arrays: the cost of `deliver` does not grow with the
 * number of apps (Espruino's object and array lookups are linear scans).
 *
 * Usage:
 *   reservePackets(hal, [{ name, protocol: "udp", port: 5683, rx: 512, tx: 256 }, …], budget, refuse);
 *   const entry = grantPackets(hal, app);     // entry.cap is the PacketCap
 *   deliver("udp", 5683, bytes);              // the network hal's entry point
 *   transmit("app")                           // the tx ring's packets, oldest first (host drain)
 *   onTransmit((ring, bytes) => socket.send(…)) // or: the kernel flushes each tx ring to the network hal
 *
 * Errors: `send` returns ENOBUFS when the tx ring is full (the packet is
 * dropped and counted) and throws EINVAL for anything but an array or typed
 * array of at most 65535 bytes (anything else is copied first: what is checked is what
 * is queued; a genuine Uint8Array is used as it is); `onReadable` throws EINVAL for anything but a function; `deliver` returns ENOENT when no filter matches and
 * ENOBUFS when the ring is full (dropped and counted, never taking another
 * app's space). After revocation `recv`/`send`/`onReadable` throw EREVOKED
 * and incoming packets for the app are dropped and counted.
 *
 * Ring format: each packet is a 2-byte little-endian length, then its bytes,
 * wrapping at the ring's end.
 *
 * Contract: doc/xrd/xrd104-packets.md.
 */
import type { Hal } from "../hal/types.ts";
import type { App } from "./apps.ts";
import { issue, revoke, type Issued } from "./caps.ts";
import { ECONFLICT, EINVAL, ENOBUFS, ENOENT, ENOSPC, EREVOKED, fail } from "./errors.ts";
import type { PacketCap } from "./types.ts";
import { upcall } from "./upcalls.ts";

const SLOTS = 64; // hash slots: a power of two, at least twice the most filters
const MAX_RINGS = 32;
/** Per ring, six u32: head, tail, used bytes, queued packets, dropped, passed. */
const FIELDS = 6;

/** A filter and its ring sizes, as the manifest asked. */
export interface PacketGrant {
  name: string;
  protocol: string;
  port: number;
  rx: number;
  tx: number;
  /** Where the app's datagrams go (the board's peer host); absent: back to the last sender. */
  peer?: number;
}

const protocols = ["udp", "tcp"];
const keys = new Uint32Array(SLOTS); // filter key + 1; 0 = empty slot
const rings = new Uint8Array(SLOTS);
const starts = new Uint32Array(MAX_RINGS);
const sizes = new Uint32Array(MAX_RINGS);
const rx = new Uint32Array(MAX_RINGS * FIELDS);
const pending = new Uint8Array(MAX_RINGS);
let pool = new Uint8Array(0);
let grants: PacketGrant[] = [];
/** Per ring: the app and its onReadable callback. */
const owners: App[] = [];
const readers: (Function | undefined)[] = [];
/** Per ring: the tx ring and its state. */
const txRings: Uint8Array[] = [];
const txStates: Uint32Array[] = [];
let timers: Hal["timers"];
/** The network hal's send, once the network is up: the kernel flushes tx rings into it. */
let sender: ((ring: number, data: Uint8Array) => void) | undefined;
const txPending = new Uint8Array(MAX_RINGS);
/** Per ring: packets taken from the tx ring that had nowhere to go (no peer, no sender yet). */
const unrouted = new Uint32Array(MAX_RINGS);

const slotOf = (key: number): number => {
  let h = (key ^ (key >> 6) ^ (key >> 12)) & (SLOTS - 1);
  while (keys[h] !== 0 && keys[h] !== key + 1) h = (h + 1) & (SLOTS - 1);
  return h;
};

/** Append `data` to a ring; ENOBUFS (dropped, counted) when it does not fit. */
function put(buffer: Uint8Array, base: number, size: number, state: Uint32Array, o: number, data: Uint8Array): number {
  const length = data.length;
  if (size - state[o + 2] < length + 2 || length > 65535) {
    state[o + 4]++;
    return ENOBUFS;
  }
  let at = state[o + 1];
  buffer[base + at] = length & 255;
  at = at + 1 === size ? 0 : at + 1;
  buffer[base + at] = length >> 8;
  at = at + 1 === size ? 0 : at + 1;
  const first = length < size - at ? length : size - at;
  buffer.set(data.subarray(0, first), base + at);
  if (first < length) buffer.set(data.subarray(first), base);
  at += length;
  state[o + 1] = at >= size ? at - size : at;
  state[o + 2] += length + 2;
  state[o + 3]++;
  state[o + 5]++;
  return 0;
}

/** Take the oldest packet of a ring, or undefined. */
function take(buffer: Uint8Array, base: number, size: number, state: Uint32Array, o: number): Uint8Array | undefined {
  if (!state[o + 3]) return undefined;
  let at = state[o];
  const low = buffer[base + at];
  at = at + 1 === size ? 0 : at + 1;
  const length = low | (buffer[base + at] << 8);
  at = at + 1 === size ? 0 : at + 1;
  const out = new Uint8Array(length);
  const first = length < size - at ? length : size - at;
  out.set(buffer.subarray(base + at, base + at + first));
  if (first < length) out.set(buffer.subarray(base, base + length - first), first);
  at += length;
  state[o] = at >= size ? at - size : at;
  state[o + 2] -= length + 2;
  state[o + 3]--;
  return out;
}

/**
 * Install the filters and carve the rx pool (at boot, before any grant):
 * `refuse` the app named by an unknown protocol, a bad port or ring size, a
 * filter another app holds (naming both), or the budget used up.
 */
export function reservePackets(h: Hal, wanted: PacketGrant[], budget: number, refuse: (name: string, code: number, why: string) => void): void {
  timers = h.timers;
  grants = [];
  let total = 0;
  for (const want of wanted) {
    const proto = protocols.indexOf(want.protocol);
    const port = want.port;
    if (proto < 0 || !(port === (port & 65535) && port > 0) || !(want.rx >= 8 && want.tx >= 0) || grants.length === MAX_RINGS) {
      refuse(want.name, EINVAL, "packet filter " + want.protocol + " port " + port + " rx " + want.rx + " is not valid");
      continue;
    }
    const slot = slotOf(proto * 65536 + port);
    if (keys[slot]) {
      const other = grants[rings[slot]].name;
      refuse(want.name, ECONFLICT, "apps " + other + " and " + want.name + " both ask for " + want.protocol + " port " + port);
      continue;
    }
    if (total + want.rx + want.tx > budget) {
      refuse(want.name, ENOSPC, "packet buffers of " + (want.rx + want.tx) + " bytes exceed the kernel's budget of " + budget);
      continue;
    }
    const ring = grants.length;
    keys[slot] = proto * 65536 + port + 1;
    rings[slot] = ring;
    starts[ring] = total;
    total += want.rx;
    total += want.tx;
    grants.push(want);
  }
  pool = new Uint8Array(total);
}

/** Deliver one incoming packet to the app whose filter matches. 0, ENOENT (no filter) or ENOBUFS (ring full). */
export function deliver(protocol: string, port: number, data: Uint8Array): number {
  const key = (protocol === "tcp" ? 65536 : 0) + port;
  const slot = slotOf(key);
  if (!keys[slot]) return ENOENT;
  const ring = rings[slot];
  const o = ring * FIELDS;
  const was = rx[o + 3];
  const code = put(pool, starts[ring], sizes[ring], rx, o, data);
  if (!code && !was && !pending[ring] && readers[ring]) {
    pending[ring] = 1;
    timers.after(() => {
      pending[ring] = 0;
      upcall(owners[ring], readers[ring]!);
    }, 0);
  }
  return code;
}

/**
 * Hand every tx ring to `send(ring, bytes)` from now on: a `send` that makes
 * a ring non-empty schedules one flush of it on the next tick (so a burst of
 * sends costs one timer). Rings already holding packets are flushed now.
 */
export function onTransmit(send: (ring: number, data: Uint8Array) => void): void {
  sender = send;
  for (let ring = 0; ring < grants.length; ring++) if (txStates[ring] && txStates[ring][3]) flush(ring);
}

/** Drain one tx ring into the sender. */
function flush(ring: number): void {
  txPending[ring] = 0;
  const state = txStates[ring];
  if (!sender || !state) return;
  const size = grants[ring].tx;
  for (let packet = take(txRings[ring], 0, size, state, 0); packet; packet = take(txRings[ring], 0, size, state, 0)) sender(ring, packet);
}

/** Count a packet the network hal could not route (no peer and no one to reply to). */
export function countUnrouted(ring: number): void {
  unrouted[ring]++;
}

/** The filters installed, ring by ring (the network hal binds one socket each). */
export function packetGrants(): PacketGrant[] {
  return grants;
}

/** Take every packet from `app`'s tx ring (the network hal sends them), oldest first. */
export function transmit(app: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let ring = 0; ring < grants.length; ring++) {
    if (grants[ring].name !== app || !txRings[ring]) continue;
    for (let packet = take(txRings[ring], 0, grants[ring].tx, txStates[ring], 0); packet; packet = take(txRings[ring], 0, grants[ring].tx, txStates[ring], 0)) {
      out.push(packet);
    }
  }
  return out;
}

/** The ring counters of every filter, for the status. */
export function packetStatus(): { app: string; protocol: string; port: number; rx: number; tx: number; queued: number; received: number; dropped: number; sent: number; refused: number; unrouted: number }[] {
  return grants.map((g, ring) => {
    const o = ring * FIELDS;
    const tx = txStates[ring];
    return {
      app: g.name, protocol: g.protocol, port: g.port, rx: g.rx, tx: g.tx,
      queued: rx[o + 3], received: rx[o + 5], dropped: rx[o + 4],
      sent: tx ? tx[5] : 0, refused: tx ? tx[4] : 0, unrouted: unrouted[ring],
    };
  });
}

/** `app`'s rings and filter as a capability (fresh, empty rings), issued as "packets". */
export function grantPackets(app: App): Issued<PacketCap> | undefined {
  let ring = -1;
  for (let i = 0; i < grants.length; i++) if (grants[i].name === app.name) ring = i;
  if (ring < 0) return undefined;
  const grant = grants[ring];
  const o = ring * FIELDS;
  const base = starts[ring];
  const size = grant.rx;
  const txRing = new Uint8Array(grant.tx);
  const txState = new Uint32Array(FIELDS);
  txRings[ring] = txRing;
  txStates[ring] = txState;
  txPending[ring] = 0;
  unrouted[ring] = 0;
  owners[ring] = app;
  readers[ring] = undefined;
  for (let i = 0; i < FIELDS; i++) rx[o + i] = 0;
  sizes[ring] = size;
  let txSize = grant.tx;
  const gone = () => fail(EREVOKED, "app " + app.name + ": packets revoked (" + entry.revoked + ")");
  // Anything but a genuine Uint8Array is copied into one of its checked length (one read of `length`; arrays only).
  const bytesOf = (data: unknown): Uint8Array => {
    const length = typeof data === "object" && data ? (data as { length?: unknown }).length : -1;
    if (!(typeof length === "number" && length === length >>> 0 && length <= 65535)) throw fail(EINVAL, "app " + app.name + ": send takes a Uint8Array of at most 65535 bytes");
    const bytes = new Uint8Array(length);
    bytes.set(data as ArrayLike<number>);
    return bytes;
  };
  const cap: PacketCap = {
    protocol: grant.protocol,
    port: grant.port,
    recv: () => {
      if (!sizes[ring]) throw gone();
      return take(pool, base, size, rx, o);
    },
    send: (data) => {
      const code = put(txRing, 0, txSize, txState, 0, data instanceof Uint8Array ? data : bytesOf(data));
      if (code && entry.revoked) throw gone();
      if (!code && sender && !txPending[ring]) {
        txPending[ring] = 1;
        timers.after(() => flush(ring), 0);
      }
      return code;
    },
    onReadable: (fn) => {
      if (!sizes[ring]) throw gone();
      if (typeof fn !== "function") throw fail(EINVAL, "app " + app.name + ": onReadable takes a function");
      readers[ring] = fn;
    },
    stats: () => ({ queued: rx[o + 3], received: rx[o + 5], dropped: rx[o + 4], sent: txState[5], refused: txState[4] }),
    close: () => revoke(entry, "released"),
  };
  const entry = issue(app.name, "packets", cap, () => {
    sizes[ring] = 0;
    txSize = 0;
    readers[ring] = undefined;
  });
  return entry;
}
