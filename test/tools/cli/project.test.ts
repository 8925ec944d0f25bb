/**
 * Projects of the user's own: exo.config.json read with errors a newcomer can
 * act on, `exo new`, the JSON schemas editors validate with, and Exo as a
 * dependency installed from `npm pack`'s tarball, as the registry delivers it.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Ajv from "ajv";
import { afterAll, describe, expect, it } from "vitest";
import { boards } from "../../../hal/boards.ts";
import { capsTypeText, writeCapsTypes } from "../../../tools/build/caps-type.ts";
import { loadApps, MANIFEST_KEYS, MAX_TIMERS, PACKET_BUDGET, PACKET_KEYS, PROTOCOLS } from "../../../tools/build/manifests.ts";
import { run as newProject } from "../../../tools/cli/commands/new.ts";
import { CONFIG_KEYS, findProject, projectApps, readConfig } from "../../../tools/cli/project.ts";

const root = join(import.meta.dirname, "..", "..", "..");
const scratch = mkdtempSync(join(tmpdir(), "exo-projects-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A folder with this exo.config.json and these app folders. */
function project(config: unknown, apps: string[] = []): string {
  const dir = mkdtempSync(join(scratch, "p-"));
  writeFileSync(join(dir, "exo.config.json"), typeof config === "string" ? config : JSON.stringify(config));
  for (const a of apps) {
    mkdirSync(join(dir, "apps", a), { recursive: true });
    writeFileSync(join(dir, "apps", a, "manifest.json"), JSON.stringify({ name: a }));
  }
  return dir;
}
const read = (dir: string) => readConfig(join(dir, "exo.config.json"), root);

describe("exo.config.json", () => {
  it("defaults: esp32, 115200, every app of the project; examples on request", () => {
    const dir = project({ examples: ["blinky"] }, ["button", "door"]);
    expect(read(dir)).toEqual({ board: "esp32", baud: 115200, apps: ["button", "door"], examples: ["blinky"] });
    const found = findProject(join(dir, "apps", "door"), root);
    expect(found.dir).toBe(dir);
    expect(projectApps(found)).toEqual(["button", "door", "blinky"]);
  });

  it("the checkout is a project whose apps are the examples, pinned by name", () => {
    expect(read(root).apps).toEqual(["blinky", "logger", "morse", "sampler", "telemetry"]);
  });

  it("a newcomer's mistakes: each names the file, the key and the fix", () => {
    const cases: [unknown, RegExp][] = [
      ["{ board: esp32 }", /exo.config.json is not valid JSON/],
      [[], /is not an object/],
      [{ bord: "esp32" }, /unknown key "bord" \(did you mean board\?\)/],
      [{ board: "esp23" }, /there is no board "esp23" \(did you mean esp32\?\)/],
      [{ board: "toString" }, /there is no board "toString"/],
      [{ baud: "115200" }, /"baud" is "115200"/],
      [{ port: 3 }, /"port" is 3, not a name/],
      [{ apps: "button" }, /"apps" is "button", not a list of app names/],
      [{ apps: ["buton"] }, /"apps" names "buton", and \S*apps\/buton\/manifest.json does not exist \(did you mean button\?\)/],
      [{ examples: ["blinki"] }, /"examples" names "blinki", which Exo does not have \(did you mean blinky\?\)/],
    ];
    for (const [config, message] of cases) expect(() => read(project(config, ["button"])), JSON.stringify(config)).toThrow(message);
    expect(() => read(project({ examples: ["blinky"] }, ["blinky"]))).toThrow(/"blinky" is both one of your apps and an example/);
  });

  it("no project here or above: says how to make one", () => {
    const lost = mkdtempSync(join(tmpdir(), "exo-lost-"));
    expect(() => findProject(lost, root)).toThrow(/no exo.config.json in .* or any folder above it/);
    rmSync(lost, { recursive: true });
  });
});

