import { UserError } from "../../hal/user-error.ts";

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "10s", "500ms", "2m", "1h" → milliseconds; a bare number is seconds. */
export function parseDuration(text: string, option = "--for"): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new UserError(`${option} ${text} is not a duration`, "write it like 10s, 500ms, 2m or 1h");
  return Number(match[1]) * units[match[2] ?? "s"];
}
