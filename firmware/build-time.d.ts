/** Modules the build generates (tools/build/device.ts): board facts and resolved manifests. */
declare module "exo:board" {
  const board: {
    name: string;
    version: string;
    /** The flash region the kernel hands out: absolute base, bytes, erase-sector bytes. */
    flash: { base: number; size: number; sector: number };
    led: number;
  };
  export default board;
}
declare module "exo:apps" {
  import type { AppStart } from "./types.ts";
  const apps: { name: string; pins: Record<string, number>; timers: number; start: AppStart }[];
  export default apps;
}
