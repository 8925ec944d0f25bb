/**
 * `--watch` for exo sim, run and flash: do the command, then wait for a
 * saved change to the project's sources and do it again, until Ctrl-C.
 *
 * Watched: the project's apps/ (every file but the caps.ts exo writes
 * there) and exo.config.json; in Exo's checkout also firmware/, hal/ and
 * libos/. Changes within 150 ms of each other are one change (an editor's
 * save is several writes). A command that fails with a UserError (a type
 * error, a rejected construct) prints it and waits for the fix.
 *
 * Usage: `await watchLoop(project, (changed) => once(changed), { say })`: `changed` resolves at the
 *        next change, for a command that runs until then (exo run, the monitor after exo flash).
 */
import { existsSync, watch, type FSWatcher } from "node:fs";
import { join } from "node:path";
import { UserError } from "../../hal/user-error.ts";
import { CAPS_FILE } from "../build/caps-type.ts";
import { shown } from "./paths.ts";
import { CONFIG_FILE, type Project } from "./project.ts";

export interface WatchOptions {
  /** Where the loop's own lines go. */
  say: (line: string) => void;
  /** Resolves to end the loop (tests; Ctrl-C otherwise). */
  stop?: Promise<void>;
  quietMs?: number;
}

/** The folders and files whose changes count. */
export function watchedPaths(project: Project): string[] {
  const inCheckout = project.dir === project.exo;
  const dirs = [join(project.dir, "apps"), ...(inCheckout ? ["firmware", "hal", "libos"].map((d) => join(project.exo, d)) : [])];
  return [...dirs, join(project.dir, CONFIG_FILE)].filter((p) => existsSync(p));
}

/** Resolves once a watched file changes (then stays resolved); `close` stops watching. */
function changes(paths: string[], quietMs: number): { changed: Promise<string>; close: () => void } {
  let watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  let resolve!: (file: string) => void;
  const changed = new Promise<string>((r) => (resolve = r));
  const close = () => {
    for (const w of watchers) w.close();
    watchers = [];
    clearTimeout(timer);
  };
  for (const path of paths) {
    watchers.push(
      watch(path, { recursive: true }, (_event, file) => {
        const name = String(file ?? "");
        if (name === CAPS_FILE || name.endsWith("/" + CAPS_FILE)) return; // exo's own output
        clearTimeout(timer);
        timer = setTimeout(() => {
          close();
          resolve(name ? join(path, name) : path);
        }, quietMs);
      }),
    );
  }
  return { changed, close };
}

export async function watchLoop(project: Project, once: (changed: Promise<string>) => Promise<void>, options: WatchOptions): Promise<void> {
  const stopped = new Promise<"stop">((resolve) => {
    options.stop?.then(() => resolve("stop"));
    process.once("SIGINT", () => resolve("stop"));
  });
  for (;;) {
    const next = changes(watchedPaths(project), options.quietMs ?? 150);
    try {
      await once(next.changed);
    } catch (error) {
      if (!(error instanceof UserError)) {
        next.close();
        throw error;
      }
      options.say(`exo: ${error.message}` + (error.hint ? `\n  ${error.hint}` : ""));
    }
    options.say("── watching for changes to the project's apps and exo.config.json (Ctrl-C stops)");
    const why = await Promise.race([next.changed, stopped]);
    next.close();
    if (why === "stop") return;
    options.say(`── ${shown(why)} changed`);
  }
}

/** The options of the command being watched, as commander gives them, plus where exo runs. */
type CommandOptions = Record<string, unknown> & { cwd: string; exo: string };

/**
 * `exo sim|run|flash --watch`: sim builds and runs again after each change; run sends the new build
 * (the change stops the running one); flash uploads (the flasher skips an unchanged image) and keeps
 * the console open until the next change.
 */
export async function watchCommand(kind: "sim" | "run" | "flash", options: CommandOptions, stop?: Promise<void>): Promise<void> {
  const { findProject } = await import("./project.ts");
  const say = (line: string) => process.stdout.write(line + "\n");
  const live = (line: string) => say(line);
  const project = findProject(options.cwd, options.exo);
  await watchLoop(
    project,
    async (changed) => {
      if (kind === "sim") {
        const build = await import("./commands/build.ts");
        say(build.render(await build.run({ cwd: options.cwd, exo: options.exo, board: options.board as string | undefined })));
        const sim = await import("./commands/sim.ts");
        say(sim.render(await sim.run({ ...options, live })));
      } else if (kind === "run") {
        const run = await import("./commands/run.ts");
        say(run.render(await run.run({ ...options, live, stop: changed.then(() => undefined) })));
      } else {
        const flash = await import("./commands/flash.ts");
        say(flash.render(await flash.run(options)));
        const monitor = await import("./commands/monitor.ts");
        await monitor.run({ ...options, for: undefined, stop: changed.then(() => undefined) });
      }
    },
    { say, stop },
  );
}
