// From a position in the bundle to a position in the original TypeScript,
// through the bundle's source map (v3). Without a map, or where the map has
// no mapping, the bundle's own file:line:column is reported instead.
import path from "node:path";
import {
  GREATEST_LOWER_BOUND, LEAST_UPPER_BOUND, TraceMap, originalPositionFor,
  type SourceMapInput,
} from "@jridgewell/trace-mapping";

/** A place in a file; line and column are 1-based. */
export interface Location {
  file: string;
  line: number;
  column: number;
  /** The original name of the identifier there, when the map records one. */
  name: string | null;
}

export interface LocatorOptions {
  /** The bundle's path, as it should appear in reports (default "bundle.js"). */
  file?: string;
  /** The source map, as JSON text or an object. Default: an inline data: URL in the bundle, if any. */
  map?: string | object;
  /** Where the map lives; `sources` are relative to it (default: `file` + ".map"). */
  mapFile?: string;
}

export interface Locator {
  /** Original location of a 0-based offset into the bundle. */
  locate(offset: number): Location;
  /** The bundle's own location of a 0-based offset (1-based line and column). */
  bundleLocation(offset: number): Location;
}

export function createLocator(code: string, options: LocatorOptions = {}): Locator {
  const file = options.file ?? "bundle.js";
  const lineStarts = [0];
  for (let i = code.indexOf("\n"); i !== -1; i = code.indexOf("\n", i + 1)) lineStarts.push(i + 1);

  const bundleLocation = (offset: number): Location => {
    let lo = 0, hi = lineStarts.length - 1;
    while (lo < hi) { // last line start <= offset
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid; else hi = mid - 1;
    }
    return { file, line: lo + 1, column: offset - lineStarts[lo]! + 1, name: null };
  };

  const mapInput = options.map ?? inlineMap(code);
  let traced: TraceMap | null = null;
  if (mapInput !== undefined) {
    try {
      traced = new TraceMap(mapInput as SourceMapInput);
    } catch {
      traced = null; // an unreadable map: fall back to bundle positions
    }
  }
  if (!traced) return { locate: bundleLocation, bundleLocation };

  const t = traced;
  const mapDir = path.posix.dirname(toPosix(options.mapFile ?? file + ".map"));
  const sourcePath = (source: string): string => {
    if (/^[a-z][a-z0-9+.-]*:/i.test(source) && !source.startsWith("file:")) return source; // webpack:// etc.
    const local = source.startsWith("file://") ? new URL(source).pathname : source;
    const joined = path.posix.normalize(path.posix.isAbsolute(local) ? local : path.posix.join(mapDir, local));
    const cwd = toPosix(path.resolve("."));
    return path.posix.isAbsolute(joined) && joined.startsWith(cwd + "/") ? joined.slice(cwd.length + 1) : joined;
  };

  const locate = (offset: number): Location => {
    const here = bundleLocation(offset);
    const needle = { line: here.line, column: here.column - 1 };
    let orig = originalPositionFor(t, { ...needle, bias: GREATEST_LOWER_BOUND });
    if (orig.source === null) orig = originalPositionFor(t, { ...needle, bias: LEAST_UPPER_BOUND });
    if (orig.source === null) return here;
    return { file: sourcePath(orig.source), line: orig.line, column: orig.column + 1, name: orig.name };
  };
  return { locate, bundleLocation };
}

function toPosix(p: string): string {
  return p.split(path.sep).join("/");
}

/** A `//# sourceMappingURL=data:...;base64,...` comment at the end of the bundle. */
function inlineMap(code: string): string | undefined {
  const m = /\/\/[#@]\s*sourceMappingURL=data:application\/json(?:;charset=[^;,]+)?;base64,([A-Za-z0-9+/=]+)\s*$/.exec(code);
  return m ? Buffer.from(m[1]!, "base64").toString("utf8") : undefined;
}