describe("JSON schemas for editors", () => {
  const ajv = new Ajv({ allErrors: true });
  const manifest = ajv.compile(JSON.parse(readFileSync(join(root, "schema", "manifest.schema.json"), "utf8")));
  const config = ajv.compile(JSON.parse(readFileSync(join(root, "schema", "exo.config.schema.json"), "utf8")));

  it("every example's manifest, the template's and the checkout's config validate", () => {
    for (const app of readdirSync(join(root, "apps"))) expect(manifest(JSON.parse(readFileSync(join(root, "apps", app, "manifest.json"), "utf8"))), app).toBe(true);
    expect(manifest(JSON.parse(readFileSync(join(root, "templates", "project", "apps", "button", "manifest.json"), "utf8")))).toBe(true);
    expect(config(JSON.parse(readFileSync(join(root, "exo.config.json"), "utf8")))).toBe(true);
  });

  it("rejects what exo build rejects: typos, wrong types, limits", () => {
    for (const bad of [
      { name: "a", pinz: {} },
      { name: "a", pins: { led: 2 } },
      { name: "a", pins: { "1led": "LED" } },
      { name: "a", timers: 33 },
      { name: "a", timers: "1" },
      { name: "a", packets: { protocol: "icmp", port: 1, rx: 64 } },
      { name: "a", packets: { protocol: "udp", port: 70000, rx: 64 } },
      { name: "a", packets: { protocol: "udp", port: 1, rx: 4 } },
      { description: "no name" },
    ]) expect(manifest(bad), JSON.stringify(bad)).toBe(false);
    for (const bad of [{ bord: "esp32" }, { board: "esp23" }, { baud: "9600" }, { apps: "x" }]) expect(config(bad), JSON.stringify(bad)).toBe(false);
  });

  it("says what the code says: keys, limits, protocols, boards", () => {
    const m = JSON.parse(readFileSync(join(root, "schema", "manifest.schema.json"), "utf8"));
    expect(Object.keys(m.properties).filter((k) => k !== "$schema")).toEqual(MANIFEST_KEYS);
    expect(Object.keys(m.properties.packets.properties)).toEqual(PACKET_KEYS);
    expect(m.properties.timers.maximum).toBe(MAX_TIMERS);
    expect(m.properties.packets.properties.rx.maximum).toBe(PACKET_BUDGET);
    expect(m.properties.packets.properties.protocol.enum).toEqual(PROTOCOLS);
    const c = JSON.parse(readFileSync(join(root, "schema", "exo.config.schema.json"), "utf8"));
    expect(Object.keys(c.properties)).toEqual(CONFIG_KEYS);
    expect(c.properties.board.enum).toEqual(Object.keys(boards));
  });
});

describe("caps.ts: each app's capabilities as its manifest gives them, for editors", () => {
  it("the template's is what exo writes from its manifest", () => {
    const [grant] = loadApps(join(root, "templates", "project"), boards.esp32, ["button"]);
    expect(readFileSync(join(root, "templates", "project", "apps", "button", "caps.ts"), "utf8")).toBe(capsTypeText(grant));
  });

  it("is rewritten when the manifest changes, never over a file of the user's own, and not for Exo's examples", () => {
    const dir = project({}, ["door"]);
    writeFileSync(join(dir, "apps", "door", "main.ts"), "export function start() {}\n");
    const grant = () => loadApps(dir, boards.esp32, ["door"])[0];
    expect(writeCapsTypes([grant()], root)).toEqual([join(dir, "apps", "door", "caps.ts")]);
    expect(writeCapsTypes([grant()], root)).toEqual([]);
    writeFileSync(join(dir, "apps", "door", "manifest.json"), JSON.stringify({ name: "door", pins: { lock: "D5" }, packets: { protocol: "udp", port: 9000, rx: 64 } }));
    writeCapsTypes([grant()], root);
    expect(readFileSync(join(dir, "apps", "door", "caps.ts"), "utf8")).toMatch(/readonly lock: PinCap;[\s\S]*net: PacketCap;/);
    writeFileSync(join(dir, "apps", "door", "caps.ts"), "export const mine = 1;\n");
    expect(() => writeCapsTypes([grant()], root)).toThrow(/apps\/door\/caps.ts is not the one exo writes/);
    expect(writeCapsTypes(loadApps(root, boards.esp32, ["blinky"]), root)).toEqual([]);
  });
});

