/**
 * Model-based tests (reentrant, littlefs style): random operations against a
 * plain in-memory model, with remounts, idle GC, and power cuts (clean and
 * torn) at random flash operations. After a cut: fresh RAM, mount, and every
 * file must be what the model allows: synced bytes present, at most the
 * unsynced ones extra, a replace either old or new, never torn.
 * A failure prints fast-check's seed and path, so it can be re-run alone.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NorFlash, PowerCut, type CutMode } from "../../../hal/sim/flash.ts";
import type { Fs, FsConfig } from "../../../libos/fs/fs.ts";
import {
  ENOSPC, OPEN_APPEND, OPEN_CREATE, OPEN_REPLACE,
  fileClose, fileOpen, fileSync, fileWrite, fsCheck, fsFormat, fsGc, fsList, fsMount, fsRemove, fsStat, fsUnmount,
} from "../../../libos/fs/index.ts";
import { norExtent } from "../../../tools/fs/extent.ts";
import { bytes, services, slurp } from "./helpers.ts";

type Op =
  | { op: "append"; f: number; n: number; seed: number }
  | { op: "sync"; f: number }
  | { op: "replace"; f: number; n: number; seed: number }
  | { op: "remove"; f: number }
  | { op: "close"; f: number }
  | { op: "remount" }
  | { op: "gc"; budget: number }
  | { op: "cut"; after: number; mode: CutMode }
  | { op: "burst"; f: number; n: number; seed: number };

const NAMES = ["a", "log.1", "config", "static.bin", "x".repeat(28)];
let nospc = 0;
let cuts = 0;

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ op: fc.constant("append" as const), f: fc.nat(4), n: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 1500 })), seed: fc.nat() }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant("sync" as const), f: fc.nat(4) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("replace" as const), f: fc.nat(4), n: fc.integer({ min: 0, max: 900 }), seed: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("remove" as const), f: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("close" as const), f: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.constant({ op: "remount" as const }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("gc" as const), budget: fc.integer({ min: 1, max: 6 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("cut" as const), after: fc.nat(60), mode: fc.constantFrom<CutMode>("clean", "torn") }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("burst" as const), f: fc.nat(4), n: fc.integer({ min: 1000, max: 12000 }), seed: fc.nat() }) },
);

/** What a file may hold: synced prefix `durable` of `content`, or (while a replace/remove/create is in flight) an alternative. */
interface Entry {
  content: Uint8Array;
  durable: number;
}

class Model {
  files = new Map<string, Entry>();
  /** The state the in-flight operation would leave, per touched name (null = absent). */
  alt = new Map<string, Entry | null>();

  append(name: string, data: Uint8Array): void {
    const e = this.files.get(name)!;
    const c = new Uint8Array(e.content.length + data.length);
    c.set(e.content);
    c.set(data, e.content.length);
    e.content = c;
  }

  /** Does what the FS shows for `name` fit `e`? */
  static fits(e: Entry | null | undefined, got: Uint8Array | null): boolean {
    if (!e) return got === null;
    if (got === null) return false;
    if (got.length < e.durable || got.length > e.content.length) return false;
    for (let i = 0; i < got.length; i++) if (got[i] !== e.content[i]) return false;
    return true;
  }
}

