/**
 * Upload a firmware image into Storage: verified, resumable, skipped when unchanged, switched atomically.
 *
 * Usage:
 *   const client = new ProtocolClient(link, { timers });
 *   const report = await flashImage(client, { data: bundleBytes, timers, onProgress });
 *
 * Errors: FlashError with `kind`: "no-device" (nothing answers an EVAL),
 * "nak" (the device refuses packets), "crc" (what Storage holds does not
 * match after `restarts` fresh attempts), "closed" (the link went away:
 * run again, it resumes), "space" (Storage cannot hold the image).
 *
 * Contract (boot-stub.ts has the on-device half):
 *  1. Ask the device what would boot now; the same CRC and length → skip.
 *  2. The image goes to `exo.<crc>` with FILE_SEND/DATA. If that file is
 *     already there (a broken earlier upload), the device checks the CRC of
 *     each packet-sized block against the host's list; the verified prefix is
 *     kept and the upload continues after it (FILE_SEND with `offs`), if the
 *     rest is still erased; otherwise the file starts over.
 *  3. Every `windowBytes`, and at the end, the device computes `E.CRC32`
 *     over what it stored (a DATA ACK does not prove the write, see
 *     hal/sim/repl.ts). On a mismatch the device finds the first bad packet,
 *     copies the verified part into the other staging name
 *     (`exo.<crc>` ⇄ `exo.<crc>.b`; Storage cannot rewrite bytes) and the
 *     upload goes on from there, at most `restarts` times.
 *  4. `.bootcde` is set to the stub if it is not already (once per device).
 *  5. Commit: `exo.ok.<g+1>` = {f, c, n}, read back. Only now does the new
 *     image boot. Then older markers and images are erased (safe: the stub
 *     prefers the highest verified generation).
 */
import { crc32 } from "node:zlib";
import { BOOT_STUB, imageName, IMAGE_PREFIX, MARKER_PREFIX, markerName, SELECT_FUNCTION, STUB_FILE } from "./boot-stub.ts";
import { CLEAR_LINE, ProtocolError, type ProtocolClient } from "./protocol.ts";
import { PACKET_TIMEOUT_MS } from "../../hal/packet.ts";
import { sleep, type Timers } from "./host-timers.ts";

export type FlashErrorKind = "no-device" | "nak" | "crc" | "closed" | "space" | "board";

export class FlashError extends Error {
  constructor(
    readonly kind: FlashErrorKind,
    message: string,
    /** Bytes of the image verified on the device when it failed (what a retry will not resend). */
    readonly verifiedBytes = 0,
  ) {
    super(message);
    this.name = "FlashError";
  }
}

export interface FlashImageOptions {
  data: Uint8Array;
  timers: Timers;
  /** DATA payload bytes. Default 1024. */
  packetSize?: number;
  /** Bytes between on-device CRC checks during the upload. Default 16384. */
  windowBytes?: number;
  /** Repairs in a row that verify nothing new before giving up. Default 3. */
  restarts?: number;
  /** Upload even if the device already boots this image. */
  force?: boolean;
  /** Restart the device into the new image (`load()`) when done. Default true. */
  run?: boolean;
  /** The board the bundle was built for (esp32, linux): refuse a device that reports another. */
  board?: string;
  /** Called with (bytes of the image on the device, total). */
  onProgress?: (done: number, total: number) => void;
}

export interface FlashReport {
  action: "flashed" | "resumed" | "skipped";
  image: string;
  generation: number;
  bytes: number;
  crc32: number;
  /** Bytes found verified on the device before this upload (resume). */
  resumedFrom: number;
  /** Image bytes sent in DATA packets this time. */
  sentBytes: number;
  /** Repairs after a CRC mismatch. */
  restarts: number;
  /** The boot stub was (re)written. */
  stubWritten: boolean;
  /** Older images and markers erased after the commit. */
  erased: string[];
  packets: number;
  retries: number;
  naks: number;
  /** Upload + verify time (excluding the query and the commit), ms on the given timers. */
  transferMs: number;
  /** Everything, ms. */
  totalMs: number;
  /** Image bytes ÷ transfer seconds. */
  bytesPerSecond: number;
}

interface DeviceState {
  /** What boots now. */
  boot?: { f: string; g: number; c: number; n: number };
  stub: { n: number; c: number } | null;
  free: number;
  /** Generations of every marker present. */
  gens: number[];
  /** Image files present, with lengths. */
  images: [string, number][];
  /** process.env.BOARD */
  env: string;
}

