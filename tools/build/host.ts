/**
 * The host CLI as one ESM file (dist/exo.js), for running without tsx.
 * `bin/exo.js` runs the TypeScript sources directly, so a checkout never runs a stale build.
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
    // Commands are lazy imports in the sources; one file here.
    output: { file: join(root, "dist", "exo.js"), format: "esm", sourcemap: true, inlineDynamicImports: true },
  };
}
