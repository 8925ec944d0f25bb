/**
 * Whether one instance of a LibOS chunk can serve every app that links it.
 *
 * Each app gets its own instance of every module it links, so that two apps
 * never share a module's state. A chunk with no state has nothing to keep
 * apart: its instance is a set of functions and constants, and one set can
 * serve all apps (on the device each function object costs ~5 variables, so
 * libos/fs alone is ~250 variables an app — issue #12).
 *
 * Usage: `statelessReason(program, analysis)` → null when the chunk's top
 * level holds no state, else why it may (for the build's report and tests).
 *
 * The rule, on the chunk's top level (rollup's output, before the factory
 * wrap): only imports, `export { … }`, function declarations and `const`s
 * initialised with a function, a primitive expression, or an array or object
 * literal of primitives; no top-level function is reassigned or has a
 * property used (`f.call` would find one an app set); and a constant array or object is only read
 * (`T[i]`, `T.k`, `T.indexOf(x)`), never passed, returned or exported —
 * so nothing any app does through the chunk's functions can leave a trace
 * another app sees. A function object itself is shared: an app may set
 * properties on one it imported, which nothing reads (confined code cannot
 * reach a function's internals: `prototype`, `\xff…` and `setPrototypeOf`
 * are refused, check.ts). A chunk is shared only when every chunk it imports
 * is shared too (app-bundle.ts).
 */
import type * as acorn from "acorn";
import type { AnyNode, Analysis, Decl } from "../../gate/scope.ts";

/** Methods of an array or string that read it and return a new value. */
const READING_METHODS = new Set(["indexOf", "lastIndexOf", "includes", "join", "slice", "concat", "charAt", "charCodeAt", "substring", "toString"]);

type Kind = "function" | "primitive" | "data";

export function statelessReason(program: acorn.Program, a: Analysis): string | null {
  const kinds = new Map<Decl, Kind>();
  const kindOfName = (node: acorn.Identifier): Kind | "import" | undefined => {
    const decl = a.refOf.get(node)?.decl;
    if (!decl) return undefined;
    return decl.kind === "import" ? "import" : kinds.get(decl);
  };
  const primitive = (node: AnyNode): boolean => {
    switch (node.type) {
      case "Literal":
        return !(node as acorn.Literal & { regex?: unknown }).regex;
      case "TemplateLiteral":
        return (node as acorn.TemplateLiteral).expressions.every(primitive);
      case "UnaryExpression":
        return (node as acorn.UnaryExpression).operator !== "delete" && primitive((node as acorn.UnaryExpression).argument);
      case "BinaryExpression":
      case "LogicalExpression": {
        const n = node as acorn.BinaryExpression;
        return primitive(n.left) && primitive(n.right);
      }
      case "ConditionalExpression": {
        const n = node as acorn.ConditionalExpression;
        return primitive(n.test) && primitive(n.consequent) && primitive(n.alternate);
      }
      case "Identifier":
        return kindOfName(node as acorn.Identifier) === "primitive" || (node as acorn.Identifier).name === "undefined";
      default:
        return false;
    }
  };
  const dataLiteral = (node: AnyNode): boolean => {
    if (node.type === "ArrayExpression") return (node as acorn.ArrayExpression).elements.every((e) => !!e && primitive(e));
    if (node.type !== "ObjectExpression") return false;
    return (node as acorn.ObjectExpression).properties.every(
      (p) => p.type === "Property" && p.kind === "init" && !p.computed && !p.method && primitive(p.value),
    );
  };

  for (const statement of program.body) {
    if (statement.type === "ImportDeclaration") continue;
    const node = statement.type === "ExportNamedDeclaration" ? statement.declaration : statement;
    if (!node) continue; // export { … }
    if (node.type === "FunctionDeclaration") {
      kinds.set(a.declOf.get(node.id!)!, "function");
      continue;
    }
    if (node.type === "VariableDeclaration" && node.kind === "const") {
      for (const d of node.declarations) {
        if (d.id.type !== "Identifier" || !d.init) return "a destructuring const at the top level";
        const init = d.init;
        const kind: Kind | undefined =
          init.type === "ArrowFunctionExpression" || init.type === "FunctionExpression" ? "function"
          : primitive(init) ? "primitive"
          : dataLiteral(init) ? "data"
          : undefined;
        if (!kind) return `the top-level const ${d.id.name} is not a function, a primitive or a literal of primitives`;
        kinds.set(a.declOf.get(d.id)!, kind);
      }
      continue;
    }
    return `a top-level ${node.type === "VariableDeclaration" ? node.kind : node.type} (state, or code that runs at load)`;
  }

  for (const ref of a.refs) {
    const kind = ref.decl && kinds.get(ref.decl);
    if (!kind || kind === "primitive") continue;
    const parent = a.parentOf.get(ref.id);
    const name = ref.id.name;
    if (written(a, ref.id)) return `${name} is reassigned`;
    const member = parent && parent.type === "MemberExpression" && (parent as acorn.MemberExpression).object === ref.id ? (parent as acorn.MemberExpression) : undefined;
    // A function's own properties are the apps' to set (`f.call = …`): code that reads one would see another app's.
    if (member && kind === "function") return `a property of the function ${name} is used`;
    if (member && written(a, member)) return `a property of ${name} is written`;
    if (kind === "function") continue;
    if (!member) return `the constant ${name} is passed on as a value (only reading it is shared)`;
    const grand = a.parentOf.get(member);
    if (grand && grand.type === "CallExpression" && (grand as acorn.CallExpression).callee === member) {
      const method = !member.computed && member.property.type === "Identifier" ? member.property.name : "";
      if (!READING_METHODS.has(method)) return `${name}.${method || "[…]"}() may change the constant ${name}`;
    }
  }
  return null;
}

/** `node` is the target of an assignment, `++`/`--`, or `delete`. */
function written(a: Analysis, node: AnyNode): boolean {
  const parent = a.parentOf.get(node);
  if (!parent) return false;
  if (parent.type === "AssignmentExpression") return (parent as acorn.AssignmentExpression).left === node;
  if (parent.type === "UpdateExpression") return true;
  return parent.type === "UnaryExpression" && (parent as acorn.UnaryExpression).operator === "delete";
}
