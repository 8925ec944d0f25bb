/**
 * `exo`: the host CLI. Each command is registered in one block below and
 * lives in tools/cli/commands/<name>.ts, exporting `run(options)` (returns
 * the data `--json` prints) and `render(result)` (what a person reads).
 *
 * Exit codes: 0 ok; 1 a user error (message + how to fix it, no stack) or a
 * failed check; 2 a usage error; 70 a bug in exo (stack, please report).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Command, CommanderError } from "commander";
import { UserError } from "./errors.ts";
import { findRoot } from "./root.ts";

// From tools/cli/ when run from source, from dist/ when bundled.
const root = findRoot(import.meta.dirname);
const version: string = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;

interface CommandModule<O, R> {
  run(options: O): Promise<R>;
  render(result: R): string;
  failed?(result: R): boolean;
  /** What `--json` prints, when it is not the whole result. */
  toJson?(result: R): unknown;
}

/** Run a command module: JSON or human output on stdout, exit 1 when the result is a failure. */
async function execute<O, R>(load: () => Promise<CommandModule<O, R>>, options: O & { json?: boolean }): Promise<void> {
  const command = await load();
  const result = await command.run(options);
  const json = () => JSON.stringify(command.toJson ? command.toJson(result) : result, null, 2);
  process.stdout.write((options.json ? json() : command.render(result)) + "\n");
  if (command.failed?.(result)) process.exitCode = 1;
}

const program = new Command("exo")
  .description("Build, check, simulate, flash and test Exo firmware for Espruino boards")
  .version(version)
  .exitOverride()
  .configureOutput({ writeErr: (text) => process.stderr.write(text) });

program
  .command("build")
  .description("bundle kernel + LibOS + apps into dist/firmware.js, gate it, report its size")
  .option("--board <name>", "board profile (esp32, linux)", "esp32")
  .option("--apps <list>", "comma-separated apps to bundle (default: all in apps/)")
  .option("--out <file>", "output file (default dist/firmware.js)")
  .option("--json", "print the result as JSON")
  .addHelpText("after", "\nExample:\n  exo build --board linux")
  .action((opts) => execute(() => import("./commands/build.ts"), { cwd: root, ...opts }));

program
  .command("check [file]")
  .description("run the dialect gate over a bundle (default dist/firmware.js): construct, file and line")
  .option("--json", "print the result as JSON")
  .addHelpText("after", "\nExample:\n  exo check dist/firmware.js")
  .action((file, opts) => execute(() => import("./commands/check.ts"), { cwd: process.cwd(), file, ...opts }));

program
  .command("sim")
  .description("boot the bundle on the simulated device (virtual clock) and show what it does")
  .option("--for <duration>", "simulated time to run: 10s, 500ms, 2m", "10s")
  .option("--vcd <file>", "write the GPIO waveform as VCD (GTKWave opens it)")
  .option("--seed <n>", "seed for Math.random and torn flash states", "1")
  .option("--board <name>", "board to simulate (default: the one the bundle was built for)")
  .option("--bundle <file>", "the bundle to boot (default dist/firmware.js)")
  .option("--flash <image>", "flash image file: loaded if it exists, saved at the end")
  .option("--json", "print the run report as JSON (console lines included)")
  .addHelpText("after", "\nExample:\n  exo sim --for 10s --vcd blinky.vcd")
  .action((opts) =>
    execute(() => import("./commands/sim.ts"), {
      cwd: process.cwd(),
      ...opts,
      live: opts.json ? undefined : (line: string) => process.stdout.write(line + "\n"),
    }),
  );

program
  .command("fs <image> <action> [name]")
  .description("read a libos/fs file system in a flash image, without changing it: ls, cat NAME, stat NAME, check, wear")
  .option("--base <offset>", "byte offset of the file system in the image (default: found by its headers; hex ok)")
  .option("--sector-size <bytes>", "erase sector size (default: from the headers)")
  .option("--count <sectors>", "sectors in the file system (default: from the headers)")
  .option("--svg <file>", "wear: also write the wear map as SVG")
  .option("--out <file>", "cat: write the file's bytes here instead of printing them")
  .option("--json", "print the result as JSON")
  .addHelpText("after", "\nExamples:\n  exo fs dev.flash ls\n  exo fs dev.flash wear --svg wear.svg")
  .action((image, action, name, opts) => execute(() => import("./commands/fs.ts"), { cwd: process.cwd(), image, action, name, ...opts }));

program
  .command("bench [suites...]")
  .description("run benchmark suites (all when none is named): fs, kernel; ratios against baselines measured in the same run")
  .option("--json", "print the results as JSON (fs: keys are LOGCFG §4 metric names)")
  .option("--powerloss", "fs: run LOGCFG §5 power-loss trials instead of the workloads")
  .option("--workloads <list>", "fs: comma list of w0,w1,batched")
  .option("--workload <name>", "fs --powerloss: w0, w1 or batched")
  .option("--records <n>", "fs: records per workload (LOGCFG N, default 20000)")
  .option("--idle <n>", "fs: garbage-collection budget the idle hook gives between records")
  .option("--trials <n>", "fs --powerloss: number of trials (default 100000)")
  .option("--seed <s>", "fs --powerloss: master seed, printed so any failure can be replayed")
  .option("--stride <k>", "fs --powerloss: the sampling plan's stride")
  .option("--negctl <1|2>", "fs --powerloss: a negative control, which must fail")
  .option("--workers <n>", "fs --powerloss: worker threads")
  .option("--replay <k:mode:seed>", "fs --powerloss: run one trial and print its detail")
  .option("--espruino <path>", "kernel: an Espruino binary built for Linux (default $ESPRUINO_BIN); without one, simulator only")
  .option("--iterations <n>", "kernel: operations per variant on the interpreter")
  .option("--no-callgrind", "kernel: time the interpreter with getTime() instead of counting instructions with callgrind")
  .addHelpText("after", "\nExamples:\n  exo bench fs --json\n  exo bench fs --powerloss --trials 100000 --seed 1\n  exo bench kernel --espruino ~/espruino/espruino")
  .action((names, opts) => execute(() => import("./commands/bench.ts"), { cwd: process.cwd(), suites: names, ...opts }));

/** Print a user error without a stack; anything else is a bug. */
function report(error: unknown): number {
  const name = program.args[0] ?? "";
  if (error instanceof UserError) {
    process.stderr.write(`exo ${name}: ${error.message}\n` + (error.hint ? `  ${error.hint}\n` : ""));
    return error.exitCode;
  }
  if (error instanceof CommanderError) {
    return error.exitCode === 0 ? 0 : 2;
  }
  process.stderr.write(`${(error as Error)?.stack ?? error}\nthis is a bug in exo ${version}, please report it\n`);
  return 70;
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = report(error);
}
