/** libos/fs's codes in words, as apps print them. */
import { describe, expect, it } from "vitest";
import * as codes from "../../../libos/fs/errors.ts";
import { fsErrorText } from "../../../libos/fs/errors.ts";

describe("fsErrorText", () => {
  it("names every error code in words, with the number", () => {
    const errors = Object.entries(codes).filter(([name, v]) => typeof v === "number" && v < 0) as [string, number][];
    expect(errors.length).toBe(10);
    for (const [name, code] of errors) expect(fsErrorText(code)).toMatch(new RegExp(`^${name}: [a-z].* \\(${code}\\)$`));
    expect(fsErrorText(codes.ENOSPC)).toBe("ENOSPC: no space left (-28)");
  });
  it("leaves other numbers as they are (a byte count, an unknown code)", () => {
    expect(fsErrorText(8)).toBe("8");
    expect(fsErrorText(-99)).toBe("-99");
  });
});
