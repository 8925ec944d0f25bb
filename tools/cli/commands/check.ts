/**
 * `exo check [file]`: run the dialect gate over a bundle (default: the
 * project's dist/firmware.js), through its source map when `<file>.map` exists.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { checkBundle, formatViolation, type Violation } from "../../gate/check.ts";
import { UserError } from "../../../hal/user-error.ts";
import { findConfig } from "../project.ts";
import { shown } from "../paths.ts";

export interface CheckOptions {
  cwd: string;
  file?: string;
}

export interface CheckResult {
  file: string;
  bytes: number;
  mapped: boolean;
  violations: Violation[];
}

export async function run(options: CheckOptions): Promise<CheckResult> {
  const file = options.file ? resolve(options.cwd, options.file) : join(findConfig(options.cwd) ?? options.cwd, "dist", "firmware.js");
  if (!existsSync(file)) {
    throw new UserError(`no bundle at ${shown(file)}`, options.file ? "give the path of a .js file" : "build one with `exo build`");
  }
  const code = readFileSync(file, "utf8");
  const mapFile = file + ".map";
  const mapped = existsSync(mapFile);
  const violations = checkBundle(code, { file, map: mapped ? readFileSync(mapFile, "utf8") : undefined });
  return { file, bytes: Buffer.byteLength(code), mapped, violations };
}

export function render(result: CheckResult): string {
  if (!result.violations.length) return `${shown(result.file)}: ${result.bytes} bytes, passes the dialect gate`;
  return [
    `${shown(result.file)}: ${result.violations.length} construct(s) Espruino cannot run:`,
    ...result.violations.map((v) => "  " + formatViolation(v)),
  ].join("\n");
}

/** The exit code: a rejected bundle fails the command. */
export const failed = (result: CheckResult): boolean => result.violations.length > 0;
