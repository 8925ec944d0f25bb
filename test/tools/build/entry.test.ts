/** checkAppEntry: an app's main.ts parses and exports a function `start`, or the error names the file, the line and the fix. */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkAppEntry } from "../../../tools/build/entry.ts";
import { UserError } from "../../../hal/user-error.ts";

/** Write `files` (path under apps/x → text) into a fresh project folder; check apps/x/main.ts. */
function check(files: Record<string, string> | string): UserError | undefined {
  const root = mkdtempSync(join(tmpdir(), "exo-entry-"));
  for (const [name, text] of Object.entries(typeof files === "string" ? { "main.ts": files } : files)) {
    const file = join(root, "apps", "x", name);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return checkAppEntry(join(root, "apps", "x", "main.ts"), "apps/x/main.ts");
}

/** The error for `files`: a UserError (returned, not thrown). */
function error(files: Record<string, string> | string): UserError {
  const e = check(files);
  expect(e).toBeInstanceOf(UserError);
  return e!;
}

const START = "export function start(caps: AppCaps) { … }";

describe("checkAppEntry: accepted entry points", () => {
  it.each([
    ["a function declaration", "export function start() {}\n"],
    ["a typed function with an import type", 'import type { AppCaps } from "../../firmware/types.ts";\nexport function start(caps: AppCaps): void {\n  caps.services.log("hi");\n}\n'],
    ["a const arrow", "export const start = (caps: unknown) => {};\n"],
    ["a const function expression", "export const start = function (caps: unknown) {};\n"],
    ["a const arrow in parentheses under `as`", "export const start = ((caps: unknown) => {}) as unknown as (c: unknown) => void;\n"],
    ["overloads with one body", "export function start(a: number): void;\nexport function start(a: unknown): void {}\n"],
    ["`export { start }` of a local function", "function start() {}\nexport { start };\n"],
    ["`export { go as start }` of a local const arrow", "const go = () => {};\nexport { go as start };\n"],
    ["a default export beside a named start", "export function start() {}\nexport default function () {}\n"],
    ["a LibOS import (not followed)", 'export { start } from "../../libos/sched/index.ts";\n'],
  ])("%s", (_, source) => {
    expect(check(source)).toBeUndefined();
  });

  it("follows a relative re-export, an import then export, and `export *` into the other file", () => {
    const impl = "export function start() {}\n";
    expect(check({ "main.ts": 'export { start } from "./impl.ts";\n', "impl.ts": impl })).toBeUndefined();
    expect(check({ "main.ts": 'import { start } from "./impl.ts";\nexport { start };\n', "impl.ts": impl })).toBeUndefined();
    expect(check({ "main.ts": 'export * from "./impl.ts";\n', "impl.ts": impl })).toBeUndefined();
    expect(check({ "main.ts": 'export { run as start } from "./lib/impl.ts";\n', "lib/impl.ts": "export const run = () => {};\n" })).toBeUndefined();
  });
});

describe("checkAppEntry: rejected, with the file, line and fix", () => {
  it("a syntax error: file:line:col and the compiler's message", () => {
    const e = error("export function start() {\n  let n = 0;\n  n = 1 2;\n}\n");
    expect(e.message).toBe("apps/x/main.ts:3:9 ';' expected");
    expect(e.hint).toMatch(/fix the syntax/);
  });

  it("a syntax error counts the others", () => {
    expect(error("export function start() {\n  for (let i = 0 i < 3; i++) {}\n}\n").message).toMatch(/^apps\/x\/main\.ts:2:18 ',' expected \(and \d+ more syntax errors?\)$/);
  });

  it("no `start`: says to add one", () => {
    const e = error("export function main() {}\n");
    expect(e.message).toBe("apps/x/main.ts exports no `start` (it exports `main`)");
    expect(e.hint).toContain(`add \`${START}\``);
    expect(error("const x = 1;\n").message).toBe("apps/x/main.ts exports no `start`");
  });

  it("`Start`: names are case-sensitive", () => {
    expect(error("export function Start() {}\n").hint).toMatch(/rename `Start` to `start`/);
  });

  it("`export default function` instead: says to export a named `start`", () => {
    const e = error("export default function (caps: unknown) {}\n");
    expect(e.message).toMatch(/^apps\/x\/main\.ts:1:1 exports a default and no `start`: the kernel calls the named export `start`/);
    expect(e.hint).toContain("export a named `start` instead of `export default`");
    expect(e.hint).toContain(START);
    expect(error("const start = () => {};\nexport default start;\n").message).toMatch(/exports a default and no `start`/);
  });

  it("`export const start = 42`: not a function", () => {
    const e = error("export const start = 42;\n");
    expect(e.message).toBe("apps/x/main.ts:1:14 `start` is `42`, not a function: `start` must be a function declaration or a const initialised with a function or arrow expression");
    expect(e.hint).toContain(START);
  });

  it("a const initialised with a call, a string or an object: not a function", () => {
    expect(error("const make = () => () => {};\nexport const start = make();\n").message).toMatch(/:2:14 `start` is `make\(\)`, not a function/);
    expect(error('export const start = "go";\n').message).toMatch(/`start` is `"go"`, not a function/);
    expect(error("export const start = { run() {} };\n").message).toMatch(/not a function/);
  });

  it("`export let start` and `export var start`: must be a const", () => {
    expect(error("export let start = () => {};\n").message).toMatch(/^apps\/x\/main\.ts:1:12 `start` is declared with `let`, so it could be reassigned: `start` must be a function declaration or a const/);
    expect(error("export var start = function () {};\n").message).toMatch(/declared with `var`/);
  });

  it("a destructured start, a class, an enum, a type, a body-less declaration", () => {
    expect(error("const o = { start() {} };\nexport const { start } = o;\n").message).toMatch(/`start` comes out of a destructuring pattern/);
    expect(error("export class start {}\n").message).toMatch(/:1:1 `start` is a class/);
    expect(error("export enum start { A }\n").message).toMatch(/`start` is an enum/);
    expect(error("export type start = () => void;\n").message).toMatch(/`start` is only a type/);
    expect(error("export declare function start(): void;\n").message).toMatch(/declared without a body/);
    expect(error("export declare const start: () => void;\n").message).toMatch(/declared without a value/);
  });

  it("`export { start }` of a local that is not a function points at the local", () => {
    expect(error("const start = 42;\nexport { start };\n").message).toMatch(/^apps\/x\/main\.ts:1:7 `start` is `42`, not a function/);
    expect(error("let go = () => {};\nexport { go as start };\n").message).toMatch(/:1:5 `start` is declared with `let`/);
    expect(error("export { go as start };\n").message).toMatch(/:1:10 exports `go` as `start`, and the file declares no `go`/);
  });

  it("a re-export is checked in the file it comes from, and names that file", () => {
    expect(error({ "main.ts": 'export { start } from "./impl.ts";\n', "impl.ts": "export const start = 1;\n" }).message).toMatch(
      /^apps\/x\/impl\.ts:1:14 `start` is `1`, not a function/,
    );
    expect(error({ "main.ts": 'export { start } from "./impl.ts";\n', "impl.ts": "export const go = () => {};\n" }).message).toBe(
      "apps/x/impl.ts exports no `start` (apps/x/main.ts takes `start` from it)",
    );
    expect(error({ "main.ts": 'export * from "./impl.ts";\n', "impl.ts": "export function start() {\n" }).message).toBe("apps/x/impl.ts:2:1 '}' expected");
  });

  it("a file that cannot be read", () => {
    const root = mkdtempSync(join(tmpdir(), "exo-entry-"));
    expect(checkAppEntry(join(root, "main.ts"), "apps/x/main.ts")?.message).toMatch(/^apps\/x\/main\.ts cannot be read/);
  });
});
