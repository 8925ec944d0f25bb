/**
 * A byte link to a device: a serial port (node-serialport), a pty, or TCP (the interpreter's `--telnet`).
 *
 * Usage:
 *   const link = await openLink("/dev/ttyUSB0", { baud: 115200 });    // or "tcp://127.0.0.1:2323", "rfc2217://lab-pc:3333"
 *   link.onData((bytes) => …); await link.write(bytes); await link.close();
 *
 * Errors: `openLink` throws a UserError for a port that does not exist, is
 * busy (another program holds it: exo uses an exclusive lock), or may not be
 * opened (permissions), each with the fix; a TCP connection refused likewise.
 * After the far end goes away, `write` rejects with `LinkClosed` and the
 * `onClose` listeners run once.
 *
 * Contract: `write` resolves when the bytes are handed to the OS; data
 * arrives in order, in chunks of any size; nothing is delivered after close.
 */
import net from "node:net";
import { SerialPortStream } from "@serialport/stream";
import { UserError } from "../../hal/user-error.ts";

export interface Link {
  /** Send bytes; rejects with LinkClosed once the link is gone. */
  write(bytes: Uint8Array): Promise<void>;
  /** Listen for incoming bytes (several listeners allowed). */
  onData(listener: (bytes: Uint8Array) => void): void;
  /** Called once when the link goes away (unplug, peer closed, `close()`), with the reason. */
  onClose(listener: (reason: string) => void): void;
  close(): Promise<void>;
  readonly description: string;
  readonly closed: boolean;
  /**
   * Drive the modem lines (true = asserted), where the link has them: a serial
   * port, or RFC 2217's SET-CONTROL. On most ESP32 boards RTS holds EN (reset)
   * and DTR holds IO0 (boot mode): reset.ts pulses them as esptool does.
   */
  setLines?(lines: { dtr?: boolean; rts?: boolean }): Promise<void>;
}

/** The link went away under a write or a wait. */
export class LinkClosed extends Error {
  constructor(reason: string) {
    super(`the link closed: ${reason}`);
    this.name = "LinkClosed";
  }
}

/** Listener plumbing shared by the implementations. */
export class LinkBase {
  private dataListeners: ((bytes: Uint8Array) => void)[] = [];
  private closeListeners: ((reason: string) => void)[] = [];
  closed = false;
  closeReason = "";

  onData(listener: (bytes: Uint8Array) => void): void {
    this.dataListeners.push(listener);
  }

  onClose(listener: (reason: string) => void): void {
    if (this.closed) listener(this.closeReason);
    else this.closeListeners.push(listener);
  }

  protected deliver(bytes: Uint8Array): void {
    if (this.closed) return;
    for (const listener of this.dataListeners) listener(bytes);
  }

  protected ended(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    for (const listener of this.closeListeners.splice(0)) listener(reason);
  }
}

/** A node-serialport binding (bindings-interface's BindingInterface; its package has no importable types here). */
export type Binding = ConstructorParameters<typeof SerialPortStream>[0]["binding"];

export interface OpenOptions {
  baud?: number;
  /** The node-serialport binding (default: @serialport/bindings-cpp's autoDetect()). Tests pass MockBinding. */
  binding?: Binding;
}

export const DEFAULT_BAUD = 115200;

