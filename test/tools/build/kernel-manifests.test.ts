import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findBoard } from "../../../hal/boards.ts";
import { appSectors, ledgerSectors, loadApps } from "../../../tools/build/manifests.ts";

function fixture(apps: Record<string, object>): string {
  const root = mkdtempSync(join(tmpdir(), "exo-apps-"));
  for (const [name, manifest] of Object.entries(apps)) {
    mkdirSync(join(root, "apps", name), { recursive: true });
    writeFileSync(join(root, "apps", name, "manifest.json"), JSON.stringify({ name, ...manifest }));
    writeFileSync(join(root, "apps", name, "main.ts"), "export function start() {}\n");
  }
  return root;
}

const esp32 = findBoard("esp32");

describe("manifests: the kernel's resources", () => {
  it("keeps 2 ledger copies in the kernel region: 1 sector each on esp32, 4 on linux", () => {
    expect(ledgerSectors(esp32)).toBe(1);
    expect(appSectors(esp32)).toBe(14);
    expect(ledgerSectors(findBoard("linux"))).toBe(4);
  });

  it("resolves flash sectors and a packet filter", () => {
    const root = fixture({ a: { flash: 3, packets: { protocol: "udp", port: 5683, rx: 256, tx: 128 } } });
    expect(loadApps(root, esp32)).toMatchObject([{ flash: 3, packets: { protocol: "udp", port: 5683, rx: 256, tx: 128 } }]);
  });

  it("names both apps and the port when two apps ask for one packet filter", () => {
    const root = fixture({ a: { packets: { protocol: "udp", port: 9, rx: 64 } }, b: { packets: { protocol: "udp", port: 9, rx: 64 } } });
    expect(() => loadApps(root, esp32)).toThrow(/apps a and b both ask for udp port 9/);
  });

  it("names every app that asked when the flash sectors run out", () => {
    const root = fixture({ a: { flash: 10 }, b: { flash: 5 } });
    expect(() => loadApps(root, esp32)).toThrow(/ask for 15 flash sectors \(a 10, b 5\); board esp32 has 14 for apps/);
  });

  it("refuses a bad protocol, port or ring", () => {
    expect(() => loadApps(fixture({ a: { packets: { protocol: "icmp", port: 1, rx: 64 } } }), esp32)).toThrow(/packets.protocol/);
    expect(() => loadApps(fixture({ a: { packets: { protocol: "udp", port: 70000, rx: 64 } } }), esp32)).toThrow(/packets.port/);
    expect(() => loadApps(fixture({ a: { packets: { protocol: "udp", port: 1, rx: 4 } } }), esp32)).toThrow(/packets.rx/);
    expect(() => loadApps(fixture({ a: { packets: { protocol: "udp", port: 1, rx: 9000 } } }), esp32)).toThrow(/bytes of packet rings/);
  });
});