const QUERY =
  `(function(){var S=require("Storage"),b=S.read(${JSON.stringify(STUB_FILE)}),l=S.list(/^exo\\./);` +
  `return{env:process.env.BOARD,boot:(${SELECT_FUNCTION})(),stub:b?{n:b.length,c:E.CRC32(b)}:null,free:S.getFree(),` +
  `gens:l.filter(function(n){return n.substr(0,7)=="exo.ok.";}).map(function(n){return +n.substr(7);}),` +
  `images:l.filter(function(n){return /^exo\\.[0-9a-f]{8}(\\.b)?$/.test(n);}).map(function(n){return[n,S.read(n).length];})};})()`;

const bytesOfText = (text: string) => Uint8Array.from(Buffer.from(text, "latin1"));
const STUB_BYTES = bytesOfText(BOOT_STUB);
/** CRCs per eval, so the request stays far below the 8191-byte packet limit. */
const CRCS_PER_QUERY = 400;

/** Run a protocol step; protocol failures become FlashErrors a person can act on. */
async function step<T>(what: string, verified: () => number, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ProtocolError) {
      const kind: FlashErrorKind = error.kind === "closed" ? "closed" : error.kind === "nak" ? "nak" : error.kind === "no-answer" ? "no-device" : "nak";
      throw new FlashError(kind, `${what}: ${error.message}`, verified());
    }
    throw error;
  }
}

