/**
 * The host end of Espruino's packet protocol: EVAL with results, FILE_SEND/DATA, FILE_RECV.
 *
 * Usage:
 *   const client = new ProtocolClient(link, { timers: realTimers });
 *   await client.evalJSON<number>("E.CRC32(require('Storage').read('x'))");
 *   await client.sendFile("name", bytes, { offset: 0, size: bytes.length, onProgress });
 *   const back = await client.recvFile("name");
 *
 * Errors (ProtocolError, `kind` says which): "no-answer" (nothing came back
 * within the timeouts and retries), "nak" (the device refused the packet
 * every time), "eval" (the expression threw on the device: `message` is its
 * `Uncaught …` line), "closed" (the link went away). Retries are transparent:
 * a packet that got no ACK is sent again only after the device has dropped
 * it (its NAK, or its 5 s packet timeout), so a late byte never completes a
 * packet with the start of the next one.
 *
 * Contract: shared/espruino.md §5 and hal/sim/repl.ts (the same protocol on
 * the simulated device). One request at a time. Bytes that are not part of
 * a packet or an ACK/NAK are console output: `onConsole` gets them.
 */
import { ACK, DLE, encodePacket, NAK, PacketType, PACKET_TIMEOUT_MS, SOH } from "../../hal/packet.ts";
import { crc32 } from "node:zlib";
import { LinkClosed, type Link } from "./link.ts";
import { sleep, type Timers } from "./host-timers.ts";

export type ProtocolErrorKind = "no-answer" | "nak" | "eval" | "closed";

export class ProtocolError extends Error {
  constructor(
    readonly kind: ProtocolErrorKind,
    message: string,
  ) {
    super(message);
    this.name = "ProtocolError";
  }
}

export interface ClientOptions {
  timers: Timers;
  /** How long to wait for an ACK after the last byte of a packet is handed over, before recovering. Default 2000 ms plus the packet's wire time. */
  ackTimeoutMs?: number;
  /** Attempts per packet. Default 4. */
  attempts?: number;
  /** Baud rate, for the wire time of a packet (default 115200). */
  baud?: number;
  /** Console text from the device (outside packets). */
  onConsole?: (text: string) => void;
}

/**
 * Erase the device's input line: ESC [ 2 H. Not Ctrl-C: on the interpreter
 * built for a desktop, two Ctrl-C on an empty line within 5 s make it exit.
 */
export const CLEAR_LINE = Uint8Array.from([0x1b, 0x5b, 0x32, 0x48]);


type Event = { kind: "ack" } | { kind: "nak" } | { kind: "packet"; type: number; payload: Uint8Array };

/** Undo `E.toJS` of a string: `"a\"b\x01"` → `a"b\u0001`. Numbers, booleans, undefined parse as themselves. */
export function parseToJS(text: string): unknown {
  const t = text.trim();
  if (t === "undefined") return undefined;
  if (t.startsWith('"') && t.endsWith('"')) {
    let out = "";
    for (let i = 1; i < t.length - 1; i++) {
      const ch = t[i];
      if (ch !== "\\") {
        out += ch;
        continue;
      }
      const next = t[++i];
      if (next === "n") out += "\n";
      else if (next === "r") out += "\r";
      else if (next === "t") out += "\t";
      else if (next === "0") out += "\0";
      else if (next === "x") {
        out += String.fromCharCode(parseInt(t.slice(i + 1, i + 3), 16));
        i += 2;
      } else if (next === "u") {
        out += String.fromCharCode(parseInt(t.slice(i + 1, i + 5), 16));
        i += 4;
      } else out += next;
    }
    return out;
  }
  try {
    return JSON.parse(t);
  } catch {
    return t;
  }
}

export class ProtocolClient {
  private state: "text" | "dle" | "h0" | "h1" | "data" = "text";
  private header = 0;
  private payload: number[] = [];
  private heldCR = false;
  /** EVALs sent, numbering their answers. */
  private evalCount = 0;
  private waiter?: (event: Event) => void;
  private queued: Event[] = [];
  private consoleText = "";
  private closedReason?: string;
  private closeWaiters: ((reason: string) => void)[] = [];
  /** Packets sent, retries, NAKs seen: for reports. */
  readonly stats = { packets: 0, retries: 0, naks: 0, bytesOut: 0 };
  private timers: Timers;
  private ackTimeoutMs: number;
  private attempts: number;
  private byteMs: number;

