/**
 * The host CLI built (dist/cli/main.js and a chunk per lazily imported
 * command), so that `exo` starts without compiling TypeScript: `bin/exo.js`
 * runs it while it is newer than every source it is built from, else the
 * sources through tsx. Made at install (`prepare`) and by `npm run build`.
 */
import { join } from "node:path";
import type { RollupOptions, OutputOptions } from "rollup";
import { typescript } from "./transpile.ts";

export function hostRollupOptions(root: string): RollupOptions & { output: OutputOptions } {
  return {
    input: join(root, "tools", "cli", "main.ts"),
    // Packages and node builtins stay imports; only our own sources are bundled.
    external: (id) => !id.startsWith(".") && !id.startsWith("/") && !id.startsWith("\0"),
    plugins: [typescript("ES2022")],
    // Commands are lazy imports in the sources and stay chunks here: `exo --help` loads none of them.
    output: { dir: join(root, "dist", "cli"), format: "esm", sourcemap: true, entryFileNames: "[name].js", chunkFileNames: "[name]-[hash].js" },
  };
}
