/**
 * One way for the benches to run a script on the Linux interpreter
 * (`ESPRUINO_BIN`, `--espruino`): written to a file, run to its end, its
 * output read; under valgrind's callgrind when instructions are counted.
 *
 * Usage:
 *   const run = runInterpreter(bin, code, { callgrind: true });   // run.instructions
 *   const us = Number(resultOf(run, "EXO-US "));                    // the value a marker line printed
 *
 * Errors: throws when the interpreter printed `Uncaught` or `ASSERT` (the
 * bench script is wrong, not the figure), when callgrind printed no count, and
 * (resultOf) when no line carries the marker; each message ends with the
 * output's tail.
 *
 * The streaming benches (fs and net on the interpreter, a flash over
 * `--telnet`, a boot from Storage) talk to a running process instead; they
 * start it themselves.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface InterpreterRun {
  stdout: string;
  stderr: string;
  /** Instructions the whole run took (callgrind only). */
  instructions?: number;
}

export interface InterpreterRunOptions {
  /** Count instructions under `valgrind --tool=callgrind` (~50× slower). */
  callgrind?: boolean;
  /** Host ms before the run is killed. Default 600,000. */
  timeoutMs?: number;
  /** How stdout is decoded: latin1 keeps the interpreter's bytes one character each. Default utf8. */
  encoding?: "utf8" | "latin1";
  /** Run in this folder (default: a fresh temporary one, removed afterwards); the script is `file` there (code null: as it is). */
  dir?: string;
  file?: string;
}

export function runInterpreter(bin: string, code: string | null, options: InterpreterRunOptions = {}): InterpreterRun {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "exo-bench-espruino-"));
  const file = options.file ?? "bench.js";
  try {
    if (code !== null) writeFileSync(join(dir, file), code);
    const args = options.callgrind ? ["--tool=callgrind", "--callgrind-out-file=/dev/null", bin, file] : [file];
    const run = spawnSync(options.callgrind ? "valgrind" : bin, args, {
      cwd: dir,
      input: "",
      encoding: options.encoding ?? "utf8",
      timeout: options.timeoutMs ?? 600_000,
      killSignal: "SIGKILL",
    });
    const stdout = run.stdout ?? "";
    const stderr = run.stderr ?? "";
    if (/Uncaught|ASSERT/.test(stdout)) throw new Error("the interpreter failed on a bench script:\n" + stdout.slice(-2000));
    if (!options.callgrind) return { stdout, stderr };
    const count = /Collected : (\d+)/.exec(stderr);
    if (!count) throw new Error(`callgrind printed no count (exit ${run.status}${run.signal ? ", " + run.signal : ""}):\n` + stderr.slice(-2000));
    return { stdout, stderr, instructions: Number(count[1]) };
  } finally {
    if (!options.dir) rmSync(dir, { recursive: true, force: true });
  }
}

/** What follows `marker` on the first line of stdout that holds it. */
export function resultOf(run: InterpreterRun, marker: string): string {
  const line = run.stdout.split(/\r?\n/).find((l) => l.includes(marker));
  if (line !== undefined) return line.slice(line.indexOf(marker) + marker.length);
  throw new Error(`the bench script printed no ${marker.trim()} line:\n` + run.stdout.slice(-2000) + run.stderr.slice(-500));
}
