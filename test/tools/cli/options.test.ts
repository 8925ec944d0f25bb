/**
 * Option lists come from one place, tools/cli/program.ts: the README's command
 * table names every option of every command (or says where its help lists
 * them), and no option a command does not have.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { program } from "../../../tools/cli/program.ts";

const readme = readFileSync(join(import.meta.dirname, "..", "..", "..", "README.md"), "utf8");
/** The command table's rows (the section "The `exo` command"): their first cell (the synopsis) and the whole row. */
const section = readme.slice(readme.indexOf("## The `exo` command"), readme.indexOf("\n## ", readme.indexOf("## The `exo` command") + 1));
const rows = section
  .split("\n")
  .filter((line) => line.startsWith("| `exo "))
  .map((line) => ({ synopsis: line.slice(2, line.indexOf(" | ")), row: line }));
/** Rows whose synopsis starts a command line of `name`: "`exo sim …", "`exo sim\|run\|flash --watch`". */
const rowsOf = (name: string) => rows.filter((r) => [...r.synopsis.matchAll(/`exo ((?:[a-z]+\\\|)*[a-z]+)/g)].some((m) => m[1].split("\\|").includes(name)));
const flagsIn = (text: string) => [...text.matchAll(/(?<![\w-])--[a-z][a-z0-9-]*/g)].map((m) => m[0]);

describe("the README's command table and program.ts", () => {
  // `--json` is said once above the table, for every command that takes it.
  const jsonForAll = /those\s+that produce a result take `--json`/.test(readme);
  const commands = program.commands.map((c) => ({ name: c.name(), flags: c.options.map((o) => o.long!).filter((f) => f !== "--help") }));

  it("says once that commands with a result take --json", () => expect(jsonForAll).toBe(true));

  it("has a row for every command", () => {
    expect(commands.length).toBeGreaterThan(10);
    expect(commands.filter((c) => !rowsOf(c.name).length).map((c) => c.name)).toEqual([]);
  });

  for (const { name, flags } of commands) {
    it(`exo ${name}: every option in its row, none it lacks in its synopsis`, () => {
      const mine = rowsOf(name);
      const text = mine.map((r) => r.row).join("\n");
      // A command with many options may point at its --help instead of listing them.
      const pointsToHelp = mine.some((r) => r.synopsis.includes(`\`exo ${name} --help\``));
      if (!pointsToHelp) expect(flags.filter((f) => f !== "--json" && !flagsIn(text).includes(f)), `options of exo ${name} the README does not name`).toEqual([]);
      const known = new Set(flags);
      // The synopsis of `exo sim|run|flash --watch` names a flag all three share; `exo test --hil --port` is test's own.
      const foreign = mine.flatMap((r) => flagsIn(r.synopsis.replace(/`exo [a-z]+ --help`/g, ""))).filter((f) => !known.has(f) && f !== "--help");
      expect(foreign, `flags in exo ${name}'s synopsis that it does not take`).toEqual([]);
    });
  }
});
