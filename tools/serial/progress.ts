/**
 * A progress bar on stderr (cli-progress) when stderr is a terminal; silent otherwise.
 *
 * Usage: `const bar = progressBar("auto", "flash"); bar.update(done, total); bar.stop();`
 *
 * Contract: never writes to stdout (which carries `--json`); "off" and a
 * non-terminal stderr give a bar that does nothing.
 */
import cliProgress from "cli-progress";

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

export function progressBar(mode: "auto" | "off", label: string): Progress {
  if (mode === "off" || !process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: `${label} [{bar}] {percentage}% | {value}/{total} bytes | {eta_formatted}`, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total) {
      if (!started) {
        bar.start(total, done);
        started = true;
      } else bar.update(done);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