  constructor(
    readonly link: Link,
    private options: ClientOptions,
  ) {
    this.timers = options.timers;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 2000;
    this.attempts = options.attempts ?? 4;
    this.byteMs = 10_000 / (options.baud ?? 115200);
    link.onData((bytes) => this.receive(bytes));
    link.onClose((reason) => {
      this.closedReason = reason;
      for (const waiter of this.closeWaiters.splice(0)) waiter(reason);
    });
  }

  /** Everything the device printed outside packets so far (also streamed to onConsole). */
  get console(): string {
    return this.consoleText;
  }

  /**
   * Evaluate `expression` on the device and return its value (sent back as
   * JSON: numbers, strings, arrays, plain objects; undefined stays undefined).
   * The code travels with its CRC-32 and a request number inside a wrapper
   * that runs it only if the CRC matches and catches what it throws. The
   * answer carries the number, so a stale answer (to a packet sent before a
   * link hiccup) is never taken for this one. Garbled on the way, or no
   * answer: sent again (the flasher's expressions are safe to repeat). An
   * error the code threw: ProtocolError "eval", message `Uncaught …`.
   */
  async eval(expression: string, timeoutMs = 10_000): Promise<unknown> {
    const sum = crc32(Buffer.from(expression, "latin1"));
    const id = ++this.evalCount;
    const code =
      `(function(c){if(E.CRC32(c)!=${sum})return "${id}?";try{return "${id}:"+JSON.stringify(eval(c));}catch(e){return "${id}!"+e;}})` +
      `(${JSON.stringify(expression)})`;
    let failure = "";
    for (let attempt = 0; attempt < this.attempts; attempt++) {
      if (attempt > 0) this.stats.retries++;
      if ((await this.request(PacketType.EVAL, code, timeoutMs, false)) === "nak") {
        failure = "NAKed (the wrapper arrived garbled)";
        continue;
      }
      for (;;) {
        const response = await this.next(timeoutMs, (e) => e.kind === "packet" && e.type === PacketType.RESPONSE);
        if (!response || response.kind !== "packet") {
          failure = `no answer within ${timeoutMs} ms`;
          break;
        }
        const text = parseToJS(Buffer.from(response.payload).toString("latin1"));
        if (typeof text !== "string") continue;
        const tag = /^(\d+)([:!?])/.exec(text);
        if (!tag || Number(tag[1]) !== id) continue; // an answer to an earlier packet
        const rest = text.slice(tag[0].length);
        if (tag[2] === "!") throw new ProtocolError("eval", "Uncaught " + rest);
        if (tag[2] === "?") {
          failure = "arrived garbled";
          break;
        }
        if (rest === "undefined") return undefined;
        try {
          return JSON.parse(rest);
        } catch {
          failure = "answered garbled";
          break;
        }
      }
    }
    throw new ProtocolError(failure.startsWith("no answer") ? "no-answer" : "nak", `EVAL ${failure}, ${this.attempts} times: ${expression.slice(0, 60)}`);
  }

  /**
   * Is anyone there? One small EVAL; true on any ACK or NAK within `ms`
   * (plus wire time). No retries and no wait for a late verdict: fast
   * "no device" detection before the real work.
   */
  async ping(ms = 3000): Promise<boolean> {
    const bytes = encodePacket(PacketType.EVAL, "1");
    this.queued = [];
    await this.write(bytes);
    const answer = await this.next(ms + bytes.length * this.byteMs, (e) => e.kind === "ack" || e.kind === "nak");
    if (answer?.kind === "ack") await this.next(ms, (e) => e.kind === "packet" && e.type === PacketType.RESPONSE);
    return answer !== undefined;
  }

  /** Evaluate `expression` on the device; its value, typed (eval already brings values back as JSON). */
  async evalJSON<T>(expression: string, timeoutMs?: number): Promise<T> {
    // Parenthesised: `{a:1}` is an object here, not a block.
    return (await this.eval(`(${expression})`, timeoutMs)) as T;
  }

