/**
 * A lock every process on this machine shares: a directory in the temp
 * folder, made by whoever holds it (mkdir is atomic), with its pid inside so
 * a holder that died is noticed and its lock taken over.
 *
 * Why: the real interpreter's UDP sockets bind the machine's ports. Two test
 * files (or two suites) that run firmware with telemetry at once fight over
 * port 5700 — the loser's kernel stops the app — and each other's datagrams
 * reach the wrong listener. Tests that run such firmware hold INTERPRETER_UDP.
 *
 * Usage:
 *   await holdMachineLock(INTERPRETER_UDP, async () => { ...spawn the interpreter... });
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The real interpreter's UDP ports (telemetry's 5700/5701, echo's 7200). */
export const INTERPRETER_UDP = "interpreter-udp";

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};

export async function holdMachineLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const dir = join(tmpdir(), `exo-lock-${name}`);
  for (;;) {
    try {
      mkdirSync(dir);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    let stale: boolean;
    try {
      stale = !alive(Number(readFileSync(join(dir, "pid"), "utf8")));
    } catch {
      // No pid yet: its maker is writing it, unless it died in between (then the folder grows old).
      const made = statSync(dir, { throwIfNoEntry: false })?.mtimeMs;
      stale = made !== undefined && Date.now() - made > 10_000;
    }
    if (stale) rmSync(dir, { recursive: true, force: true });
    else await new Promise((resolve) => setTimeout(resolve, 200));
  }
  writeFileSync(join(dir, "pid"), String(process.pid));
  try {
    return await fn();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
