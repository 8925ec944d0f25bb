/** Modules the build generates (tools/build/device.ts): board facts and resolved manifests. */
declare module "exo:board" {
  const board: {
    name: string;
    version: string;
    /** The flash region the kernel hands out: absolute base, bytes, erase-sector bytes, sectors per ledger copy. */
    flash: { base: number; size: number; sector: number; ledger: number };
    led: number;
    /** Variables the device has at least (the memory guard's total when the store reports fewer: a growing store). */
    variables: number;
    /** Pins D0 .. D(pins-1) exist. */
    pins: number;
    /** Bytes of packet rings the kernel may hand out, over all apps. */
    packets: number;
    /**
     * The network, from build-time configuration (never the source): Wi-Fi
     * credentials (absent for Linux and the simulator: loopback) and the host
     * that grants with a `peer` port send to.
     */
    net: { ssid?: string; password?: string; host: string };
  };
  export default board;
}
declare module "exo:apps" {
  import type { Grant } from "./apps.ts";
  const apps: Grant[];
  export default apps;
  /** Let go of the apps' module factories (each `load` works until then): the kernel calls it once every app is loaded. */
  export function dropFactories(): void;
}
