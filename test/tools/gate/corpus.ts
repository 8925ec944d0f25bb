// The corpus: one snippet per row of espruino.md §1. `fails/<rule>[.<variant>].js`
// must be rejected with that rule; `works/<name>.js` must be accepted. Every
// snippet prints OK when the construct behaves as standard JavaScript says.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const CORPUS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "corpus");

export interface Snippet {
  kind: "works" | "fails";
  name: string;
  file: string;
  code: string;
  /** For a failing snippet: the rule that must fire (from the file name). */
  rule: string | null;
  /** Other rules allowed to fire too (a first-line comment `// also: a b`). */
  also: string[];
  /** A first-line comment `// node: skip` (uses an Espruino-only global). */
  skipOnNode: boolean;
}

export function loadCorpus(): Snippet[] {
  const out: Snippet[] = [];
  for (const kind of ["works", "fails"] as const) {
    const dir = path.join(CORPUS_DIR, kind);
    for (const name of fs.readdirSync(dir).filter((f) => f.endsWith(".js")).sort()) {
      const file = path.join(dir, name);
      const code = fs.readFileSync(file, "utf8");
      const first = code.split("\n", 1)[0] ?? "";
      out.push({
        kind, name, file, code,
        rule: kind === "fails" ? name.split(".")[0]! : null,
        also: /^\/\/ also: (.*)$/.exec(first)?.[1]?.trim().split(/\s+/) ?? [],
        skipOnNode: /^\/\/ node: skip/.test(first),
      });
    }
  }
  return out;
}

/** True when the program's output has a line that is just "OK" (prompts and ANSI codes stripped). */
export function printedOK(output: string): boolean {
  return output.split(/\r?\n/).some((line) =>
    line.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").replace(/^>+/, "").trim() === "OK");
}