export async function flashImage(client: ProtocolClient, options: FlashImageOptions): Promise<FlashReport> {
  const { data, timers } = options;
  const started = timers.now();
  const packetSize = options.packetSize ?? 1024;
  const windowBytes = Math.max(packetSize, Math.floor((options.windowBytes ?? 16384) / packetSize) * packetSize);
  const crc = crc32(data);
  const name = imageName(crc);
  // Two staging names: after a corrupt window the good prefix is copied (on the device) to the other one.
  const alternate = name + ".b";
  const total = data.length;
  let verified = 0;
  const at = () => verified;
  const base = { ...client.stats };
  const counters = () => ({
    packets: client.stats.packets - base.packets,
    retries: client.stats.retries - base.retries,
    naks: client.stats.naks - base.naks,
  });

  // Wake up: erase a half-typed line; then a first EVAL proves someone answers.
  await step("no device answering", at, async () => {
    await client.raw(CLEAR_LINE);
    if (await client.ping()) return;
    // Silence: maybe the device is inside a packet an earlier session left half-sent (our ping became
    // its payload). Its own packet timeout clears that; then try once more.
    await sleep(timers, PACKET_TIMEOUT_MS);
    await client.raw(CLEAR_LINE);
    if (!(await client.ping())) throw new ProtocolError("no-answer", `no answer to an EVAL packet, twice, 8 s apart, on ${client.link.description}`);
  });
  const state = await step("reading the device's Storage", at, () => client.evalJSON<DeviceState>(QUERY, 20_000));
  if (options.board && !boardMatches(options.board, state.env)) {
    throw new FlashError("board", `the bundle was built for ${options.board}, but the device is a ${state.env}`);
  }
  const stubOk = state.stub?.n === STUB_BYTES.length && state.stub.c === crc32(STUB_BYTES);
  const generation = Math.max(0, ...state.gens) + 1;

  if (!options.force && stubOk && state.boot && state.boot.c === crc && state.boot.n === total) {
    options.onProgress?.(total, total);
    return {
      action: "skipped", image: state.boot.f, generation: state.boot.g, bytes: total, crc32: crc, resumedFrom: total, sentBytes: 0,
      restarts: 0, stubWritten: false, erased: [], ...counters(), transferMs: 0, totalMs: timers.now() - started, bytesPerSecond: 0,
    };
  }

  // Images that neither boot now nor are this one: erase them first, to make room.
  const existing = state.images.find(([f]) => (f === name || f === alternate) && f !== state.boot?.f);
  const stale = state.images.map(([f]) => f).filter((f) => f !== existing?.[0] && f !== state.boot?.f);
  if (stale.length) await step("erasing stale images", at, () => client.eval(`${JSON.stringify(stale)}.forEach(function(f){require("Storage").erase(f);})`));
  const free = state.free + stale.reduce((n, f) => n + (state.images.find(([g]) => g === f)?.[1] ?? 0) + 32, 0);
  if (!existing && free < total + 256) {
    // Storage compacts by itself when a file does not fit; that is fine unless even that cannot help.
    const stats = await step("reading Storage stats", at, () => client.evalJSON<{ totalBytes: number; fileBytes: number }>('require("Storage").getStats()'));
    if (stats.totalBytes - stats.fileBytes < total + 256) {
      throw new FlashError("space", `Storage has room for ${stats.totalBytes - stats.fileBytes} bytes, the image needs ${total + 256}`);
    }
  }

  // Resume: how much of an earlier upload of this very image is verified?
  const transferStart = timers.now();
  let resumedFrom = 0;
  // The file being written: a new image goes to `name` unless `name` is what boots now (forced re-flash).
  let file = existing ? existing[0] : state.boot?.f === name ? alternate : name;
  if (existing && existing[1] === total) {
    resumedFrom = await step("checking the earlier upload", at, () => verifiedPrefix(client, file, data, packetSize));
  } else if (existing) {
    await step("erasing a wrong-sized image", at, () => client.eval(`require("Storage").erase(${JSON.stringify(file)})`));
  }
  verified = resumedFrom;
  options.onProgress?.(verified, total);

  let sent = 0;
  let restarts = 0;
  /** Repairs in a row that gained nothing. */
  let stuck = 0;
  const maxRestarts = options.restarts ?? 3;
  while (verified < total) {
    const end = Math.min(total, verified + windowBytes);
    const chunk = data.subarray(verified, end);
    const from = verified;
    await step(`uploading ${file} at ${from}`, at, () =>
      client.sendFile(file, chunk, { offset: from, size: total, packetSize, onProgress: (n) => options.onProgress?.(from + n, total) }),
    );
    sent += chunk.length;
    const stored = await step("verifying a window", at, () => client.eval(`E.CRC32(require("Storage").read(${JSON.stringify(file)},${from},${end - from}))`));
    if (stored === crc32(chunk)) {
      verified = end;
      continue;
    }
    restarts++;
    if (++stuck > maxRestarts) {
      throw new FlashError("crc", `CRC mismatch in ${file} at ${from}..${end} after ${maxRestarts} repairs in a row that gained nothing: the link corrupts data`, verified);
    }
    // Storage cannot rewrite bytes: keep the verified packets, copied on the device into the other staging file.
    const good = from + (await step("locating the corrupt packet", at, () => goodBytes(client, file, data, packetSize, from, end)));
    const other = file === name ? alternate : name;
    await step("copying the verified part", at, () =>
      client.eval(
        `(function(a,b,g,n){var S=require("Storage");S.erase(b);for(var o=0;o<g;o+=4096)S.write(b,S.read(a,o,Math.min(4096,g-o)),o,n);S.erase(a);})` +
          `(${JSON.stringify(file)},${JSON.stringify(other)},${good},${total})`,
        30_000,
      ),
    );
    file = other;
    if (good > verified) stuck = 0;
    verified = good;
    options.onProgress?.(verified, total);
  }
  const whole = await step("verifying the image", at, () => client.evalJSON<[number, number]>(`(function(c){return[c.length,E.CRC32(c)];})(require("Storage").read(${JSON.stringify(file)}))`));
  if (whole[0] !== total || whole[1] !== crc) {
    await client.eval(`require("Storage").erase(${JSON.stringify(file)})`).catch(() => undefined);
    throw new FlashError("crc", `CRC mismatch: the device holds ${whole[0]} bytes with CRC 0x${(whole[1] >>> 0).toString(16)}, expected ${total} bytes 0x${crc.toString(16)}; erased it, run again`, 0);
  }
  const transferMs = timers.now() - transferStart;

  // The stub: once per device (a cut while writing it is the one unprotected moment; README).
  let stubWritten = false;
  if (!stubOk) {
    for (let attempt = 0; !stubWritten; attempt++) {
      await step("writing the boot stub", at, () => client.sendFile(STUB_FILE, STUB_BYTES, { packetSize }));
      const stub = await step("verifying the boot stub", at, () => client.eval(`E.CRC32(require("Storage").read(${JSON.stringify(STUB_FILE)}))`));
      stubWritten = stub === crc32(STUB_BYTES);
      if (!stubWritten && attempt >= maxRestarts) throw new FlashError("crc", "the boot stub did not verify after writing it; run again", verified);
    }
  }

  // Commit: one small file. Torn or half-written, the stub skips it.
  const marker = markerName(generation);
  const record = JSON.stringify({ f: file, c: crc, n: total });
  let boots: DeviceState["boot"];
  for (let attempt = 0; attempt <= maxRestarts; attempt++) {
    // A marker that was written wrong is erased first (the write would refuse to change it).
    await step("committing", at, () =>
      client.eval(`(function(S,m,r){if(S.read(m)!==r){S.erase(m);S.write(m,r);}})(require("Storage"),${JSON.stringify(marker)},${JSON.stringify(record)})`).catch((e) => {
        if (e instanceof ProtocolError && e.kind === "eval") return undefined; // garbled on the way: check and retry
        throw e;
      }),
    );
    boots = await step("checking what boots", at, () => client.evalJSON<DeviceState["boot"]>(`(${SELECT_FUNCTION})()`).catch(() => undefined));
    if (boots && boots.f === file && boots.c === crc) break;
  }
  if (!boots || boots.f !== file || boots.c !== crc) {
    throw new FlashError("crc", `after the commit the device would boot ${boots ? boots.f : "nothing"}, not ${file}; run again`, verified);
  }

  // Clean up: older markers and their images.
  const erased = [
    ...state.gens.filter((g) => g < generation).map(markerName),
    ...(state.boot && state.boot.f !== file ? [state.boot.f] : []),
  ];
  if (erased.length) await step("erasing old generations", at, () => client.eval(`${JSON.stringify(erased)}.forEach(function(f){require("Storage").erase(f);})`));
  // load() restarts the interpreter; the answer may not come back (a TCP console closes): that is fine.
  if (options.run !== false) await client.eval("load()", 3000).catch(() => undefined);

  return {
    action: resumedFrom > 0 ? "resumed" : "flashed",
    image: file,
    generation,
    bytes: total,
    crc32: crc,
    resumedFrom,
    sentBytes: sent,
    restarts,
    stubWritten,
    erased,
    ...counters(),
    transferMs,
    totalMs: timers.now() - started,
    bytesPerSecond: transferMs > 0 ? (total - resumedFrom) / (transferMs / 1000) : 0,
  };
}

