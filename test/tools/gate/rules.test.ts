// Every form of every rule, and the code that must pass.
import { describe, expect, it } from "vitest";
import { checkBundle, formatViolation } from "../../../tools/gate/check.ts";
import { unsupportedRegExp } from "../../../tools/gate/regexp.ts";

const rulesOf = (code: string): string[] => [...new Set(checkBundle(code).map((v) => v.rule))].sort();
const count = (code: string, rule: string): number => checkBundle(code).filter((v) => v.rule === rule).length;

describe("hoisting", () => {
  it.each([
    ["a call before the declaration", "f(); function f(){}"],
    ["a var read before its declaration", "var y = x + 1; var x = 1;"],
    ["a let/const/class used before", "g(C); class C {} function g(){}"],
    ["inside a function body, before a nested declaration", "function a(){ return b(); function b(){ return 1 } }"],
    ["an IIFE runs now", "(function(){ use(x) })(); var x = 1; function use(){}"],
    ["!function(){}() runs now", "!function(){ later() }(); function later(){}"],
    ["(function(){}).call(this) runs now", "(function(){ later() }).call(this); function later(){}"],
    ["a class extends a later class", "class B extends A {} class A {}"],
    ["a static field initialiser runs now", "class K { static v = helper() } function helper(){ return 1 }"],
    ["the class's own name in a static initialiser", "class C { static a = 1; static b = C.a }"],
    ["a class expression's name in a static initialiser", "var D = class E { static i = new E() }"],
  ])("flags %s", (_, code) => {
    expect(rulesOf(code)).toContain("hoisting");
  });

  it.each([
    ["the function reached through a call", "function f(){ return g } f(); var g = 1;"],
    ["two calls deep", "function f(){ return h() } function h(){ return k } f(); var k = 1;"],
    ["a class constructor through new", "class C { constructor(){ this.v = helper() } } new C(); function helper(){}"],
    ["an instance field initialiser through new", "class C { v = helper() } new C(); function helper(){}"],
    ["a superclass constructor through new", "class A { constructor(){ helper() } } class B extends A {} new B(); function helper(){}"],
    ["f.call(...)", "function f(){ return g } f.call(null); var g = 1;"],
    ["the Babel class-helper pattern",
      "function _inherits(a,b){ _setPrototypeOf(a,b) } var A = function(){ function A(){} return A }();" +
      "var B = function(_A){ function B(){} _inherits(B,_A); return B }(A); function _setPrototypeOf(o,p){ return o }"],
    ["a local of the caller's scope", "function outer(){ function h(){ return k } h(); const k = 1; }"],
  ])("flags %s", (_, code) => {
    expect(rulesOf(code)).toEqual(["hoisting"]);
  });

  it("names the function called and the name it reaches", () => {
    const [v] = checkBundle("function f(){ return later } f(); var later = 1;");
    expect(v!.hint).toMatch(/f\(\) uses 'later'/);
  });

  it.each([
    ["use after declaration", "function f(){ return 1 } f(); var x = 1; x++;"],
    ["a callback defined before the name exists", "setTimeout(function(){ later() }, 1); function later(){}"],
    ["a method body", "class C { m(){ return later() } } function later(){}"],
    ["an arrow stored for later", "var f = () => later(); function later(){}"],
    ["mutual recursion declared before the call", "function a(n){ return n ? b(n-1) : 0 } function b(n){ return a(n) } a(3);"],
    ["recursion whose later locals belong to the new call",
      "function g(n){ if (n) g(n-1); const k = 1; function h(){ return k } return h(); } g(2);"],
    ["a function's own name inside it", "var f = function self(n){ return n ? self(n-1) : 0 }; f(2);"],
    ["the class name inside a method", "class C { static a = 1; m(){ return C.a } static n(){ return new C() } }"],
    ["the class name in a static arrow", "class C { static a = 1; static f = () => C.a }"],
    ["a nested function that reaches an outer later name but is only defined", "function f(){ return function(){ return z } } f(); var z = 1;"],
    ["a callback passed to a call runs later", "[1].forEach(function(v){ later(v) }); function later(){}"],
    ["a catch parameter", "try { 0 } catch (e) { e.message }"],
    ["terser output", "!function(){\"use strict\";function n(n){return n<2?n:n*t(n-1)}function t(t){return n(t)}var o=n(3),r=void 0;console.log(o,r)}();"],
  ])("accepts %s", (_, code) => {
    expect(rulesOf(code)).toEqual([]);
  });
});

