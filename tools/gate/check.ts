// The dialect gate: parse the final device bundle and report every construct
// that Espruino cannot run (espruino.md §1), at its original TypeScript file
// and line through the bundle's source map. The build fails on any violation.
import fs from "node:fs";
import path from "node:path";
import { parse } from "acorn";
import { RULES, ruleById, type Hit, type Rule, type RuleContext } from "./rules.ts";
import { analyze } from "./scope.ts";
import { createLocator } from "./sourcemap.ts";

export interface Violation {
  rule: string;
  construct: string;
  hint: string;
  /** Original source file (through the map), else the bundle. */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

export interface CheckOptions {
  /** The bundle's path as it should appear in reports (default "bundle.js"). */
  file?: string;
  /** Its source map (JSON text or object). Default: an inline data: URL in the bundle. */
  map?: string | object;
  /** Where the map file lives, for resolving its `sources` (default: file + ".map"). */
  mapFile?: string;
}

// Node type -> rules that look at it, built once.
const RULES_BY_TYPE = new Map<string, Rule[]>();
for (const r of RULES) {
  for (const t of r.on ?? []) {
    const list = RULES_BY_TYPE.get(t) ?? [];
    list.push(r);
    RULES_BY_TYPE.set(t, list);
  }
}

export function checkBundle(code: string, options: CheckOptions = {}): Violation[] {
  const locator = createLocator(code, options);
  const toViolation = (rule: Rule, offset: number, hit?: Hit): Violation => {
    const at = locator.locate(offset);
    return {
      rule: rule.id,
      construct: hit?.construct ?? rule.construct,
      hint: hit?.detail ? `${hit.detail}; ${rule.hint}` : rule.hint,
      file: at.file,
      line: at.line,
      column: at.column,
    };
  };

  let program;
  try {
    // Parse with the newest grammar so that modern constructs are reported by
    // name rather than as a bare parse error.
    program = parse(code, { ecmaVersion: "latest", sourceType: "script" });
  } catch (err) {
    const e = err as SyntaxError & { pos?: number };
    return [toViolation(ruleById("syntax"), e.pos ?? 0, { node: { start: 0, end: 0 }, detail: e.message })];
  }

  let analysis;
  try {
    analysis = analyze(program);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    // Too deeply nested for the walk: refuse rather than pass unchecked.
    return [toViolation(ruleById("syntax"), 0, { node: { start: 0, end: 0 }, detail: "too deeply nested for the gate to check" })];
  }
  const ctx: RuleContext = {
    analysis,
    parent: (n) => analysis.parentOf.get(n) ?? null,
    key: (n) => analysis.keyOf.get(n) ?? "",
    isGlobal: (n) => {
      const ref = n.type === "Identifier" ? analysis.refOf.get(n) : undefined;
      return !!ref && ref.decl === null;
    },
    where: (offset) => {
      const at = locator.locate(offset);
      return `${at.file}:${at.line}`;
    },
    nameAt: (offset, fallback) => locator.locate(offset).name ?? fallback,
  };

  const found: { rule: Rule; hit: Hit }[] = [];
  for (const node of analysis.nodes) {
    const rules = RULES_BY_TYPE.get(node.type);
    if (!rules) continue;
    for (const rule of rules) {
      const hit = rule.detect!(node, ctx);
      if (hit) found.push({ rule, hit });
    }
  }
  for (const rule of RULES) {
    if (rule.detectAll) for (const hit of rule.detectAll(ctx)) found.push({ rule, hit });
  }

  // One report per rule and place, in bundle order.
  found.sort((x, y) => x.hit.node.start - y.hit.node.start);
  const seen = new Set<string>();
  const out: Violation[] = [];
  for (const { rule, hit } of found) {
    const key = `${rule.id}@${hit.node.start}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(toViolation(rule, hit.node.start, hit));
  }
  return out;
}

/** The gate as the simulated device takes it (hal/sim/device.ts `gate`): each violation as a line. */
export function bundleGate(code: string, source: { file: string; map?: string | object }): string[] {
  return checkBundle(code, { file: source.file, map: source.map }).map(formatViolation);
}

/** "firmware/boot.ts:12:3  destructuring: <hint>" (the construct is named when the rule id does not say it). */
export function formatViolation(v: Violation): string {
  const what = v.construct === v.rule ? "" : `${v.construct} — `;
  return `${v.file}:${v.line}:${v.column}  ${v.rule}: ${what}${v.hint}`;
}

/**
 * Check a bundle on disk. Its map is `<bundle>.map`, or the file named by a
 * `//# sourceMappingURL=` comment, or an inline data: URL.
 */
export function checkFile(bundlePath: string): Violation[] {
  const code = fs.readFileSync(bundlePath, "utf8");
  let mapFile = bundlePath + ".map";
  const url = /\/\/[#@]\s*sourceMappingURL=(?!data:)(\S+)\s*$/.exec(code)?.[1];
  if (!fs.existsSync(mapFile) && url) mapFile = path.join(path.dirname(bundlePath), url);
  const map = fs.existsSync(mapFile) ? fs.readFileSync(mapFile, "utf8") : undefined;
  return checkBundle(code, { file: bundlePath, map, mapFile });
}
