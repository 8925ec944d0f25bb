/**
 * `exo bench [suite…] [suite options]`: run benchmark suites (all
 * when none is named). Each suite lives in tools/bench/<suite>.ts and reports
 * ratios against a baseline it measures in the same run.
 */
import { UserError } from "../../../hal/user-error.ts";

interface Suite {
  run(options: object): Promise<unknown>;
  render(result: never): string;
  failed?(result: never): boolean;
}

/** Suites by name; `fs --powerloss` is LOGCFG §5, a suite of its own. */
const suites: Record<string, (options: { powerloss?: boolean }) => Promise<Suite>> = {
  fs: (o) => (o.powerloss ? import("../../bench/powerloss.ts") : import("../../bench/fs.ts")) as Promise<Suite>,
  kernel: () => import("../../bench/kernel.ts") as Promise<Suite>,
  flash: () => import("../../bench/flash.ts") as Promise<Suite>,
  sched: () => import("../../bench/sched.ts") as Promise<Suite>,
  net: () => import("../../bench/net.ts") as Promise<Suite>,
};

export interface BenchOptions {
  cwd: string;
  suites?: string[];
  powerloss?: boolean;
  [option: string]: unknown;
}

export interface BenchResult {
  suites: Record<string, unknown>;
  /** Human text per suite, not part of --json. */
  text: string[];
  failed: boolean;
}

export async function run(options: BenchOptions): Promise<BenchResult> {
  const names = options.suites?.length ? options.suites : Object.keys(suites);
  for (const name of names) {
    if (!suites[name]) throw new UserError(`no benchmark suite "${name}"`, `suites: ${Object.keys(suites).join(", ")}`);
  }
  const result: BenchResult = { suites: {}, text: [], failed: false };
  for (const name of names) {
    const suite = await suites[name](options);
    process.stderr.write(`exo bench: ${name}${options.powerloss ? " --powerloss" : ""}…\n`);
    const outcome = await suite.run(options);
    result.suites[name] = outcome;
    result.text.push(suite.render(outcome as never));
    if (suite.failed?.(outcome as never)) result.failed = true;
  }
  return result;
}

export const render = (result: BenchResult): string => result.text.join("\n\n");

export const toJson = (result: BenchResult): unknown => result.suites;

/** A suite that misses its goals, or a power-loss run with failures, fails the command. */
export const failed = (result: BenchResult): boolean => result.failed;
