/**
 * `exo ports`: the serial ports a board may be on.
 *
 * On Linux node-serialport lists ports through `udevadm info -e`. Where
 * udevadm is missing (containers, minimal images) exo lists the device files
 * instead (/dev/ttyUSB*, /dev/ttyACM*, /dev/serial/by-id/*), without vendor
 * or serial number, and says how to install it (Debian: `apt-get install udev`).
 */
import { existsSync, readdirSync, realpathSync } from "node:fs";
import { join } from "node:path";
import type { Binding } from "../../serial/link.ts";

export interface PortsOptions {
  cwd?: string;
  json?: boolean;
  /** Tests: a node-serialport binding instead of the real one. */
  binding?: Binding;
  /** Tests: where device files are (default /dev). */
  dev?: string;
}

export interface PortEntry {
  path: string;
  manufacturer?: string;
  serialNumber?: string;
  vendorId?: string;
  productId?: string;
  /** Where a by-id link points. */
  target?: string;
}

export interface PortsResult {
  ports: PortEntry[];
  /** "udev" (full listing) or "dev-scan" (udevadm missing: paths only). */
  source: "udev" | "dev-scan";
  note?: string;
}

/** Device files that look like USB serial ports. */
function scanDev(dev: string): PortEntry[] {
  if (!existsSync(dev)) return [];
  const ports: PortEntry[] = readdirSync(dev)
    .filter((name) => /^tty(USB|ACM)\d+$/.test(name))
    .sort()
    .map((name) => ({ path: join(dev, name) }));
  const byId = join(dev, "serial", "by-id");
  if (existsSync(byId)) {
    for (const name of readdirSync(byId).sort()) {
      const path = join(byId, name);
      let target: string | undefined;
      try {
        target = realpathSync(path);
      } catch {
        target = undefined;
      }
      ports.push({ path, target });
    }
  }
  return ports;
}

export async function run(options: PortsOptions = {}): Promise<PortsResult> {
  const binding = options.binding ?? (await import("@serialport/bindings-cpp")).autoDetect();
  try {
    const listed = await binding.list();
    return {
      source: "udev",
      ports: (listed as PortEntry[]).map((p) => ({ path: p.path, manufacturer: p.manufacturer, serialNumber: p.serialNumber, vendorId: p.vendorId, productId: p.productId })),
    };
  } catch (error) {
    const text = (error as Error).message ?? String(error);
    if (!/udevadm/.test(text)) throw error;
    return {
      source: "dev-scan",
      ports: scanDev(options.dev ?? "/dev"),
      note: "udevadm is missing, so this lists device files only (no vendor, product or serial number). Install it for the full listing: `apt-get install udev` (Debian/Ubuntu).",
    };
  }
}

export function render(result: PortsResult): string {
  const lines = result.ports.length
    ? result.ports.map((p) =>
        [p.path, p.target && `→ ${p.target}`, p.manufacturer, p.vendorId && `${p.vendorId}:${p.productId}`, p.serialNumber && `serial ${p.serialNumber}`].filter(Boolean).join("  "),
      )
    : ["no serial ports found (plug the board in; a simulated device: `exo sim --pty`)"];
  return [...lines, ...(result.note ? [`note: ${result.note}`] : [])].join("\n");
}
