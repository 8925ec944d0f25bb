/**
 * The host side of libos/net: a UDP listener that acknowledges every frame
 * (libos/net/wire.ts), delivers each sender's payloads once and in order, and
 * hands them to `onMessage` — what `npm start` and `exo sim --listen` print.
 *
 * Usage:
 *   const l = await listen({ port: 5701, onMessage: (text, from) => console.log(text) });
 *   … l.stats() …; await l.close();
 *   npx tsx tools/net/listener.ts 5701       # standalone: prints each payload
 *
 * Errors: `listen` rejects when the port cannot be bound (EADDRINUSE…).
 * Datagrams that are not libos/net frames are counted (`junk`) and ignored.
 *
 * Contract: one receiver per sender address:port; a new session from the
 * same sender (it rebooted, or gave a packet up) restarts its sequence.
 */
import dgram from "node:dgram";
import { DATA, decode, receiver, type Receiver } from "../../libos/net/wire.ts";
import { ranDirectly } from "../ran-directly.ts";

export interface ListenOptions {
  /** UDP port on 127.0.0.1 (or `host`); 0 = any free port. Default 0. */
  port?: number;
  host?: string;
  /** Each payload, once, in order per sender, with the sender's "address:port" and session. */
  onMessage?: (payload: Uint8Array, from: string, session: number) => void;
}

export interface ListenerStats {
  /** Frames received, payloads delivered, duplicates dropped, acks sent, non-frames. */
  frames: number;
  delivered: number;
  duplicates: number;
  acks: number;
  junk: number;
  senders: number;
}

export interface Listener {
  port: number;
  stats(): ListenerStats;
  close(): Promise<void>;
}

export function listen(options: ListenOptions = {}): Promise<Listener> {
  const socket = dgram.createSocket("udp4");
  const peers = new Map<string, Receiver>();
  const counts = { frames: 0, acks: 0, junk: 0 };
  socket.on("message", (data, from) => {
    const frame = decode(new Uint8Array(data.buffer, data.byteOffset, data.length));
    if (!frame || frame.type !== DATA) {
      counts.junk++;
      return;
    }
    counts.frames++;
    const key = `${from.address}:${from.port}`;
    let peer = peers.get(key);
    if (!peer) {
      peer = receiver((payload, session) => options.onMessage?.(payload, key, session));
      peers.set(key, peer);
    }
    const ack = peer.take(frame);
    counts.acks++;
    socket.send(ack, from.port, from.address);
  });
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      socket.off("error", reject);
      resolve({
        port: socket.address().port,
        stats: () => {
          let delivered = 0;
          let duplicates = 0;
          for (const p of peers.values()) {
            delivered += p.stats().delivered;
            duplicates += p.stats().duplicates;
          }
          return { frames: counts.frames, delivered, duplicates, acks: counts.acks, junk: counts.junk, senders: peers.size };
        },
        close: () => new Promise((done) => socket.close(() => done())),
      });
    });
  });
}

/** Payload bytes as text (latin1), for printing. */
export const asText = (payload: Uint8Array): string => Buffer.from(payload).toString("latin1");

if (ranDirectly(import.meta.url, "listener.ts")) {
  const port = Number(process.argv[2] ?? 5701);
  const l = await listen({ port, onMessage: (payload, from) => console.log(`${from}  ${asText(payload)}`) });
  console.log(`listening for libos/net datagrams on 127.0.0.1:${l.port} (Ctrl-C to stop)`);
}
