/**
 * Where an app faulted on the simulator, in its own source: the stack of the
 * error the kernel caught (hal/sim keeps it), read back through the
 * simulator's rewrite and the bundle's source map.
 *
 * Usage:
 *   const sites = faultSites(device, bundle, code, map);   // watch the console with sites.seen(line)
 *   sites.of("thrower")   // → "apps/thrower/main.ts:9:11", or undefined when not known
 *
 * The frame named is the first in the bundle that maps outside the kernel
 * (firmware/, hal/): an app's own line, or the LibOS line it called; the
 * first frame when every one is the kernel's.
 */
import type { SimDevice } from "../../hal/sim/device.ts";
import { isAbsolute } from "node:path";
import { createLocator } from "../gate/sourcemap.ts";
import { shown } from "./paths.ts";

/** "kernel: app NAME faulted: …", the kernel's line for a fault (firmware/apps.ts). */
const FAULT_LINE = /^kernel: app (\S+) faulted: /;

export interface FaultSites {
  /** Give every console line: a fault line takes the stack the kernel caught just before it. */
  seen(line: string): void;
  /** Where `app` last faulted, as file:line:column of the source. */
  of(app: string): string | undefined;
}

/** `base`: the folder a source outside the checkout is shown relative to (the user's project). */
export function faultSites(device: SimDevice, bundle: string, code: string, map: string | undefined, base = process.cwd()): FaultSites {
  const stacks = new Map<string, string>();
  let locator: ReturnType<typeof createLocator> | undefined;
  const frames = (stack: string) => {
    const out: string[] = [];
    for (const line of stack.split("\n")) {
      const m = /\((.*):(\d+):(\d+)\)$/.exec(line) ?? /at (.*):(\d+):(\d+)$/.exec(line);
      if (!m || m[1] !== bundle) continue;
      const offset = device.sourceOffset(m[1], Number(m[2]), Number(m[3]));
      if (offset === undefined) continue;
      locator ??= createLocator(code, { file: bundle, map });
      const at = locator.locate(offset);
      out.push(`${isAbsolute(at.file) ? shown(at.file, base) : at.file}:${at.line}:${at.column}`);
    }
    return out;
  };
  return {
    seen(line) {
      const m = FAULT_LINE.exec(line);
      const stack = device.lastCaught;
      // Only the error this line reports (its message is in the line): an older catch says nothing about this fault.
      const message = stack ? stack.split("\n")[0].replace(/^\w*: /, "").slice(0, 24) : "";
      if (m && stack && line.slice(m[0].length).startsWith(message)) stacks.set(m[1], stack);
    },
    of(app) {
      const stack = stacks.get(app);
      if (!stack) return undefined;
      const all = frames(stack);
      return all.find((f) => !/^(firmware|hal)\//.test(f)) ?? all[0];
    },
  };
}
