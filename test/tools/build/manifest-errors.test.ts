/** Bad manifests and entry points: a UserError naming the file, the field, the value, the limit and the fix; never accepted, never a crash. */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findBoard } from "../../../hal/boards.ts";
import { MANIFEST_KEYS, MAX_FILTERS, MAX_TIMERS, PACKET_BUDGET, appSectors, loadApps, nearest, type LoadOptions } from "../../../tools/build/manifests.ts";
import { UserError } from "../../../hal/user-error.ts";

const esp32 = findBoard("esp32");
const linux = findBoard("linux");
const FILE = "apps/a/manifest.json";

interface App {
  /** The manifest: raw JSON text, or a value (the name "a" is added to objects unless given). */
  manifest: unknown;
  main?: string;
}

function project(apps: Record<string, App>): string {
  const root = mkdtempSync(join(tmpdir(), "exo-manifest-"));
  for (const [name, app] of Object.entries(apps)) {
    mkdirSync(join(root, "apps", name), { recursive: true });
    const m = app.manifest;
    const text = typeof m === "string" ? m : JSON.stringify(typeof m === "object" && m !== null && !Array.isArray(m) ? { name, ...m } : m);
    writeFileSync(join(root, "apps", name, "manifest.json"), text);
    writeFileSync(join(root, "apps", name, "main.ts"), app.main ?? "export function start() {}\n");
  }
  return root;
}

/** Load app "a" with `manifest` (raw text, or a value): the UserError it fails with. */
function fails(manifest: unknown, options: LoadOptions & { board?: typeof esp32; main?: string } = {}): UserError {
  const root = project({ a: { manifest, main: options.main } });
  try {
    loadApps(root, options.board ?? esp32, undefined, options);
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return e as UserError;
  }
  throw new Error(`accepted ${JSON.stringify(manifest)}`);
}

const loads = (manifest: unknown, options: LoadOptions & { board?: typeof esp32 } = {}) =>
  loadApps(project({ a: { manifest } }), options.board ?? esp32, undefined, options)[0];

