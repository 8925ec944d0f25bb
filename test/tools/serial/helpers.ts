/** Shared set-up for the serial tests: a simulated device behind a virtual-time line, and a flasher run. */
import { boards } from "../../../hal/boards.ts";
import { flashImage, type FlashImageOptions } from "../../../tools/serial/flasher.ts";
import { ProtocolClient } from "../../../tools/serial/protocol.ts";
import { SimLine, type LineFaults } from "../../../tools/serial/sim-link.ts";
import { VirtualTimers } from "../../../tools/serial/host-timers.ts";

/** A tiny firmware that says which it is: enough to tell old from new at boot. */
export function firmware(tag: string, padTo = 20_000): Uint8Array {
  let code = `print("FW ${tag} up");`;
  const filler = `var pad_${tag}="${"x".repeat(200)}";\n`;
  while (code.length < padTo) code += filler;
  return Uint8Array.from(Buffer.from(code, "latin1"));
}

export function setup(options: { faults?: LineFaults; baud?: number; flashImage?: Uint8Array; board?: keyof typeof boards } = {}) {
  const time = new VirtualTimers();
  const line = new SimLine({ board: boards[options.board ?? "esp32"], time, baud: options.baud ?? 115200, faults: options.faults, flashImage: options.flashImage });
  let link = line.connect();
  const flash = (data: Uint8Array, extra: Partial<FlashImageOptions> = {}) => {
    if (link.closed) link = line.connect();
    const client = new ProtocolClient(link, { timers: time, baud: options.baud ?? 115200 });
    return time.drive(flashImage(client, { data, timers: time, ...extra }));
  };
  /** Power-cycle the device, let it boot for a while, return what it printed. */
  const powerCycle = (ms = 100): string[] => {
    const from = line.device.console.length;
    line.device.reboot();
    line.device.run(ms);
    return line.device.console.slice(from).map((c) => c.line);
  };
  return { time, line, device: line.device, flash, powerCycle, reconnect: () => (link = line.connect()) };
}

/** Which firmware the device booted, from its console: "A", "B", or "none". */
export function booted(lines: string[]): string {
  const up = lines.map((l) => /^FW (\w+) up$/.exec(l)).find(Boolean);
  return up ? up[1] : "none";
}