describe("static members", () => {
  it("flags a static read through a subclass", () => {
    expect(rulesOf("class A { static x = 1 } class B extends A {} B.x;")).toEqual(["static-inherit"]);
    expect(rulesOf("class A { static m(){} } const B = class extends A {}; B.m();")).toEqual(["static-inherit"]);
    expect(rulesOf("class A { static m(){} } class B extends A { static n(){ return this.m() } }")).toEqual(["static-inherit"]);
    expect(rulesOf("class A {} A.k = 1; class B extends A {} B.k;")).toEqual(["static-inherit"]);
    expect(rulesOf("class A { static m(){} } class B extends A {} class C extends B {} C.m;")).toEqual(["static-inherit"]);
  });
  it("accepts own statics, the base's own reads, and function properties", () => {
    expect(rulesOf("class A { static x = 1 } class B extends A { static x = 2 } B.x; A.x;")).toEqual([]);
    expect(rulesOf("class A { static x = 1 } class B extends A {} B.x = 3; B.x; B.name; B.prototype;")).toEqual([]);
  });
});

describe("classes", () => {
  it("flags extends of built-ins, but not of a local class of that name", () => {
    for (const b of ["Error", "TypeError", "Array", "Uint8Array", "Promise", "Date", "Object"]) {
      expect(rulesOf(`class X extends ${b} {}`)).toEqual(["extends-builtin"]);
    }
    expect(rulesOf("class Error {} class X extends Error {}")).toEqual([]);
  });
  it("flags computed members and #private", () => {
    expect(rulesOf("class C { [k](){} }")).toEqual(["computed-member"]);
    expect(rulesOf("class C { static [k] = 1 }")).toEqual(["computed-member"]);
    expect(rulesOf("class C { #x = 1; #m(){} get(){ return this.#x } }")).toEqual(["private-member"]);
    expect(count("class C { #x = 1; #m(){} }", "private-member")).toBe(2);
  });
  it("flags this in a static field initialiser, not in methods or instance fields", () => {
    expect(rulesOf("class C { static a = 1; static b = this.a }")).toEqual(["static-field-this"]);
    expect(rulesOf("class C { static f = () => this }")).toEqual(["static-field-this"]);
    expect(rulesOf("class C { x = this.y; static m(){ return this } static g = function(){ return this } }")).toEqual([]);
  });
  it("flags static blocks", () => {
    expect(rulesOf("function init(){} class C { static { init() } }")).toEqual(["static-block"]);
  });
  it("flags member names that are not plain, non-keyword identifiers", () => {
    expect(rulesOf("class C { delete(){} }")).toEqual(["member-name"]);
    expect(rulesOf("class C { static of(){} }")).toEqual(["member-name"]);
    expect(rulesOf("class C { get default(){ return 1 } }")).toEqual(["member-name"]);
    expect(rulesOf("class C { 'a-b'(){} }")).toEqual(["member-name"]);
    expect(rulesOf("class C { 1 = 2 }")).toEqual(["member-name"]);
    expect(rulesOf("var o = { get of(){ return 1 } }")).toEqual(["member-name"]);
    expect(rulesOf("var o = { set 'x y'(v){} }")).toEqual(["member-name"]);
  });
  it("accepts keywords as object keys, object methods and after a dot", () => {
    expect(rulesOf("var o = { of: 1, delete: 2, 'a b': 3, new(){}, get get(){ return 1 } }; o.static = o.default;")).toEqual([]);
    expect(rulesOf("class C { constructor(){} get(){} set(){} async(){} static get x(){ return 1 } }")).toEqual([]);
  });
});

