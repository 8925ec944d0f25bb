/**
 * The interpreter half of `exo bench fs`: LOGCFG W0 (../shared/bench/LOGCFG.md)
 * with the real libos/fs device code on the real Espruino interpreter built
 * for Linux, through the interpreter's own `require("Flash")`.
 *
 * Options (for tools/cli/main.ts, `exo bench fs`):
 *   --espruino <path[,path]>   Espruino binaries built for Linux (default: $ESPRUINO_BIN);
 *                              a comma list runs each (e.g. the default and the 16383-variable build).
 *                              Without one the interpreter half is skipped with a message.
 *   --records <n>              N on the interpreter too, unless --interpreter-records is given
 *   --interpreter-records <n>  N for the interpreter half only (default: --records, else 20000)
 *   --interpreter-sector <b>   4096 (default: the LOGCFG geometry, 4 of the interpreter's 1 KiB
 *                              pages per sector, 64 sectors) or 1024 (one page per sector, 256 sectors)
 *   --interpreter-timeout <s>  SIGKILL the interpreter after this many seconds (default 900);
 *                              the rate is then reported from the records done so far (partial)
 *
 * Usage: `npx tsx tools/bench/fs-interpreter.ts --espruino PATH [--records N] [--json]`,
 * or through `exo bench fs --espruino PATH`.
 *
 * Method: libos/fs is bundled the way the device build does it
 * (tools/build/library.ts: ES2015, one iife, the firmware's terser settings)
 * and must pass tools/gate's checkBundle; a small driver in the device dialect
 * (DRIVER below, gated too) runs W0 over an extent on `Flash` covering the
 * whole 256 KiB of ./espruino.flash (0x10000000, 1 KiB pages) in a fresh
 * temp dir: format, mount, N records with an fsync each, config replace every
 * 100, idle fsGc(4) between records (as the simulated bench), then fsCheck,
 * a read-back of every retained record and the config, unmount, and an aged
 * mount. The driver prints progress lines and one JSON result line.
 *
 * Errors: a gate violation or a bundle that breaks on the interpreter throws
 * (exit 70); a missing binary gives `{ skipped }`.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { libraryBundle } from "../build/library.ts";
import { checkBundle, formatViolation } from "../gate/check.ts";
import { findRoot } from "../cli/root.ts";
import { CFG_EVERY, GEN, configBytes, recordBytes } from "./logcfg.ts";
import { ranDirectly } from "../ran-directly.ts";

export interface InterpreterOptions {
  cwd?: string;
  /** Binary path(s), comma-separated; default $ESPRUINO_BIN. */
  espruino?: string;
  records?: number | string;
  sector?: number | string;
  /** Seconds before SIGKILL. */
  timeout?: number | string;
  /** Progress lines (stderr). */
  progress?: (line: string) => void;
}

/** One run on one binary. */
export interface InterpreterRun {
  binary: string;
  /** process.env.VERSION and process.memory().total at start. */
  version: string;
  variables_total: number;
  blocksize: number;
  geometry: { sector_bytes: number; sectors: number; pages_per_sector: number; base: string };
  records_target: number;
  records_done: number;
  /** true when the run was stopped (timeout or crash) before the end: figures are from progress lines. */
  partial: boolean;
  /** The workload loop on the interpreter's clock (getTime), and the whole process on the host's. */
  workload_seconds: number;
  process_seconds: number;
  records_per_second: number;
  /** Flash operations through require("Flash") (format included; erases = sector erases, each `pages_per_sector` erasePage calls). */
  erases: number;
  erase_pages: number;
  programs: number;
  bytes_programmed: number;
  reads: number;
  bytes_read: number;
  format: { erases: number; programs: number; bytes_programmed: number };
  wear: { min: number; max: number; mean: number };
  memory: {
    /**
     * process.memory().usage (variables) before and after fsMount of the fresh image, and E.getSizeOf(fs).
     * This mount runs in the script's top level, while the interpreter still holds the script's text:
     * `before` includes it; the aged mount (in a timer) does not.
     */
    fresh_mount: { before: number; after: number; size_of_fs: number };
    /** The same for the mount of the end-of-run image. */
    aged_mount: { before: number; after: number; size_of_fs: number };
    /** E.getSizeOf of the extent and services objects the fs references (the kernel owns them on a device). */
    size_of_extent_services: number;
    /** Variables in use (no GC first) with log + config open, at every config replace: the peak. */
    two_open_usage: number;
    /** Variables in use after loading the script (fs code + driver), before formatting. */
    after_load: number;
  };
  fsck: { ok: boolean; used: number; records: number; bad: number; torn: number; files: number; problems: number[][] } | null;
  verify: { ok: boolean; records_expected: number; records_verified: number; config_version: number; config_ok: boolean; detail: string } | null;
  /** The device's payloads equal the host's (CRC of record N-1 and of the last config). */
  payload_matches_host: boolean | null;
  /** Erases and bytes programmed equal the simulated W0 run of the same N (set by tools/bench/fs.ts when it ran one). */
  same_as_simulator?: boolean;
  /** What went wrong when partial. */
  error?: string;
}

