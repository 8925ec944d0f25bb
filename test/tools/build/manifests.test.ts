import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findBoard } from "../../../hal/boards.ts";
import { loadApps } from "../../../tools/build/manifests.ts";
import { UserError } from "../../../hal/user-error.ts";

function fixture(apps: Record<string, object | string>): string {
  const root = mkdtempSync(join(tmpdir(), "exo-apps-"));
  for (const [name, manifest] of Object.entries(apps)) {
    mkdirSync(join(root, "apps", name), { recursive: true });
    writeFileSync(join(root, "apps", name, "manifest.json"), typeof manifest === "string" ? manifest : JSON.stringify(manifest));
    writeFileSync(join(root, "apps", name, "main.ts"), "export function start() {}\n");
  }
  return root;
}

const esp32 = findBoard("esp32");

describe("app manifests", () => {
  it("resolves LED and D<n> pins against the board", () => {
    const root = fixture({ a: { name: "a", pins: { led: "LED", button: "D0" }, timers: 2 } });
    expect(loadApps(root, esp32)).toMatchObject([{ name: "a", pins: { led: 2, button: 0 }, timers: 2 }]);
  });

  it("names both apps and the pin when two apps ask for the same pin", () => {
    const root = fixture({ a: { name: "a", pins: { x: "D5" } }, b: { name: "b", pins: { y: "D5" } } });
    expect(() => loadApps(root, esp32)).toThrow(/apps a and b both ask for pin D5/);
  });

  it("rejects a pin the board does not have, naming the range", () => {
    const root = fixture({ a: { name: "a", pins: { x: "D40" } } });
    expect(() => loadApps(root, esp32)).toThrow(UserError);
    expect(() => loadApps(root, esp32)).toThrow(/does not have/);
  });

  it("reports invalid JSON with the file name", () => {
    const root = fixture({ a: "{ nope" });
    expect(() => loadApps(root, esp32)).toThrow(/apps\/a\/manifest.json is not valid JSON/);
  });

  it("rejects an unknown app and lists the known ones", () => {
    const root = fixture({ a: { name: "a" } });
    expect(() => loadApps(root, esp32, ["zz"])).toThrow(/no app "zz"/);
  });

  it("rejects an unknown board and lists the known ones", () => {
    try {
      findBoard("esp8266");
      expect.unreachable();
    } catch (e) {
      expect((e as UserError).hint).toMatch(/esp32, linux/);
    }
  });
});