function add(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Run ops against the FS and the model; returns a failure message or null. */
export function execute(ops: Op[], count: number, sector: number, config: FsConfig, seed: number, idle = true): string | null {
  const chip = new NorFlash({ base: 0, size: count * sector, sectorSize: sector, pageSize: 256 }, { seed });
  if (fsFormat(norExtent(chip), services, config) !== 0) return "format failed";
  const mount = (): Fs => {
    const fs = fsMount(norExtent(chip), services, config);
    if (typeof fs === "number") throw new Error(`mount returned ${fs}`);
    return fs;
  };
  let fs = mount();
  const model = new Model();
  const handles = new Map<string, number>();
  const close = (name: string): string | null => {
    const h = handles.get(name)!;
    handles.delete(name);
    const e = model.files.get(name)!;
    model.alt.set(name, { content: e.content, durable: e.durable });
    const r = fileClose(fs, h);
    model.alt.clear();
    if (r === ENOSPC) {
      // Unsynced appends are dropped, but full buffers flushed earlier stay: observe.
      const st = fsStat(fs, name);
      if (typeof st === "number") return `stat ${name} returned ${st}`;
      if (st.size < e.durable || st.size > e.content.length) return `${name}: ${st.size} bytes after a failed close, model ${e.durable}..${e.content.length}`;
      e.content = e.content.subarray(0, st.size);
      e.durable = st.size;
    } else if (r < 0) return `close returned ${r}`;
    else e.durable = e.content.length;
    return null;
  };
  const handle = (name: string): number => {
    let h = handles.get(name);
    if (h === undefined) {
      if (handles.size >= 3) {
        const bad = close(handles.keys().next().value as string);
        if (bad) throw new Error(bad);
      }
      const existed = model.files.has(name);
      if (!existed) model.alt.set(name, { content: new Uint8Array(0), durable: 0 });
      h = fileOpen(fs, name, OPEN_CREATE | OPEN_APPEND);
      if (h === ENOSPC) return -1;
      if (h < 0) throw new Error(`open ${name} returned ${h}`);
      if (!existed) model.files.set(name, { content: new Uint8Array(0), durable: 0 });
      model.alt.clear();
      handles.set(name, h);
    }
    return h;
  };
  /** After a cut: fresh RAM, mount, compare, adopt what is there. */
  const recover = (): string | null => {
    chip.clearCut();
    handles.clear();
    fs = mount();
    const seen = new Set(fsList(fs).map((f) => f.name));
    for (const name of new Set([...model.files.keys(), ...model.alt.keys(), ...seen])) {
      const got = seen.has(name) ? (slurp(fs, name) as Uint8Array) : null;
      if (typeof got === "number") return `${name}: unreadable (${got})`;
      const now = model.files.get(name);
      const alt = model.alt.get(name);
      if (!Model.fits(now, got) && !(model.alt.has(name) && Model.fits(alt, got))) {
        return `${name}: found ${got === null ? "nothing" : got.length + " bytes"}, model has ${now ? `${now.durable}..${now.content.length}` : "nothing"}${model.alt.has(name) ? ` or ${alt ? alt.durable + ".." + alt.content.length : "nothing"}` : ""}`;
      }
      if (got === null) model.files.delete(name);
      else model.files.set(name, { content: got.slice(), durable: got.length });
    }
    model.alt.clear();
    const report = fsCheck(fs);
    if (!report.ok) return `fsck after recovery: ${JSON.stringify(report.problems)}`;
    return null;
  };

  for (const o of ops) {
    try {
      switch (o.op) {
        case "append": {
          const name = NAMES[o.f];
          const h = handle(name);
          if (h < 0) break;
          const data = bytes(o.n, o.seed);
          const e = model.files.get(name)!;
          model.alt.set(name, { content: add(e.content, data), durable: e.durable });
          const r = fileWrite(fs, h, data);
          model.alt.clear();
          if (r === ENOSPC) break;
          if (r < 0) return `append returned ${r}`;
          model.append(name, data.subarray(0, r));
          break;
        }
        case "burst": {
          const name = NAMES[o.f];
          const h = handle(name);
          if (h < 0) break;
          const data = bytes(o.n, o.seed);
          let full = false;
          for (let at = 0; at < data.length && !full; at += 200) {
            const part = data.subarray(at, at + 200);
            const e = model.files.get(name)!;
            model.alt.set(name, { content: add(e.content, part), durable: e.durable });
            const w = fileWrite(fs, h, part);
            if (w === ENOSPC) full = true;
            else if (w < 0) return `burst append returned ${w}`;
            else model.append(name, part.subarray(0, w));
            if (!full) {
              const r = fileSync(fs, h);
              if (r === ENOSPC) full = true;
              else if (r < 0) return `burst sync returned ${r}`;
              else e.durable = e.content.length;
            }
            model.alt.clear();
            if (idle && at % 1000 === 0) fsGc(fs, 2);
          }
          if (full) nospc++;
          break;
        }
        case "sync": {
          const name = NAMES[o.f];
          const h = handles.get(name);
          if (h === undefined) break;
          const r = fileSync(fs, h);
          if (r === ENOSPC) break;
          if (r < 0) return `sync returned ${r}`;
          const e = model.files.get(name)!;
          e.durable = e.content.length;
          break;
        }
        case "close": {
          const name = NAMES[o.f];
          if (!handles.has(name)) break;
          const bad = close(name);
          if (bad) return bad;
          break;
        }
        case "replace": {
          const name = NAMES[o.f];
          if (handles.has(name)) {
            const bad = close(name);
            if (bad) return bad;
          }
          const data = bytes(o.n, o.seed);
          model.alt.set(name, { content: data, durable: data.length });
          const h = fileOpen(fs, name, OPEN_REPLACE);
          if (h < 0) return `replace open returned ${h}`;
          const w = fileWrite(fs, h, data);
          const r = fileClose(fs, h);
          model.alt.clear();
          if (w === ENOSPC || r === ENOSPC || (w >= 0 && w < data.length)) {
            if (r === 0) return "replace: close succeeded after a short write";
            break;
          }
          if (r < 0 || w < 0) return `replace returned ${w}/${r}`;
          model.files.set(name, { content: data, durable: data.length });
          break;
        }
        case "remove": {
          const name = NAMES[o.f];
          if (handles.has(name)) {
            const bad = close(name);
            if (bad) return bad;
          }
          if (!model.files.has(name)) break;
          model.alt.set(name, null);
          const r = fsRemove(fs, name);
          model.alt.clear();
          if (r < 0) return `remove returned ${r}`;
          model.files.delete(name);
          break;
        }
        case "remount": {
          for (const [name] of handles) {
            const e = model.files.get(name)!;
            model.alt.set(name, { content: e.content, durable: e.content.length });
          }
          const r = fsUnmount(fs);
          model.alt.clear();
          handles.clear();
          if (r !== ENOSPC && r < 0) return `unmount returned ${r}`;
          if (r === 0) for (const e of model.files.values()) e.durable = e.content.length;
          fs = mount();
          const bad = recover();
          if (bad) return `after remount: ${bad}`;
          break;
        }
        case "gc": {
          if (!idle) break;
          const r = fsGc(fs, o.budget);
          if (r < 0) return `gc returned ${r}`;
          break;
        }
        case "cut":
          chip.cutAt(chip.ops + o.after, o.mode);
          break;
      }
    } catch (e) {
      if (!(e instanceof PowerCut)) throw e;
      cuts++;
      const bad = recover();
      if (bad) return `after ${e.message} during ${o.op}: ${bad}`;
    }
  }
  chip.clearCut();
  // Finally: a clean unmount and remount keeps everything synced.
  const unsynced = new Map<string, number>();
  for (const [name] of handles) unsynced.set(name, model.files.get(name)!.durable);
  const r = fsUnmount(fs);
  if (r < 0 && r !== ENOSPC) return `final unmount returned ${r}`;
  fs = mount();
  for (const [name, e] of model.files) {
    const got = slurp(fs, name);
    if (typeof got === "number") return `final: ${name} unreadable (${got})`;
    const min = r === ENOSPC && unsynced.has(name) ? e.durable : e.content.length;
    if (!Model.fits({ content: e.content, durable: min }, got)) return `final: ${name} has ${got.length} bytes, expected ${min}..${e.content.length}`;
  }
  return fsCheck(fs).ok ? null : `final fsck: ${JSON.stringify(fsCheck(fs).problems)}`;
}

describe("libos/fs against a model (reentrant)", () => {
  it.each([
    ["8 x 4 KiB", 8, 4096, { files: 8 }],
    ["6 x 4 KiB, small buffer", 6, 4096, { files: 8, buffer: 64 }],
    ["24 x 1 KiB", 24, 1024, {}],
    ["8 x 4 KiB, no idle GC", 8, 4096, { files: 8 }, false],
    ["6 x 4 KiB, small buffer, no idle GC", 6, 4096, { files: 8, buffer: 64 }, false],
    ["24 x 1 KiB, no idle GC", 24, 1024, {}, false],
  ] as [string, number, number, FsConfig, boolean?][])("random ops, remounts and power cuts on %s keep every synced byte", (_, count, sector, config, idle = true) => {
    nospc = 0;
    cuts = 0;
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 10, maxLength: 160 }), fc.integer({ min: 1, max: 1 << 30 }), (ops, seed) => {
        const failure = execute(ops, count, sector, config, seed, idle);
        expect(failure).toBeNull();
      }),
      { numRuns: Number(process.env.FS_MODEL_RUNS ?? 150) },
    );
    // The runs must reach the interesting states, or the property proves little.
    expect(cuts).toBeGreaterThan(50);
    expect(nospc).toBeGreaterThan(5);
  });

  it("regression: remove after torn cuts and a budget-1 GC on a full 6 x 4 KiB device does not return ENOSPC", () => {
    // CI: fast-check seed 1855760256, shrunk (property seed 1). Data filled the sector GC had opened out of
    // the reserve (reclaim left half done), then the one the first remove opened: the second remove had no room.
    const ops: Op[] = [
      { op: "burst", f: 4, n: 3501, seed: 0 },
      { op: "append", f: 0, n: 17, seed: 0 },
      { op: "append", f: 3, n: 9, seed: 0 },
      { op: "cut", after: 3, mode: "torn" },
      { op: "append", f: 0, n: 193, seed: 0 },
      { op: "burst", f: 1, n: 10585, seed: 0 },
      { op: "cut", after: 1, mode: "torn" },
      { op: "append", f: 0, n: 1, seed: 0 },
      { op: "remove", f: 0 },
      { op: "append", f: 0, n: 1, seed: 0 },
      { op: "close", f: 0 },
      { op: "burst", f: 0, n: 1000, seed: 0 },
      { op: "gc", budget: 1 },
      { op: "append", f: 0, n: 1, seed: 0 },
      { op: "gc", budget: 1 },
      { op: "sync", f: 0 },
      { op: "remove", f: 0 },
    ];
    expect(execute(ops, 6, 4096, { files: 8, buffer: 64 }, 1)).toBeNull();
  });

  it("fills the device with no idle GC at all: ENOSPC, nothing synced is lost, removing a file makes room again", () => {
    const ops: Op[] = [];
    for (let i = 0; i < 400; i++) ops.push({ op: "append", f: i % 3, n: 700, seed: i }, { op: "sync", f: i % 3 });
    ops.push({ op: "remove", f: 0 }, { op: "remove", f: 1 });
    for (let i = 0; i < 30; i++) ops.push({ op: "append", f: 3, n: 500, seed: i }, { op: "sync", f: 3 });
    expect(execute(ops, 8, 4096, { files: 8 }, 7, false)).toBeNull();
  });

  it("fills the device: ENOSPC, nothing synced is lost, removing a file makes room again", () => {
    const ops: Op[] = [];
    for (let i = 0; i < 400; i++) ops.push({ op: "append", f: i % 3, n: 700, seed: i }, { op: "sync", f: i % 3 });
    ops.push({ op: "remove", f: 0 }, { op: "remove", f: 1 });
    for (let i = 0; i < 30; i++) ops.push({ op: "append", f: 3, n: 500, seed: i }, { op: "sync", f: 3 }, { op: "gc", budget: 2 });
    expect(execute(ops, 8, 4096, { files: 8 }, 7)).toBeNull();
  });
});