describe("manifest: the whole document", () => {
  it.each([
    ["null", "null"],
    ["an array", "[1, 2]"],
    ['the string "hi"', '"hi"'],
    ["3", "3"],
    ["true", "true"],
  ])("a manifest that is %s is refused as not an object", (shown, text) => {
    const e = fails(text);
    expect(e.message).toBe(`${FILE} is ${shown}, not an object`);
    expect(e.hint).toMatch(/write an object: \{ "name": "a"/);
  });

  it("names the file in a fixture folder too (relative to the project root)", () => {
    const root = mkdtempSync(join(tmpdir(), "exo-manifest-"));
    mkdirSync(join(root, "more", "b"), { recursive: true });
    writeFileSync(join(root, "more", "b", "manifest.json"), "null");
    writeFileSync(join(root, "more", "b", "main.ts"), "export function start() {}\n");
    expect(() => loadApps(root, esp32, ["b"], { dirs: ["more"] })).toThrow("more/b/manifest.json is null, not an object");
  });
});

describe("manifest: unknown keys", () => {
  it('"pinz": says which keys exist and suggests the nearest', () => {
    const e = fails({ pinz: { led: "LED" } });
    expect(e.message).toBe(`${FILE}: unknown key "pinz" (did you mean pins?)`);
    expect(e.hint).toBe(`a manifest has the keys ${MANIFEST_KEYS.join(", ")} (README, "Writing an app")`);
  });

  it("suggests for a wrong case, a missing letter, a shortening; not for a stranger", () => {
    expect(fails({ Timers: 1 }).message).toMatch(/unknown key "Timers" \(did you mean timers\?\)/);
    expect(fails({ timer: 1 }).message).toMatch(/\(did you mean timers\?\)/);
    expect(fails({ flahs: 1 }).message).toMatch(/\(did you mean flash\?\)/);
    expect(fails({ desc: "x" }).message).toMatch(/\(did you mean description\?\)/);
    expect(fails({ colour: "red" }).message).toBe(`${FILE}: unknown key "colour"`);
    expect(nearest("zzzzzz", MANIFEST_KEYS)).toBeUndefined();
  });

  it("a packets key at the top level says to put it inside packets", () => {
    expect(fails({ port: 5700 }).message).toMatch(/unknown key "port" \(did you mean packets\.port\? it goes inside "packets"\)/);
  });

  it("lists every unknown key", () => {
    expect(fails({ pinz: {}, timer: 1 }).message).toBe(`${FILE}: unknown keys "pinz" (did you mean pins?), "timer" (did you mean timers?)`);
  });

  it("unknown keys inside packets", () => {
    const e = fails({ packets: { protocol: "udp", port: 1, rx: 64, prot: 1 } });
    expect(e.message).toBe(`${FILE}: unknown key "packets.prot" (did you mean packets.protocol?)`);
    expect(fails({ packets: { protocol: "udp", prt: 1, rx: 64 } }).message).toMatch(/"packets.prt" \(did you mean packets.port\?\)/);
    expect(e.hint).toMatch(/"packets" has the keys protocol, port, rx, tx, peer/);
    expect(fails({ packets: { protocol: "udp", port: 1, rx: 64, txx: 8 } }).message).toMatch(/"packets.txx" \(did you mean packets.tx\?\)/);
  });
});

describe("manifest: name and description", () => {
  it("a missing name", () => {
    const e = fails('{ "timers": 1 }');
    expect(e.message).toBe(`${FILE} has no "name"`);
    expect(e.hint).toMatch(/add "name": "a"/);
  });

  it("a name that is not a string", () => {
    expect(fails({ name: 42 }).message).toBe(`${FILE}: "name" is 42, not a string`);
    expect(fails({ name: null }).message).toBe(`${FILE}: "name" is null, not a string`);
    expect(fails({ name: ["a"] }).message).toBe(`${FILE}: "name" is an array, not a string`);
  });

  it("a name that is not the folder's (the existing message)", () => {
    expect(fails({ name: "b" }).message).toBe(`${FILE} names the app "b"`);
  });

  it("a description that is not a string", () => {
    const e = fails({ description: 42 });
    expect(e.message).toBe(`${FILE}: "description" is 42, not a string`);
    expect(e.hint).toMatch(/text in quotes, or leave it out/);
    expect(fails({ description: { en: "x" } }).message).toMatch(/"description" is an object/);
  });
});

describe("manifest: pins", () => {
  it("pins that are not an object", () => {
    for (const [pins, shown] of [[["LED"], "an array"], ["LED", 'the string "LED"'], [null, "null"], [2, "2"]] as const) {
      const e = fails({ pins });
      expect(e.message).toBe(`${FILE}: "pins" is ${shown}, not an object`);
      expect(e.hint).toMatch(/"pins": \{ "led": "LED", "button": "D4" \}/);
    }
  });

  it("a pin spec that is not a string, with the string to write", () => {
    const e = fails({ pins: { led: 2 } });
    expect(e.message).toBe(`${FILE}: pin "led" is 2, not a string`);
    expect(e.hint).toMatch(/e\.g\. "D2"/);
    expect(fails({ pins: { led: true } }).message).toBe(`${FILE}: pin "led" is true, not a string`);
    expect(fails({ pins: { led: { pin: 2 } } }).message).toMatch(/pin "led" is an object, not a string/);
  });

  it("a pin name caps.pins cannot hold", () => {
    expect(fails({ pins: { "my pin": "D4" } }).message).toBe(`${FILE}: pin name "my pin" cannot be used as caps.pins.my pin`);
    expect(fails({ pins: { constructor: "D4" } }).message).toMatch(/pin name "constructor"/);
    expect(fails({ pins: { "4": "D4" } }).message).toMatch(/pin name "4"/);
  });

  it("a pin the board does not have names the file and the range (the existing message)", () => {
    const e = fails({ pins: { x: "D40" } });
    expect(e.message).toBe(`${FILE}: pin "x" is "D40", which board esp32 does not have`);
    expect(e.hint).toBe('use "LED" or D0..D39');
    expect(fails({ pins: { x: "GPIO4" } }).message).toMatch(/"GPIO4", which board esp32 does not have/);
  });

  it("one pin under two names in one app", () => {
    expect(fails({ pins: { a: "D4", b: "D4" } }).message).toBe(`${FILE}: pins "a" and "b" both name D4`);
  });
});

describe("manifest: timers", () => {
  it(`at most ${MAX_TIMERS} per app, named in the message`, () => {
    expect(MAX_TIMERS).toBe(32);
    expect(loads({ timers: 32 }).timers).toBe(32);
    const e = fails({ timers: 1e9 });
    expect(e.message).toBe(`${FILE}: "timers" is 1000000000, over the limit of 32 live timers per app`);
    expect(e.hint).toBe("give a whole number 0..32");
    expect(fails({ timers: 33 }).message).toMatch(/over the limit of 32 live timers per app/);
  });

  it("negative, fractional, a string, null, true, 1e400", () => {
    expect(fails({ timers: -1 }).message).toBe(`${FILE}: "timers" is -1`);
    expect(fails({ timers: 2.5 }).message).toBe(`${FILE}: "timers" is 2.5`);
    const quoted = fails({ timers: "3" });
    expect(quoted.message).toBe(`${FILE}: "timers" is the string "3", not a number`);
    expect(quoted.hint).toBe('write it without quotes: "timers": 3 (a whole number 0..32)');
    expect(fails({ timers: "three" }).message).toBe(`${FILE}: "timers" is the string "three", not a number`);
    expect(fails({ timers: null }).hint).toBe('give a whole number 0..32, or leave "timers" out');
    expect(fails({ flash: null }).message).toBe(`${FILE}: "flash" is null, not a number`);
    expect(fails({ packets: { protocol: "udp", port: 1, rx: 64, tx: null } }).message).toBe(`${FILE}: "packets.tx" is null, not a number`);
    expect(fails({ timers: true }).message).toBe(`${FILE}: "timers" is true, not a number`);
    expect(fails('{ "name": "a", "timers": 1e400 }').message).toBe(`${FILE}: "timers" is a number too large for JSON (it reads as Infinity), not a number`);
  });
});

describe("manifest: flash", () => {
  it("at most the board's app sectors, named in the message", () => {
    expect(appSectors(esp32)).toBe(14);
    expect(appSectors(linux)).toBe(120);
    expect(loads({ flash: 14 }).flash).toBe(14);
    const e = fails({ flash: 1e9 });
    expect(e.message).toBe(`${FILE}: "flash" is 1000000000 sectors, over the limit of board esp32's 14 sectors for apps`);
    expect(e.hint).toBe("give a whole number 0..14");
    expect(fails({ flash: 15 }).message).toMatch(/over the limit of board esp32's 14 sectors/);
    expect(loads({ flash: 120 }, { board: linux }).flash).toBe(120);
    expect(fails({ flash: 121 }, { board: linux }).message).toMatch(/over the limit of board linux's 120 sectors/);
  });

  it("negative, fractional, a string, 1e400", () => {
    expect(fails({ flash: -1 }).message).toBe(`${FILE}: "flash" is -1 sectors`);
    expect(fails({ flash: 1.5 }).message).toBe(`${FILE}: "flash" is 1.5 sectors`);
    expect(fails({ flash: "6" }).hint).toMatch(/without quotes: "flash": 6/);
    expect(fails('{ "name": "a", "flash": 1e400 }').message).toMatch(/too large for JSON/);
  });
});

describe("manifest: packets", () => {
  const udp = (more: object) => ({ packets: { protocol: "udp", port: 5700, rx: 64, ...more } });

  it("packets that are not an object", () => {
    for (const [packets, shown] of [[[{ protocol: "udp" }], "an array"], ["udp", 'the string "udp"'], [null, "null"], [5700, "5700"]] as const) {
      const e = fails({ packets });
      expect(e.message).toBe(`${FILE}: "packets" is ${shown}, not an object`);
      expect(e.hint).toMatch(/"packets": \{ "protocol": "udp", "port": 5700/);
    }
  });

  it("a protocol that is missing, not a string or unknown", () => {
    expect(fails({ packets: { port: 1, rx: 64 } }).message).toBe(`${FILE}: "packets.protocol" is missing`);
    expect(fails(udp({ protocol: 17 })).message).toBe(`${FILE}: "packets.protocol" is 17`);
    expect(fails(udp({ protocol: "icmp" })).hint).toBe('use one of "udp", "tcp"');
  });

  it("ports out of range, not numbers, 1e400", () => {
    expect(fails(udp({ port: 0 })).message).toBe(`${FILE}: "packets.port" is 0`);
    expect(fails(udp({ port: 0 })).hint).toBe("give a whole number 1..65535");
    expect(fails(udp({ port: 65536 })).message).toBe(`${FILE}: "packets.port" is 65536, over the limit of 65535, the highest port`);
    expect(fails(udp({ port: "5700" })).hint).toMatch(/without quotes: "port": 5700/);
    expect(fails('{ "name": "a", "packets": { "protocol": "udp", "port": 1e400, "rx": 64 } }').message).toMatch(/"packets.port" is a number too large for JSON/);
    expect(fails(udp({ peer: 70000 })).message).toMatch(/"packets.peer" is 70000, over the limit of 65535/);
    expect(fails(udp({ peer: 0 })).message).toBe(`${FILE}: "packets.peer" is 0`);
    expect(fails(udp({ peer: "host:5701" })).message).toMatch(/"packets.peer" is the string "host:5701", not a number/);
  });

  it("rings: rx missing or too small, wrong types", () => {
    expect(fails({ packets: { protocol: "udp", port: 1 } }).message).toBe(`${FILE}: "packets" has no "rx"`);
    expect(fails(udp({ rx: 4 })).message).toBe(`${FILE}: "packets.rx" is 4 bytes`);
    expect(fails(udp({ rx: "512" })).hint).toMatch(/without quotes: "rx": 512/);
    expect(fails(udp({ tx: -8 })).message).toBe(`${FILE}: "packets.tx" is -8 bytes`);
    expect(fails(udp({ tx: 1.5 })).message).toBe(`${FILE}: "packets.tx" is 1.5 bytes`);
  });

  it(`rx + tx of megabytes: over the kernel's packet budget of ${PACKET_BUDGET} bytes, named in the message`, () => {
    expect(loads(udp({ rx: 4096, tx: 4096 })).packets).toMatchObject({ rx: 4096, tx: 4096 });
    const e = fails(udp({ rx: 4 << 20 }));
    expect(e.message).toBe(`${FILE}: "packets" asks for 4194304 bytes of packet rings (rx 4194304 + tx 0), over the kernel's packet budget of 8192 bytes (all apps together)`);
    expect(e.hint).toBe("shrink the rings: rx + tx ≤ 8192");
    expect(fails(udp({ tx: 1 << 20 })).message).toMatch(/rx 64 \+ tx 1048576\), over the kernel's packet budget of 8192 bytes/);
    expect(fails(udp({ rx: 4096, tx: 4097 })).message).toMatch(/asks for 8193 bytes/);
  });

  it(`at most ${MAX_FILTERS} apps with a packet filter`, () => {
    const apps: Record<string, App> = {};
    for (let i = 0; i <= MAX_FILTERS; i++) apps["n" + i] = { manifest: { packets: { protocol: "udp", port: 6000 + i, rx: 8 } } };
    expect(() => loadApps(project(apps), esp32)).toThrow(`${MAX_FILTERS + 1} apps ask for a packet filter; the kernel holds ${MAX_FILTERS}`);
  });
});

describe("manifest: check: false leaves the kernel's budgets to its boot, nothing else", () => {
  it("one app's flash and rings past the budget are the kernel's to refuse", () => {
    expect(loads({ flash: 20, packets: { protocol: "udp", port: 1, rx: 9000 } }, { check: false })).toMatchObject({ flash: 20, packets: { rx: 9000 } });
  });

  it("shapes, types and the timer limit are still checked", () => {
    expect(fails({ pinz: {} }, { check: false }).message).toMatch(/unknown key "pinz"/);
    expect(fails({ timers: 1e9 }, { check: false }).message).toMatch(/over the limit of 32 live timers per app/);
    expect(fails({ flash: -1 }, { check: false }).message).toMatch(/"flash" is -1/);
    expect(fails("null", { check: false }).message).toMatch(/is null, not an object/);
  });
});

describe("loadApps checks each app's main.ts (checkAppEntry)", () => {
  it("a syntax error, with the file, line and column", () => {
    expect(fails({}, { main: "export function start() {\n  let n = 0;\n  n = 1 2;\n}\n" }).message).toBe("apps/a/main.ts:3:9 ';' expected");
  });

  it("no start", () => {
    const e = fails({}, { main: "export function main() {}\n" });
    expect(e.message).toBe("apps/a/main.ts exports no `start` (it exports `main`)");
    expect(e.hint).toMatch(/add `export function start\(caps: AppCaps\) \{ … \}`/);
  });

  it("with check: false too", () => {
    expect(fails({}, { main: "export const start = 42;\n", check: false }).message).toMatch(/^apps\/a\/main\.ts:1:14 `start` is `42`, not a function/);
  });

  it("the manifest is judged before main.ts", () => {
    expect(fails({ timers: -1 }, { main: "nope(" }).message).toBe(`${FILE}: "timers" is -1`);
  });
});
