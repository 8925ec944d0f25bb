/**
 * The object face of libos/fs (libos/fs/file.ts) over the simulated NOR
 * chip: open/write/read/sync/close/remove/list/stat/gc/unmount, errors as
 * Error objects with the negative errno as `code` and a message naming the
 * operation and the file; it passes the dialect gate, runs confined in an
 * app on the simulator, and an app that does not import it carries none of
 * it (tree-shaken).
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findBoard } from "../../../hal/boards.ts";
import { SimDevice } from "../../../hal/sim/device.ts";
import { EBADF, EBUSY, ECORRUPT, EEXIST, EINVAL, ENAMETOOLONG, ENOENT, ENOSPC, OPEN_APPEND, OPEN_CREATE, fileOpen, fileWrite, fsMount } from "../../../libos/fs/index.ts";
import { files, type File } from "../../../libos/fs/file.ts";
import { libraryBundle } from "../../../tools/build/library.ts";
import { checkBundle } from "../../../tools/gate/check.ts";
import { build } from "../../firmware/helpers.ts";
import { bytes, rig, services, slurp } from "./helpers.ts";

const root = join(import.meta.dirname, "../../..");

/** The Error `fn` throws: its code and message. */
function thrown(fn: () => unknown): { code: unknown; message: string } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(Error);
    return { code: (e as { code?: unknown }).code, message: (e as Error).message };
  }
  throw new Error("did not throw");
}

describe("libos/fs object face (file.ts)", () => {
  it("opens, writes, syncs, reads and closes; the bytes are the C-style calls' bytes", () => {
    const r = rig(8, 4096);
    const fs = files(r.fs);
    expect(fs.raw).toBe(r.fs);
    const log = fs.open("log.a", "a");
    expect(log.name).toBe("log.a");
    expect(log.write(bytes(100, 1))).toBe(100);
    expect(log.write("hello\n")).toBe(6);
    expect(log.size()).toBe(106);
    log.sync();
    // Detached methods work (closures, no `this`).
    const write = log.write;
    write(new Uint8Array([1, 2, 3]));
    log.close();
    const expected = new Uint8Array(109);
    expected.set(bytes(100, 1));
    expected.set(new TextEncoder().encode("hello\n"), 100);
    expected.set([1, 2, 3], 106);
    expect(slurp(r.fs, "log.a")).toEqual(expected);
    // Durable: a remount (a fresh face over it) reads the same bytes.
    const again = files(r.remount());
    const f = again.open("log.a");
    expect(f.read(10)).toEqual(expected.subarray(0, 10));
    expect(f.read(10)).toEqual(expected.subarray(10, 20)); // from where the last read ended
    expect(f.read(5, 100)).toEqual(expected.subarray(100, 105));
    expect(f.read()).toEqual(expected.subarray(105)); // the rest
    expect(f.read()).toEqual(new Uint8Array(0)); // at the end
    expect(f.read(4, 0)).toEqual(expected.subarray(0, 4));
    expect(f.read(50, 200)).toEqual(new Uint8Array(0)); // past the end
    f.close();
  });

  it("lists, stats, replaces atomically at close, removes, collects and unmounts", () => {
    const r = rig(8, 4096);
    const fs = files(r.fs);
    fs.open("a.txt", "a").close();
    const b = fs.open("b.txt", "ax");
    b.write("bee");
    b.close();
    expect(fs.list()).toEqual([{ name: "a.txt", size: 0 }, { name: "b.txt", size: 3 }]);
    expect(fs.stat("b.txt")).toEqual({ name: "b.txt", size: 3 });
    const w = fs.open("b.txt", "w");
    w.write("new version");
    expect(fs.open("b.txt").read()).toEqual(new TextEncoder().encode("bee")); // invisible until close
    w.close();
    expect(fs.stat("b.txt").size).toBe(11);
    fs.remove("a.txt");
    expect(fs.list().map((x) => x.name)).toEqual(["b.txt"]);
    expect(typeof fs.gc(4)).toBe("boolean");
    // Numeric flags are fileOpen's.
    const n = fs.open("c.bin", OPEN_APPEND | OPEN_CREATE);
    n.write(bytes(10, 2));
    fs.unmount(); // closes (and flushes) every open file
    expect(slurp(r.remount(), "c.bin")).toEqual(bytes(10, 2));
  });

  it("throws Errors with the errno as code and a message naming the operation and the file", () => {
    const r = rig(8, 4096);
    const fs = files(r.fs);
    expect(thrown(() => fs.open("missing.txt"))).toEqual({ code: ENOENT, message: "open missing.txt: ENOENT (-2)" });
    expect(thrown(() => fs.open("missing.txt", "rw"))).toEqual({ code: EINVAL, message: "open missing.txt: EINVAL (-22)" });
    expect(thrown(() => fs.open("x".repeat(29), "a"))).toEqual({ code: ENAMETOOLONG, message: `open ${"x".repeat(29)}: ENAMETOOLONG (-36)` });
    expect(thrown(() => fs.stat("nope"))).toEqual({ code: ENOENT, message: "stat nope: ENOENT (-2)" });
    expect(thrown(() => fs.remove("nope"))).toEqual({ code: ENOENT, message: "remove nope: ENOENT (-2)" });
    const log = fs.open("log.a", "a");
    expect(thrown(() => fs.open("log.a", "ax"))).toEqual({ code: EEXIST, message: "open log.a: EEXIST (-17)" });
    expect(thrown(() => fs.remove("log.a"))).toEqual({ code: EBUSY, message: "remove log.a: EBUSY (-16)" });
    log.close();
    // A closed File: every method throws EBADF naming the file.
    for (const call of [(f: File) => f.write("x"), (f: File) => f.read(), (f: File) => f.sync(), (f: File) => f.size(), (f: File) => f.close()]) {
      const e = thrown(() => call(log));
      expect(e.code).toBe(EBADF);
      expect(e.message).toMatch(/^(write|read|sync|size|close) log\.a: EBADF \(-9\)$/);
    }
    // A file replaced under an open reader: the handle is stale (EBADF from fs.ts, named here).
    const reader = fs.open("log.a");
    const w = fs.open("log.a", "w");
    w.close();
    expect(thrown(() => reader.read())).toEqual({ code: EBADF, message: "read log.a: EBADF (-9)" });
    expect(thrown(() => reader.size())).toEqual({ code: EBADF, message: "size log.a: EBADF (-9)" });
    reader.close();
    // A failed mount is an Error too.
    expect(thrown(() => files(ECORRUPT))).toEqual({ code: ECORRUPT, message: "mount: ECORRUPT (-84)" });
    // After unmount: EINVAL, naming the file.
    const f = fs.open("log.a");
    fs.unmount();
    expect(thrown(() => f.read())).toEqual({ code: EINVAL, message: "read log.a: EINVAL (-22)" });
    expect(thrown(() => fs.open("log.a"))).toEqual({ code: EINVAL, message: "open log.a: EINVAL (-22)" });
    expect(thrown(() => fs.list()).code).toBe(EINVAL);
  });

  it("throws ENOSPC when the device fills, and the fs stays usable", () => {
    const r = rig(6, 1024);
    const fs = files(r.fs);
    const f = fs.open("big", "a");
    let e: { code: unknown; message: string } | undefined;
    for (let k = 0; k < 100 && !e; k++) {
      try {
        f.write(bytes(200, k));
        f.sync();
      } catch (x) {
        e = { code: (x as { code?: unknown }).code, message: (x as Error).message };
      }
    }
    expect(e?.code).toBe(ENOSPC);
    expect(e?.message).toMatch(/^(write|sync) big: ENOSPC \(-28\)$/);
    // Closing flushes what was not synced: that fails too (the file is closed anyway); what was synced stays.
    try {
      f.close();
    } catch (x) {
      expect((x as { code?: unknown }).code).toBe(ENOSPC);
    }
    expect(thrown(() => f.size()).code).toBe(EBADF);
    expect(fs.stat("big").size % 200).toBe(0);
    fs.remove("big");
    const g = fs.open("small", "a");
    g.write("ok");
    g.sync();
    expect(fs.stat("small").size).toBe(2);
  });

  it("works beside the C-style calls on the same fs", () => {
    const r = rig(8, 4096);
    const h = fileOpen(r.fs, "c.log", OPEN_APPEND | OPEN_CREATE);
    fileWrite(r.fs, h, bytes(40, 3));
    const fs = files(r.fs);
    expect(fs.open("c.log").read()).toEqual(bytes(40, 3)); // buffered bytes too
    expect(typeof fsMount(r.extent, services)).toBe("object");
  });
});

