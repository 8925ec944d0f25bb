/**
 * `exo fs IMAGE` on a whole chip: the demo firmware runs on the simulator,
 * `exo sim --save-flash` saves the chip, and `exo fs` finds every app's file
 * system through the kernel's ledger (tools/cli/chip.ts) and reads a file of
 * each, with no --base. Bad input (an unknown app, an image without a
 * ledger, a truncated or empty image) is a UserError naming the fix.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { failed, render, run } from "../../../tools/cli/commands/fs.ts";
import { run as sim } from "../../../tools/cli/commands/sim.ts";
import { UserError } from "../../../hal/user-error.ts";
import { build } from "../../firmware/helpers.ts";

/** The first u32 of every `size`-byte record: the apps number their records 0, 1, 2, … */
const numbers = (b: Uint8Array, size: number): number[] => {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: number[] = [];
  for (let at = 0; at + size <= b.length; at += size) out.push(v.getUint32(at, true));
  return out;
};

describe("exo fs on a whole-chip image saved by exo sim --save-flash", () => {
  const dir = mkdtempSync(join(tmpdir(), "exo-chip-"));
  let chip: Uint8Array;

  beforeAll(async () => {
    // Not the whole 5-app demo: it holds ~10k of 16k variables, and on a loaded host the simulator (which
    // charges host time to the device) reads memory mid-start and stops telemetry as out of memory (#12).
    const built = await build(["blinky", "logger", "telemetry"]);
    const r = await sim({ cwd: dir, bundle: built.file, for: "5s", saveFlash: "chip.bin" });
    expect(r.state).toBe("running");
    expect(r.savedFlash).toBe(join(dir, "chip.bin"));
    chip = new Uint8Array(readFileSync(join(dir, "chip.bin")));
    expect(chip.length).toBe(0x400000);
  }, 120_000);

  it("lists every app's file system, read off the kernel's ledger", async () => {
    const r = await run({ cwd: dir, image: "chip.bin", action: undefined });
    if (r.action !== "apps") throw new Error(r.action);
    expect(r.board).toBe("esp32");
    expect(r.region).toMatchObject({ offset: 0x310000, address: 0x310000, sector: 4096 });
    expect(r.apps.map((a) => [a.app, a.base, a.sectors])).toEqual([
      ["logger", 0x312000, 6],
      ["telemetry", 0x318000, 6],
    ]);
    for (const a of r.apps) {
      expect(a.error).toBeUndefined();
      expect(a.files!.length).toBeGreaterThan(0);
      expect(a.live).toBeGreaterThan(0);
      expect(a.erases).toHaveLength(6);
    }
    const text = render(r);
    expect(text).toMatch(/logger\s+0x312000\s+6/);
    expect(text).toMatch(/telemetry\s+0x318000\s+6/);
    // `ls` without --app on a chip with several file systems shows the same listing.
    expect((await run({ cwd: dir, image: "chip.bin", action: "ls" })).action).toBe("apps");
  });

  it("reads a file of each app with --app, and the same bytes with --base", async () => {
    const log = await run({ cwd: dir, image: "chip.bin", action: "cat", name: "log.a", app: "logger" });
    if (log.action !== "cat") throw new Error(log.action);
    const logBytes = Buffer.from(log.base64, "base64");
    expect(logBytes.length).toBeGreaterThanOrEqual(8 * 20);
    const samples = numbers(logBytes, 8);
    expect(samples).toEqual(samples.map((_, i) => samples[0] + i));

    const box = await run({ cwd: dir, image: "chip.bin", action: "get", name: "outbox", app: "telemetry", out: "outbox.bin" });
    if (box.action !== "get") throw new Error(box.action);
    const boxBytes = new Uint8Array(readFileSync(join(dir, "outbox.bin")));
    expect(boxBytes.length).toBe(box.size);
    expect(boxBytes.length).toBeGreaterThanOrEqual(12 * 5);
    expect(numbers(boxBytes, 12).slice(0, 5)).toEqual([0, 1, 2, 3, 4]);
    expect(render(box)).toBe(`outbox: ${box.size} bytes written to outbox.bin`);

    const byBase = await run({ cwd: dir, image: "chip.bin", action: "cat", name: "outbox", base: "0x318000" });
    expect(byBase.action === "cat" && Buffer.from(byBase.base64, "base64")).toEqual(Buffer.from(boxBytes));
    const ls = await run({ cwd: dir, image: "chip.bin", action: "ls", app: "telemetry" });
    expect(ls.action === "ls" && ls.geometry).toEqual({ base: 0x318000, sector: 4096, count: 6 });
    const check = await run({ cwd: dir, image: "chip.bin", action: "check", app: "logger" });
    expect(check.action === "check" && check.report.ok).toBe(true);
    const wear = await run({ cwd: dir, image: "chip.bin", action: "wear", app: "telemetry" });
    expect(wear.action === "wear" && wear.erases).toHaveLength(6);
  });

  it("checks every app's file system when no --app is given, exit 1 if one is damaged", async () => {
    const all = await run({ cwd: dir, image: "chip.bin", action: "check" });
    if (all.action !== "check-all") throw new Error(all.action);
    expect(all.checks.map((c) => [c.app, c.report.ok])).toEqual([["logger", true], ["telemetry", true]]);
    expect(failed(all)).toBe(false);
    // Flipped bytes in the middle of telemetry's log: its sector in use is the one whose header has a sequence number.
    const damaged = chip.slice();
    const view = new DataView(chip.buffer);
    let used = 0x318000;
    while (view.getUint32(used + 16, true) === 0xffffffff) used += 4096;
    for (let k = 0; k < 16; k++) damaged[used + 120 + k * 4] ^= 0x5a;
    writeFileSync(join(dir, "damaged.bin"), damaged);
    const bad = await run({ cwd: dir, image: "damaged.bin", action: "check" });
    if (bad.action !== "check-all") throw new Error(bad.action);
    expect(bad.checks.map((c) => [c.app, c.report.ok])).toEqual([["logger", true], ["telemetry", false]]);
    expect(failed(bad)).toBe(true);
    expect(render(bad)).toMatch(/app telemetry\): PROBLEMS FOUND/);
  });

  it("works as a command: `exo fs IMAGE` with no action lists, a bad app exits 1 with the hint", () => {
    const exo = (...args: string[]) => spawnSync(process.execPath, [join(import.meta.dirname, "../../../bin/exo.js"), ...args], { cwd: dir, encoding: "utf8" });
    const ok = exo("fs", "chip.bin");
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/telemetry\s+0x318000\s+6/);
    const bad = exo("fs", "chip.bin", "ls", "--app", "nope");
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/no app named "nope"[\s\S]*apps with flash: logger, telemetry/);
  }, 60_000);

  it("finds the ledger in a dump of the kernel's region alone (no board layout to go by)", async () => {
    writeFileSync(join(dir, "region.bin"), chip.subarray(0x310000, 0x320000));
    const r = await run({ cwd: dir, image: "region.bin" });
    expect(r.action === "apps" && r.apps.map((a) => [a.app, a.base, a.sectors, a.files!.length > 0])).toEqual([
      ["logger", 0x2000, 6, true],
      ["telemetry", 0x8000, 6, true],
    ]);
  });

  it("explains bad input: an unknown app, no ledger, a truncated or empty image", async () => {
    const fails = async (o: Parameters<typeof run>[0]): Promise<UserError> => {
      try {
        await run(o);
      } catch (e) {
        expect(e).toBeInstanceOf(UserError);
        return e as UserError;
      }
      throw new Error("no error");
    };
    const unknown = await fails({ cwd: dir, image: "chip.bin", action: "ls", app: "nope" });
    expect(unknown.message).toMatch(/no app named "nope"/);
    expect(unknown.hint).toBe("apps with flash: logger, telemetry");

    const which = await fails({ cwd: dir, image: "chip.bin", action: "cat", name: "log.a" });
    expect(which.message).toMatch(/file systems of 2 apps \(logger, telemetry\)/);
    expect(which.hint).toMatch(/--app NAME/);

    const missing = await fails({ cwd: dir, image: "chip.bin", action: "cat", name: "nothing", app: "logger" });
    expect(missing.message).toMatch(/app logger.*no file named "nothing"/);

    writeFileSync(join(dir, "blank.bin"), new Uint8Array(0x10000).fill(0xff));
    const blank = await fails({ cwd: dir, image: "blank.bin" });
    expect(blank.message).toMatch(/holds no kernel ledger/);
    expect(blank.hint).toMatch(/--base OFFSET/);
    const blankApp = await fails({ cwd: dir, image: "blank.bin", action: "ls", app: "logger" });
    expect(blankApp.message).toMatch(/cannot find app "logger": the image holds no kernel ledger/);

    // A whole chip with the ledger erased: no ledger, the apps' file systems are still there by --base.
    const wiped = chip.slice();
    wiped.fill(0xff, 0x310000, 0x312000);
    writeFileSync(join(dir, "wiped.bin"), wiped);
    expect((await fails({ cwd: dir, image: "wiped.bin", action: "ls", app: "telemetry" })).hint).toMatch(/--base/);
    const byBase = await run({ cwd: dir, image: "wiped.bin", action: "ls", base: 0x318000 });
    expect(byBase.action === "ls" && byBase.files.map((f) => f.name)).toEqual(["outbox"]);

    // Cut inside telemetry's extent, and between the ledger and the extents.
    writeFileSync(join(dir, "cut.bin"), chip.subarray(0, 0x31a000));
    const cut = await fails({ cwd: dir, image: "cut.bin" });
    expect(cut.message).toMatch(/ends at byte 3252224 .*app telemetry's extent 0x318000\.\.0x31e000/);
    expect(cut.hint).toMatch(/truncated/);
    writeFileSync(join(dir, "cut2.bin"), chip.subarray(0, 0x311000));
    expect((await fails({ cwd: dir, image: "cut2.bin" })).message).toMatch(/after the kernel's ledger .* before the extents it names \(logger, telemetry\)/);
    // With --board the layout is known: a chip too short for the kernel's region says so.
    writeFileSync(join(dir, "short.bin"), chip.subarray(0, 0x300000));
    expect((await fails({ cwd: dir, image: "short.bin", board: "esp32" })).message).toMatch(/esp32 kernel's region .* ends at byte 3276800/);

    writeFileSync(join(dir, "empty.bin"), new Uint8Array(0));
    expect((await fails({ cwd: dir, image: "empty.bin" })).message).toMatch(/empty/);
    expect((await fails({ cwd: dir, image: "chip.bin", action: "frobnicate" })).hint).toMatch(/apps, ls, cat NAME, get NAME/);
  });
});
