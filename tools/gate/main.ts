// `tsx tools/gate/main.ts dist/firmware.js [more.js...]`: run the dialect gate
// on bundles on disk; prints one line per violation and exits 1 if any.
import { checkFile, formatViolation } from "./check.ts";
import { ranDirectly } from "../ran-directly.ts";

// hal/espruino/globals.d.ts declares the device's `process` for the whole
// project, which hides Node's; this is the host's.
const host = (globalThis as unknown as { process: NodeJS.Process }).process;

export function runGate(bundles: string[], log: (line: string) => void = (line) => host.stderr.write(line + "\n")): number {
  let count = 0;
  for (const b of bundles) {
    for (const v of checkFile(b)) {
      log(formatViolation(v));
      count++;
    }
  }
  if (count) log(`dialect gate: ${count} construct${count === 1 ? "" : "s"} Espruino cannot run`);
  return count ? 1 : 0;
}

if (ranDirectly(import.meta.url, "main.ts")) {
  const args = host.argv.slice(2);
  host.exitCode = runGate(args.length ? args : ["dist/firmware.js"]);
}
