/**
 * Espruino's packet protocol on the wire (shared/espruino.md §5; upstream
 * src/jsinteractive.c, 2v29): the bytes and timings both ends agree on. The
 * simulated device answers with them (hal/sim/repl.ts, whose header has the
 * whole contract) and the host's client speaks them (tools/serial/protocol.ts).
 *
 * Usage: `link.write(encodePacket(PacketType.EVAL, "1+1"))`
 */

export const DLE = 0x10;
export const SOH = 0x01;
export const ACK = 0x06;
export const NAK = 0x15;

/** Packet types: the top 3 bits of the header. */
export const PacketType = { RESPONSE: 0, EVAL: 1, EVENT: 2, FILE_SEND: 3, DATA: 4, FILE_RECV: 5 } as const;
export const MAX_PACKET = 0x1fff;
/** An incomplete packet is NAKed this long after its SOH. */
export const PACKET_TIMEOUT_MS = 5000;
/** An open file is closed after this long without DATA. */
export const FILE_TIMEOUT_MS = 10_000;
/** FILE_RECV answers in DATA packets of at most this many bytes. */
export const RECV_CHUNK = 1024;

/** The bytes of one packet: DLE SOH, header, payload. */
export function encodePacket(type: number, payload: Uint8Array | string): Uint8Array {
  const body = typeof payload === "string" ? Buffer.from(payload, "latin1") : payload;
  if (body.length > MAX_PACKET) throw new Error(`packet payload of ${body.length} bytes: the protocol allows ${MAX_PACKET}`);
  const out = new Uint8Array(4 + body.length);
  out[0] = DLE;
  out[1] = SOH;
  out[2] = (type << 5) | (body.length >> 8);
  out[3] = body.length & 0xff;
  out.set(body, 4);
  return out;
}
