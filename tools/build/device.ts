/**
 * The device build: kernel + LibOS + apps → one minified IIFE for Espruino,
 * with its source map, gated by the dialect gate.
 *
 * Usage: `const result = await buildDevice({ root, board: "esp32" })`
 *
 * Errors: UserError for an unknown board or bad manifests; a bundle the gate
 * rejects is still written (to read it), and `result.violations` lists why.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { imageName } from "../serial/boot-stub.ts";
import { storedImage } from "./pretokenise.ts";
import { rollup, type OutputOptions, type Plugin, type RollupOptions, type SourceMapInput } from "rollup";
import { minify } from "terser";
import { deviceFacts, findBoard, type Board } from "../../hal/boards.ts";
import { checkBundle, formatViolation, type Violation } from "../gate/check.ts";
import { UserError } from "../../hal/user-error.ts";
import { bundleApps, formatProblem, type BundledApps } from "./confine/app-bundle.ts";
import { PACKET_BUDGET, ledgerSectors, loadApps, type AppGrant } from "./manifests.ts";
import { typescript } from "./transpile.ts";

export interface DeviceBuildOptions {
  /** The Exo package (holds firmware/, libos/, and the example apps in apps/). */
  root: string;
  /**
   * The user's project (tools/cli/project.ts): its apps/ is searched first, then Exo's examples; the
   * bundle goes to its dist/. Default: root is the project.
   */
  project?: string;
  /** Board profile name. Default esp32. */
  board?: string;
  /** Apps to bundle. Default: every app in apps/. */
  apps?: string[];
  /** Output file. Default <root>/dist/firmware.js. */
  out?: string;
  /** More folders of apps, searched after apps/ (e.g. test/fixtures/apps). */
  appDirs?: string[];
  /**
   * Check the manifests against each other (pins, packet filters, totals).
   * Default true; false leaves conflicts to the kernel's boot (its own tests).
   */
  check?: boolean;
  /**
   * Confinement of app code (tools/build/confine/: static verification and
   * run-time guards). Default true. false only for benchmarks whose
   * generated apps run raw baselines beside the capability
   * (tools/bench/kernel.ts); `exo build` has no way to turn it off.
   */
  verify?: boolean;
  /**
   * A JSON file `{"ssid", "password", "host"}`: the Wi-Fi the device joins and
   * the host its apps' `peer` ports are on. Else the environment:
   * EXO_WIFI_SSID, EXO_WIFI_PASSWORD, EXO_PEER_HOST. Never in the source.
   * Baked into `exo:board` for the esp32 only (the Linux build and the
   * simulator use loopback).
   */
  wifiConfig?: string;
}

/** The board's network facts from build-time configuration (see `wifiConfig`). */
export function netConfig(board: Board, file?: string, env: NodeJS.ProcessEnv = process.env): { ssid?: string; password?: string; host: string } {
  let config: { ssid?: unknown; password?: unknown; host?: unknown } = {};
  if (file) {
    try {
      config = JSON.parse(readFileSync(file, "utf8"));
    } catch (error) {
      throw new UserError(`--wifi-config ${file}: ${(error as Error).message}`, 'give a JSON file like {"ssid": "…", "password": "…", "host": "192.168.1.10"}');
    }
  } else {
    config = { ssid: env.EXO_WIFI_SSID, password: env.EXO_WIFI_PASSWORD, host: env.EXO_PEER_HOST };
  }
  const text = (v: unknown) => (typeof v === "string" && v ? v : undefined);
  const host = text(config.host) ?? "127.0.0.1";
  if (board.name !== "esp32" || !text(config.ssid)) return { host };
  return { ssid: text(config.ssid), password: text(config.password) ?? "", host };
}

/** What `exo build` reports, and what dist/firmware.json keeps. */
export interface DeviceBuildResult {
  file: string;
  board: string;
  apps: string[];
  bytes: number;
  crc32: number;
  /** What `exo flash` stores (pretokenised) and the name of its image (`exo.<crc32>`); absent when the gate rejects the bundle. */
  stored?: { bytes: number; image: string };
  violations: Violation[];
}

