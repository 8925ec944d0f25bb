/**
 * One LibOS module as a device bundle of its own: an IIFE that sets one
 * global, minified like the firmware. For tests and benchmarks that run a
 * library on the interpreter without the kernel.
 *
 * Usage: `const { code, map } = await libraryBundle(join(root, "libos/fs/index.ts"), "exoFs")`
 */
import { rollup } from "rollup";
import { minify } from "terser";
import { deviceTerserOptions } from "./device.ts";
import { typescript } from "./transpile.ts";

export async function libraryBundle(entryFile: string, global: string): Promise<{ code: string; map: object }> {
  const entry = "\0exo-library-entry";
  const bundle = await rollup({
    input: entry,
    plugins: [
      {
        name: "exo-library-entry",
        resolveId: (id) => (id === entry ? entry : null),
        load: (id) => (id === entry ? `import * as library from ${JSON.stringify(entryFile)};\nexport default library;\n` : null),
      },
      typescript("ES2015"),
    ],
  });
  try {
    const { output } = await bundle.generate({ format: "iife", name: global, strict: false, freeze: false, sourcemap: true });
    const min = await minify(output[0].code, { ...deviceTerserOptions(global), sourceMap: { content: output[0].map as never, asObject: true } });
    return { code: min.code!, map: min.map as object };
  } finally {
    await bundle.close();
  }
}
