/** `exo build` (tools/cli/commands/build.ts), run as the CLI runs it, in the checkout (a project too). */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { render, run } from "../../../tools/cli/commands/build.ts";
import { UserError } from "../../../hal/user-error.ts";

const checkout = join(import.meta.dirname, "..", "..", "..");

describe("exo build", () => {
  it("type-checks, bundles and gates one app; writes the bundle, its map and firmware.json; says what it built", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "exo-build-")), "fw.js");
    const result = await run({ cwd: checkout, apps: "blinky", board: "linux", out });
    expect(result).toMatchObject({ board: "linux", apps: ["blinky"], violations: [] });
    expect(readFileSync(out, "utf8").length).toBe(result.bytes);
    expect(existsSync(out + ".map")).toBe(true);
    expect(JSON.parse(readFileSync(out.replace(/\.js$/, ".json"), "utf8"))).toMatchObject({ bytes: result.bytes, crc32: result.crc32 });
    expect(render(result)).toMatch(/^built .*fw\.js for linux: \d+ bytes \(\d+ stored pretokenised, as exo\.[0-9a-f]{8}\), apps blinky, crc32 [0-9a-f]{8}; passes the dialect gate$/);
  });

  it("names an app it does not know, and the nearest one, before building anything", async () => {
    const error = await run({ cwd: checkout, apps: "blinkyy", out: join(tmpdir(), "never.js") }).catch((e) => e);
    expect(error).toBeInstanceOf(UserError);
    expect(`${error.message} ${error.hint ?? ""}`).toMatch(/blinkyy.*blinky/s);
  });
});
