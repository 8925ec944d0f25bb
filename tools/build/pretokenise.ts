/**
 * Pretokenise a bundle the way Espruino stores code: each reserved word and
 * multi-character operator becomes the one byte the interpreter's lexer
 * makes of it, small integers and strings become raw tokens (no digits or
 * escapes to parse again), and whitespace goes except where two tokens
 * would run together or a line ends (line numbers and automatic semicolons
 * stay as they were). The upstream Web IDE and CLI store code this way.
 * No raw byte is ever 0 (a file loader that reads C strings stops there),
 * a line feed or a carriage return (the interpreter counts lines by them):
 * an integer or string whose raw form would hold one stays as text.
 *
 * Usage:
 *   const stored = pretokenise(code);   // a byte string (one char per byte, each < 256)
 *   detokenise(stored)                  // text the interpreter lexes exactly as `code`
 *
 * Contract: the interpreter's lexer yields the same token sequence from
 * `stored` as from `code`; `sameTokens(code, detokenise(stored))` proves it
 * on the host (the build checks every bundle it stores this way, so the
 * dialect gate's verdict on `code` holds for what is stored). Token numbers
 * are those of the interpreter's src/jslex.h, which its authors keep fixed
 * for the tools that pretokenise; test/tools/build/pretokenise.test.ts runs
 * pretokenised code on the interpreter when one is installed.
 *
 * Errors: a name or other token holding a character beyond ASCII (a byte
 * ≥ 128 would read as a token) throws, naming the line; such a string is
 * stored escaped; comments are dropped.
 */
import { tokenizer, type Token } from "acorn";
import { RAW_INT0, RAW_INT8, RAW_INT16, RAW_STRING8, RAW_STRING16, TOKEN, detokenise } from "../../hal/sim/tokens.ts";

const chr = (n: number) => String.fromCharCode(n);
/** A byte a raw token may carry: not NUL, LF or CR. */
const plain = (b: number) => b !== 0 && b !== 10 && b !== 13;
const valueOf = (t: Token): unknown => (t as Token & { value: unknown }).value;

/** What to store for one token: a byte token, a raw literal, or its text. */
function encode(code: string, t: Token): { out: string; verbatim: boolean } {
  const text = code.slice(t.start, t.end);
  const byte = TOKEN.get(text);
  if (byte !== undefined && t.type.label !== "template") return { out: chr(byte), verbatim: false };
  if (t.type.label === "num" && /^(0|[1-9][0-9]*|0[xX][0-9a-fA-F]+)$/.test(text)) {
    const v = Number(text);
    if (v === 0) return { out: chr(RAW_INT0), verbatim: false };
    // One or two digits are no longer than the raw token: keep them (the lexer reads them as fast).
    if (v < 128 && text.length > 2 && plain(v)) return { out: chr(RAW_INT8) + chr(v), verbatim: false };
    if (v >= 256 && v < 32768 && text.length > 3 && plain(v & 255) && plain(v >> 8)) return { out: chr(RAW_INT16) + chr(v & 255) + chr(v >> 8), verbatim: false };
  }
  if (t.type.label === "string") {
    const value = valueOf(t) as string;
    // ASCII without NUL or line breaks (beyond ASCII the lexer decides between bytes and UTF-8), no line continuation.
    if (/^[\x01-\x09\x0b\x0c\x0e-\x7f]+$/.test(value) && value.length < 65536 && plain(value.length & 255) && (value.length < 256 || plain(value.length >> 8)) && !text.includes("\n")) {
      const head = value.length < 256 ? chr(RAW_STRING8) + chr(value.length) : chr(RAW_STRING16) + chr(value.length & 255) + chr(value.length >> 8);
      return { out: head + value, verbatim: false };
    }
    // Beyond ASCII: the same value, escaped (a byte ≥ 128 would be read as a token or as UTF-8).
    if (/[^\x00-\x7f]/.test(text)) return { out: JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0")), verbatim: true };
  }
  return { out: text, verbatim: true };
}

function tokens(code: string): Token[] {
  return [...tokenizer(code, { ecmaVersion: "latest", sourceType: "script", locations: false })];
}

export function pretokenise(code: string): string {
  let out = "";
  let last: { verbatim: boolean; end: number } | undefined;
  for (const t of tokens(code)) {
    const { out: piece, verbatim } = encode(code, t);
    if (verbatim && /[^\x00-\x7f]/.test(piece)) {
      const at = code.slice(0, t.start).split("\n").length;
      throw new Error(`pretokenise: line ${at} holds a non-ASCII character outside an escape; the interpreter would read its bytes as tokens (write it as \\uXXXX)`);
    }
    if (last) {
      const between = code.slice(last.end, t.start);
      const lines = between.split("\n").length - 1;
      if (lines) out += "\n".repeat(lines);
      // Two verbatim tokens the source kept apart stay apart (`a b`, `- -`, `1 .x`); a byte token runs into nothing.
      else if (between.length && last.verbatim && verbatim) out += " ";
    }
    out += piece;
    last = { verbatim, end: t.end };
  }
  return out + "\n".repeat(code.slice(last?.end ?? 0).split("\n").length - 1);
}

/** Whether two sources lex to the same tokens (types and values), i.e. the interpreter runs them alike. */
export function sameTokens(a: string, b: string): boolean {
  const x = tokens(a);
  const y = tokens(b);
  if (x.length !== y.length) return false;
  const key = (t: Token) => {
    const v = valueOf(t) as { pattern: string; flags: string };
    return t.type.label === "regexp" ? `/${v.pattern}/${v.flags}` : v;
  };
  return x.every((t, i) => t.type === y[i].type && key(t) === key(y[i]));
}

/**
 * The bytes `exo flash` stores for a bundle: pretokenised, after proving that
 * the interpreter reads them as the bundle's own tokens (so the dialect
 * gate's verdict on the bundle holds for them). Throws when the bundle does
 * not parse or the proof fails.
 */
export function storedImage(code: string): Uint8Array {
  const stored = pretokenise(code);
  if (!sameTokens(code, detokenise(stored))) throw new Error("pretokenise: the stored form does not read back as the bundle's tokens (a bug in tools/build/pretokenise.ts; flash with --text meanwhile)");
  return Uint8Array.from(Buffer.from(stored, "latin1"));
}
