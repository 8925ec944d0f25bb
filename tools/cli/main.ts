/**
 * `exo`: the host CLI. The commands and their options are in program.ts.
 *
 * Exit codes: 0 ok; 1 a user error (message + how to fix it, no stack) or a
 * failed check; 2 a usage error; 70 a bug in exo (stack, please report).
 */
import { CommanderError } from "commander";
import { UserError } from "../../hal/user-error.ts";
import { program, version } from "./program.ts";

// `exo … | head`: once the reader is gone, stop quietly (as cat does), not with an EPIPE stack.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

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