/**
 * `exo:board` and `exo:apps` (the board facts and the resolved manifests),
 * and the apps' module factories (confine/app-bundle.ts): each app's `load`
 * instantiates the factories it needs, dependencies first (a shared one
 * once, for every app), and returns its `start`; `dropFactories()` lets go
 * of every factory once the apps are loaded.
 */
function buildTimeModules(board: Board, apps: AppGrant[], bundled: BundledApps, version: string, net: ReturnType<typeof netConfig>): Plugin {
  const loaders = bundled.apps.map(({ chunks }) => {
    const made = chunks.map(({ factory, deps }, k) => {
      const call = `f${factory}(${deps.map((d) => "m" + chunks.findIndex((c) => c.factory === d)).join(",")})`;
      // A shared chunk: the first app that loads it makes the one instance (s<i>), the others take it.
      return `m${k}=` + (bundled.factories[factory]!.shared ? `s${factory}||(s${factory}=${call})` : call);
    });
    return `function(){var ${made.join(",")};return m${chunks.length - 1}.start}`;
  });
  const instances = bundled.factories.flatMap((f, i) => (f.shared ? ["s" + i] : []));
  const sources: Record<string, string> = {
    "exo:board": `export default ${JSON.stringify({
      ...deviceFacts(board),
      flash: { ...deviceFacts(board).flash, ledger: ledgerSectors(board) },
      pins: board.pins,
      packets: PACKET_BUDGET,
      net,
      version,
    })};`,
    "exo:apps": [
      ...bundled.factories.map((f, i) => `import { factory as f${i}, drop as d${i} } from ${JSON.stringify(f.id)};`),
      ...(instances.length ? [`var ${instances.join(",")};`] : []),
      `export function dropFactories() {${bundled.factories.map((f, i) => `d${i}();`).join("")}}`,
      `export default [${apps
        .map(
          (app, i) =>
            `{name:${JSON.stringify(app.name)},pins:${JSON.stringify(app.pins)},timers:${app.timers},flash:${app.flash},` +
            (app.packets ? `packets:${JSON.stringify(app.packets)},` : "") +
            `load:${loaders[i]}}`,
        )
        .join(",")}];`,
    ].join("\n"),
  };
  const factories = new Map(bundled.factories.map((f) => [f.id, { code: f.code, map: f.map as SourceMapInput }]));
  return {
    name: "exo-build-time-modules",
    resolveId: (id) => (factories.has(id) ? id : id in sources ? "\0" + id : null),
    load: (id) => factories.get(id) ?? (id.startsWith("\0") && id.slice(1) in sources ? sources[id.slice(1)] : null),
  };
}

function exoVersion(root: string): string {
  return JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;
}

/**
 * The dialect gate as the build's last step: reads the written bundle and its
 * map, and hands the violations to `report` (or fails the build without one).
 */
function gate(report?: (violations: Violation[]) => void): Plugin {
  return {
    name: "exo-dialect-gate",
    writeBundle(output) {
      const file = output.file!;
      const violations = checkBundle(readFileSync(file, "utf8"), { file, map: readFileSync(file + ".map", "utf8") });
      if (report) report(violations);
      else if (violations.length) this.error("the dialect gate rejects " + file + ":\n" + violations.map(formatViolation).join("\n"));
    },
  };
}

/** Terser settings for Espruino: ES2015 output, mangled names, nothing moved before its declaration. */
export function deviceMinifier(): Plugin {
  const options = deviceTerserOptions();
  return {
    name: "exo-terser",
    // In this process: @rollup/plugin-terser starts a worker (and loads terser in it) for every build.
    async renderChunk(code) {
      const out = await minify(code, { ...options, sourceMap: { asObject: true } });
      return { code: out.code!, map: out.map as SourceMapInput };
    },
  };
}