describe("syntax Espruino lacks", () => {
  it.each([
    ["destructuring", ["const {a} = o", "let [x, y] = arr", "var {a: {b}} = o", "[a, b] = [b, a]", "({a} = o)",
      "function f({a}){}", "(([x]) => x)", "try {} catch ({message}) {}", "for (const [k, v] of e) {}", "for ({a} of e) {}"]],
    ["default-param", ["function f(a = 1){}", "(a = 1) => a", "class C { m(x = 2){} }"]],
    ["rest-param", ["function f(...r){}", "(...r) => r"]],
    ["spread", ["f(...a)", "[...a]", "({...o})", "new F(...a)"]],
    ["optional-chaining", ["a?.b", "a?.[0]", "a?.()"]],
    ["exponent", ["2 ** 3", "x **= 2"]],
    ["label", ["a: for(;;) { break a }", "b: { }"]],
    ["computed-key", ["({[k]: 1})", "({[k](){}})"]],
    ["generator", ["function* g(){}", "({*g(){}})"]],
    ["async", ["async function f(){}", "async () => 1", "({async m(){}})"]],
    ["bigint", ["1n"]],
    ["new-target", ["function F(){ new.target }"]],
    ["tagged-template", ["tag`x`", "a.b`x${1}`"]],
    ["string-raw", ["String.raw`x`", "String.raw({raw: ['a']})"]],
    ["logical-assignment", ["a ||= 1", "a &&= 1", "a ??= 1"]],
    ["dynamic-import", ["import('x')"]],
  ])("%s: every form", (rule, forms) => {
    for (const code of forms as string[]) {
      expect(rulesOf(code), code).toContain(rule);
    }
  });
  it("reports a nested pattern once", () => {
    expect(count("var {a: {b: [c]}} = o", "destructuring")).toBe(1);
  });
  it("reports await and for await", () => {
    expect(rulesOf("async function f(){ await 1; for await (const x of y) {} }")).toEqual(["async", "await"]);
  });
  it("reports a parse error as rule syntax with the position", () => {
    const [v] = checkBundle("var a = 1;\nvar b = {;", { file: "dist/firmware.js" });
    expect(v).toMatchObject({ rule: "syntax", file: "dist/firmware.js", line: 2, column: 10 });
  });
  it("flags variables named with Espruino keywords", () => {
    expect(rulesOf("var of = 1")).toEqual(["reserved-binding"]);
    expect(rulesOf("function f(static){}")).toEqual(["reserved-binding"]);
    expect(rulesOf("(function(undefined){})()")).toEqual(["reserved-binding"]);
    expect(rulesOf("var let = 1")).toEqual(["reserved-binding"]);
  });
});

describe("loops", () => {
  it("flags let/const loop variables captured by a closure", () => {
    expect(rulesOf("for (let i = 0; i < 3; i++) setTimeout(() => i)")).toEqual(["loop-closure"]);
    expect(rulesOf("for (const x of a) fs.push(function(){ return x })")).toEqual(["loop-closure"]);
    expect(rulesOf("for (const k in o) p.then(() => k)")).toEqual(["loop-closure"]);
    expect(count("for (let i = 0; i < 3; i++) { f(() => i); g(() => i) }", "loop-closure")).toBe(1);
  });
  it("accepts var loops, uses in the body, IIFEs, array callbacks and a const copy", () => {
    expect(rulesOf("for (var i = 0; i < 3; i++) setTimeout(function(){ i })")).toEqual([]);
    expect(rulesOf("for (let i = 0; i < 3; i++) { s += i }")).toEqual([]);
    expect(rulesOf("for (let i = 0; i < 3; i++) (function(){ s += i })()")).toEqual([]);
    expect(rulesOf("for (const x of a) { if (b.some((y) => y === x)) n++ }")).toEqual([]);
    expect(rulesOf("for (let i = 0; i < 3; i++) { const j = i; setTimeout(() => j) }")).toEqual([]);
  });
});

