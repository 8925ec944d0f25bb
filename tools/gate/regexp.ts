// Espruino's RegExp engine is a small backtracking matcher
// (src/jswrap_regexp.c): single characters, `.`, classes `[...]`, escapes
// \d \D \w \W \s \S \t \n \r \f \v \0 \xHH, capture groups, `*` and `+` on a
// single character or class, `^`, `$`, and `|` at the top level; flags g and i.
// Everything else either throws or silently matches the wrong text (measured:
// `?`, `{n,m}`, `(?:`, look-arounds, `(ab)+`, `\b`, backreferences, `\u0041`).
// Its lexer ends a regex literal at the first unescaped `/`, inside a class too.

/** The first construct of a pattern Espruino's matcher (or, for a `literal`, its lexer) does not take, or null. */
export function unsupportedRegExp(pattern: string, flags: string, literal = false): string | null {
  const badFlag = [...flags].find((f) => f !== "g" && f !== "i");
  if (badFlag) return `flag ${badFlag}`;
  let inClass = false;
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "\\") {
      const e = pattern[i + 1] ?? "";
      if (e >= "1" && e <= "9") return "backreference";
      if (!inClass && (e === "b" || e === "B")) return `\\${e} (word boundary)`;
      if ("upPkc".includes(e) && e !== "") return `\\${e} escape`;
      i += 1;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      // The lexer ends a literal at the first unescaped `/`, in a class too: `/[/]x/` is a syntax error there.
      if (c === "/" && literal) return "unescaped / inside [...] (write [\\/])";
      continue;
    }
    switch (c) {
      case "[": inClass = true; break;
      case "(":
        if (pattern[i + 1] === "?") return "(?...) group or look-around";
        depth++;
        break;
      case ")": {
        depth--;
        const q = pattern[i + 1];
        if (q === "*" || q === "+" || q === "?" || q === "{") return "quantified group";
        break;
      }
      case "?": return "? quantifier";
      case "{": if (/^\{\d+(,\d*)?\}/.test(pattern.slice(i))) return "{n,m} quantifier"; break;
      case "|": if (depth > 0) return "| inside a group"; break;
    }
  }
  return null;
}
