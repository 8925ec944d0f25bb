/**
 * LOGCFG-64x4K v1 (shared/bench/LOGCFG.md): data formats, the workload driver
 * over the libos/fs API, the invariant checker, and the reference figures.
 *
 * Usage:
 *   const run = new Driver(fs, workload("w0"));
 *   while (run.step()) {}                 // one record (or one static chunk) per step
 *   const failure = verify(fs, run.expect()); // null when §5's invariants hold
 *
 * Errors: the driver throws `Error` when the FS returns an unexpected code;
 * a power cut surfaces as the simulator's PowerCut thrown through it.
 *
 * Contract: LOGCFG.md §2 (formats), §3 (operations), §5 (invariants).
 */
import { crc32 } from "node:zlib";
import type { Fs } from "../../libos/fs/fs.ts";
import {
  ENOENT, OPEN_APPEND, OPEN_CREATE, OPEN_REPLACE,
  fileClose, fileOpen, fileRead, fileSize, fileSync, fileWrite, fsGc, fsList, fsRemove,
} from "../../libos/fs/index.ts";

export const GEN = 1024;
export const CFG_EVERY = 100;
export const STATIC_BYTES = 131072;
export const STATIC_CHUNK = 1024;

/** The variants of §3 this harness runs. */
export type WorkloadName = "w0" | "w1" | "batched";

export interface Workload {
  name: WorkloadName;
  /** N: records to append. */
  records: number;
  /** SYNC_EVERY. */
  syncEvery: number;
  /** W1: write static.bin first. */
  cold: boolean;
  /** Negative control (§5): 1 = config written as two halves with a sync between; 2 = record acknowledged before its sync; 3 = W1's static.bin synced after every write (visible as a partial file). */
  negctl: 0 | 1 | 2 | 3;
  /** fsGc budget the idle hook gives between records (0: no idle GC). */
  idle: number;
}

export function workload(name: WorkloadName, records = 20000, idle = 4, negctl: 0 | 1 | 2 | 3 = 0): Workload {
  return { name, records, syncEvery: name === "batched" ? 16 : 1, cold: name === "w1", negctl, idle };
}

/** Application bytes of §3: records × 32 + configs × 64 (+ static.bin). */
export function appBytes(w: Workload): number {
  return w.records * 32 + Math.floor(w.records / CFG_EVERY) * 64 + (w.cold ? STATIC_BYTES : 0);
}

function xorshift(s: number): number {
  s ^= s << 13;
  s >>>= 0;
  s ^= s >>> 17;
  s ^= s << 5;
  return s >>> 0;
}

/** Record i (32 bytes), §2. */
export function recordBytes(i: number, out = new Uint8Array(32)): Uint8Array {
  const v = new DataView(out.buffer, out.byteOffset, 32);
  v.setUint32(0, i >>> 0, true);
  let s = (Math.imul(i, 0x9e3779b9) + 0x12345) | 1;
  s >>>= 0;
  for (let k = 0; k < 24; k++) {
    s = xorshift(s);
    out[4 + k] = s & 255;
  }
  v.setUint32(28, crc32(out.subarray(0, 28)) >>> 0, true);
  return out;
}

/** Config version v (64 bytes), §2. */
export function configBytes(v: number): Uint8Array {
  const out = new Uint8Array(64);
  const d = new DataView(out.buffer);
  d.setUint32(0, v >>> 0, true);
  let s = (Math.imul(v, 0x85ebca6b) | 1) >>> 0;
  for (let k = 0; k < 56; k++) {
    s = xorshift(s);
    out[4 + k] = s & 255;
  }
  d.setUint32(60, crc32(out.subarray(0, 60)) >>> 0, true);
  return out;
}

let staticCache: Uint8Array | undefined;
/** static.bin (131,072 bytes), §2. */
export function staticBytes(): Uint8Array {
  if (!staticCache) {
    staticCache = new Uint8Array(STATIC_BYTES);
    let s = 0x00c0ffee;
    for (let k = 0; k < STATIC_BYTES; k++) {
      s = xorshift(s);
      staticCache[k] = s & 255;
    }
  }
  return staticCache;
}

/** Generation states the tracker keeps (what the app knows was acknowledged). */
export const G_NONE = 0;
export const G_CREATING = 1;
export const G_LIVE = 2;
export const G_DELETING = 3;
export const G_DELETED = 4;

