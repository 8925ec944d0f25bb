import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

/** The Exo checkout this CLI belongs to: the nearest folder above `from` with firmware/ and package.json. */
export function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "firmware"))) return dir;
    if (dirname(dir) === dir) throw new Error(`no Exo checkout above ${from}`);
  }
}
