// Test files share a worker's module cache (vitest.config.ts): a file that mocks a module must run in the
// isolated project, or its mock replaces the module for every file after it in the same worker.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { expect, it } from "vitest";
import { MOCKING } from "../../../vitest.config.ts";

const root = join(import.meta.dirname, "..", "..", "..");

it("every test file that mocks a module runs isolated", () => {
  const files = readdirSync(join(root, "test"), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".test.ts"));
  const mocking = files
    .map((f) => relative(root, join(root, "test", f)))
    .filter((f) => /\bvi\.(mock|doMock|stubGlobal|stubEnv)\(/.test(readFileSync(join(root, f), "utf8")));
  expect(mocking.sort()).toEqual([...MOCKING].sort());
});
