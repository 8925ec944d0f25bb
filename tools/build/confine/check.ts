/**
 * Static verification of one app's bundled code (the app and every LibOS
 * module it links, exactly as rollup resolved and flattened them) against
 * the confined dialect (dialect.ts): the exokernel's "verify downloaded
 * code", done at build time.
 *
 * Usage: `checkConfined(program, analysis, locate)` → problems, each with the
 * original TypeScript file, line and column (through the app's source map).
 *
 * What is refused, with why:
 *  - a global outside BUILTINS (hardware, timers, console, require, global,
 *    eval, Function, Promise…), or a built-in used as a value, assigned,
 *    extended or reached through a computed or denied member;
 *  - `arguments` outside a non-arrow function (at the top level it would be
 *    the kernel's loader's);
 *  - a forbidden member name (constructor, __proto__, prototype, bind,
 *    replaceWith, caller, callee, arguments, \xFF…, judged up to a NUL and
 *    byte by byte as the interpreter reads it: dialect.ts deviceName) in
 *    `a.b`, `a["b"]`, object literal keys and class members, and
 *    `Object.defineProperty` with a key that is not such a literal;
 *  - `super.x = …` (writes the parent class's prototype on Espruino);
 *  - `this` outside a function (the loader's `this` is the global object);
 *    `this` inside functions is allowed and guarded at run time (rewrite.ts);
 *  - declaring a name that starts with `__exo` (the guards' names), or a
 *    name that is not ASCII;
 *  - `__proto__` as an object literal's or class's key (Espruino sets the
 *    prototype, whatever the value);
 *  - `import()` and `import.meta`.
 * Computed member keys that are not literals, and reads that could take a
 * built-in method off its object, are guarded at run time (rewrite.ts), not
 * refused.
 */
import type * as acorn from "acorn";
import { BUILTINS, RESERVED_PREFIX, deviceName, forbiddenMember, refusedGlobal } from "./dialect.ts";
import { staticKeyName, type AnyNode, type Analysis } from "../../gate/scope.ts";

export interface ConfineProblem {
  /** 0-based offset in the checked code. */
  offset: number;
  /** The construct refused, as the user wrote it ("digitalWrite", ".prototype", "this"). */
  name: string;
  why: string;
}

/** A member name as a person can read it: quoted, with characters past ASCII as \xNN or \uNNNN. */
const quoted = (name: string): string =>
  JSON.stringify(name).replace(/[\u007f-\uffff]/g, (c) => {
    const code = c.charCodeAt(0);
    return code > 0xff ? "\\u" + code.toString(16).toUpperCase().padStart(4, "0") : "\\x" + code.toString(16).toUpperCase();
  });

/** A member expression that is called right there (`a.pop()`): its value is not taken. */
export function calledInPlace(a: Analysis, member: AnyNode): boolean {
  const parent = a.parentOf.get(member);
  return !!parent && parent.type === "CallExpression" && parent.callee === member;
}

const DATA_OPERATORS = new Set(["==", "!=", "===", "!==", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "|", "&", "^", "<<", ">>", ">>>", "in", "instanceof"]);

/**
 * A member read whose value cannot escape as a function: called in place,
 * written, an operand of arithmetic or a comparison, a test, a unary
 * operator's, a template's part.
 */
export function usedInPlace(a: Analysis, member: AnyNode): boolean {
  const parent = a.parentOf.get(member);
  const key = a.keyOf.get(member);
  if (!parent) return false;
  if (calledInPlace(a, member) || isWritten(a, member)) return true;
  switch (parent.type) {
    case "BinaryExpression": return DATA_OPERATORS.has(parent.operator);
    case "UnaryExpression": return true;
    case "TemplateLiteral": return true;
    case "IfStatement":
    case "WhileStatement":
    case "DoWhileStatement":
    case "ConditionalExpression":
    case "ForStatement": return key === "test";
    default: return false;
  }
}

/** Is `node` written by its parent (assigned, updated, deleted)? */
function isWritten(a: Analysis, node: AnyNode): boolean {
  const parent = a.parentOf.get(node);
  if (!parent) return false;
  if (parent.type === "AssignmentExpression" && parent.left === node) return true;
  if (parent.type === "UpdateExpression") return true;
  if (parent.type === "UnaryExpression" && parent.operator === "delete") return true;
  if ((parent.type === "ForInStatement" || parent.type === "ForOfStatement") && parent.left === node) return true;
  return false;
}

function nearestNonArrowFunction(a: Analysis, node: AnyNode): AnyNode | undefined {
  for (let p = a.parentOf.get(node); p; p = a.parentOf.get(p)) {
    if (p.type === "FunctionDeclaration" || p.type === "FunctionExpression") return p;
    if (p.type === "PropertyDefinition" || p.type === "StaticBlock") return p;
  }
  return undefined;
}

