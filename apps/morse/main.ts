/** Morse: "SOS" on D4 every 2 s — two tasks and a mailbox on the cooperative scheduler. */
import type { AppCaps } from "../../firmware/types.ts";
import { create } from "../../libos/sched/coop.ts";

/** One Morse unit, ms: a dot is 1 unit on, a dash 3; 1 off between marks, 3 between letters. */
const UNIT = 60;
const CODE: Record<string, string> = { S: "...", O: "---" };

/** The on/off durations (in units) that key `word`, starting with "on". */
function plan(word: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < word.length; i++) {
    const marks = CODE[word[i]] || "";
    for (let j = 0; j < marks.length; j++) out.push(marks[j] === "." ? 1 : 3, 1);
    if (out.length) out[out.length - 1] = 3; // the gap after a letter
  }
  return out;
}

export function start(caps: AppCaps): void {
  const s = create(caps.timer, caps.services);
  const key = caps.pins.key;
  key.mode("output");
  let steps: number[] = [];
  let at = 0;
  // The keyer: one step per mark or gap; between words it waits on its mailbox.
  const keyer = s.spawn(
    "keyer",
    (t, word) => {
      if (word !== undefined) {
        steps = plan(word);
        at = 0;
      }
      if (at < steps.length) {
        key.write(at % 2 ? 0 : 1);
        return steps[at++] * UNIT;
      }
      key.write(0);
      return s.recv();
    },
    { prio: 2 },
  );
  s.spawn("sender", () => {
    s.send(keyer, "SOS");
    return 2000;
  });
  caps.services.log("morse: SOS on D4 every 2 s (coop scheduler)");
}