export type InterpreterResult = { runs: InterpreterRun[]; fs_bundle_bytes: number; gate_violations: 0 } | { skipped: string };

/** The device bundle of libos/fs alone (global `exoFs`), gated. */
export async function fsDeviceBundle(root: string): Promise<string> {
  const { code, map } = await libraryBundle(join(root, "libos/fs/index.ts"), "exoFs");
  const violations = checkBundle(code, { file: "libos-fs.js", map });
  if (violations.length) throw new Error("libos/fs fails the dialect gate:\n" + violations.map(formatViolation).join("\n"));
  return code;
}

/**
 * The driver, in the device dialect (var, function expressions defined before
 * use, no destructuring/spread/defaults/Map/Set). Parameters come first as
 * `var P_* = …;` lines. Prints "EXO-P <records> <seconds>" progress lines and
 * one "EXO-R <json>" line, then quit()s.
 */
const DRIVER = String.raw`
var X = exoFs;
var F = require("Flash");
var BASE = 0x10000000;
var PAGE = 1024;
var PPS = P_SECTOR / PAGE;
var SIZE = P_SECTOR * P_COUNT;
var st = { erases: 0, pages: 0, programs: 0, bytes: 0, reads: 0, readBytes: 0 };
var wear = new Uint16Array(P_COUNT);
var bounds = function (o, n) {
  if (!(o >= 0 && n >= 0 && o + n <= SIZE)) throw new Error("extent access " + o + "+" + n + " outside 0.." + SIZE);
};
var extent = {
  sector: P_SECTOR,
  count: P_COUNT,
  read: function (o, n) { bounds(o, n); st.reads++; st.readBytes += n; return F.read(n, BASE + o); },
  write: function (o, d) { bounds(o, d.length); st.programs++; st.bytes += d.length; F.write(d, BASE + o); },
  erase: function (i) {
    if (!(i >= 0 && i < P_COUNT)) throw new Error("erase of sector " + i);
    for (var k = 0; k < PPS; k++) F.erasePage(BASE + i * P_SECTOR + k * PAGE);
    st.erases++; st.pages += PPS; wear[i]++;
  },
  erases: function (i) { return wear[i]; }
};
var services = { crc32: function (d) { return E.CRC32(d); }, now: function () { return Date.now(); }, log: function (t) { print(t); } };
var out = { version: process.env.VERSION, memory: {} };
var m0 = process.memory();
out.total = m0.total; out.blocksize = m0.blocksize; out.memory.after_load = m0.usage;
var xs = function (s) { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; return s >>> 0; };
var rec = new Uint8Array(32);
var record = function (i, b) {
  b[0] = i & 255; b[1] = (i >>> 8) & 255; b[2] = (i >>> 16) & 255; b[3] = (i >>> 24) & 255;
  var s = ((i * 0x9E3779B9 + 0x12345) | 1) >>> 0;
  for (var k = 0; k < 24; k++) { s = xs(s); b[4 + k] = s & 255; }
  var c = E.CRC32(new Uint8Array(b.buffer, b.byteOffset, 28));
  b[28] = c & 255; b[29] = (c >>> 8) & 255; b[30] = (c >>> 16) & 255; b[31] = (c >>> 24) & 255;
  return b;
};
var config = function (v) {
  var b = new Uint8Array(64);
  b[0] = v & 255; b[1] = (v >>> 8) & 255; b[2] = (v >>> 16) & 255; b[3] = (v >>> 24) & 255;
  var s = ((v * 0x85EBCA6B) | 1) >>> 0;
  for (var k = 0; k < 56; k++) { s = xs(s); b[4 + k] = s & 255; }
  var c = E.CRC32(new Uint8Array(b.buffer, 0, 60));
  b[60] = c & 255; b[61] = (c >>> 8) & 255; b[62] = (c >>> 16) & 255; b[63] = (c >>> 24) & 255;
  return b;
};
var ok = function (r, what) { if (r < 0) throw new Error(what + " returned " + r); return r; };
var mountMeasured = function () {
  var before = process.memory().usage;
  var f = X.fsMount(extent, services, {});
  if (typeof f === "number") throw new Error("mount returned " + f);
  var after = process.memory().usage;
  return { fs: f, m: { before: before, after: after, size_of_fs: E.getSizeOf(f) } };
};
ok(X.fsFormat(extent, services, {}), "format");
out.format = { erases: st.erases, programs: st.programs, bytes_programmed: st.bytes };
var mm = mountMeasured();
var fs = mm.fs;
out.memory.fresh_mount = mm.m;
out.memory.size_of_extent_services = E.getSizeOf(extent) + E.getSizeOf(services);
out.memory.two_open_usage = 0;
var i = 0;
var log = -1;
var t0 = getTime();
var step = function () {
  var g = Math.floor(i / P_GEN);
  if (i % P_GEN === 0) {
    if (log >= 0) { ok(X.fileClose(fs, log), "close log"); log = -1; }
    if (g >= 2) { var r = X.fsRemove(fs, "log." + (g - 2)); if (r < 0 && r !== X.ENOENT) throw new Error("remove returned " + r); }
    log = ok(X.fileOpen(fs, "log." + g, X.OPEN_CREATE | X.OPEN_APPEND), "open log");
  }
  ok(X.fileWrite(fs, log, record(i, rec)), "append");
  ok(X.fileSync(fs, log), "sync");
  i++;
  if (i % P_CFG === 0) {
    var h = ok(X.fileOpen(fs, "config", X.OPEN_REPLACE), "open config");
    ok(X.fileWrite(fs, h, config(i / P_CFG)), "write config");
    var u = process.memory(false).usage;
    if (u > out.memory.two_open_usage) out.memory.two_open_usage = u;
    ok(X.fileClose(fs, h), "close config");
  }
  ok(X.fsGc(fs, P_IDLE), "gc");
};
var verifyAll = function () {
  var v = { ok: true, records_expected: 0, records_verified: 0, config_version: 0, config_ok: false, detail: "" };
  var top = Math.floor((P_N - 1) / P_GEN);
  var want = new Uint8Array(32);
  var buf = new Uint8Array(1024);
  for (var g = Math.max(0, top - 1); g <= top; g++) {
    var n = Math.min(P_GEN, P_N - g * P_GEN);
    v.records_expected += n;
    var h = X.fileOpen(fs, "log." + g, 0);
    if (h < 0) { v.ok = false; v.detail += "log." + g + " missing (" + h + "); "; continue; }
    var size = X.fileSize(fs, h);
    if (size !== n * 32) { v.ok = false; v.detail += "log." + g + " holds " + size + " bytes, want " + n * 32 + "; "; }
    for (var at = 0; at < size; at += 1024) {
      var len = Math.min(1024, size - at);
      var view = len === 1024 ? buf : new Uint8Array(len);
      var got = X.fileRead(fs, h, at, view);
      if (got !== len) { v.ok = false; v.detail += "log." + g + " read " + got + " at " + at + "; "; break; }
      for (var k = 0; k < len; k += 32) {
        record(g * P_GEN + (at + k) / 32, want);
        var same = true;
        for (var b = 0; b < 32; b++) if (view[k + b] !== want[b]) same = false;
        if (same) v.records_verified++;
        else { v.ok = false; if (v.detail.length < 200) v.detail += "record " + (g * P_GEN + (at + k) / 32) + " differs; "; }
      }
    }
    X.fileClose(fs, h);
  }
  var vc = Math.floor(P_N / P_CFG);
  var hc = X.fileOpen(fs, "config", 0);
  if (hc >= 0) {
    var cb = new Uint8Array(64);
    var cn = X.fileRead(fs, hc, 0, cb);
    var cw = config(vc);
    v.config_version = cb[0] | (cb[1] << 8) | (cb[2] << 16) | (cb[3] << 24);
    v.config_ok = cn === 64 && X.fileSize(fs, hc) === 64;
    for (var c = 0; c < 64; c++) if (cb[c] !== cw[c]) v.config_ok = false;
    X.fileClose(fs, hc);
  } else v.config_ok = vc === 0;
  if (!v.config_ok) { v.ok = false; v.detail += "config wrong (version " + v.config_version + ", want " + vc + "); "; }
  if (v.records_verified !== v.records_expected) v.ok = false;
  return v;
};
var finish = function () {
  out.workload_seconds = getTime() - t0;
  out.records_done = i;
  if (log >= 0) { ok(X.fileClose(fs, log), "close log"); log = -1; }
  var c = X.fsCheck(fs);
  out.fsck = { ok: c.ok, used: c.used, records: c.records, bad: c.bad, torn: c.torn, files: c.files, problems: c.problems };
  out.verify = verifyAll();
  out.crc_last_record = P_N > 0 ? E.CRC32(record(P_N - 1, new Uint8Array(32))) : 0;
  out.crc_last_config = P_N >= P_CFG ? E.CRC32(config(Math.floor(P_N / P_CFG))) : 0;
  ok(X.fsUnmount(fs), "unmount");
  fs = undefined;
  mm = undefined;
  var aged = mountMeasured();
  fs = aged.fs;
  out.memory.aged_mount = aged.m;
  ok(X.fsUnmount(fs), "unmount aged");
  out.st = st;
  var w = [];
  for (var s = 0; s < P_COUNT; s++) w.push(wear[s]);
  out.wear = w;
  print("EXO-R " + JSON.stringify(out));
  quit();
};
var chunk = function () {
  var end = Math.min(P_N, i + 100);
  while (i < end) step();
  if (i % 1000 === 0 || i === P_N) print("EXO-P " + i + " " + (getTime() - t0));
  if (i < P_N) setTimeout(chunk, 0);
  else finish();
};
setTimeout(chunk, 0);
`;

