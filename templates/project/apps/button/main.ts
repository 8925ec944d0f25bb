/**
 * Button: each press of the button on D0 toggles the LED and is written to
 * presses.log (one line per press: its number), synced before the next. At
 * start it reads the log back, so the count goes on after a power cut.
 */
// caps.ts: this app's capabilities as its manifest gives them (exo build writes it from manifest.json).
import type { AppCaps } from "./caps.ts";
import { OPEN_APPEND, OPEN_CREATE, fileClose, fileOpen, fileRead, fileSize, fileSync, fileWrite, fsErrorText, fsFormat, fsMount, type Fs } from "exo/libos/fs/index.ts";

const LOG = "presses.log";

/** The file system on the app's flash extent; formatted the first time. */
function mount(caps: AppCaps): Fs {
  const first = fsMount(caps.flash, caps.services);
  if (typeof first !== "number") return first;
  caps.services.log("button: no file system on its flash yet (" + fsErrorText(first) + "): formatting");
  const code = fsFormat(caps.flash, caps.services);
  if (code < 0) throw new Error("button: format failed: " + fsErrorText(code));
  const fs = fsMount(caps.flash, caps.services);
  if (typeof fs === "number") throw new Error("button: mount failed: " + fsErrorText(fs));
  return fs;
}

/** Presses logged so far: the lines of the log. */
function count(fs: Fs): number {
  const h = fileOpen(fs, LOG, 0);
  if (h < 0) return 0;
  const bytes = new Uint8Array(fileSize(fs, h));
  fileRead(fs, h, 0, bytes);
  fileClose(fs, h);
  let lines = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 10) lines++;
  return lines;
}

/** Text as bytes (the log is ASCII). */
function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

export function start(caps: AppCaps): void {
  const say = caps.services.log;
  const fs = mount(caps);
  let presses = count(fs);
  const h = fileOpen(fs, LOG, OPEN_APPEND | OPEN_CREATE);
  if (h < 0) throw new Error("button: cannot open " + LOG + ": " + fsErrorText(h));
  const led = caps.pins.led;
  const button = caps.pins.button;
  led.mode("output");
  led.write(presses % 2);
  // To ground when pressed: the pull-up holds it high, a press is a falling edge; 20 ms debounce.
  button.mode("input_pullup");
  button.watch(() => {
    presses++;
    led.write(presses % 2);
    const wrote = fileWrite(fs, h, ascii(presses + "\n"));
    const synced = wrote < 0 ? wrote : fileSync(fs, h);
    say(synced < 0 ? "button: press " + presses + " not saved: " + fsErrorText(synced) : "button: press " + presses);
  }, "falling", 20);
  say("button: ready, " + presses + " presses so far");
}
