/**
 * Boot: taming → board facts and resolved manifests → resource pools → the
 * watchdog's history and the kernel's tick → per app, in a callback of its
 * own: its module instances, its capabilities, its start. The only place that
 * wires hal → kernel managers → apps (a Tock board's main.rs).
 *
 * Usage: `boot()` once, from main.ts.
 *
 * Errors: an app whose requests conflict with an earlier app's (a pin, a
 * packet filter) or cannot be met (flash sectors, buffer budget) is refused
 * with a console line naming both apps and the resource; the others start.
 * An app that throws in `start` is faulted and restarted (apps.ts); one the
 * watchdog quarantined is not started (health.ts).
 *
 * Contract: DESIGN.md §2–3; doc/xrd/xrd105-caps.md. The host reads the
 * kernel's state through the one global this publishes, `exo` (status.ts).
 */
import board from "exo:board";
import grants, { dropFactories } from "exo:apps";
import { bindPin } from "../hal/espruino/pins.ts";
import { crc32, log, publish, sum } from "../hal/espruino/console.ts";
import { flash } from "../hal/espruino/flash.ts";
import { after, cancel, every, now } from "../hal/espruino/timers.ts";
import { net } from "../hal/espruino/net.ts";
import { tame } from "../hal/espruino/realm.ts";
import { system } from "../hal/espruino/system.ts";
import type { Hal, UdpSocket } from "../hal/types.ts";
import { fault, newApp, overrun, reclaim, startApp, type App } from "./apps.ts";
import { find, revoke } from "./caps.ts";
import { ENOENT, OK } from "./errors.ts";
import { loadLedger, reserveSectors } from "./ledger.ts";
import { MEMORY_EVERY_MS, after as afterUpcall, before, checkBoot, interrupted, readMemory, startHealth, unquarantine } from "./health.ts";
import { countUnrouted, deliver, onTransmit, packetGrants, reservePackets, transmit, type PacketGrant } from "./packets.ts";
import { reservePins } from "./pins.ts";
import { status } from "./status.ts";
import { configure } from "./upcalls.ts";

/** The longest an upcall may take before it is reported, ms. */
export const SLICE_MS = 20;

export function boot(): void {
  // Before any app code exists: the Function constructor out of reach (the build's checks are the first wall).
  tame();
  const hal: Hal = { pin: bindPin, flash, timers: { after, every, cancel }, now, log, crc32, sum, publish, net, system };
  log("Exo " + board.version + " on " + board.name + ", " + grants.length + " app" + (grants.length === 1 ? "" : "s"));
  configure({
    now, slice: SLICE_MS, fault, overrun: (app, ms) => overrun(app, ms, SLICE_MS), before, after: afterUpcall, interrupted,
    memory: readMemory, memoryEvery: MEMORY_EVERY_MS,
  });
  const apps: App[] = grants.map(newApp);
  const refuse = (app: App, code: number, why: string) => {
    if (app.state === "refused") return;
    app.state = "refused";
    app.error = why + " (" + code + ")";
    log("kernel: app " + app.name + " refused: " + why);
  };
  const refuseByName = (name: string, code: number, why: string) => {
    for (const app of apps) if (app.name === name) refuse(app, code, why);
  };

  // Pins: one owner each, on the board.
  reservePins(apps, board.pins, board.name, refuse);
  // Flash: every installed app keeps its sectors (a refused one too); the ledger reclaims the rest.
  loadLedger(hal, board.flash);
  reserveSectors(apps.map((app) => ({ name: app.name, count: app.grant.flash })), refuseByName);
  // Packet filters and rings.
  const wanted = [];
  for (const app of apps) {
    const p = app.grant.packets;
    if (p && app.state !== "refused") wanted.push({ name: app.name, protocol: p.protocol, port: p.port, rx: p.rx, tx: p.tx, peer: p.peer });
  }
  reservePackets(hal, wanted, board.packets, refuseByName);

  // The watchdog's history: an app that hung the device RESETS boots in a row is not started (health.ts).
  const quarantined = checkBoot(hal, apps);
  for (const app of apps) {
    if (app.state === "refused" || quarantined.indexOf(app.name) < 0) continue;
    app.state = "quarantined";
    app.error = "quarantined: the device reset while it ran, several boots in a row (exo.unquarantine(\"" + app.name + "\") lets it run from the next boot)";
    log("kernel: app " + app.name + " is quarantined, not started");
  }

  /** Every app has been loaded and started (below). */
  let started = false;
  publish("exo", {
    status: () => status(apps, SLICE_MS, started),
    reclaim: (app: string, name: string, ms: number, reason: string) => reclaim(apps, app, name, ms, reason || "the host asked"),
    unquarantine: (name: string) => (unquarantine(name) ? OK : ENOENT),
    deliver,
    transmit,
  });
  startHealth(hal, apps, board.variables);
  // Each app is loaded and started in a timer callback of its own, after boot: an interruption
  // (too much recursion, out of memory: no catch sees it) then ends that callback only, and an
  // app's errors carry no frame of the boot (an error's stack quotes each frame's line). The
  // next start is scheduled before this one runs, so nothing an app does stops the others'.
  const queue = apps.filter((app) => app.state === "running");
  const startNext = () => {
    const app = queue.shift();
    if (!app) {
      started = true;
      return dropFactories();
    }
    hal.timers.after(startNext, 0);
    startApp(hal, app);
  };
  hal.timers.after(startNext, 0);
  if (packetGrants().length && hal.net.available()) hal.net.up(board.net, (error) => (error ? log("kernel: network down: " + error) : wireNet(hal, apps)));
}

/**
 * The network is up: one UDP socket per udp filter, on the filter's port;
 * each datagram goes through the kernel's demultiplexer into the app's rx
 * ring. Each tx ring is flushed into its socket, to the grant's peer (the
 * board's peer host, the manifest's port), or without one back to whoever
 * last sent to that filter (xrd104 §7).
 */
function wireNet(hal: Hal, apps: App[]): void {
  const list = packetGrants();
  const sockets: (UdpSocket | undefined)[] = [];
  const hosts: string[] = [];
  const ports = new Uint16Array(list.length);
  let bound = 0;
  // A socket the interpreter cannot make (the port is taken) is that app's error, not the boot's.
  const bindRing = (ring: number, grant: PacketGrant) => {
    try {
      sockets[ring] = hal.net.bind(grant.port, (data, host, port) => {
        hosts[ring] = host;
        ports[ring] = port;
        deliver("udp", grant.port, data);
      }, log);
      bound++;
    } catch (error) {
      const why = "udp port " + grant.port + ": " + (error instanceof Error ? error.message : "" + error);
      log("kernel: app " + grant.name + ": no network: " + why);
      for (const app of apps) {
        if (app.name !== grant.name) continue;
        app.error = "no network: " + why;
        if (app.withdrawn.indexOf("packets") < 0) app.withdrawn.push("packets");
      }
      const entry = find(grant.name, "packets");
      if (entry) revoke(entry, "no network: " + why);
    }
  };
  for (let ring = 0; ring < list.length; ring++) if (list[ring].protocol === "udp") bindRing(ring, list[ring]);
  onTransmit((ring, data) => {
    const grant = list[ring];
    const socket = sockets[ring];
    const port = grant.peer || ports[ring];
    if (socket && port) socket.send(data, port, grant.peer ? board.net.host : hosts[ring]);
    else countUnrouted(ring);
  });
  log("kernel: network up, " + bound + " udp socket" + (bound === 1 ? "" : "s"));
}
