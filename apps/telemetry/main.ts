/**
 * Telemetry: store and forward. A sample every 500 ms goes into an outbox
 * log (libos/fs, synced); a sender task reads the log from the last
 * acknowledged record and sends each one with libos/net (acknowledged
 * datagrams, retried with back-off, in order). The acknowledged count is
 * saved atomically (OPEN_REPLACE) every few acks, so after a power cut the
 * sending resumes there: nothing is lost, a few records may come twice
 * (at-least-once; the listener sees the new session).
 *
 * Datagrams go to the grant's peer (manifest `packets.peer`, on the board's
 * peer host): the kernel, not the app, decides where they go.
 * A payload is text: "#<n> t=<ms> v=<value>".
 */
import type { AppCaps } from "../../firmware/types.ts";
import {
  OPEN_APPEND, OPEN_CREATE, OPEN_REPLACE, fileClose, fileOpen, fileRead, fileSize, fileSync, fileWrite, fsFormat, fsGc, fsMount, fsRemove,
} from "../../libos/fs/index.ts";
import { get32, put32 } from "../../libos/fs/format.ts";
import { link } from "../../libos/net/index.ts";
import { create } from "../../libos/sched/coop.ts";

const PERIOD = 500;
const RECORD = 12;
/** Save the acknowledged count every this many acks. */
const SAVE_EVERY = 4;
/** Start a new outbox when everything was acknowledged and it is this big. */
const LIMIT = 2048;

const text = (s: string): Uint8Array => {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 255;
  return out;
};

export function start(caps: AppCaps): void {
  const say = caps.services.log;
  let mounted = fsMount(caps.flash!, caps.services);
  if (typeof mounted === "number") {
    if (fsFormat(caps.flash!, caps.services) < 0) throw new Error("telemetry: format failed");
    mounted = fsMount(caps.flash!, caps.services);
    if (typeof mounted === "number") throw new Error("telemetry: mount failed " + mounted);
  }
  const fs = mounted;
  const word = new Uint8Array(4);
  // The acknowledged count, and the next sample number (from the outbox's last record).
  let acked = 0;
  const c = fileOpen(fs, "acked", 0);
  if (c >= 0) {
    if (fileRead(fs, c, 0, word) === 4) acked = get32(word, 0);
    fileClose(fs, c);
  }
  let out = 0;
  let reader = 0;
  const openOutbox = () => {
    out = fileOpen(fs, "outbox", OPEN_APPEND | OPEN_CREATE);
    reader = fileOpen(fs, "outbox", 0);
    if (out < 0 || reader < 0) throw new Error("telemetry: outbox " + out + "/" + reader);
  };
  openOutbox();
  const record = new Uint8Array(RECORD);
  let written = Math.floor(fileSize(fs, out) / RECORD);
  let next = 0;
  if (written > 0 && fileRead(fs, reader, (written - 1) * RECORD, record) === RECORD) next = get32(record, 0) + 1;
  if (acked > written) acked = written;
  let sending = acked;
  let unsaved = 0;

  const save = () => {
    const h = fileOpen(fs, "acked", OPEN_REPLACE | OPEN_CREATE);
    if (h < 0) return;
    put32(word, 0, acked);
    fileWrite(fs, h, word);
    fileClose(fs, h);
    unsaved = 0;
  };

  const l = link(caps.net!, caps.timer, caps.services, { window: 4, queue: 8 });
  const s = create(caps.timer, caps.services);

  s.spawn("sample", (t) => {
    if (t.runs === 0) return PERIOD;
    put32(record, 0, next);
    put32(record, 4, Math.floor(caps.services.now()));
    put32(record, 8, Math.round(200 + 100 * Math.cos(next / 4)));
    if (fileWrite(fs, out, record) === RECORD && fileSync(fs, out) === 0) {
      written++;
      next++;
      s.signal("more");
    }
    return PERIOD;
  });

  // The sender: fills libos/net's queue from the outbox, then waits for a sample or an ack.
  const one = new Uint8Array(RECORD);
  let failed = 0;
  const onAck = (ok: boolean) => {
    // Settled either way: a record given up (libos/net's tries) is counted, not resent.
    acked++;
    if (!ok) say("telemetry: gave up on a record (" + ++failed + " so far)");
    if (++unsaved >= SAVE_EVERY) save();
    s.signal("more");
  };
  s.spawn("send", () => {
    while (sending < written && l.pending() < 8) {
      if (fileRead(fs, reader, sending * RECORD, one) !== RECORD) break;
      l.send(text("#" + get32(one, 0) + " t=" + get32(one, 4) + " v=" + get32(one, 8)), onAck);
      sending++;
    }
    if (acked === written && written * RECORD >= LIMIT) {
      // All delivered: a fresh outbox. The count goes to 0 first, so a cut in between resends, never skips.
      acked = 0;
      sending = 0;
      written = 0;
      save();
      fileClose(fs, out);
      fileClose(fs, reader);
      fsRemove(fs, "outbox");
      openOutbox();
      say("telemetry: outbox delivered and cleared at #" + (next - 1));
    }
    return s.wait("more", 1000);
  });
  s.idle(() => fsGc(fs, 1) > 0);
  say("telemetry: " + (written - acked) + " records to send, next sample #" + next + ", from udp port " + caps.net!.port);
}
