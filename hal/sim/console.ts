/**
 * The simulated device's console: Espruino-style formatting, lines stamped with simulated time.
 *
 * Usage:
 *   const out = new DeviceConsole(() => clock.now, (line, ms) => process.stdout.write(line + "\n"));
 *   out.print(["a", 1, { b: [1, "x"] }]);  // → `a 1 { "b": [ 1,` … as the interpreter lays it out
 *   out.lines                              // [{ line, simMs }, …]
 *
 * Errors: none; formatting never calls device code (no getters, no toString),
 * so a hostile value cannot run code outside the hang guard.
 *
 * Contract: strings print raw at the top level; everything else is laid out
 * like Espruino 2v29's console JSON (measured): `[ 1, 2 ]`, `{ "a": 1 }`, a
 * new line before any element that is not a number/boolean/pin/undefined/null,
 * at most 4 object members on the first line and 5 after a break, class
 * instances prefixed `Name: `, pins as `D5`, typed arrays as
 * `new Uint8Array([1, 2])` (all zeros as `new Uint8Array(2)`), functions as `function (x) {…}`.
 * Numbers use JavaScript's own formatting (Espruino prints fewer digits for
 * some floats, e.g. 1/3 as 0.33333333333); -0 prints as 0.
 */

/** One console line and the simulated time (ms) at which it was printed. */
export interface ConsoleLine {
  line: string;
  simMs: number;
}

/** How to recognise values that print specially (supplied by the API, which owns them). */
export interface FormatHooks {
  /** The name of a Pin object (`D5`), or undefined if `value` is not a pin. */
  pinName?(value: object): string | undefined;
  /** A function's text as the device code wrote it (the simulator rewrites the code it runs), or undefined. */
  functionSource?(fn: Function): string | undefined;
}

const JSON_ITEMS_ON_LINE_OBJECT = 4;
const INDENT = "  ";
const MAX_DEPTH = 32;

export class DeviceConsole {
  readonly lines: ConsoleLine[] = [];

  constructor(
    private now: () => number,
    private sink?: (line: string, simMs: number) => void,
    private hooks: FormatHooks = {},
  ) {}

  /** `print(...)` / `console.log(...)`: arguments joined by spaces, one entry per output line. */
  print(args: unknown[]): void {
    this.write(args.map((a) => (typeof a === "string" ? a : formatValue(a, this.hooks))).join(" "));
  }

  /** Append text as-is (split at newlines). */
  write(text: string): void {
    const simMs = this.now();
    for (const line of text.split("\n")) {
      this.lines.push({ line, simMs });
      this.sink?.(line, simMs);
    }
  }
}

/** Format one value as the Espruino console does for a non-string argument. */
export function formatValue(value: unknown, hooks: FormatHooks = {}): string {
  const seen = new Set<object>();
  return format(value, 0, seen, hooks);
}

/** Espruino puts a line break before values other than numbers, booleans, pins, undefined and null. */
function needsNewLine(value: unknown, hooks: FormatHooks): boolean {
  if (value === undefined || value === null || typeof value === "number" || typeof value === "boolean") return false;
  return !(typeof value === "object" && hooks.pinName?.(value));
}

function newLine(depth: number): string {
  return "\n" + INDENT.repeat(depth);
}

function format(value: unknown, depth: number, seen: Set<object>, hooks: FormatHooks): string {
  switch (typeof value) {
    case "string":
      return depth === 0 ? value : JSON.stringify(value);
    case "number":
      return Object.is(value, -0) ? "0" : String(value);
    case "boolean":
    case "undefined":
      return String(value);
    case "bigint":
      return String(value);
    case "symbol":
      return "Symbol()";
    case "function":
      return formatFunction(value, hooks);
  }
  if (value === null) return "null";
  const object = value as object;
  const pin = hooks.pinName?.(object);
  if (pin) return pin;
  if (seen.has(object) || depth > MAX_DEPTH) return "[Circular]";
  seen.add(object);
  try {
    if (ArrayBuffer.isView(object) && !(object instanceof DataView)) {
      const name = constructorName(object) ?? "Uint8Array";
      // All zeros (or empty) prints as its length, as on the interpreter: `new Uint8Array(2)`.
      const values = object as unknown as ArrayLike<number>;
      if (Array.prototype.every.call(values, (v: number) => v === 0)) return `new ${name}(${values.length})`;
      return `new ${name}([${Array.prototype.join.call(object, ", ")}])`;
    }
    if (Array.isArray(object)) return formatArray(object, depth, seen, hooks);
    if (isDate(object)) return `Date: ${formatDate(object)}`;
    if (isError(object)) {
      const name = constructorName(object) ?? "Error";
      const message = ownValue(object, "message");
      // Espruino prints the type, then the error's own text: "Error: Error: m".
      return `${name}: ${name}${message === undefined ? "" : ": " + String(message)}`;
    }
    const name = constructorName(object);
    const body = formatObject(object, depth, seen, hooks);
    return name && name !== "Object" ? `${name}: ${body}` : body;
  } finally {
    seen.delete(object);
  }
}