  /**
   * Write `data` into Storage file `name` at `offset` (a file of `size` bytes):
   * FILE_SEND, then DATA packets of `packetSize` bytes, each ACKed. A DATA ACK
   * does not prove the write (see hal/sim/repl.ts): verify by CRC afterwards.
   */
  async sendFile(
    name: string,
    data: Uint8Array,
    options: { offset?: number; size?: number; packetSize?: number; onProgress?: (bytes: number) => void } = {},
  ): Promise<void> {
    const offset = options.offset ?? 0;
    const size = options.size ?? offset + data.length;
    const packetSize = options.packetSize ?? 1024;
    const spec = JSON.stringify(offset ? { fn: name, s: size, offs: offset } : { fn: name, s: size });
    if ((await this.request(PacketType.FILE_SEND, spec)) === "nak") throw new ProtocolError("nak", `the device refused FILE_SEND ${spec}`);
    for (let at = 0; at < data.length; at += packetSize) {
      const chunk = data.subarray(at, Math.min(data.length, at + packetSize));
      // Before sending a DATA packet again, set the device's offset explicitly: if the first copy did
      // arrive after all, the second lands on the same bytes (and changes nothing) instead of after them.
      const reposition = async () => {
        await this.request(PacketType.FILE_SEND, JSON.stringify({ fn: name, s: size, offs: offset + at }));
      };
      for (let round = 0; (await this.request(PacketType.DATA, chunk, undefined, true, reposition)) === "nak"; round++) {
        // NAKed every time: the file may have been closed (10 s without DATA). Reopen at this offset and go on.
        if (round + 1 >= this.attempts) throw new ProtocolError("nak", `the device NAKs DATA at offset ${offset + at} of ${name}`);
        const reopen = JSON.stringify({ fn: name, s: size, offs: offset + at });
        if ((await this.request(PacketType.FILE_SEND, reopen)) === "nak") throw new ProtocolError("nak", `the device refused FILE_SEND ${reopen}`);
      }
      options.onProgress?.(at + chunk.length);
    }
  }

  /** Read Storage file `name` back (FILE_RECV); undefined if the device has no such file. */
  async recvFile(name: string, timeoutMs = 10_000): Promise<Uint8Array | undefined> {
    if ((await this.request(PacketType.FILE_RECV, JSON.stringify({ fn: name }), timeoutMs)) === "nak") return undefined;
    const parts: Uint8Array[] = [];
    for (;;) {
      const event = await this.next(timeoutMs, (e) => e.kind === "packet" && e.type === PacketType.DATA);
      if (!event || event.kind !== "packet") throw new ProtocolError("no-answer", `FILE_RECV ${name}: the data stopped`);
      if (!event.payload.length) break;
      parts.push(event.payload);
    }
    return Uint8Array.from(Buffer.concat(parts));
  }

  /** Send raw bytes (a REPL line, Ctrl-C). */
  async raw(text: string | Uint8Array): Promise<void> {
    await this.write(typeof text === "string" ? Buffer.from(text, "latin1") : text);
  }

  // ---- inside ----

  /**
   * Send a packet until ACKed; "nak" after `attempts` NAKs (or at once for an
   * EVAL whose code threw: it printed `Uncaught`). Without an answer in time,
   * wait for the device's own verdict (a late ACK, or its packet-timeout
   * NAK) before sending again, so a packet is never completed by the next one.
   */
  private async request(
    type: number,
    payload: string | Uint8Array,
    timeoutMs?: number,
    retryNaks = true,
    beforeRetry?: () => Promise<void>,
  ): Promise<"ack" | "nak"> {
    const bytes = encodePacket(type, payload);
    const isAnswer = (e: Event) => e.kind === "ack" || e.kind === "nak";
    let naks = 0;
    for (let attempt = 0; attempt < this.attempts; attempt++) {
      if (attempt > 0) {
        this.stats.retries++;
        await beforeRetry?.();
      }
      // Anything still queued answers an earlier packet: stale now.
      this.queued = [];
      this.stats.packets++;
      const mark = this.consoleText.length;
      await this.write(bytes);
      const wait = (timeoutMs ?? this.ackTimeoutMs) + bytes.length * this.byteMs;
      let answer = await this.next(wait, isAnswer);
      if (!answer) answer = await this.next(PACKET_TIMEOUT_MS + 500, isAnswer);
      if (answer?.kind === "ack") return "ack";
      if (answer?.kind === "nak") {
        this.stats.naks++;
        naks++;
        // An EVAL that threw is NAKed, then the error is printed: the caller decides.
        if (!retryNaks || (type === PacketType.EVAL && (await this.printed(mark, /Uncaught/, 300)))) return "nak";
        continue;
      }
      // Nothing at all: the start of the packet was lost (its bytes went to the REPL line). Clear the line.
      await this.write(CLEAR_LINE);
      await sleep(this.timers, 20);
    }
    if (naks) return "nak";
    throw new ProtocolError("no-answer", `no answer from the device on ${this.link.description} after ${this.attempts} attempts`);
  }