/** Bytes of `data[from..to)` that `file` holds at the same place, in whole `block`s from `from`, up to the first mismatch. */
async function goodBytes(client: ProtocolClient, file: string, data: Uint8Array, block: number, from: number, to: number): Promise<number> {
  const crcs: number[] = [];
  for (let i = from; i < to; i += block) crcs.push(crc32(data.subarray(i, Math.min(to, i + block))));
  let good = 0;
  for (let first = 0; first < crcs.length; first += CRCS_PER_QUERY) {
    const part = crcs.slice(first, first + CRCS_PER_QUERY);
    const n = Number(
      await client.eval(
        `(function(f,B,o,e,c){var S=require("Storage"),i=0;for(;i<c.length;i++){var s=o+i*B;if(E.CRC32(S.read(f,s,Math.min(B,e-s)))!=c[i])break;}return i;})` +
          `(${JSON.stringify(file)},${block},${from + first * block},${to},${JSON.stringify(part)})`,
        30_000,
      ),
    );
    good += n;
    if (n < part.length) break;
  }
  return Math.min(to - from, good * block);
}

/** Bytes at the start of `file` that match `data`, in whole blocks, if the rest is still erased; else the file is erased and 0. */
async function verifiedPrefix(client: ProtocolClient, file: string, data: Uint8Array, block: number): Promise<number> {
  const prefix = await goodBytes(client, file, data, block, 0, data.length);
  if (prefix === data.length) return prefix;
  const rest = data.length - prefix;
  const erased = crc32(new Uint8Array(rest).fill(0xff));
  const tail = await client.eval(`E.CRC32(require("Storage").read(${JSON.stringify(file)},${prefix},${rest}))`, 30_000);
  if (tail === erased) return prefix;
  await client.eval(`require("Storage").erase(${JSON.stringify(file)})`);
  return 0;
}

/** Whether the device's `process.env.BOARD` is the board a bundle was built for. */
export function boardMatches(board: string, env: string | undefined): boolean {
  if (!env) return true;
  const e = env.toUpperCase();
  if (board === "esp32") return e.startsWith("ESP32");
  if (board === "linux") return e === "LINUX";
  return true;
}

/** Names exo writes in Storage (for docs and tests). */
export const STORAGE_NAMES = { stub: STUB_FILE, image: IMAGE_PREFIX + "<crc32 hex>", marker: MARKER_PREFIX + "<generation>" };
