/**
 * Logger: a sample every 200 ms, appended to a log file and synced — once
 * `fileSync` returns, the sample survives any power cut. At start it reads
 * the log back and says what survived ("logger: recovered …").
 *
 * Log: two files, log.a and log.b, of 8-byte records (sample number, value;
 * u32 little-endian). When the current one passes LIMIT bytes, the other is
 * removed and writing moves to it, so the log keeps the last LIMIT..2×LIMIT
 * bytes. Samples are numbered from 0 for the device's life (the numbering
 * resumes after the last one recovered).
 */
import type { AppCaps } from "../../firmware/types.ts";
import {
  OPEN_APPEND, OPEN_CREATE, fileOpen, fileRead, fileSize, fileSync, fileWrite, fileClose, fsErrorText, fsFormat, fsGc, fsMount, fsRemove, type Fs,
} from "../../libos/fs/index.ts";
import { get32, put32 } from "../../libos/fs/format.ts";
import { create } from "../../libos/sched/coop.ts";

const PERIOD = 200;
/** Bytes per file at most (less on a small extent: see limit()). */
const LIMIT = 1024;
/** Flash bytes one synced 8-byte sample takes: a DATA record (tag, offset, 8 bytes, CRC). */
const COST = 20;
const NAMES = ["log.a", "log.b"];
/** Every how many samples a "synced" line is printed. */
const SAY = 5;

/** The sensor: a slow wave, a pure function of the sample number (so a reader can check it). */
export const sensor = (n: number): number => Math.round(500 + 400 * Math.sin(n / 8));


/** Read one log file: [first sample, last sample, records, intact (contiguous and values right)]; undefined if absent or empty. */
function scan(fs: Fs, name: string): number[] | undefined {
  const h = fileOpen(fs, name, 0);
  if (h < 0) return undefined;
  const size = fileSize(fs, h);
  const records = Math.floor(size / 8);
  const out = new Uint8Array(8);
  let first = -1;
  let last = -1;
  let intact = 1;
  for (let i = 0; i < records; i++) {
    if (fileRead(fs, h, i * 8, out) !== 8) {
      intact = 0;
      break;
    }
    const n = get32(out, 0);
    if (get32(out, 4) !== sensor(n) || (last >= 0 && n !== last + 1)) intact = 0;
    if (first < 0) first = n;
    last = n;
  }
  fileClose(fs, h);
  return records ? [first, last, records, intact] : undefined;
}

/**
 * Bytes per file that fit the extent: both files, as records, in the sectors
 * the fs lets data use (all but its 2-sector reserve and the head being
 * filled), less each sector's header and snapshot. 1024 on 6 x 4 KiB; on the
 * Linux board's 6 x 1 KiB, 1024 would need 5 KiB of records in 3.7 KiB.
 */
function limit(sector: number, count: number): number {
  const room = (count - 3) * (sector - 24 - 64);
  return Math.max(8, Math.min(LIMIT, Math.floor(room / 2 / COST) * 8));
}

export function start(caps: AppCaps): void {
  const say = caps.services.log;
  let mounted = fsMount(caps.flash!, caps.services);
  if (typeof mounted === "number") {
    say("logger: no file system (" + fsErrorText(mounted) + "), formatting");
    const code = fsFormat(caps.flash!, caps.services);
    if (code < 0) throw new Error("logger: format failed: " + fsErrorText(code));
    mounted = fsMount(caps.flash!, caps.services);
    if (typeof mounted === "number") throw new Error("logger: mount failed: " + fsErrorText(mounted));
  }
  const fs = mounted;
  // Recover: which file is current, where the numbering resumes, and whether what survived is whole.
  const a = scan(fs, NAMES[0]);
  const b = scan(fs, NAMES[1]);
  let current = a && (!b || a[1] > b[1]) ? 0 : b ? 1 : 0;
  const older = current ? a : b;
  const newer = current ? b : a;
  let next = newer ? newer[1] + 1 : 0;
  if (newer) {
    const intact = newer[3] === 1 && (!older || (older[3] === 1 && older[1] + 1 === newer[0]));
    const count = newer[2] + (older ? older[2] : 0);
    say("logger: recovered " + count + " samples #" + (older ? older[0] : newer[0]) + "..#" + newer[1] + (intact ? ", intact" : ", DAMAGED"));
  } else say("logger: empty log, starting at #0");

  const max = limit(caps.flash!.sector, caps.flash!.count);
  let h = fileOpen(fs, NAMES[current], OPEN_APPEND | OPEN_CREATE);
  if (h < 0) throw new Error("logger: open failed " + h);
  const record = new Uint8Array(8);
  const rotate = () => {
    // The other file goes, writing moves to it (its first record marks it the newer one).
    fileClose(fs, h);
    current ^= 1;
    fsRemove(fs, NAMES[current]);
    h = fileOpen(fs, NAMES[current], OPEN_APPEND | OPEN_CREATE);
    if (h < 0) throw new Error("logger: open failed " + h);
  };
  const s = create(caps.timer, caps.services);
  s.spawn("sample", (t) => {
    if (t.runs === 0) return PERIOD;
    if (fileSize(fs, h) >= max) rotate();
    put32(record, 0, next);
    put32(record, 4, sensor(next));
    let wrote = fileWrite(fs, h, record);
    let synced = wrote === 8 ? fileSync(fs, h) : wrote;
    if ((wrote < 0 || synced < 0) && fileSize(fs, h) > 0) {
      // Full (ENOSPC stays until space is freed): give up the older file early, then try once more.
      say("logger: full at " + fileSize(fs, h) + " bytes, rotating early");
      rotate();
      wrote = fileWrite(fs, h, record);
      synced = wrote === 8 ? fileSync(fs, h) : wrote;
    }
    if (wrote !== 8 || synced < 0) say("logger: write failed: " + fsErrorText(wrote < 0 ? wrote : synced));
    else if (next % SAY === 0) say("logger: #" + next + " synced");
    next++;
    return PERIOD;
  });
  // Garbage collection in idle time, a step at a time, so writes rarely pay for it.
  s.idle(() => fsGc(fs, 1) > 0);
  say("logger: a sample every " + PERIOD + " ms into " + NAMES[current] + ", " + max + " bytes a file");
}