/** Open `spec`: `tcp://host:port`, `rfc2217://host:port` (a serial port on another host: rfc2217.ts) or a serial device / pty path. */
export async function openLink(spec: string, options: OpenOptions = {}): Promise<Link> {
  const tcp = /^tcp:\/\/([^:/]+):(\d+)$/.exec(spec);
  if (tcp) return openTcpLink(tcp[1], Number(tcp[2]));
  const rfc2217 = /^rfc2217:\/\/([^:/]+):(\d+)$/.exec(spec);
  if (rfc2217) return (await import("./rfc2217.ts")).openRfc2217Link(rfc2217[1], Number(rfc2217[2]), options.baud ?? DEFAULT_BAUD);
  if (/^[a-z0-9]+:\/\//i.test(spec)) throw new UserError(`cannot open ${spec}: exo speaks tcp:// and rfc2217://`, "e.g. --port rfc2217://lab-pc:3333 (ser2net), tcp://127.0.0.1:2323 (espruino --telnet), or a serial port (exo ports)");
  return openSerialLink(spec, options);
}

class SerialLink extends LinkBase implements Link {
  constructor(
    private port: SerialPortStream,
    readonly description: string,
  ) {
    super();
    port.on("data", (chunk: Buffer) => this.deliver(new Uint8Array(chunk)));
    port.on("close", (error?: { disconnected?: boolean }) => this.ended(error?.disconnected ? "the device was unplugged" : "the port was closed"));
    port.on("error", (error: Error) => this.ended(error.message));
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new LinkClosed(this.closeReason));
    return new Promise((resolve, reject) => {
      this.port.write(Buffer.from(bytes), (error) => (error ? reject(new LinkClosed(error.message)) : resolve()));
    });
  }

  /** The modem lines as last set (serialport asserts both when it opens a port). */
  private lines = { dtr: true, rts: true };

  setLines(lines: { dtr?: boolean; rts?: boolean }): Promise<void> {
    if (this.closed) return Promise.reject(new LinkClosed(this.closeReason));
    // Both, always: serialport fills a line left out with "asserted", and DTR asserted while EN
    // is released would start an ESP32's bootloader instead of its firmware.
    this.lines = { ...this.lines, ...lines };
    return new Promise((resolve, reject) => this.port.set(this.lines, (error) => (error ? reject(new LinkClosed(error.message)) : resolve())));
  }

  close(): Promise<void> {
    if (this.closed || !this.port.isOpen) {
      this.ended("closed by exo");
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.port.close(() => {
        this.ended("closed by exo");
        resolve();
      });
    });
  }
}

/** Turn an open error into what a person can act on. */
export function portError(path: string, error: Error): UserError {
  const text = error.message;
  if (/ENOENT|No such file|cannot open/i.test(text) && !/busy|lock/i.test(text)) {
    return new UserError(`no serial port at ${path} (${text})`, "plug the board in and check the name with `exo ports`; a simulated device: `exo sim --pty`");
  }
  if (/EBUSY|busy|lock|Resource temporarily unavailable/i.test(text)) {
    return new UserError(`${path} is busy: another program holds it (${text})`, "close the other terminal, IDE or `exo monitor` using it, then retry");
  }
  if (/EACCES|Permission denied/i.test(text)) {
    return new UserError(`no permission to open ${path} (${text})`, "add yourself to the port's group (often `dialout`: sudo usermod -aG dialout $USER, then log in again)");
  }
  return new UserError(`cannot open ${path}: ${text}`, "check the port name with `exo ports`");
}

async function openSerialLink(path: string, options: OpenOptions): Promise<Link> {
  const binding = options.binding ?? (await import("@serialport/bindings-cpp")).autoDetect();
  const port = new SerialPortStream({ binding, path, baudRate: options.baud ?? DEFAULT_BAUD, autoOpen: false, lock: true } as never);
  await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(portError(path, error)) : resolve())));
  return new SerialLink(port, `${path} @ ${options.baud ?? DEFAULT_BAUD} baud`);
}

class TcpLink extends LinkBase implements Link {
  constructor(
    private socket: net.Socket,
    readonly description: string,
  ) {
    super();
    socket.setNoDelay(true);
    socket.on("data", (chunk) => this.deliver(new Uint8Array(chunk)));
    socket.on("close", () => this.ended("the connection closed"));
    socket.on("error", (error) => this.ended(error.message));
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new LinkClosed(this.closeReason));
    return new Promise((resolve, reject) => this.socket.write(bytes, (error) => (error ? reject(new LinkClosed(error.message)) : resolve())));
  }

  close(): Promise<void> {
    this.socket.destroy();
    this.ended("closed by exo");
    return Promise.resolve();
  }
}

function openTcpLink(host: string, port: number): Promise<Link> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.once("connect", () => resolve(new TcpLink(socket, `tcp://${host}:${port}`)));
    socket.once("error", (error) =>
      reject(new UserError(`cannot connect to tcp://${host}:${port}: ${error.message}`, "start the interpreter with `espruino --telnet` (port 2323) or check the address")),
    );
  });
}