/** The whole device script: echo off, parameters, the fs bundle, the driver. */
export function deviceScript(fsBundle: string, records: number, sector: number, idle = 4): string {
  const params = [
    `var P_N = ${records};`,
    `var P_SECTOR = ${sector};`,
    `var P_COUNT = ${(256 * 1024) / sector};`,
    `var P_GEN = ${GEN};`,
    `var P_CFG = ${CFG_EVERY};`,
    `var P_IDLE = ${idle};`,
  ].join("\n");
  return `echo(0);\n${params}\n${fsBundle}\n${DRIVER}`;
}

/** The driver (with its parameters) passes the gate too. */
export function checkDriver(): string[] {
  return checkBundle(deviceScript("var exoFs = {};", 1, 4096), { file: "fs-interpreter-driver.js" }).map(formatViolation);
}

const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

interface Raw {
  version: string;
  total: number;
  blocksize: number;
  records_done: number;
  workload_seconds: number;
  format: InterpreterRun["format"];
  memory: InterpreterRun["memory"];
  fsck: NonNullable<InterpreterRun["fsck"]>;
  verify: NonNullable<InterpreterRun["verify"]>;
  crc_last_record: number;
  crc_last_config: number;
  st: { erases: number; pages: number; programs: number; bytes: number; reads: number; readBytes: number };
  wear: number[];
}