describe("exo new", () => {
  it("makes a project: config, an app, a stimulus file, an app test; nothing over an existing folder", async () => {
    const made = await newProject({ cwd: scratch, exo: root, folder: "my-device", port: "/dev/ttyUSB0" });
    expect(made.files).toEqual([".gitignore", "README.md", "apps/button/caps.ts", "apps/button/main.ts", "apps/button/manifest.json", "exo.config.json", "package.json", "stim/presses.stim", "test/button.apptest.ts", "tsconfig.json"]);
    expect(read(made.dir)).toEqual({ board: "esp32", port: "/dev/ttyUSB0", baud: 115200, apps: ["button"], examples: [] });
    expect(JSON.parse(readFileSync(join(made.dir, "package.json"), "utf8"))).toMatchObject({ name: "my-device", devDependencies: { exo: `file:${root}` } });
    await expect(newProject({ cwd: scratch, exo: root, folder: "my-device" })).rejects.toThrow(/my-device already exists and is not an empty folder; nothing was written/);
    await expect(newProject({ cwd: scratch, exo: root, folder: "My Device" })).rejects.toThrow(/"My Device" cannot be a package name/);
    await expect(newProject({ cwd: scratch, exo: root, folder: "x", board: "esp23" })).rejects.toThrow(/no board "esp23" \(did you mean esp32\?\)/);
    expect(existsSync(join(scratch, "x"))).toBe(false);
  });

  // npm reads a path in package.json from the project, not from where the user typed it.
  it("--exo: a path is made absolute (and must exist); a version is kept", async () => {
    writeFileSync(join(scratch, "exo-9.9.9.tgz"), "");
    const spec = async (folder: string, exoSpec: string) => (await newProject({ cwd: scratch, exo: root, folder, exoSpec })).exo;
    expect(await spec("by-tarball", "exo-9.9.9.tgz")).toBe(`file:${join(scratch, "exo-9.9.9.tgz")}`);
    expect(await spec("by-path", "./exo-9.9.9.tgz")).toBe(`file:${join(scratch, "exo-9.9.9.tgz")}`);
    expect(await spec("by-file", `file:${root}`)).toBe(`file:${root}`);
    expect(await spec("by-version", "^1.2.0")).toBe("^1.2.0");
    await expect(spec("missing", "../exo-1.0.0.tgz")).rejects.toThrow(/--exo \.\.\/exo-1\.0\.0\.tgz: there is no .*exo-1\.0\.0\.tgz/);
    expect(existsSync(join(scratch, "missing"))).toBe(false);
  });

  // The whole way a user goes, from the tarball npm would publish: npx exo new, npm install, npm test, the build.
  it("from npm pack's tarball: a new project installs exo, its app tests pass, its build type-checks", () => {
    const sh = (cmd: string, args: string[], cwd: string) => {
      const r = spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, npm_config_audit: "false", npm_config_fund: "false", npm_config_prefer_offline: "true" } });
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} in ${cwd}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
      return r.stdout;
    };
    // --ignore-scripts: `prepare` would rebuild dist/cli under the other test files' feet; the checkout's build is packed.
    const packed = sh("npm", ["pack", "--ignore-scripts", "--pack-destination", scratch, "--json"], root);
    const tarball = join(scratch, JSON.parse(packed)[0].filename);
    // The tarball as a user names it, beside them: the project must still find it.
    const relativeTarball = "./" + JSON.parse(packed)[0].filename;
    sh("npx", ["--yes", "--package", tarball, "exo", "new", "fresh", "--exo", relativeTarball], scratch);
    const dir = join(scratch, "fresh");
    sh("npm", ["install"], dir);
    expect(readFileSync(join(dir, "node_modules", "exo", "package.json"), "utf8")).toMatch(/"name": "exo"/);
    const tested = sh("npm", ["test"], dir);
    expect(tested).toMatch(/3 passed, 0 failed/);
    // A typo in a pin name is a build error with its file and line.
    const main = join(dir, "apps", "button", "main.ts");
    writeFileSync(main, readFileSync(main, "utf8").replace("caps.pins.led", "caps.pins.lde"));
    const r = spawnSync("npx", ["exo", "build"], { cwd: dir, encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/apps\/button\/main\.ts:\d+:\d+ {2}TS2339: Property 'lde' does not exist/);
    // And the editor's view says the same, from apps/button/caps.ts.
    const editor = spawnSync("npx", ["tsc", "-p", "."], { cwd: dir, encoding: "utf8" });
    expect(editor.stdout).toMatch(/apps\/button\/main\.ts\(\d+,\d+\): error TS2339: Property 'lde' does not exist/);
  }, 180_000);
});
