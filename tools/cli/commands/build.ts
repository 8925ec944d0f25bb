/**
 * `exo build`: type-check
 * every app against its own manifest's capabilities (tools/build/typecheck.ts; each project app's
 * apps/<name>/caps.ts written first, for editors: tools/build/caps-type.ts), bundle kernel + LibOS +
 * apps for one board, gate it, report its size. Board and apps default to the project's
 * exo.config.json (tools/cli/project.ts); the bundle goes to the project's dist/. Wi-Fi credentials come from
 * --wifi-config or EXO_WIFI_SSID/EXO_WIFI_PASSWORD (esp32 only; tools/build/device.ts).
 */
import { resolve } from "node:path";
import { findBoard } from "../../../hal/boards.ts";
import { buildDevice, loadBuildApps, type DeviceBuildResult } from "../../build/device.ts";
import { writeCapsTypes } from "../../build/caps-type.ts";
import { typecheckApps } from "../../build/typecheck.ts";
import { formatViolation } from "../../gate/check.ts";
import { UserError } from "../../../hal/user-error.ts";
import { shown } from "../paths.ts";
import { EXO_ROOT, findProject, projectApps } from "../project.ts";

export interface BuildOptions {
  /** Where exo runs: the project is the nearest folder at or above it with exo.config.json. */
  cwd: string;
  /** The Exo package: firmware/, libos/, the examples (default: the one this code is in). */
  exo?: string;
  board?: string;
  apps?: string;
  out?: string;
  wifiConfig?: string;
  /** commander's `--no-typecheck` sets typecheck: false. */
  typecheck?: boolean;
}

export async function run(options: BuildOptions): Promise<DeviceBuildResult> {
  const project = findProject(options.cwd, options.exo ?? EXO_ROOT);
  const names = options.apps?.split(",").map((a) => a.trim()).filter(Boolean) ?? projectApps(project);
  const board = options.board ?? project.config.board;
  const grants = loadBuildApps({ root: project.exo, project: project.dir, apps: names }, findBoard(board));
  writeCapsTypes(grants, project.exo);
  if (options.typecheck !== false) {
    const errors = typecheckApps(project.exo, grants, project.dir);
    if (errors.length) {
      throw new UserError(
        `type errors in the apps (${errors.length}); nothing was built:\n` + errors.map((e) => "  " + e).join("\n"),
        "fix them (a pin the manifest does not name, a pin mode or edge that does not exist, …), or build anyway with --no-typecheck",
      );
    }
  }
  const result = await buildDevice({
    root: project.exo,
    project: project.dir,
    board,
    apps: names,
    out: options.out && resolve(options.cwd, options.out),
    wifiConfig: options.wifiConfig && resolve(options.cwd, options.wifiConfig),
  });
  if (result.violations.length) {
    throw new UserError(
      `the dialect gate rejects ${shown(result.file)} (${result.violations.length} construct${result.violations.length > 1 ? "s" : ""} Espruino cannot run):\n` +
        result.violations.map((v) => "  " + formatViolation(v)).join("\n"),
      "rewrite those lines; espruino.md §1 lists what the interpreter runs",
    );
  }
  return result;
}

export function render(result: DeviceBuildResult): string {
  return (
    `built ${shown(result.file)} for ${result.board}: ${result.bytes} bytes` +
    (result.stored ? ` (${result.stored.bytes} stored pretokenised, as ${result.stored.image})` : "") +
    ", " +
    `apps ${result.apps.join(", ") || "none"}, crc32 ${result.crc32.toString(16).padStart(8, "0")}; passes the dialect gate`
  );
}