/** Run the script with `bin` in a fresh temp dir (its ./espruino.flash), streaming progress. */
function runScript(bin: string, script: string, timeoutSeconds: number, progress: (line: string) => void): Promise<{ stdout: string; seconds: number; killed: boolean; code: number | null; last: [number, number] | null }> {
  const dir = mkdtempSync(join(tmpdir(), "exo-bench-fs-espruino-"));
  writeFileSync(join(dir, "bench.js"), script);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ["bench.js"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let pending = "";
    let last: [number, number] | null = null;
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill("SIGKILL");
    }, timeoutSeconds * 1000);
    child.stdout.setEncoding("latin1");
    child.stdout.on("data", (d: string) => {
      stdout += d;
      pending += d;
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, nl).replace(/\r$/, "");
        pending = pending.slice(nl + 1);
        const m = /^EXO-P (\d+) ([\d.e+-]+)/.exec(line);
        if (m) {
          last = [Number(m[1]), Number(m[2])];
          progress(`  ${last[0]} records, ${last[1].toFixed(1)} s`);
        }
      }
    });
    child.on("error", (e) => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      resolve({ stdout, seconds: (performance.now() - started) / 1000, killed, code, last });
    });
  });
}

async function runOne(bin: string, fsBundle: string, records: number, sector: number, timeout: number, progress: (line: string) => void): Promise<InterpreterRun> {
  progress(`bench fs: interpreter ${bin}: W0, ${records} records, ${sector}-byte sectors…`);
  const r = await runScript(bin, deviceScript(fsBundle, records, sector), timeout, progress);
  const count = (256 * 1024) / sector;
  const geometry = { sector_bytes: sector, sectors: count, pages_per_sector: sector / 1024, base: "0x10000000" };
  const line = r.stdout.split("\n").find((l) => l.startsWith("EXO-R "));
  if (!line) {
    const done = r.last ? r.last[0] : 0;
    const secs = r.last ? r.last[1] : 0;
    const why = r.killed ? `stopped after ${timeout} s (SIGKILL)` : `the interpreter exited with code ${r.code} before the end`;
    return {
      binary: bin, version: "", variables_total: 0, blocksize: 0, geometry, records_target: records, records_done: done, partial: true,
      workload_seconds: round(secs), process_seconds: round(r.seconds, 1), records_per_second: secs > 0 ? round(done / secs, 1) : 0,
      erases: 0, erase_pages: 0, programs: 0, bytes_programmed: 0, reads: 0, bytes_read: 0,
      format: { erases: 0, programs: 0, bytes_programmed: 0 }, wear: { min: 0, max: 0, mean: 0 },
      memory: { fresh_mount: { before: 0, after: 0, size_of_fs: 0 }, aged_mount: { before: 0, after: 0, size_of_fs: 0 }, size_of_extent_services: 0, two_open_usage: 0, after_load: 0 },
      fsck: null, verify: null, payload_matches_host: null,
      error: `${why}; last output:\n${r.stdout.replace(/\r/g, "").split("\n").filter((l) => !l.startsWith("EXO-P")).slice(-12).join("\n")}`,
    };
  }
  const raw = JSON.parse(line.slice(6).replace(/\r$/, "")) as Raw;
  const hostRecord = records > 0 ? crc32(recordBytes(records - 1)) >>> 0 : 0;
  const hostConfig = records >= CFG_EVERY ? crc32(configBytes(Math.floor(records / CFG_EVERY))) >>> 0 : 0;
  const mean = raw.wear.reduce((a, b) => a + b, 0) / raw.wear.length;
  return {
    binary: bin,
    version: raw.version,
    variables_total: raw.total,
    blocksize: raw.blocksize,
    geometry,
    records_target: records,
    records_done: raw.records_done,
    partial: false,
    workload_seconds: round(raw.workload_seconds),
    process_seconds: round(r.seconds, 1),
    records_per_second: round(raw.records_done / raw.workload_seconds, 1),
    erases: raw.st.erases,
    erase_pages: raw.st.pages,
    programs: raw.st.programs,
    bytes_programmed: raw.st.bytes,
    reads: raw.st.reads,
    bytes_read: raw.st.readBytes,
    format: raw.format,
    wear: { min: Math.min(...raw.wear), max: Math.max(...raw.wear), mean: round(mean) },
    memory: raw.memory,
    fsck: raw.fsck,
    verify: raw.verify,
    payload_matches_host: raw.crc_last_record === hostRecord && raw.crc_last_config === hostConfig,
  };
}