describe("library calls", () => {
  it.each([
    ["promise-combinator", ["Promise.race([])", "Promise.allSettled([])", "Promise.any([])"]],
    ["promise-finally", ["p.finally(f)", "fetch().then(a).finally(b)"]],
    ["object-freeze-seal-is", ["Object.freeze(o)", "Object.seal(o)", "Object.is(a, b)", "var f = Object.freeze"]],
    ["object-create-props", ["Object.create(p, {x: {value: 1}})"]],
    ["builtin-prototype", ["Array.prototype.slice.call(a)", "Function.prototype.call.call(f)", "String.prototype.trim.call(s)", "var m = Array.prototype['map']"]],
    ["array-from-of", ["Array.from(x)", "Array.of(1)", "Uint8Array.from([1])", "Float32Array.of(1)"]],
    ["length-assign", ["a.length = 0", "a.length--", "o.items.length = n"]],
    ["arraybuffer-slice", ["u.buffer.slice(1)", "ArrayBuffer.prototype.slice.call(b, 1)", "new ArrayBuffer(8).slice(2)"]],
    ["missing-global", ["new Map()", "new Set()", "new WeakMap()", "new WeakSet()", "Symbol('x')", "new Proxy({}, {})", "Reflect.has(o, 'a')", "new RangeError('x')", "encodeURI(s)", "new WeakRef(o)"]],
    ["missing-static", ["Number.isInteger(1)", "Math.trunc(1.5)", "Object.hasOwn(o, 'a')", "Number.MAX_SAFE_INTEGER", "Uint8Array.BYTES_PER_ELEMENT"]],
    ["error-name", ["try {} catch (e) { e.name }", "p.catch(function (err) { return err.name })", "p.then(null, (e) => e.name)"]],
    ["array-hole-branch", ["switch (x) { case 1: y = [1,,2] }", "x ? [1,,2] : 0", "x ? 0 : [,1]", "switch (x) { default: f(function(){ return [1,,2] }) }"]],
  ])("%s: every form", (rule, forms) => {
    for (const code of forms as string[]) {
      expect(rulesOf(code), code).toContain(rule);
    }
  });

  it.each([
    ["local names that shadow globals", "var Map = function(){}; new Map(); function f(Set){ return new Set() }"],
    ["typeof feature tests", "typeof Symbol === 'undefined'"],
    ["allowed statics", "Object.assign({}, o); Object.keys(o); Object.create(p); Promise.all([]); Promise.resolve(1); Math.max(1, 2)"],
    ["instance slice and call", "[].slice.call(a); f.apply(null, a); f.bind(o); f.call(o); u8.slice(1); u8.subarray(1)"],
    ["Object.prototype methods", "Object.prototype.hasOwnProperty.call(o, 'a')"],
    ["a length field of this", "class Q { constructor(){ this.length = 0 } }"],
    ["e.message and e.stack", "try {} catch (e) { e.message + e.stack }"],
    ["name of something else", "var e = {name: 1}; e.name; fn.name"],
    ["holes outside a branch", "var a = [1,,3]; x ? a : [1, 2]"],
    ["a user finally-less chain", "p.then(a).catch(b)"],
  ])("accepts %s", (_, code) => {
    expect(rulesOf(code)).toEqual([]);
  });
});

