/**
 * A stimulus file for `exo sim --stim FILE`: what the outside world does to
 * the simulated board, one event per line, at simulated times from power-on.
 *
 *   # a button to ground on D0, pressed at 550 ms for 120 ms
 *   550ms  press D0 120ms     drive D0 low for 120 ms, then let go (the pull-up brings it back)
 *   2s     drive D3 1         the outside world holds D3 high (1) or low (0) ...
 *   2.5s   release D3         ... and lets it go
 *   3s     pulse D2 1 50ms    D2 at level 1 for 50 ms, then let go
 *   5s     cut                power cut, then power back on: the device boots again, flash as it was
 *   6s     udp 5700 hello     a UDP datagram "hello" to the device's port 5700 (the rest of the line;
 *   6.5s   udp 5700 "a\u0023b" as a JSON string for escapes): the run gets a network, as with --net
 *
 * Times and durations as `exo sim --for` takes them (500ms, 2s, 1.5m); `#`
 * starts a comment. Events run in time order (ties in file order).
 *
 * Usage: `const events = parseStimulus(text, "stim.txt", board.pins)` → sorted
 * events; errors are UserErrors naming the file, line and how to write it.
 */
import { parseDuration } from "./duration.ts";
import { UserError } from "../../hal/user-error.ts";

export type StimulusEvent =
  | { at: number; line: number; kind: "drive"; pin: number; level: 0 | 1 | undefined }
  | { at: number; line: number; kind: "pulse"; pin: number; level: 0 | 1; widthMs: number }
  | { at: number; line: number; kind: "cut" }
  | { at: number; line: number; kind: "udp"; port: number; data: Buffer };

const FORMS = "`<time> press D<n> <duration>`, `<time> drive D<n> 0|1`, `<time> release D<n>`, `<time> pulse D<n> 0|1 <duration>`, `<time> cut` or `<time> udp <port> <text>`";

export function parseStimulus(text: string, file: string, pins: number): StimulusEvent[] {
  const events: StimulusEvent[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const text = raw.replace(/#.*/, "").trim();
    const words = text.split(/\s+/).filter(Boolean);
    if (!words.length) return;
    const where = `${file}:${line}`;
    const bad = (why: string): never => {
      throw new UserError(`${where}: ${why}: "${raw.trim()}"`, `write one event per line: ${FORMS}`, 2);
    };
    const time = (word: string | undefined, what: string): number => {
      if (word === undefined) return bad(`no ${what}`);
      try {
        return parseDuration(word, what);
      } catch {
        return bad(`${what} "${word}" is not a duration (500ms, 2s)`);
      }
    };
    const pin = (word: string | undefined): number => {
      const m = /^D(\d+)$/i.exec(word ?? "");
      if (!m) return bad(`"${word ?? ""}" is not a pin (write D0, D15, …)`);
      const n = Number(m[1]);
      if (n >= pins) return bad(`the board has pins D0..D${pins - 1}, not D${n}`);
      return n;
    };
    const level = (word: string | undefined): 0 | 1 => (word === "0" || word === "1" ? (Number(word) as 0 | 1) : bad(`level "${word ?? ""}" is not 0 or 1`));
    const at = time(words[0], "time");
    const [verb, ...args] = words.slice(1);
    const arity = (n: number) => {
      if (args.length !== n) bad(`${verb} takes ${n} argument${n === 1 ? "" : "s"}`);
    };
    switch (verb) {
      case "press":
        arity(2);
        events.push({ at, line, kind: "pulse", pin: pin(args[0]), level: 0, widthMs: time(args[1], "press duration") });
        break;
      case "pulse":
        arity(3);
        events.push({ at, line, kind: "pulse", pin: pin(args[0]), level: level(args[1]), widthMs: time(args[2], "pulse duration") });
        break;
      case "drive":
        arity(2);
        events.push({ at, line, kind: "drive", pin: pin(args[0]), level: level(args[1]) });
        break;
      case "release":
        arity(1);
        events.push({ at, line, kind: "drive", pin: pin(args[0]), level: undefined });
        break;
      case "cut":
        arity(0);
        events.push({ at, line, kind: "cut" });
        break;
      case "udp": {
        const port = Number(args[0]);
        if (!/^\d+$/.test(args[0] ?? "") || port < 1 || port > 65535) bad(`"${args[0] ?? ""}" is not a UDP port (1..65535)`);
        // The payload: the rest of the line after the port, or a JSON string.
        const rest = text.slice(text.indexOf(args[0]!, text.indexOf("udp") + 3) + args[0]!.length).trim();
        if (!rest) bad("udp takes a port and the datagram's text");
        let payload = rest;
        if (rest.startsWith('"')) {
          try {
            payload = JSON.parse(rest);
          } catch {
            bad(`${rest} is not a JSON string`);
          }
        }
        events.push({ at, line, kind: "udp", port, data: Buffer.from(payload, "latin1") });
        break;
      }
      default:
        bad(verb === undefined ? "a time with no event" : `unknown event "${verb}"`);
    }
  });
  return events.sort((a, b) => a.at - b.at || a.line - b.line);
}