/** The interpreter half: every binary in `espruino` (or $ESPRUINO_BIN), or `{ skipped }`. */
export async function runInterpreter(options: InterpreterOptions = {}): Promise<InterpreterResult> {
  const spec = options.espruino ?? process.env.ESPRUINO_BIN;
  if (!spec) return { skipped: "no interpreter: set ESPRUINO_BIN or pass --espruino PATH (an Espruino binary built for Linux)" };
  const bins = spec.split(",").map((s) => s.trim()).filter(Boolean);
  const missing = bins.filter((b) => !existsSync(b));
  if (missing.length) return { skipped: `no interpreter at ${missing.join(", ")}` };
  const records = Number(options.records ?? 20000);
  if (!Number.isInteger(records) || records < 1) throw new Error(`--interpreter-records: not a positive integer: ${options.records}`);
  const sector = Number(options.sector ?? 4096);
  if (sector !== 4096 && sector !== 1024) throw new Error(`--interpreter-sector: 4096 or 1024, not ${options.sector}`);
  const timeout = Number(options.timeout ?? 900);
  const progress = options.progress ?? ((line: string) => process.stderr.write(line + "\n"));
  const root = findRoot(options.cwd ?? import.meta.dirname);
  const fsBundle = await fsDeviceBundle(root);
  const driverViolations = checkDriver();
  if (driverViolations.length) throw new Error("the interpreter driver fails the dialect gate:\n" + driverViolations.join("\n"));
  const runs: InterpreterRun[] = [];
  for (const bin of bins) runs.push(await runOne(bin, fsBundle, records, sector, timeout, progress));
  return { runs, fs_bundle_bytes: Buffer.byteLength(fsBundle), gate_violations: 0 };
}