/** What the application knows: acknowledged and in-flight state (§5). */
export interface Expect {
  /** Records [0, acked) acknowledged. */
  acked: number;
  /** Records [0, appended) handed to the FS (the rest can't exist). */
  appended: number;
  /** Per generation: G_*. */
  gens: Uint8Array;
  /** Config version acknowledged (0: none) and the one in flight (0: none). */
  cfg: number;
  cfgInflight: number;
  /** W1: 0 not started, 1 being written, 2 closed (acknowledged). */
  cold: number;
  workload: Workload;
}

/** Modelled-time probe: the driver calls it around timed operations. */
export interface Probe {
  now(): number;
  append?(micros: number): void;
  config?(micros: number): void;
  idle?(micros: number): void;
  rotate?(micros: number): void;
  twoOpen?(): void;
}

function check(r: number, what: string): number {
  if (r < 0) throw new Error(`${what} returned ${r}`);
  return r;
}

/** The LOGCFG workload as a resumable state machine over one mounted fs. */
export class Driver {
  i = 0;
  log = -1;
  chunk = 0;
  /** Stop after this record index (the workload's N unless a continuation sets less). */
  limit: number;
  e: Expect;
  private buf = new Uint8Array(32);

  constructor(public fs: Fs, public w: Workload, public probe?: Probe) {
    this.limit = w.records;
    this.e = { acked: 0, appended: 0, gens: new Uint8Array(Math.ceil(w.records / GEN) + 2), cfg: 0, cfgInflight: 0, cold: 0, workload: w };
  }

  /** A copy of the driver state (for checkpoints); the fs is given separately. */
  clone(fs: Fs): Driver {
    const d = new Driver(fs, this.w, this.probe);
    d.i = this.i;
    d.limit = this.limit;
    d.log = this.log;
    d.chunk = this.chunk;
    d.e = { ...this.e, gens: this.e.gens.slice() };
    return d;
  }

  get done(): boolean {
    return this.i >= this.limit && this.log < 0;
  }

  /** One unit of work: a static.bin chunk, or record i with its rotation and config. false once finished. */
  step(): boolean {
    const w = this.w;
    const fs = this.fs;
    if (w.cold && this.e.cold < 2) {
      this.coldStep();
      return true;
    }
    if (this.i >= this.limit) {
      if (this.log >= 0) {
        check(fileClose(fs, this.log), "close log");
        this.log = -1;
      }
      return false;
    }
    const i = this.i;
    const g = Math.floor(i / GEN);
    const p = this.probe;
    if (i % GEN === 0 || this.log < 0) {
      const t0 = p ? p.now() : 0;
      this.rotate(g);
      if (p && p.rotate) p.rotate(p.now() - t0);
    }
    const t0 = p ? p.now() : 0;
    recordBytes(i, this.buf);
    if (w.negctl === 2) this.e.acked = i + 1;
    this.e.appended = i + 1;
    check(fileWrite(fs, this.log, this.buf), "append");
    if ((i + 1) % w.syncEvery === 0) {
      check(fileSync(fs, this.log), "sync");
      this.e.acked = i + 1;
    }
    if (p && p.append) p.append(p.now() - t0);
    this.i = i + 1;
    if ((i + 1) % CFG_EVERY === 0) this.config((i + 1) / CFG_EVERY);
    if (w.idle > 0) {
      const t1 = p ? p.now() : 0;
      check(fsGc(fs, w.idle), "gc");
      if (p && p.idle) p.idle(p.now() - t1);
    }
    return true;
  }

  private coldStep(): void {
    const fs = this.fs;
    if (this.e.cold === 0) {
      this.e.cold = 1;
      this.log = check(fileOpen(fs, "static.bin", OPEN_CREATE | OPEN_APPEND), "create static.bin");
      this.chunk = 0;
      return;
    }
    if (this.chunk < STATIC_BYTES / STATIC_CHUNK) {
      const at = this.chunk * STATIC_CHUNK;
      check(fileWrite(fs, this.log, staticBytes().subarray(at, at + STATIC_CHUNK)), "write static.bin");
      if (this.w.negctl === 3) check(fileSync(fs, this.log), "sync static.bin");
      this.chunk++;
      return;
    }
    check(fileClose(fs, this.log), "close static.bin");
    this.log = -1;
    this.e.cold = 2;
  }

