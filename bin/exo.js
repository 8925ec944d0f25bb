#!/usr/bin/env node
// The `exo` command. Runs the built CLI (dist/cli/, made at install and by `npm run build`) while it is
// newer than every source it is built from: it starts in about a third of the time. Otherwise (a source
// changed, or no build) it runs the TypeScript sources through tsx, so a checkout never runs a stale build.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, sep } from "node:path";

const root = join(import.meta.dirname, "..");
const built = join(root, "dist", "cli", "main.js");

/** The newest modification time of a .ts file under `dir`. */
function newest(dir) {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) t = Math.max(t, newest(path));
    else if (entry.name.endsWith(".ts")) t = Math.max(t, statSync(path).mtimeMs);
  }
  return t;
}

// Installed from a tarball (inside node_modules), file times are the extraction's: the build is what was packed.
const installed = import.meta.dirname.split(sep).includes("node_modules");
const fresh = existsSync(built) && (installed || statSync(built).mtimeMs >= Math.max(statSync(join(root, "package.json")).mtimeMs, ...["tools", "hal", "firmware", "libos"].map((d) => newest(join(root, d)))));
if (fresh) await import(built);
else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../tools/cli/main.ts");
}