/** Any run that did not finish, failed fsck, or lost a record. */
export function interpreterFailed(r: InterpreterResult): boolean {
  return "runs" in r && r.runs.some((x) => x.partial || !x.fsck?.ok || !x.verify?.ok || x.payload_matches_host === false);
}

export function renderInterpreter(r: InterpreterResult): string {
  if (!("runs" in r)) return `interpreter: skipped: ${r.skipped}`;
  const lines: string[] = [];
  for (const x of r.runs) {
    const g = x.geometry;
    lines.push(`LOGCFG W0 on the real interpreter ${x.version ? `(Espruino ${x.version}, ${x.variables_total} variables of ${x.blocksize} B)` : ""}: ${x.binary}`);
    lines.push(`  extent: require("Flash"), ${g.sectors} × ${g.sector_bytes} B at ${g.base} (${g.pages_per_sector} erasePage per sector erase); fs code ${r.fs_bundle_bytes} B, passes the gate`);
    lines.push(`  records ${x.records_done} of ${x.records_target}${x.partial ? " (PARTIAL)" : ""}, ${x.workload_seconds} s on the interpreter (${x.process_seconds} s process), ${x.records_per_second} records/s`);
    if (x.partial) {
      lines.push(`  ${x.error}`);
      continue;
    }
    const same = x.same_as_simulator === undefined ? "" : x.same_as_simulator ? " (= the simulated W0)" : " (DIFFERS from the simulated W0)";
    lines.push(`  erases ${x.erases} (${x.erase_pages} pages; format ${x.format.erases}), programs ${x.programs}, bytes programmed ${x.bytes_programmed}${same}, reads ${x.reads} / ${x.bytes_read} B`);
    lines.push(`  wear min/max/mean ${x.wear.min}/${x.wear.max}/${x.wear.mean}`);
    const m = x.memory;
    lines.push(`  variables: after load ${m.after_load}; fresh mount ${m.fresh_mount.before} → ${m.fresh_mount.after} (+${m.fresh_mount.after - m.fresh_mount.before}), E.getSizeOf(fs) ${m.fresh_mount.size_of_fs}`);
    lines.push(`             aged mount ${m.aged_mount.before} → ${m.aged_mount.after} (+${m.aged_mount.after - m.aged_mount.before}), E.getSizeOf(fs) ${m.aged_mount.size_of_fs}; extent + services ${m.size_of_extent_services}; peak with log + config open ${m.two_open_usage}`);
    const f = x.fsck!;
    lines.push(`  fsCheck: ${f.ok ? "ok" : "FAIL"} (${f.used} sectors used, ${f.records} records, ${f.bad} bad, ${f.torn} torn, ${f.files} files)`);
    const v = x.verify!;
    lines.push(`  read-back: ${v.ok ? "every record verifies" : "FAIL"} (${v.records_verified} of ${v.records_expected} retained records, config v${v.config_version} ${v.config_ok ? "ok" : "WRONG"})${v.detail ? " " + v.detail : ""}; payloads equal the host's: ${x.payload_matches_host ? "yes" : "NO"}`);
  }
  return lines.join("\n");
}

// `npx tsx tools/bench/fs-interpreter.ts --espruino PATH [--records N] [--sector 1024] [--timeout S] [--json]`
if (ranDirectly(import.meta.url, "fs-interpreter.ts")) {
  const argv = process.argv.slice(2);
  const value = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  runInterpreter({ espruino: value("--espruino"), records: value("--records"), sector: value("--sector"), timeout: value("--timeout") }).then((r) => {
    process.stdout.write((argv.includes("--json") ? JSON.stringify(r, null, 2) : renderInterpreter(r)) + "\n");
    if (interpreterFailed(r)) process.exitCode = 1;
  });
}