  /** close log.<g-1>, delete log.<g-2>, open/create log.<g>. Idempotent after a recovery. */
  rotate(g: number): void {
    const fs = this.fs;
    const gens = this.e.gens;
    if (this.log >= 0) {
      check(fileClose(fs, this.log), "close log");
      this.log = -1;
    }
    if (g >= 2 && gens[g - 2] !== G_DELETED) {
      gens[g - 2] = G_DELETING;
      const r = fsRemove(fs, `log.${g - 2}`);
      if (r < 0 && r !== ENOENT) throw new Error(`remove log.${g - 2} returned ${r}`);
      gens[g - 2] = G_DELETED;
    }
    if (gens[g] !== G_LIVE) gens[g] = G_CREATING;
    this.log = check(fileOpen(fs, `log.${g}`, OPEN_CREATE | OPEN_APPEND), `open log.${g}`);
    gens[g] = G_LIVE;
  }

  /** Atomically replace config with version v (negctl 1: non-atomically, in two halves). */
  config(v: number): void {
    const fs = this.fs;
    const p = this.probe;
    const t0 = p ? p.now() : 0;
    const bytes = configBytes(v);
    this.e.cfgInflight = v;
    if (this.w.negctl === 1) {
      const r = fsRemove(fs, "config");
      if (r < 0 && r !== ENOENT) throw new Error(`remove config returned ${r}`);
      const h = check(fileOpen(fs, "config", OPEN_CREATE | OPEN_APPEND), "open config");
      check(fileWrite(fs, h, bytes.subarray(0, 32)), "write config");
      check(fileSync(fs, h), "sync config");
      check(fileWrite(fs, h, bytes.subarray(32)), "write config");
      check(fileClose(fs, h), "close config");
    } else {
      const h = check(fileOpen(fs, "config", OPEN_REPLACE), "open config");
      check(fileWrite(fs, h, bytes), "write config");
      if (p && p.twoOpen) p.twoOpen();
      check(fileClose(fs, h), "close config");
    }
    this.e.cfg = v;
    this.e.cfgInflight = 0;
    if (p && p.config) p.config(p.now() - t0);
  }
}

/** Read a whole file into memory, or a negative code. */
export function readAll(fs: Fs, name: string): Uint8Array | number {
  const h = fileOpen(fs, name, 0);
  if (h < 0) return h;
  const size = fileSize(fs, h);
  const out = new Uint8Array(Math.max(0, size));
  const r = size > 0 ? fileRead(fs, h, 0, out) : 0;
  fileClose(fs, h);
  if (r < 0) return r;
  if (r !== size) return -5;
  return out;
}

function sameRecord(a: Uint8Array, at: number, want: Uint8Array): boolean {
  for (let k = 0; k < 32; k++) if (a[at + k] !== want[k]) return false;
  return true;
}

/**
 * Check §5's invariants against what the application knows. Returns null, or
 * a failure "class: detail". `strict`: nothing is in flight (after a clean
 * unmount), so everything handed to the FS must be there exactly.
 */
export function verify(fs: Fs, e: Expect): string | null {
  const w = e.workload;
  const files = fsList(fs);
  const present = new Map<number, number>();
  let config: Uint8Array | null = null;
  let sawStatic = false;
  for (const f of files) {
    const m = /^log\.(\d+)$/.exec(f.name);
    if (m) present.set(Number(m[1]), f.size);
    else if (f.name === "config") {
      const c = readAll(fs, "config");
      if (typeof c === "number") return `config: unreadable (${c})`;
      config = c;
    } else if (f.name === "static.bin" && w.cold) sawStatic = true;
    else return `foreign: unexpected file ${f.name}`;
  }
  // 4: no deleted generation reappears, none newer than the writer reached.
  for (const [g] of present) {
    const s = g < e.gens.length ? e.gens[g] : G_NONE;
    if (s === G_DELETED) return `resurrected: log.${g} was deleted`;
    if (s === G_NONE) return `future: log.${g} was never created`;
  }
  const want = new Uint8Array(32);
  for (let g = 0; g < e.gens.length; g++) {
    const s = e.gens[g];
    if (s === G_LIVE && !present.has(g)) return `missing: log.${g} (created, not deleted) is gone`;
    if (!present.has(g)) continue;
    const data = readAll(fs, `log.${g}`);
    if (typeof data === "number") return `unreadable: log.${g} (${data})`;
    // 2: whole, valid, consecutive records.
    if (data.length % 32) return `torn: log.${g} size ${data.length} is not a multiple of 32`;
    const n = data.length / 32;
    if (n > GEN) return `torn: log.${g} holds ${n} records`;
    for (let k = 0; k < n; k++) {
      recordBytes(g * GEN + k, want);
      if (!sameRecord(data, k * 32, want)) return `torn: log.${g} record ${g * GEN + k} is wrong`;
    }
    // 3: every acknowledged record retained by the policy is present; nothing past what was appended.
    const ackedHere = Math.max(0, Math.min(GEN, e.acked - g * GEN));
    const appendedHere = Math.max(0, Math.min(GEN, e.appended - g * GEN));
    if (n < ackedHere) return `lost: log.${g} holds ${n} records, ${ackedHere} were acknowledged`;
    if (n > appendedHere) return `future: log.${g} holds ${n} records, only ${appendedHere} were appended`;
  }
  // 5: config is the acknowledged version or the in-flight one.
  if (config === null) {
    if (e.cfg > 0) return `config: missing, version ${e.cfg} was acknowledged`;
  } else {
    const v = config.length >= 4 ? new DataView(config.buffer, config.byteOffset).getUint32(0, true) : -1;
    if (v !== e.cfg && v !== e.cfgInflight) return `config: version ${v} found, ${e.cfg} acknowledged (${e.cfgInflight || "none"} in flight)`;
    const ok = configBytes(v);
    if (config.length !== 64 || ok.some((b, k) => b !== config![k])) return `config: torn (version ${v}, ${config.length} bytes)`;
  }
  // 6: static.bin intact once acknowledged; before that absent, empty or whole, never partial (visible at sync/close).
  if (w.cold) {
    if (e.cold === 2 && !sawStatic) return "static: static.bin missing";
    if (sawStatic) {
      const data = readAll(fs, "static.bin");
      if (typeof data === "number") return `static: unreadable (${data})`;
      if (e.cold === 2 && data.length !== STATIC_BYTES) return `static: ${data.length} bytes`;
      if (data.length && data.length !== STATIC_BYTES) return `partial: static.bin shows ${data.length} of ${STATIC_BYTES} bytes before its close returned`;
      const s = staticBytes();
      for (let k = 0; k < data.length; k++) if (data[k] !== s[k]) return `static: byte ${k} differs`;
    }
  }
  return null;
}

