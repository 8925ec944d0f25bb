/**
 * The footprint half of `exo bench kernel` (issue 12): minified bytes and
 * variables of three firmwares — the kernel with a trivial app; the kernel
 * with libos/fs (mounted) + libos/sched (one task) + a trivial app; the
 * default firmware (every app in apps/) — as the Linux board builds them.
 *
 * Bytes: the minified text, and what `exo flash` stores (pretokenised).
 * Variables are read on the real interpreter twice per way of running:
 * "top", right after the script's top level (the source text still counts:
 * a 20 KB comment-only script reads 1,470 then and 48 a tick later), and
 * "started", at the first tick after every app has started
 * (`exo.status().started`) and what they queued then has run. Booted from
 * Storage the way `exo flash` stores it (pretokenised, as `.bootcde`,
 * started by `load()`: function bodies stay in flash), and run as a file,
 * as text (every function's text is copied to RAM).
 *
 * Usage: `await footprint(root, bin)`; without `bin` only bytes.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { buildDevice } from "../build/device.ts";
import { storedImage } from "../build/pretokenise.ts";
import { runInterpreter } from "./interpreter.ts";
import { DONE, bootFromStorage } from "./storage-boot.ts";

export interface Footprint {
  name: string;
  apps: string[];
  /** Minified text (dist/firmware.js). */
  bytes: number;
  /** What `exo flash` stores: the text pretokenised. */
  stored: number;
  /** Variables in use; absent without an interpreter. */
  storage?: { top: number; started: number };
  file?: { top: number; started: number };
}

const TRIVIAL = 'import type { AppCaps } from "../../firmware/types.ts";\nexport function start(caps: AppCaps): void {\n  caps.services.log("trivial: started");\n}\n';

// Mounts its extent (formats it the first time) and runs one coop task: what an app with both LibOSes holds.
// `libos` is the path of libos/ from the app's folder (a temporary one).
const withLibos = (libos: string) => [
  'import type { AppCaps } from "../../firmware/types.ts";',
  `import { fsFormat, fsMount } from "${libos}/fs/index.ts";`,
  `import { create } from "${libos}/sched/coop.ts";`,
  "export function start(caps: AppCaps): void {",
  "  let fs = fsMount(caps.flash!, caps.services);",
  "  if (typeof fs === \"number\") {",
  "    fsFormat(caps.flash!, caps.services);",
  "    fs = fsMount(caps.flash!, caps.services);",
  "  }",
  "  const s = create(caps.timer, caps.services);",
  "  s.spawn(\"idle\", () => 1000);",
  '  caps.services.log("withlibos: " + (typeof fs === "number" ? "no fs " + fs : "mounted"));',
  "}",
  "",
].join("\n");

/** Printed by code appended to the bundle: variables after the top level, then once every app has started. */
const PROBE =
  'print("EXO-TOP "+process.memory().usage);' +
  'var __w=setInterval(function(){if(typeof exo!=="undefined"&&!exo.status().started)return;clearInterval(__w);' +
  `setTimeout(function(){print("EXO-STARTED "+process.memory().usage);print("${DONE}");if(typeof quit==="function")quit()},0)},0);`;

function figures(out: string, how: string): { top: number; started: number } {
  const top = /EXO-TOP (\d+)/.exec(out);
  const started = /EXO-STARTED (\d+)/.exec(out);
  if (!top || !started) throw new Error(`footprint: no memory figures ${how}:\n${out.slice(-1500)}`);
  return { top: Number(top[1]), started: Number(started[1]) };
}

export async function footprint(root: string, bin?: string): Promise<Footprint[]> {
  const dir = mkdtempSync(join(tmpdir(), "exo-bench-footprint-"));
  try {
    for (const [name, manifest, source] of [
      ["trivial", {}, TRIVIAL],
      ["withlibos", { timers: 2, flash: 6 }, withLibos(relative(join(dir, "withlibos"), join(root, "libos")))],
    ] as const) {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, "manifest.json"), JSON.stringify({ name, ...manifest }));
      writeFileSync(join(dir, name, "main.ts"), source);
    }
    const every = ["blinky", "logger", "morse", "sampler", "telemetry"];
    const sets: [string, string[]][] = [
      ["kernel + trivial app", ["trivial"]],
      ["kernel + fs (mounted) + sched + trivial app", ["withlibos"]],
      ["default firmware", every],
    ];
    const out: Footprint[] = [];
    for (const [name, apps] of sets) {
      const file = join(dir, apps.join("-") + ".js");
      await buildDevice({ root, board: "linux", apps, appDirs: [dir], out: file, verify: true });
      const code = readFileSync(file, "utf8");
      const stored = Buffer.from(storedImage(code)).toString("latin1"); // what exo flash stores
      const f: Footprint = { name, apps, bytes: Buffer.byteLength(code), stored: stored.length };
      if (bin) {
        f.storage = figures(await bootFromStorage(bin, stored, PROBE, { ms: 5000 }), "booted from Storage");
        const run = runInterpreter(bin, code + "\n" + PROBE, { dir, file: "run.js", encoding: "latin1", timeoutMs: 60_000 });
        f.file = figures(run.stdout, "run as a file");
      }
      out.push(f);
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
