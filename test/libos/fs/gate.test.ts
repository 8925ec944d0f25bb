/**
 * libos/fs passes the dialect gate: bundled the way the device build does it
 * (TypeScript → ES2015, one iife, terser with the settings of
 * tools/build/device.ts deviceMinifier — called directly, because the rollup
 * terser plugin's worker returns its input unchanged under tsx/vitest),
 * every public function kept, then checked with tools/gate's checkBundle.
 */
import { join } from "node:path";
import { rollup } from "rollup";
import { minify } from "terser";
import { describe, expect, it } from "vitest";
import { typescript } from "../../../tools/build/transpile.ts";
import { checkBundle } from "../../../tools/gate/check.ts";

const root = join(import.meta.dirname, "../../..");

/** The device bundle of libos/fs alone: its code and source map. */
export async function bundleFs(): Promise<{ code: string; map: object }> {
  const entry = "\0exo-fs-entry";
  const bundle = await rollup({
    input: entry,
    plugins: [
      {
        name: "entry",
        resolveId: (id) => (id === entry ? entry : null),
        load: (id) => (id === entry ? `import * as fs from ${JSON.stringify(join(root, "libos/fs/index.ts"))};\nexport default fs;\n` : null),
      },
      typescript("ES2015"),
    ],
  });
  const { output } = await bundle.generate({ format: "iife", name: "exoFs", strict: false, freeze: false, sourcemap: true });
  await bundle.close();
  const min = await minify(output[0].code, {
    ecma: 2015,
    toplevel: true,
    compress: { passes: 2, hoist_funs: false, hoist_vars: false, top_retain: ["exoFs"] },
    mangle: { toplevel: true, reserved: ["of", "static", "let", "undefined", "exoFs"] },
    format: { comments: false },
    sourceMap: { content: output[0].map as never, asObject: true },
  });
  return { code: min.code!, map: min.map as object };
}

describe("libos/fs on the device", () => {
  it("passes the dialect gate as a device bundle", async () => {
    const { code, map } = await bundleFs();
    const violations = checkBundle(code, { file: "libos-fs.js", map });
    expect(violations.map((v) => `${v.file}:${v.line} ${v.construct}: ${v.hint}`)).toEqual([]);
    // The whole API is in it (a bundle that tree-shook everything away would pass trivially).
    for (const name of ["fsFormat", "fsMount", "fsUnmount", "fsGc", "fsRemove", "fsList", "fsStat", "fileOpen", "fileWrite", "fileSync", "fileRead", "fileClose", "fsCheck", "fsStats"]) expect(code).toContain(`${name}:`);
    expect(code.length).toBeGreaterThan(5000);
    expect(code.length).toBeLessThan(17000);
  });
});