/** The same settings for a bundle that exports one global, `keep` (it must survive top-level mangling). */
export function deviceTerserOptions(keep?: string) {
  const kept = keep ? [keep] : [];
  return {
    ecma: 2015 as const,
    toplevel: true,
    // inline: 1 — inlining a function with parameters turns them into `var`s declared after their first
    // use (`(a=x, f(a)); var a`), which Espruino does not hoist (the gate's hoisting rule caught it).
    // passes: 1 — a second pass saved 162 B of the default bundle's 51 KB and took 1,146 ms against 555 ms.
    compress: { passes: 1, hoist_funs: false, hoist_vars: false, inline: 1, top_retain: kept },
    // Names Espruino cannot bind (the gate's reserved-binding rule); terser picks `of` in big scopes.
    mangle: { toplevel: true, reserved: ["of", "static", "let", "undefined", ...kept] },
    // Short lines: an error's `stack` on Espruino quotes the whole source line of every frame (and pads a caret line to
    // its column), so one long line would put all the firmware's text — other apps' code, the baked-in Wi-Fi
    // credentials — into any app's error, and cost memory for each.
    // ASCII only: the ESP32's interpreter has no Unicode, so a raw "ÿ" in the output would be two bytes there
    // and never equal the one-byte "\xff" a string built at run time holds (the key guard compares exactly that).
    format: { comments: false, max_line_len: 120, ascii_only: true },
  };
}

type DeviceRollupOptions = RollupOptions & { output: OutputOptions; board: string; apps: string[] };

/** The apps a build takes, resolved for `board`: the project's own first, then Exo's examples (and appDirs). */
export function loadBuildApps(options: Pick<DeviceBuildOptions, "root" | "project" | "apps" | "appDirs" | "check">, board: Board): AppGrant[] {
  const home = options.project ?? options.root;
  const dirs = home === options.root ? options.appDirs : [join(options.root, "apps"), ...(options.appDirs ?? [])];
  return loadApps(home, board, options.apps, { dirs, check: options.check });
}

/** Rollup options for the device bundle (also what rollup.config.js exports). */
export async function deviceRollupOptions(
  options: DeviceBuildOptions,
  report?: (violations: Violation[]) => void,
): Promise<DeviceRollupOptions> {
  const board = findBoard(options.board);
  const apps = loadBuildApps(options, board);
  const home = options.project ?? options.root;
  // The apps bundled as module factories, verified and guarded (confine/): what the kernel loads is what was checked.
  const bundled = await bundleApps(apps, { root: options.root, project: options.project, confine: options.verify !== false });
  const problems = bundled.problems;
  if (problems.length) {
    throw new UserError(
      `static verification rejects ${problems.length} construct(s) in app code:\n` + problems.map((p) => "  " + formatProblem(p)).join("\n"),
      "apps reach hardware, timers and the console only through their capabilities (caps.pins, caps.timer, caps.services…), and never a shared built-in",
    );
  }
  const out = options.out ?? join(home, "dist", "firmware.js");
  return {
    apps: apps.map((app) => app.name),
    board: board.name,
    input: join(options.root, "firmware", "main.ts"),
    plugins: [buildTimeModules(board, apps, bundled, exoVersion(options.root), netConfig(board, options.wifiConfig)), typescript("ES2015"), deviceMinifier(), gate(report)],
    output: {
      file: out,
      format: "iife",
      strict: false, // Espruino ignores "use strict"; it only costs bytes
      freeze: false, // no Object.freeze (espruino.md §1)
      sourcemap: true,
    },
  };
}

/** Build, write, gate; describe the result in dist/firmware.json. */
export async function buildDevice(options: DeviceBuildOptions): Promise<DeviceBuildResult> {
  let violations: Violation[] = [];
  const { board, apps, ...config } = await deviceRollupOptions(options, (found) => (violations = found));
  const bundle = await rollup(config);
  try {
    await bundle.write(config.output);
  } finally {
    await bundle.close();
  }
  const file = config.output.file!;
  const code = readFileSync(file, "utf8");
  const result: DeviceBuildResult = {
    file,
    board,
    apps,
    bytes: Buffer.byteLength(code),
    crc32: crc32(code),
    violations,
  };
  if (!violations.length) {
    const image = storedImage(code);
    result.stored = { bytes: image.length, image: imageName(crc32(image)) };
  }
  writeFileSync(file.replace(/\.js$/, ".json"), JSON.stringify(result, null, 2) + "\n");
  return result;
}
