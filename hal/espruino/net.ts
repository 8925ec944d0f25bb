/**
 * The network: Wi-Fi (on the ESP32) and one UDP socket per packet filter.
 * The only code that names `require("Wifi")` and `require("dgram")`.
 *
 * Usage (firmware/boot.ts builds `hal.net` from these):
 *   netUp(board.net, (error) => { … });        // join Wi-Fi when credentials were built in
 *   const sock = bindUdp(5700, (data, from, port) => deliver("udp", 5700, data), log);
 *   sock.send(bytes, 9000, "127.0.0.1");       // one datagram
 *
 * Errors: `hasNet()` is false when the interpreter has no `dgram` module
 * (the rings still work; the host drains them through `exo.transmit`). A
 * Wi-Fi failure is passed to `netUp`'s callback. Socket errors are logged,
 * never thrown into the kernel.
 *
 * Contract: doc/xrd/xrd104-packets.md §7. Espruino's dgram hands a message
 * over as a String and sends a String: the bytes cross as `E.toString` /
 * `E.toUint8Array` (natives, no JS loop).
 */

import type { HalNet, UdpSocket } from "../types.ts";

let dgram: { createSocket(type: string): any } | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
let probed = false;

/** True when the interpreter has UDP sockets (the Linux build, the ESP32, the simulator with a network). */
export function hasNet(): boolean {
  if (!probed) {
    probed = true;
    try {
      dgram = require("dgram");
    } catch (e) {
      dgram = undefined;
    }
  }
  return dgram !== undefined;
}

/**
 * Bring the link up: with credentials, join the access point (ESP32 `Wifi`);
 * without (Linux interpreter, simulator) the host's loopback is the link.
 */
export function netUp(config: { ssid?: string; password?: string }, done: (error?: string) => void): void {
  if (!config.ssid) {
    setTimeout(() => done(), 0);
    return;
  }
  let wifi: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    wifi = require("Wifi");
  } catch (e) {
    setTimeout(() => done("no Wifi module on this interpreter"), 0);
    return;
  }
  wifi.connect(config.ssid, { password: config.password }, (error: unknown) => done(error ? String(error) : undefined));
}

/** Bind a UDP socket on `port`; every datagram goes to `onMessage(bytes, fromHost, fromPort)`. */
export function bindUdp(port: number, onMessage: (data: Uint8Array, host: string, from: number) => void, log: (text: string) => void): UdpSocket {
  const socket = dgram!.createSocket("udp4");
  socket.on("message", (msg: string, info: { address: string; port: number }) => onMessage(E.toUint8Array(msg), info.address, info.port));
  socket.on("error", (error: unknown) => log("net: udp port " + port + ": " + error));
  socket.bind(port);
  return {
    send: (data, to, host) => socket.send(E.toString(data), to, host),
    close: () => socket.close(),
  };
}

/** The three as the kernel's `Hal["net"]`. */
export const net: HalNet = { available: hasNet, up: netUp, bind: bindUdp };