/** What a recovering application derives from the files it finds (the state to continue from). */
export function recover(fs: Fs, w: Workload, old: Expect): Driver {
  const d = new Driver(fs, w);
  const gens = d.e.gens;
  let top = -1;
  for (const f of fsList(fs)) {
    const m = /^log\.(\d+)$/.exec(f.name);
    if (m) {
      const g = Number(m[1]);
      gens[g] = G_LIVE;
      if (g > top) top = g;
    }
  }
  for (let g = 0; g < top; g++) if (gens[g] !== G_LIVE && old.gens[g] !== G_NONE) gens[g] = G_DELETED;
  const size = top >= 0 ? (readAll(fs, `log.${top}`) as Uint8Array).length : 0;
  d.i = top >= 0 ? top * GEN + size / 32 : 0;
  if (top >= 0 && size / 32 === GEN) d.i = (top + 1) * GEN;
  d.e.acked = d.e.appended = d.i;
  const c = readAll(fs, "config");
  d.e.cfg = typeof c === "number" ? 0 : new DataView(c.buffer, c.byteOffset).getUint32(0, true);
  d.e.cold = old.cold === 2 ? 2 : 0;
  if (w.cold && old.cold !== 2) {
    const r = fsRemove(fs, "static.bin");
    if (r < 0 && r !== ENOENT) throw new Error(`remove static.bin returned ${r}`);
  }
  return d;
}

/** Reference figures of §6 (littlefs v2.11.2, SPIFFS 0.3.7; W0 unless noted). */
export const REFERENCE = {
  littlefs: {
    write_amplification_prog: 69.5,
    erase_bytes_per_app_byte: 131.8,
    wear_max_over_mean_w0: 1.54,
    wear_max_over_mean_w1: 3.34,
    append_sync_model_ms: { p50: 48.6, p99: 152, max: 207 },
    mount_aged: { read_calls: 35, bytes_read: 6400, model_ms: 3.2 },
    first_append_after_mount_ms: 51.7,
    powerloss: "0 of 82,466 trials failed",
    ram_bytes_two_files_open: 2472,
  },
  spiffs: {
    write_amplification_prog: 14.8,
    erase_bytes_per_app_byte: 13.8,
    wear_max_over_mean_w0: 1.02,
    wear_max_over_mean_w1: "W1 does not fit (full at record 1,793)",
    append_sync_model_ms: { p50: 1.2, p99: 65, max: 120 },
    mount_aged: { read_calls: 192, bytes_read: 16600, model_ms: 16.3 },
    first_append_after_mount_ms: 6.9,
    powerloss: "28.2% of 12,248 trials failed",
    ram_bytes_two_files_open: 1300,
  },
};