describe("regexp", () => {
  it.each([
    ["/colou?r/", "? quantifier"],
    ["/a+?/", "? quantifier"],
    ["/(?:ab)/", "(?...) group or look-around"],
    ["/a(?=b)/", "(?...) group or look-around"],
    ["/(ab)+/", "quantified group"],
    ["/x(a|b)y/", "| inside a group"],
    ["/a{2,3}/", "{n,m} quantifier"],
    ["/\\bword/", "\\b (word boundary)"],
    ["/(a)\\1/", "backreference"],
    ["/\\u0041/", "\\u escape"],
    ["/^a$/m", "flag m"],
  ])("flags %s", (literal, what) => {
    const m = /^\/(.*)\/([a-z]*)$/.exec(literal)!;
    expect(unsupportedRegExp(m[1]!, m[2]!)).toBe(what);
    const [v] = checkBundle(`var r = ${literal};`);
    expect(v).toMatchObject({ rule: "regexp", construct: `RegExp ${what}` });
  });
  it("flags / inside a class in a literal (the interpreter's lexer ends the literal there), not in new RegExp", () => {
    expect(checkBundle("var r = /[/]x/;")[0]).toMatchObject({ rule: "regexp", construct: "RegExp unescaped / inside [...] (write [\\/])" });
    expect(checkBundle("var r = /[\\/]x/;")).toEqual([]);
    expect(checkBundle("var r = new RegExp('[/]x');")).toEqual([]);
  });
  it("checks new RegExp(literal)", () => {
    expect(rulesOf("new RegExp('a?')")).toEqual(["regexp"]);
    expect(rulesOf("new RegExp('a', 'm')")).toEqual(["regexp"]);
    expect(rulesOf("new RegExp(s)")).toEqual([]);
  });
  it("accepts what the matcher implements", () => {
    for (const r of ["/^(\\w+)-(\\d+)$/", "/[a-z0-9_]+/gi", "/a*b+\\.$/", "/^a$|^b$/", "/[^a]/", "/\\x41[\\b]/", "/a{/", "/\\//"]) {
      expect(rulesOf(`var r = ${r};`), r).toEqual([]);
    }
  });
});

describe("reports", () => {
  it("formats file:line:column, rule and hint", () => {
    const [v] = checkBundle("\n  var {a} = o;", { file: "dist/firmware.js" });
    expect(formatViolation(v!)).toBe("dist/firmware.js:2:7  destructuring: read the fields one by one (const a = o.a, b = o.b)");
  });
  it("names the construct when the rule id does not", () => {
    const [v] = checkBundle("Object.freeze(o)");
    expect(formatViolation(v!)).toMatch(/^bundle\.js:1:1  object-freeze-seal-is: Object\.freeze — /);
  });
  it("lists violations in bundle order, one per rule and place", () => {
    const vs = checkBundle("x?.y; f(...a); x?.z");
    expect(vs.map((v) => [v.rule, v.column])).toEqual([["optional-chaining", 1], ["spread", 9], ["optional-chaining", 16]]);
  });
});

describe("built-ins Espruino lacks, found by name", () => {
  it("flags an instance method no code in the bundle defines", () => {
    expect(rulesOf("var a = [1, 2]; a.at(-1);")).toEqual(["missing-method"]);
    expect(rulesOf("function f(s) { return s.trimStart(); } f(' a');")).toEqual(["missing-method"]);
    expect(rulesOf("[3, 4].findLast(function (x) { return x > 3; });")).toEqual(["missing-method"]);
  });
  it("accepts the name once the program defines it, in any form, and statics of the same name", () => {
    expect(rulesOf("var o = { at: function (i) { return i; } }; o.at(1);")).toEqual([]);
    expect(rulesOf("class R { flat() { return 1; } } new R().flat();")).toEqual([]);
    expect(rulesOf("var o = {}; o.values = function () { return []; }; o.values();")).toEqual([]);
    expect(rulesOf("var o = {}; o['keys'] = 1; o.keys;")).toEqual([]);
    expect(rulesOf("Object.keys({ a: 1 }); Object.entries({});")).toEqual([]);
    expect(rulesOf("'abc'.lastIndexOf('c');")).toEqual([]);
  });
  it("flags E members spelled in the wrong case, naming the right one", () => {
    const v = checkBundle("E.crc32('abc');");
    expect(v.map((x) => x.rule)).toEqual(["e-member-case"]);
    expect(formatViolation(v[0]!)).toContain("E.CRC32");
    expect(rulesOf("E.CRC32('abc'); E.getSizeOf(global);")).toEqual([]);
  });
  it("flags Object.prototype.toString, not a toString of one's own", () => {
    expect(rulesOf("Object.prototype.toString.call([]);")).toEqual(["object-tostring"]);
    expect(rulesOf("var o = { toString: function () { return 'o'; } }; String(o); [1].toString();")).toEqual([]);
  });
});