describe("the object face on the device", () => {
  it("passes the dialect gate as a device bundle", async () => {
    const { code, map } = await libraryBundle(join(root, "libos/fs/file.ts"), "exoFile");
    const violations = checkBundle(code, { file: "libos-fs-file.js", map });
    expect(violations.map((v) => `${v.file}:${v.line} ${v.construct}: ${v.hint}`)).toEqual([]);
    expect(code).toContain("files:");
  });

  it("runs confined in an app on the simulator, and an app that does not import it carries none of it", async () => {
    const face = await build(["fsface"]);
    const plain = await build(["fsc"]);
    // The face's own text (its operation and errno names) is in the app that imports it, and only there.
    expect(face.code).toContain("ENAMETOOLONG");
    expect(plain.code).not.toContain("ENAMETOOLONG");
    expect(plain.code).not.toContain("unmount mount");
    expect(face.code).toContain("unmount mount");
    // Minified, each File method is a one-line call (NOINLINE kept fs.ts's bodies out of the closures).
    expect(face.code.replace(/\n/g, "")).toMatch(/write:\w+=>\w+\(\w+,\w+\),read:\(\w+,\w+\)=>\w+\(\w+,\w+,\w+\),/);
    const runs: Record<string, string[]> = {};
    for (const [name, built] of [["fsface", face], ["fsc", plain]] as const) {
      const device = new SimDevice({ board: findBoard(built.board), seed: 1 });
      device.boot(built.code, { file: built.file, map: built.map });
      device.run(2100);
      expect(device.state).toBe("running");
      runs[name] = device.console.map((c) => c.line).filter((l) => l.startsWith(name + ":"));
    }
    expect(runs.fsface).toEqual(["fsface: open log.a: ENOENT (-2) code -2", "fsface: #5 synced", "fsface: #10 synced"]);
    expect(runs.fsc).toEqual(["fsc: #5 synced", "fsc: #10 synced"]);
  }, 120_000);
});
