/**
 * The simulated device's serial console: Espruino's REPL and its packet protocol.
 *
 * Usage:
 *   const sim = createSerialDevice({ board, write: (bytes) => port.write(bytes) });
 *   sim.device.bootFromStorage();       // power on: runs .bootcde if Storage has one
 *   sim.repl.feed(bytesFromHost);       // answers through `write`
 *   sim.repl.tick();                    // packet timeouts (call as simulated time moves)
 *
 * Errors: none thrown; the device answers NAK (0x15) where the interpreter
 * does, prints `Uncaught …` for errors, and says nothing once its power is cut.
 *
 * Contract (shared/espruino.md §5; upstream src/jsinteractive.c, 2v29): a
 * line ending in CR or LF is evaluated and, with echo on, echoed and
 * answered `=<value>` then the prompt `>`; a line started by DLE (0x10) is
 * evaluated silently (its output and errors still print). DLE SOH, a
 * big-endian 16-bit header (type in the top 3 bits, length in the low 13),
 * then the payload is a packet: EVAL (1) → ACK, then a RESPONSE (0) packet
 * with `E.toJS(result)`, or NAK and the error printed; EVENT (2) → ACK if
 * the payload is an object; FILE_SEND (3) `{fn, s, offs?}` → ACK and the
 * file is open (closed after 10 s without DATA, or when `s` bytes arrived);
 * DATA (4) → written into Storage at the running offset, then ACK — **ACK
 * even if the Storage write failed** (upstream ORs the result into `true`;
 * the error is printed as Uncaught): only a read-back proves a write;
 * FILE_RECV (5) `{fn}` → ACK, DATA packets of ≤ 1024 bytes, an empty DATA
 * packet; NAK if there is no such file. A packet incomplete 5 s after its
 * SOH is NAKed. Packets to the host (RESPONSE, DATA) carry a CR before
 * every LF of their payload that the header's length does not count:
 * upstream prints them through the console's newline translation (measured
 * on 2v29); exo's client removes them. Ctrl-C (0x03) clears the line; Ctrl-E (0x05) on an empty
 * line answers `Espruino <version> <board>`; ESC [ 2 H erases the input
 * line (exo uses it: on the Linux build two Ctrl-C on an empty line within
 * 5 s quit the interpreter). Simplified: a line is one
 * statement (no continuation of unbalanced brackets), no cursor keys or
 * history, output printed from timers is not preceded by the prompt-erase
 * sequence.
 */
import vm from "node:vm";
import type { Board } from "../boards.ts";
import { uncaughtText, formatValue } from "./console.ts";
import { SimDevice, type SimOptions } from "./device.ts";
import { ACK, DLE, encodePacket, FILE_TIMEOUT_MS, MAX_PACKET, NAK, PacketType, PACKET_TIMEOUT_MS, RECV_CHUNK, SOH } from "../packet.ts";

