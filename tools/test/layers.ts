/**
 * The layer rule of DESIGN.md §1, checked on the sources: every relative
 * import points down or sideways, never up.
 *
 * Usage: `layerViolations(root)` → ["hal/sim/device.ts imports tools/gate/check.ts (hal/sim may import hal, hal/sim)", …]
 *
 *   apps       → libos, firmware/types.ts (the capability types), its own files
 *   libos      → libos, firmware/types.ts
 *   firmware   → firmware, hal
 *   hal        → hal (the device side: hal/espruino, hal/types.ts, boards, the wire format)
 *   hal/sim    → hal/sim, hal (the simulated device takes the gate as a parameter)
 *   tools      → tools, hal/sim, hal, firmware, libos (the host runs the kernel's ledger and the FS on images)
 *   test       → anything
 * Nothing but test/ imports test/; nothing imports apps/ (the build reads them by path).
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";

export type Layer = "apps" | "libos" | "firmware" | "hal" | "hal/sim" | "tools" | "test";

/** The capability types: the one kernel file apps and LibOS may name (types only). */
const CAPABILITY_TYPES = "firmware/types.ts";

export const MAY_IMPORT: Record<Layer, Layer[]> = {
  apps: ["libos"],
  libos: ["libos"],
  firmware: ["firmware", "hal"],
  hal: ["hal"],
  "hal/sim": ["hal/sim", "hal"],
  tools: ["tools", "hal/sim", "hal", "firmware", "libos"],
  test: ["apps", "libos", "firmware", "hal", "hal/sim", "tools", "test"],
};

/** The layer of a path relative to the repository root (undefined: not code of a layer, e.g. node_modules). */
export function layerOf(path: string): Layer | undefined {
  const top = path.split("/")[0];
  if (path.startsWith("hal/sim/")) return "hal/sim";
  if (top === "apps" || top === "libos" || top === "firmware" || top === "hal" || top === "tools" || top === "test") return top;
  if (top === "bin" || path === "rollup.config.js" || path === "vitest.config.ts") return "tools";
  return undefined;
}

/** Relative module specifiers of a source text: static imports and re-exports, `import()` and `import type`. */
export function importsOf(text: string): string[] {
  const found: string[] = [];
  const patterns = [/\b(?:import|export)\s+(?:type\s+)?(?:[\w*${}\s,]+?\s+from\s+)?["'](\.{1,2}\/[^"']+)["']/g, /\bimport\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g];
  for (const pattern of patterns) for (const m of text.matchAll(pattern)) found.push(m[1]);
  return found;
}

/** `from` (a root-relative file) importing `spec`: the reason it may not, or undefined. */
export function violation(from: string, spec: string): string | undefined {
  const to = normalize(join(dirname(from), spec));
  const a = layerOf(from);
  const b = layerOf(to);
  if (!a || !b || a === b) return undefined;
  if ((a === "apps" || a === "libos") && to === CAPABILITY_TYPES) return undefined;
  if (MAY_IMPORT[a].includes(b)) return undefined;
  return `${from} imports ${to} (${a} may import ${[a, ...MAY_IMPORT[a].filter((l) => l !== a)].join(", ")}${a === "apps" || a === "libos" ? ", " + CAPABILITY_TYPES : ""})`;
}

const SKIP = new Set(["node_modules", "dist", ".git", ".vitest", ".scratch", "fixtures"]);

function sources(root: string, dir = root): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sources(root, path));
    else if (/\.(ts|js|mjs)$/.test(entry.name) && !entry.name.endsWith(".d.ts")) out.push(relative(root, path));
  }
  return out;
}

/** Every import in the repository that points up a layer. */
export function layerViolations(root: string): string[] {
  const out: string[] = [];
  for (const file of sources(root)) {
    if (!layerOf(file)) continue;
    for (const spec of importsOf(readFileSync(join(root, file), "utf8"))) {
      const why = violation(file, spec);
      if (why) out.push(why);
    }
  }
  return out;
}
