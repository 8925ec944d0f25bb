/**
 * The host CLI built (dist/cli/main.js and a chunk per lazily imported
 * command), so that `exo` starts without compiling TypeScript: `bin/exo.js`
 * runs it while it is newer than every source it is built from, else the
 * sources through tsx. Made at install (`prepare`) and by `npm run build`.
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { OutputOptions, Plugin, RollupOptions } from "rollup";
import { typescript } from "./transpile.ts";

export function hostRollupOptions(root: string): RollupOptions & { output: OutputOptions } {
  const dir = join(root, "dist", "cli");
  return {
    input: join(root, "tools", "cli", "main.ts"),
    // Packages and node builtins stay imports; only our own sources are bundled.
    external: (id) => !id.startsWith(".") && !id.startsWith("/") && !id.startsWith("\0"),
    plugins: [typescript("ES2022"), dropStaleChunks()],
    // Commands are lazy imports in the sources and stay chunks here: `exo --help` loads none of them.
    output: { dir, format: "esm", sourcemap: true, entryFileNames: "[name].js", chunkFileNames: "[name]-[hash].js" },
  };
}

/**
 * Chunk names carry a hash, so each build would leave the last one's chunks behind (and npm pack ship
 * them): once the new files are written, the others go. After, not before: an `exo` starting meanwhile
 * still finds a whole CLI.
 */
function dropStaleChunks(): Plugin {
  return {
    name: "exo-drop-stale-chunks",
    writeBundle({ dir }, bundle) {
      if (!dir || !existsSync(dir)) return;
      const written = new Set(Object.keys(bundle).flatMap((f) => [f, f + ".map"]));
      for (const file of readdirSync(dir)) if (!written.has(file)) rmSync(join(dir, file), { force: true });
    },
  };
}