function formatArray(array: unknown[], depth: number, seen: Set<object>, hooks: FormatHooks): string {
  let out = "[ ";
  let needNewLine = false;
  for (let i = 0; i < array.length; i++) {
    if (i > 0) out += ", ";
    const item = ownValue(array, String(i));
    const itemNeedsNewLine = needsNewLine(item, hooks);
    if (needNewLine || itemNeedsNewLine) out += newLine(depth + 1);
    out += format(item, depth + 1, seen, hooks);
    needNewLine = itemNeedsNewLine;
  }
  if (needNewLine) out += newLine(depth);
  return out + " ]";
}

function formatObject(object: object, depth: number, seen: Set<object>, hooks: FormatHooks): string {
  let out = "{ ";
  let needNewLine = false;
  let sinceNewLine = 0;
  let first = true;
  for (const key of Object.keys(object)) {
    const item = ownValue(object, key);
    sinceNewLine++;
    if (!first) out += ", ";
    first = false;
    const itemNeedsNewLine = needsNewLine(item, hooks);
    // A full line breaks before this member only; the next one does not inherit it.
    if (needNewLine || itemNeedsNewLine || sinceNewLine > JSON_ITEMS_ON_LINE_OBJECT) {
      out += newLine(depth + 1);
      sinceNewLine = 0;
    }
    out += `${JSON.stringify(key)}: ${format(item, depth + 1, seen, hooks)}`;
    needNewLine = itemNeedsNewLine;
  }
  if (needNewLine) out += newLine(depth);
  return out + " }";
}

function formatFunction(fn: Function, hooks: FormatHooks): string {
  const source = hooks.functionSource?.(fn) ?? Function.prototype.toString.call(fn);
  const match = /^function\s*[\w$]*\s*\(([^)]*)\)\s*\{/.exec(source);
  // Espruino drops the name and puts one space between the parameters and the body.
  return match ? `function (${match[1]}) {${source.slice(match[0].length)}` : source;
}

/** A data property's value; accessors are not called (they would run device code). */
function ownValue(object: object, key: string): unknown {
  const descriptor = Object.getOwnPropertyDescriptor(object, key);
  return descriptor && "value" in descriptor ? descriptor.value : undefined;
}

/** The name of the object's constructor, read without running device code. */
function constructorName(object: object): string | undefined {
  let proto: object | null;
  try {
    proto = Object.getPrototypeOf(object);
  } catch {
    return undefined;
  }
  if (proto === null) return undefined;
  const ctor = ownValue(proto, "constructor");
  if (typeof ctor !== "function") return undefined;
  const name = ownValue(ctor, "name");
  return typeof name === "string" && name ? name : undefined;
}

function isDate(object: object): object is Date {
  try {
    Date.prototype.getTime.call(object);
    return true;
  } catch {
    return false;
  }
}

function isError(object: object): boolean {
  // Works across realms: device errors come from the vm context's Error.
  return Object.prototype.toString.call(object) === "[object Error]";
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Espruino's Date text, in GMT: `Thu Jan 1 1970 00:00:00 GMT+0000`. */
function formatDate(date: Date): string {
  const time = Date.prototype.getTime.call(date);
  if (Number.isNaN(time)) return "Invalid Date";
  const d = new Date(time);
  const two = (n: number) => String(n).padStart(2, "0");
  return (
    `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()} ${d.getUTCFullYear()} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} GMT+0000`
  );
}

/** The line Espruino prints for an error nobody caught: `Uncaught Error: boom`, `Uncaught str`. */
export function uncaughtText(error: unknown): string {
  if (typeof error === "string") return `Uncaught ${error}`;
  if (typeof error === "object" && error !== null && isError(error)) {
    const message = ownValue(error, "message");
    return `Uncaught ${constructorName(error) ?? "Error"}: ${message === undefined ? "" : String(message)}`;
  }
  return `Uncaught ${formatValue(error)}`;
}