  /** Whether console text after `mark` matches `pattern`, waiting up to `ms` for it. */
  private async printed(mark: number, pattern: RegExp, ms: number): Promise<boolean> {
    const deadline = this.timers.now() + ms;
    while (!pattern.test(this.consoleText.slice(mark))) {
      if (this.timers.now() >= deadline) return false;
      await sleep(this.timers, 10);
    }
    return true;
  }

  private async write(bytes: Uint8Array): Promise<void> {
    if (this.closedReason !== undefined) throw new ProtocolError("closed", `the link closed: ${this.closedReason}`);
    this.stats.bytesOut += bytes.length;
    try {
      await this.link.write(bytes);
    } catch (error) {
      if (error instanceof LinkClosed) throw new ProtocolError("closed", error.message);
      throw error;
    }
  }

  /** The next event matching `accept` (others are dropped), or undefined after `ms`. */
  private next(ms: number, accept: (event: Event) => boolean): Promise<Event | undefined> {
    if (this.closedReason !== undefined) return Promise.reject(new ProtocolError("closed", `the link closed: ${this.closedReason}`));
    while (this.queued.length) {
      const event = this.queued.shift()!;
      if (accept(event)) return Promise.resolve(event);
    }
    return new Promise((resolve, reject) => {
      const timer = this.timers.setTimeout(() => {
        this.waiter = undefined;
        resolve(undefined);
      }, ms);
      const onClose = (reason: string) => {
        this.timers.clearTimeout(timer);
        this.waiter = undefined;
        reject(new ProtocolError("closed", `the link closed: ${reason}`));
      };
      this.closeWaiters.push(onClose);
      this.waiter = (event) => {
        if (!accept(event)) return;
        this.timers.clearTimeout(timer);
        this.waiter = undefined;
        this.closeWaiters = this.closeWaiters.filter((w) => w !== onClose);
        resolve(event);
      };
    });
  }

  private emit(event: Event): void {
    if (this.waiter) this.waiter(event);
    else this.queued.push(event);
  }

  private receive(bytes: Uint8Array): void {
    let text = "";
    for (const byte of bytes) {
      switch (this.state) {
        case "dle":
          if (byte === SOH) {
            this.state = "h0";
            continue;
          }
          text += String.fromCharCode(DLE);
          this.state = "text";
          break;
        case "h0":
          this.header = byte << 8;
          this.state = "h1";
          continue;
        case "h1":
          this.header |= byte;
          this.payload = [];
          if ((this.header & 0x1fff) === 0) this.finish();
          else this.state = "data";
          continue;
        case "data": {
          // The device's console puts a CR before every LF of a packet it sends, uncounted (hal/sim/repl.ts).
          const length = this.header & 0x1fff;
          if (this.heldCR) {
            this.heldCR = false;
            if (byte !== 0x0a) this.payload.push(0x0d);
            if (this.payload.length >= length) {
              this.finish();
              // This byte was not part of the packet.
              this.receive(Uint8Array.of(byte));
              continue;
            }
          }
          if (byte === 0x0d && this.payload.length + 1 < length) {
            this.heldCR = true;
            continue;
          }
          this.payload.push(byte);
          if (this.payload.length >= length) this.finish();
          continue;
        }
      }
      if (byte === ACK) this.emit({ kind: "ack" });
      else if (byte === NAK) this.emit({ kind: "nak" });
      else if (byte === DLE) this.state = "dle";
      else text += String.fromCharCode(byte);
    }
    if (text) {
      this.consoleText += text;
      if (this.consoleText.length > 1 << 20) this.consoleText = this.consoleText.slice(-(1 << 19));
      this.options.onConsole?.(text);
    }
  }

  private finish(): void {
    this.state = "text";
    this.emit({ kind: "packet", type: this.header >> 13, payload: Uint8Array.from(this.payload) });
    this.payload = [];
  }
}
