/**
 * A serial port on another host, over RFC 2217 (Telnet Com Port Control):
 * what ser2net (`accepter: telnet(rfc2217),tcp,…`) and labgrid's
 * NetworkSerialPort export. `rfc2217://host:port` wherever exo takes a port.
 *
 * On connect the link offers binary mode both ways (bytes of a packet pass
 * unchanged; 0xFF is doubled on the wire, RFC 854) and sets the port's baud
 * rate, 8 data bits, no parity, 1 stop bit and no flow control (RFC 2217
 * SET-BAUDRATE, SET-DATASIZE, SET-PARITY, SET-STOPSIZE, SET-CONTROL); it is
 * ready once the server confirms the baud rate (or after 2 s of silence from
 * a server that takes Telnet but not the Com Port option: then the rate is
 * whatever the far end was set to, and `description` says so). DTR and RTS
 * are left as the server has them (on many ESP32 boards they drive reset
 * and boot mode, and asserting them holds the chip in reset) until
 * `setLines` drives them, with SET-CONTROL (`exo monitor --reset`).
 *
 * Usage: `const link = await openRfc2217Link("lab-pc", 3333, 115200)`
 */
import net from "node:net";
import { UserError } from "../../hal/user-error.ts";
import { LinkBase, LinkClosed, type Link } from "./link.ts";

const IAC = 255, DONT = 254, DO = 253, WONT = 252, WILL = 251, SB = 250, SE = 240;
const BINARY = 0, SGA = 3, COM_PORT = 44;
/** Client → server Com Port commands; the server answers with the same + 100. */
const SET_BAUDRATE = 1, SET_DATASIZE = 2, SET_PARITY = 3, SET_STOPSIZE = 4, SET_CONTROL = 5;
const PARITY_NONE = 1, STOPSIZE_1 = 1, CONTROL_NO_FLOW = 1;
/** SET-CONTROL values for the modem lines (RFC 2217 §3). */
const DTR_ON = 8, DTR_OFF = 9, RTS_ON = 11, RTS_OFF = 12;
/** The options this end takes part in, both ways. */
const OURS = [BINARY, SGA, COM_PORT];

/** 0xFF doubled, as Telnet carries a data byte 255. */
export function escapeIac(bytes: Uint8Array): Uint8Array {
  if (!bytes.includes(IAC)) return bytes;
  const out: number[] = [];
  for (const b of bytes) b === IAC ? out.push(IAC, IAC) : out.push(b);
  return Uint8Array.from(out);
}

const subnegotiation = (command: number, value: number[]): number[] => [IAC, SB, COM_PORT, command, ...escapeIac(Uint8Array.from(value)), IAC, SE];

export class Rfc2217Link extends LinkBase implements Link {
  description: string;
  /** The baud rate the server confirmed, once it has. */
  confirmedBaud?: number;
  private state: "data" | "iac" | "verb" | "sb" | "sb-iac" = "data";
  private verb = 0;
  private sub: number[] = [];
  private confirmed?: () => void;

  constructor(private socket: net.Socket, private where: string, private baud: number) {
    super();
    this.description = `${where} @ ${baud} baud`;
    socket.setNoDelay(true);
    socket.on("data", (chunk) => this.receive(chunk));
    socket.on("close", () => this.ended("the connection closed"));
    socket.on("error", (error) => this.ended(error.message));
  }

