/**
 * `exo sim` with an app that faults: the run fails (exit 1) and says which
 * app, what it threw and where in its own source (through the simulator's
 * rewrite and the bundle's source map).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { buildDevice } from "../../../tools/build/device.ts";
import { failed, render, run } from "../../../tools/cli/commands/sim.ts";

const root = join(import.meta.dirname, "..", "..", "..");
const dir = mkdtempSync(join(tmpdir(), "exo-sim-faults-"));

/** An app in `dir` whose timer callback runs `body` 30 ms after it starts; `pad` lines push the body down. */
function app(name: string, body: string, pad = 0): void {
  mkdirSync(join(dir, name));
  writeFileSync(join(dir, name, "manifest.json"), JSON.stringify({ name, timers: 1 }));
  const types = relative(join(dir, name), join(root, "firmware", "types.ts"));
  writeFileSync(
    join(dir, name, "main.ts"),
    [`import type { AppCaps } from "${types}";`, ...Array.from({ length: pad }, (_, i) => `// line ${i + 2}`), "export function start(caps: AppCaps): void {", `  caps.timer.after(30, () => {`, `    ${body}`, "  });", "}", ""].join("\n"),
  );
}

app("nullread", "const o = JSON.parse(\"null\"); o.x = 1;", 5); // the body on line 9
app("stringer", 'throw "a bare string";');
app("quiet", "caps.services.log(\"quiet: fine\");");

async function bundle(apps: string[]): Promise<string> {
  const out = join(dir, apps.join("-"), "firmware.js");
  const built = await buildDevice({ root, board: "esp32", apps, appDirs: [dir], out });
  expect(built.violations).toEqual([]);
  return out;
}

describe("exo sim with a faulting app", () => {
  it("fails, naming the app, its error and the line of its source that threw", async () => {
    const result = await run({ cwd: dir, bundle: await bundle(["nullread", "quiet"]), for: "1s" });
    expect(failed(result)).toBe(true);
    expect(result.faults).toHaveLength(1);
    const [f] = result.faults;
    expect(f).toMatchObject({ app: "nullread", faults: 4, state: "stopped" });
    expect(f.error).toMatch(/null/);
    // Line 9 of the app's main.ts, the column of `o.x` (an app outside the checkout is named by its absolute path).
    expect(f.at).toBe(`${join(dir, "nullread", "main.ts")}:9:37`);
    expect(render(result)).toContain(`FAULT: app nullread faulted 4 times (stopped): ${f.error} — at ${f.at}`);
  });

  it("names the app without a place when what it threw carries no stack", async () => {
    const result = await run({ cwd: dir, bundle: await bundle(["stringer"]), for: "1s" });
    expect(failed(result)).toBe(true);
    expect(result.faults).toEqual([{ app: "stringer", faults: 4, state: "stopped", error: "a bare string" }]);
  });

  it("passes when no app faults; the exo binary exits 1 when one does", async () => {
    const quiet = await run({ cwd: dir, bundle: await bundle(["quiet"]), for: "1s" });
    expect(quiet.faults).toEqual([]);
    expect(failed(quiet)).toBe(false);
    const r = spawnSync(process.execPath, [join(root, "bin", "exo.js"), "sim", "--bundle", join(dir, "nullread-quiet", "firmware.js"), "--for", "1s"], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/FAULT: app nullread faulted/);
  });
});