export function checkConfined(a: Analysis): ConfineProblem[] {
  const problems: ConfineProblem[] = [];
  const refuse = (node: AnyNode, name: string, why: string) => problems.push({ offset: node.start, name, why });

  // Globals: only the plain built-ins, only in the forms that cannot change or leak them.
  for (const ref of a.refs) {
    if (ref.decl) continue;
    const id = ref.id;
    if (a.parentOf.get(id)?.type === "ExportSpecifier" && a.keyOf.get(id) === "exported") continue;
    const name = id.name;
    if (name === "arguments") {
      if (!nearestNonArrowFunction(a, id)) refuse(id, name, "`arguments` outside a function is the kernel's loader's: read parameters instead");
      continue;
    }
    const use = BUILTINS[name];
    if (!use) {
      refuse(id, name, refusedGlobal(name));
      continue;
    }
    if (isWritten(a, id)) {
      refuse(id, name, "a built-in is shared by the kernel and every app: it cannot be assigned");
      continue;
    }
    const parent = a.parentOf.get(id)!;
    const key = a.keyOf.get(id);
    if (parent.type === "MemberExpression" && key === "object") {
      const member = staticKeyName(parent.property, parent.computed);
      if (member === null) refuse(parent, name + "[…]", "a built-in's members are named in the source, not computed");
      else if (!use.statics) refuse(parent, name + "." + member, `${name} has no members apps may use this way`);
      else if (forbiddenMember(member)) refuse(parent, name + "." + member, forbiddenMember(member)!);
      else if (use.denied && Object.hasOwn(use.denied, deviceName(member))) refuse(parent, name + "." + member, use.denied[deviceName(member)]!);
      else if (isWritten(a, parent)) refuse(parent, name + "." + member, "a built-in is shared by the kernel and every app: its members cannot be assigned or deleted");
      else if (name === "Object" && member === "defineProperty") checkDefineProperty(a, parent, refuse);
      continue;
    }
    if (parent.type === "CallExpression" && key === "callee" && use.call) continue;
    if (parent.type === "NewExpression" && key === "callee" && use.construct) continue;
    if (parent.type === "BinaryExpression" && parent.operator === "instanceof" && key === "right" && use.instance) continue;
    if (parent.type === "UnaryExpression" && parent.operator === "typeof") continue;
    if (use.value) continue;
    refuse(id, name, (key === "superClass" ? "a built-in cannot be extended" : "a built-in cannot be used as a value") +
      ": it is shared by the kernel and every app (call its members, `new` it, or test with instanceof)");
  }

  for (const node of a.nodes) {
    switch (node.type) {
      case "MemberExpression": {
        const member = staticKeyName(node.property, node.computed);
        const why = member !== null ? forbiddenMember(member) : undefined;
        if (why) refuse(node.property, (node.computed ? `[${quoted(member!)}]` : "." + member), why);
        if (node.object.type === "Super" && isWritten(a, node)) refuse(node, "super." + (member ?? "[…]"), "assigning through super writes the parent class's prototype on Espruino");
        break;
      }
      case "Property":
      case "MethodDefinition":
      case "PropertyDefinition": {
        // An object literal's or class's own key: "__proto__" there sets the prototype on Espruino (to a number: a crash).
        const member = staticKeyName(node.key, node.computed);
        const name = member === null ? null : deviceName(member);
        if (name !== null && (name.charCodeAt(0) === 0xff || name === "__proto__")) refuse(node.key, quoted(member!), forbiddenMember(member!)!);
        break;
      }
      case "ThisExpression":
        if (!nearestNonArrowFunction(a, node)) refuse(node, "this", "`this` outside a function is the global object on Espruino: pass the object you mean");
        break;
      case "ImportExpression":
        refuse(node, "import()", "apps are bundled whole: import modules statically");
        break;
      case "MetaProperty":
        refuse(node, node.meta.name + "." + node.property.name, "not available on the device");
        break;
      case "Identifier": {
        // The ESP32's interpreter keeps one byte of each character: `x\u0100` would be another name there.
        if (/[^\x00-\x7f]/.test(node.name)) refuse(node, node.name, "names must be ASCII: the ESP32's interpreter (no Unicode) reads other characters as other names");
        const decl = a.declOf.get(node);
        if (decl && node.name.startsWith(RESERVED_PREFIX)) refuse(node, node.name, `names starting with ${RESERVED_PREFIX} are reserved for the kernel's guards`);
        break;
      }
    }
  }
  return problems.sort((x, y) => x.offset - y.offset);
}

/** `Object.defineProperty(o, "name", d)`: the name must be a literal that is not forbidden. */
function checkDefineProperty(a: Analysis, member: acorn.MemberExpression, refuse: (node: AnyNode, name: string, why: string) => void): void {
  const call = a.parentOf.get(member);
  if (!call || call.type !== "CallExpression" || call.callee !== member) return;
  const key = call.arguments[1] as AnyNode | undefined;
  const name = key && key.type === "Literal" && typeof key.value === "string" ? key.value : null;
  if (name === null) refuse(key ?? call, "Object.defineProperty", "give the property's name as a string literal");
  else if (forbiddenMember(name)) refuse(key!, quoted(name), forbiddenMember(name)!);
}
