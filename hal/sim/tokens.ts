/**
 * The interpreter's single-byte tokens (src/jslex.h; its authors keep the
 * numbers fixed for the tools that pretokenise), and the text it reads from
 * stored code: the simulator runs a pretokenised image as the chip does.
 *
 * Usage: `detokenise(stored)` → text V8 can run (unchanged when it holds no
 * byte ≥ 128); `TOKEN.get("function")` → 170.
 */
// src/jslex.h: LEX_EQUAL = 138 … LEX_ARROW_FUNCTION = 162, LEX_R_IF = 163 … LEX_R_OF = 198.
export const OPERATORS = ["==", "===", "!=", "!==", "<=", "<<", "<<=", ">=", ">>", ">>>", ">>=", ">>>=", "+=", "-=", "++", "--", "*=", "/=", "%=", "&=", "&&", "|=", "||", "^=", "=>"];
export const WORDS = ["if", "else", "do", "while", "for", "break", "continue", "function", "return", "var", "let", "const", "this", "throw", "try", "catch", "finally", "true", "false", "null", "undefined", "new", "in", "instanceof", "switch", "case", "default", "delete", "typeof", "void", "debugger", "class", "extends", "super", "static", "of"];
export const LEX_NULLISH = 208;
export const RAW_STRING8 = 209;
export const RAW_STRING16 = 210;
export const RAW_INT0 = 211;
export const RAW_INT8 = 212;
export const RAW_INT16 = 213;

export const TOKEN = new Map<string, number>([...OPERATORS.map((t, i) => [t, 138 + i] as const), ...WORDS.map((t, i) => [t, 163 + i] as const), ["??", LEX_NULLISH]]);
const TEXT = new Map([...TOKEN].map(([text, byte]) => [byte, text]));

// After these (and after EOF and any byte token but a value), the interpreter reads `/` as a regex (src/jslex.c).
const BEFORE_REGEX = new Set("!%&*+-/<=>?[{}(,;:");
const VALUE_WORDS = new Set([TOKEN.get("true"), TOKEN.get("false"), TOKEN.get("null"), TOKEN.get("undefined")]);
const LONGEST_FIRST = [...OPERATORS, "??"].sort((a, b) => b.length - a.length);

/**
 * The text the interpreter reads from stored code, pretokenised or not: byte
 * tokens outside literals and comments are written out (one space around
 * each), everything else is copied. Strings, comments and regexes are
 * skipped as the interpreter's lexer skips them, so their bytes are never
 * taken for tokens.
 */
export function detokenise(stored: string): string {
  if (!/[\x80-\xff]/.test(stored)) return stored;
  let out = "";
  let regexAllowed = true; // at the start of the text
  let i = 0;
  const n = stored.length;
  while (i < n) {
    const c = stored.charCodeAt(i);
    const ch = stored[i];
    if (c >= 128) {
      i++;
      if (c === RAW_STRING8 || c === RAW_STRING16) {
        const len = c === RAW_STRING8 ? stored.charCodeAt(i++) : stored.charCodeAt(i++) | (stored.charCodeAt(i++) << 8);
        out += JSON.stringify(stored.slice(i, i + len));
        i += len;
        regexAllowed = false;
      } else if (c === RAW_INT0) {
        out += " 0 ";
        regexAllowed = false;
      } else if (c === RAW_INT8) {
        out += " " + ((stored.charCodeAt(i++) << 24) >> 24) + " ";
        regexAllowed = false;
      } else if (c === RAW_INT16) {
        const lo = stored.charCodeAt(i++);
        out += " " + (((stored.charCodeAt(i++) << 24) >> 16) | lo) + " ";
        regexAllowed = false;
      } else {
        const text = TEXT.get(c);
        // A byte that is no token stays (the chip reports it as an unexpected character; V8 says what it makes of it).
        out += text === undefined ? ch : " " + text + " ";
        regexAllowed = text !== undefined && !VALUE_WORDS.has(c);
      }
    } else if (/\s/.test(ch)) {
      out += ch;
      i++;
    } else if (stored.startsWith("//", i) || stored.startsWith("/*", i)) {
      const end = ch === "/" && stored[i + 1] === "/" ? stored.indexOf("\n", i) : stored.indexOf("*/", i + 2) + 2;
      const stop = end <= 1 || end === -1 ? n : end;
      out += stored.slice(i, stop);
      i = stop;
    } else if (ch === '"' || ch === "'" || ch === "`" || (ch === "/" && regexAllowed)) {
      let j = i + 1;
      let inClass = false;
      while (j < n && (stored[j] !== ch || inClass)) {
        if (stored[j] === "\\") j++;
        else if (ch === "/" && stored[j] === "[") inClass = true;
        else if (ch === "/" && stored[j] === "]") inClass = false;
        j++;
      }
      j++;
      if (ch === "/") while (j < n && /[a-z]/.test(stored[j])) j++;
      out += stored.slice(i, j);
      i = j;
      regexAllowed = false;
    } else if (/[A-Za-z_$0-9]/.test(ch)) {
      let j = i + 1;
      while (j < n && (/[A-Za-z0-9_$.]/.test(stored[j]) || (/[eE]/.test(stored[j - 1]) && /[0-9]/.test(ch) && /[+-]/.test(stored[j])))) {
        if (stored[j] === "." && !/[0-9]/.test(ch)) break;
        j++;
      }
      const word = stored.slice(i, j);
      out += word;
      i = j;
      const byte = TOKEN.get(word);
      regexAllowed = byte !== undefined && !VALUE_WORDS.has(byte);
    } else {
      const op = LONGEST_FIRST.find((o) => stored.startsWith(o, i)) ?? ch;
      out += op;
      i += op.length;
      regexAllowed = op.length > 1 || BEFORE_REGEX.has(op);
    }
  }
  return out;
}

