// What Espruino's RegExp matcher implements.
var m = /^(\w+)-(\d+)$/.exec("abc-123");
var ok = m && m[1] === "abc" && m[2] === "123" &&
  /[a-z0-9_]+/i.test("X") && /a*b+\.$/.test("aab.") && /^a$|^b$/.test("b") &&
  "a-b-c".replace(/-/g, "+") === "a+b+c" && "a, b,c".split(/, */).length === 3 && /[^a]/.test("ab");
if (ok) console.log("OK");
