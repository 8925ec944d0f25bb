/**
 * libos/net wire format, shared by the device library and host tools.
 *
 * Usage:
 *   const frame = encode(DATA, session, seq, payload);
 *   const f = decode(frame);   // undefined if it is not a frame
 *
 * Format (little-endian), 8-byte header:
 *   0      magic 0xE5
 *   1      type: 1 DATA, 2 ACK
 *   2..3   session (u16): chosen at random per link start, so a receiver
 *          sees a sender's reboot and restarts its sequence
 *   4..7   seq (u32): DATA — the packet's number, from 0;
 *                     ACK — the next seq the receiver expects (cumulative:
 *                     every seq below it arrived)
 *   8..    DATA payload; an ACK may carry a u32 bitmap of the 32 seqs after
 *          `seq` that arrived out of order (selective ack)
 *
 * Contract: libos/net/README.md.
 */
export const MAGIC = 0xe5;
export const DATA = 1;
export const ACK = 2;
export const HEADER = 8;

export interface Frame {
  type: number;
  session: number;
  seq: number;
  payload: Uint8Array;
}

/** A frame's bytes. */
export function encode(type: number, session: number, seq: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER + payload.length);
  out[0] = MAGIC;
  out[1] = type;
  out[2] = session & 255;
  out[3] = (session >> 8) & 255;
  out[4] = seq & 255;
  out[5] = (seq >> 8) & 255;
  out[6] = (seq >> 16) & 255;
  out[7] = (seq >>> 24) & 255;
  out.set(payload, HEADER);
  return out;
}

/** u32 little-endian at `at`. */
export function u32(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
}

/** A frame, or undefined for bytes that are not one (short, wrong magic or type). */
export function decode(bytes: Uint8Array): Frame | undefined {
  if (bytes.length < HEADER || bytes[0] !== MAGIC || (bytes[1] !== DATA && bytes[1] !== ACK)) return undefined;
  return { type: bytes[1], session: bytes[2] | (bytes[3] << 8), seq: u32(bytes, 4), payload: bytes.subarray(HEADER) };
}

/** An ACK: next expected seq, and the bitmap of the 32 seqs after it already held. */
export function ack(session: number, next: number, held: number): Uint8Array {
  const map = new Uint8Array(4);
  map[0] = held & 255;
  map[1] = (held >> 8) & 255;
  map[2] = (held >> 16) & 255;
  map[3] = (held >>> 24) & 255;
  return encode(ACK, session, next, map);
}

/**
 * The receiving half: in-order delivery with de-duplication and a reorder
 * window of 32 packets. `take(frame)` returns the ACK to send back and calls
 * `deliver` for each payload that became in order.
 */
export interface Receiver {
  take(frame: Frame): Uint8Array;
  /** Payloads delivered, duplicates dropped, out-of-order payloads held (counters). */
  stats(): { delivered: number; duplicates: number; held: number; resets: number };
}

export function receiver(deliver: (payload: Uint8Array, session: number) => void): Receiver {
  let session = -1;
  let next = 0;
  /** Out-of-order payloads: window[i] is seq next + i (window[0] stays empty between frames). */
  let window: (Uint8Array | undefined)[] = [];
  const counts = { delivered: 0, duplicates: 0, held: 0, resets: 0 };
  const bitmap = (): number => {
    let bits = 0;
    for (let i = 1; i < window.length && i <= 32; i++) if (window[i]) bits |= 1 << (i - 1);
    return bits >>> 0;
  };
  return {
    take: (frame) => {
      if (frame.session !== session) {
        if (session >= 0) counts.resets++;
        session = frame.session;
        next = 0;
        window = [];
      }
      const ahead = frame.seq - next;
      if (ahead < 0 || (ahead > 0 && window[ahead])) counts.duplicates++;
      else if (ahead === 0) {
        deliver(frame.payload, session);
        counts.delivered++;
        next++;
        window.shift();
        while (window.length && window[0]) {
          deliver(window.shift()!, session);
          counts.delivered++;
          next++;
        }
      } else if (ahead <= 32) {
        while (window.length <= ahead) window.push(undefined);
        window[ahead] = frame.payload.slice();
        counts.held++;
      }
      // Beyond the window: dropped; the sender retries it later.
      return ack(session, next, bitmap());
    },
    stats: () => ({ delivered: counts.delivered, duplicates: counts.duplicates, held: counts.held, resets: counts.resets }),
  };
}
