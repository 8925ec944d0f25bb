/**
 * Errors a person can act on: a message, a hint naming the fix, no stack. The
 * host side throws them (boards, the simulator, the build, the CLI), so they
 * live below all of it.
 *
 * Usage: `throw new UserError("no bundle at dist/firmware.js", "run `exo build` first")`
 * The single catch in tools/cli/main.ts prints `exo <cmd>: <message>` and the
 * hint, and exits 1. Anything else is a bug: stack trace and exit 70.
 */
export class UserError extends Error {
  constructor(message: string, readonly hint?: string, readonly exitCode = 1) {
    super(message);
    this.name = "UserError";
  }
}