/** `E.toJS(value)`: a compact JavaScript literal (strings in double quotes, \xHH for control bytes). */
export function toJS(value: unknown, depth = 0): string {
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  if (typeof value === "string") return quote(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value === "function") return "function () {…}";
  if (depth > 16) return "undefined";
  if (ArrayBuffer.isView(value)) return `new ${value.constructor.name}([${Array.prototype.join.call(value, ",")}])`;
  if (Array.isArray(value)) return `[${value.map((v) => toJS(v, depth + 1)).join(",")}]`;
  if (typeof value === "object") {
    const keys = Object.keys(value);
    return `{${keys.map((k) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : quote(k)}:${toJS((value as Record<string, unknown>)[k], depth + 1)}`).join(",")}}`;
  }
  return String(value);
}

function quote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const c = ch.charCodeAt(0);
    if (ch === '"' || ch === "\\") out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c < 32 || (c > 126 && c < 256)) out += "\\x" + c.toString(16).padStart(2, "0");
    else out += ch;
  }
  return out + '"';
}

/** Parse a "liberal JSON" packet payload (`{fn:'x',s:3}` as well as strict JSON); undefined if it is not one. */
function parseLiberal(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    try {
      // Only object literals of plain values: run in an empty context with a short timeout.
      return vm.runInNewContext(`(${text})`, Object.create(null), { timeout: 50 });
    } catch {
      return undefined;
    }
  }
}

interface OpenFile {
  fn: string;
  size: number;
  offset: number;
  closesAt: number;
}

export class SimRepl {
  private line: number[] = [];
  private echoOff = false;
  private state: "text" | "dle" | "h0" | "h1" | "data" | "esc" | "csi" = "text";
  private csiNumber = 0;
  private header = 0;
  private payload: number[] = [];
  private packetDeadline = 0;
  private file?: OpenFile;

  constructor(
    readonly device: SimDevice,
    private write: (bytes: Uint8Array) => void,
    private now: () => number = () => device.now,
  ) {}

  /** Bytes printed by the device (console lines): CRLF as the interpreter sends them. */
  print(text: string): void {
    if (this.device.state === "power-cut") return;
    this.send(text.replace(/\n/g, "\r\n"));
  }

  /** Bytes from the host. */
  feed(data: Uint8Array | string): void {
    const bytes = typeof data === "string" ? Buffer.from(data, "latin1") : data;
    for (const byte of bytes) {
      if (this.device.state === "power-cut") return; // a device without power hears nothing
      this.byte(byte);
    }
  }

  /** Close timed-out packets and files (call whenever simulated time moved). */
  tick(): void {
    const now = this.now();
    if (this.state === "h0" || this.state === "h1" || this.state === "data") {
      if (now >= this.packetDeadline) {
        this.state = "text";
        this.payload = [];
        this.sendByte(NAK);
      }
    }
    if (this.file && now >= this.file.closesAt) this.file = undefined;
  }

  /** The file a FILE_SEND opened, if it is still open. */
  get openFile(): Readonly<OpenFile> | undefined {
    return this.file;
  }

  private byte(byte: number): void {
    switch (this.state) {
      case "h0":
        this.header = byte << 8;
        this.state = "h1";
        return;
      case "h1": {
        this.header |= byte;
        this.payload = [];
        if ((this.header & MAX_PACKET) === 0) this.packet();
        else this.state = "data";
        return;
      }
      case "data":
        this.payload.push(byte);
        if (this.payload.length >= (this.header & MAX_PACKET)) this.packet();
        return;
      case "esc":
        this.state = byte === 0x5b ? "csi" : "text";
        this.csiNumber = 0;
        return;
      case "csi":
        if (byte >= 0x30 && byte <= 0x39) {
          this.csiNumber = this.csiNumber * 10 + byte - 0x30;
          return;
        }
        // ESC [ 2 H erases the input line; other sequences (cursor keys) are ignored here.
        if (byte === 0x48 && this.csiNumber === 2) this.line = [];
        this.state = "text";
        return;
      case "dle":
        if (byte === SOH) {
          this.state = "h0";
          this.packetDeadline = this.now() + PACKET_TIMEOUT_MS;
          return;
        }
        this.state = "text";
        break;
    }
    if (byte === DLE) {
      if (this.line.length === 0) this.echoOff = true;
      this.state = "dle";
      return;
    }
    if (byte === 0) return;
    if (byte === 0x1b) {
      this.state = "esc";
      return;
    }
    if (byte === 0x03) {
      this.line = [];
      this.echoOff = false;
      return;
    }
    if (byte === 0x05) {
      if (this.line.length === 0) this.print(`Espruino 2v29-sim ${this.device.board.name.toUpperCase()}\n`);
      return;
    }
    if (byte === 0x0d || byte === 0x0a) {
      if (byte === 0x0a && this.lastWasCR) {
        this.lastWasCR = false;
        return;
      }
      this.lastWasCR = byte === 0x0d;
      this.endLine();
      return;
    }
    this.lastWasCR = false;
    if (byte === 0x08 || byte === 0x7f) {
      if (this.line.length) {
        this.line.pop();
        if (!this.echoOff) this.send("\b \b");
      }
      return;
    }
    this.line.push(byte);
    if (!this.echoOff) this.sendByte(byte);
  }

  private lastWasCR = false;

  private endLine(): void {
    const code = Buffer.from(this.line).toString("latin1");
    const silent = this.echoOff;
    this.line = [];
    this.echoOff = false;
    if (!silent) this.send("\r\n");
    if (!code.trim()) {
      if (!silent) this.send(">");
      return;
    }
    const outcome = this.evaluate(code);
    if (this.device.state === "power-cut") return;
    if (!outcome.ok) this.print(uncaughtText(outcome.error) + "\n");
    else if (!silent) this.send(`=${formatValue(outcome.value)}\r\n`);
    if (!silent) this.send(">");
  }

  private evaluate(code: string): { ok: true; value: unknown } | { ok: false; error: unknown } {
    try {
      const value = this.device.eval(code);
      return { ok: true, value };
    } catch (error) {
      return { ok: false, error };
    } finally {
      // load()/reset() and timers that became due: the interpreter's idle loop.
      if (this.device.state !== "power-cut" && this.device.state !== "hung") this.device.run(0);
    }
  }

  private packet(): void {
    const type = this.header >> 13;
    const body = Uint8Array.from(this.payload);
    const text = Buffer.from(body).toString("latin1");
    this.state = "text";
    this.payload = [];
    this.echoOff = false;
    switch (type) {
      case PacketType.EVAL: {
        const outcome = this.evaluate(text);
        if (this.device.state === "power-cut") return;
        if (outcome.ok) {
          this.sendByte(ACK);
          this.reply(PacketType.RESPONSE, Buffer.from(toJS(outcome.value), "latin1"));
        } else {
          this.sendByte(NAK);
          this.print(uncaughtText(outcome.error) + "\n");
        }
        return;
      }
      case PacketType.EVENT: {
        const value = parseLiberal(text);
        this.sendByte(value && typeof value === "object" ? ACK : NAK);
        return;
      }
      case PacketType.FILE_SEND: {
        this.file = undefined;
        const spec = parseLiberal(text) as { fn?: unknown; s?: unknown; offs?: unknown; fs?: unknown } | undefined;
        const ok = !!spec && typeof spec === "object" && typeof spec.fn === "string" && Number(spec.s) > 0 && !spec.fs;
        if (ok) this.file = { fn: spec.fn as string, size: Number(spec.s), offset: Number(spec.offs ?? 0) | 0, closesAt: this.now() + FILE_TIMEOUT_MS };
        this.sendByte(ok ? ACK : NAK);
        return;
      }
      case PacketType.DATA: {
        const file = this.file;
        if (!file) {
          this.sendByte(NAK);
          return;
        }
        try {
          this.device.storage.write(file.fn, body, file.offset, file.size);
        } catch (error) {
          if (this.device.state === "power-cut" || (error as Error)?.name === "PowerCut") {
            this.device.control.cutPower();
            return;
          }
          this.print(uncaughtText(error) + "\n");
        }
        file.offset += body.length;
        file.closesAt = this.now() + FILE_TIMEOUT_MS;
        if (file.offset >= file.size) this.file = undefined;
        this.sendByte(ACK); // upstream ACKs whether or not the write worked
        return;
      }
      case PacketType.FILE_RECV: {
        const spec = parseLiberal(text) as { fn?: unknown } | undefined;
        const data = spec && typeof spec.fn === "string" ? this.device.storage.readBytes(spec.fn) : undefined;
        if (!data) {
          this.sendByte(NAK);
          return;
        }
        this.sendByte(ACK);
        for (let i = 0; i < data.length; i += RECV_CHUNK) this.reply(PacketType.DATA, data.subarray(i, i + RECV_CHUNK));
        this.reply(PacketType.DATA, new Uint8Array(0));
        return;
      }
      default:
        this.sendByte(NAK);
    }
  }

  /**
   * A packet to the host as upstream's jsiPacketReply sends it: the header
   * counts the payload, but the console inserts CR before every LF of it.
   */
  private reply(type: number, payload: Uint8Array): void {
    const packet = encodePacket(type, payload);
    const out: number[] = [...packet.subarray(0, 4)];
    for (const byte of packet.subarray(4)) {
      if (byte === 0x0a) out.push(0x0d);
      out.push(byte);
    }
    this.write(Uint8Array.from(out));
  }

  private send(text: string): void {
    this.write(Uint8Array.from(Buffer.from(text, "latin1")));
  }

  private sendByte(byte: number): void {
    this.write(Uint8Array.of(byte));
  }
}

/** A simulated device whose console is a serial line: the device, and the REPL that answers on it. */
export function createSerialDevice(options: Omit<SimOptions, "onConsole"> & { board: Board; write: (bytes: Uint8Array) => void; onConsole?: SimOptions["onConsole"] }): {
  device: SimDevice;
  repl: SimRepl;
} {
  let repl: SimRepl | undefined;
  const device = new SimDevice({
    ...options,
    onConsole: (line, ms) => {
      options.onConsole?.(line, ms);
      repl?.print(line + "\n");
    },
  });
  repl = new SimRepl(device, options.write);
  return { device, repl };
}
