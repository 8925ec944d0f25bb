/**
 * The kernel's status, for the host: apps, their grants and what they hold,
 * faults, overruns, repossessions, the flash ledger (owner and erase count of
 * every sector) and the packet rings.
 *
 * Usage: the host evaluates `JSON.stringify(exo.status())` on the device
 * (SimDevice.eval, or the serial EVAL packet).
 *
 * Contract: doc/xrd/xrd105-caps.md §Status. Times in ms, rounded.
 */
import { repossessions, type App } from "./apps.ts";
import { held } from "./caps.ts";
import { FLOOR_MS } from "./timers.ts";
import { extentOf, ledgerStatus, quarantined } from "./ledger.ts";
import { packetStatus } from "./packets.ts";

/** `started`: every app has been loaded and started (each in a callback of its own after boot: boot.ts). */
export function status(apps: App[], slice: number, started: boolean) {
  const ledger = ledgerStatus();
  return {
    started,
    slice,
    floor: FLOOR_MS,
    apps: apps.map((app) => {
      const extent = extentOf(app.name);
      return {
        name: app.name,
        state: app.state,
        error: app.error,
        faults: app.faults,
        restarts: app.restarts,
        overruns: app.overruns,
        upcalls: app.upcalls,
        cpu: Math.round(app.cpu),
        worst: Math.round(app.worst),
        grew: app.grew,
        logDropped: app.logDropped,
        pins: app.grant.pins,
        timers: app.grant.timers,
        flash: extent ? { first: extent.first, count: extent.count, erases: ledger.erases.slice(extent.first, extent.first + extent.count) } : undefined,
        packets: app.grant.packets,
        holds: held(app.name).map((entry) => entry.name),
        withdrawn: app.withdrawn,
      };
    }),
    repossessions,
    quarantined: quarantined(),
    ledger,
    packets: packetStatus(),
  };
}