  /** Negotiate, then resolve once the server confirmed the baud rate (or stayed silent for `waitMs`). */
  async start(waitMs = 2000): Promise<void> {
    const offer = OURS.flatMap((o) => [IAC, WILL, o, IAC, DO, o]);
    const b = this.baud;
    const settings = [
      ...subnegotiation(SET_BAUDRATE, [(b >>> 24) & 255, (b >>> 16) & 255, (b >>> 8) & 255, b & 255]),
      ...subnegotiation(SET_DATASIZE, [8]),
      ...subnegotiation(SET_PARITY, [PARITY_NONE]),
      ...subnegotiation(SET_STOPSIZE, [STOPSIZE_1]),
      ...subnegotiation(SET_CONTROL, [CONTROL_NO_FLOW]),
    ];
    await this.send(Uint8Array.from([...offer, ...settings]));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.description = `${this.where} (the server does not set the baud rate: RFC 2217 refused)`;
        resolve();
      }, waitMs);
      this.confirmed = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  write(bytes: Uint8Array): Promise<void> {
    return this.send(escapeIac(bytes));
  }

  setLines(lines: { dtr?: boolean; rts?: boolean }): Promise<void> {
    const commands: number[] = [];
    if (lines.dtr !== undefined) commands.push(...subnegotiation(SET_CONTROL, [lines.dtr ? DTR_ON : DTR_OFF]));
    if (lines.rts !== undefined) commands.push(...subnegotiation(SET_CONTROL, [lines.rts ? RTS_ON : RTS_OFF]));
    return this.send(Uint8Array.from(commands));
  }

  close(): Promise<void> {
    this.socket.destroy();
    this.ended("closed by exo");
    return Promise.resolve();
  }

  private send(bytes: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new LinkClosed(this.closeReason));
    return new Promise((resolve, reject) => this.socket.write(bytes, (error) => (error ? reject(new LinkClosed(error.message)) : resolve())));
  }

  /** Telnet's stream: data bytes out, commands answered, Com Port replies read. */
  private receive(chunk: Uint8Array): void {
    const data: number[] = [];
    for (const byte of chunk) {
      switch (this.state) {
        case "data":
          if (byte === IAC) this.state = "iac";
          else data.push(byte);
          break;
        case "iac":
          if (byte === IAC) {
            data.push(IAC);
            this.state = "data";
          } else if (byte === DO || byte === DONT || byte === WILL || byte === WONT) {
            this.verb = byte;
            this.state = "verb";
          } else if (byte === SB) {
            this.sub = [];
            this.state = "sb";
          } else this.state = "data"; // NOP, GA, …
          break;
        case "verb":
          // We offered ours already; refuse the rest (RFC 854: answer only to change a state).
          if (!OURS.includes(byte) && this.verb === DO) void this.send(Uint8Array.from([IAC, WONT, byte])).catch(() => undefined);
          if (!OURS.includes(byte) && this.verb === WILL) void this.send(Uint8Array.from([IAC, DONT, byte])).catch(() => undefined);
          this.state = "data";
          break;
        case "sb":
          if (byte === IAC) this.state = "sb-iac";
          else this.sub.push(byte);
          break;
        case "sb-iac":
          if (byte === SE) {
            this.subnegotiated(this.sub);
            this.state = "data";
          } else {
            this.sub.push(byte); // IAC IAC inside a subnegotiation is a 255
            this.state = "sb";
          }
          break;
      }
    }
    if (data.length) this.deliver(Uint8Array.from(data));
  }

  private subnegotiated(sub: number[]): void {
    if (sub[0] !== COM_PORT || sub[1] !== SET_BAUDRATE + 100 || sub.length < 6) return;
    this.confirmedBaud = ((sub[2] << 24) | (sub[3] << 16) | (sub[4] << 8) | sub[5]) >>> 0;
    this.confirmed?.();
    this.confirmed = undefined;
  }
}

export function openRfc2217Link(host: string, port: number, baud: number): Promise<Link> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.once("connect", () => {
      const link = new Rfc2217Link(socket, `rfc2217://${host}:${port}`, baud);
      link.start().then(() => resolve(link), reject);
    });
    socket.once("error", (error) =>
      reject(new UserError(`cannot connect to rfc2217://${host}:${port}: ${error.message}`, "check the address, and that ser2net (or labgrid's exporter) serves the port there with telnet(rfc2217)")),
    );
  });
}
