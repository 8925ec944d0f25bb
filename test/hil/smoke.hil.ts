/** On-device smoke tests: run with `exo test --sim` or `exo test --hil --port P`. */
import { test } from "../../tools/serial/harness/harness.ts";

declare const E: { CRC32(data: string): number };
declare function setTimeout(fn: () => void, ms: number): number;

test("E.CRC32 is the standard CRC-32", () => {
  if (E.CRC32("123456789") !== 0xcbf43926) throw new Error("E.CRC32('123456789') = " + E.CRC32("123456789"));
});

test("a timer fires (callback style)", (done) => {
  const at = Date.now();
  setTimeout(() => done(Date.now() - at >= 0 ? undefined : new Error("time went backwards")), 20);
});

test("a promise resolves", () => new Promise<void>((resolve) => setTimeout(resolve, 5)));

test("classes and template literals run", () => {
  class Point {
    x: number;
    constructor(x: number) {
      this.x = x;
    }
    twice() {
      return `${this.x * 2}`;
    }
  }
  if (new Point(21).twice() !== "42") throw new Error("class method");
});
