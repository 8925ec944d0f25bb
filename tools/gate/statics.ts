// Static members are not inherited on Espruino: with `class B extends A`,
// `B.x` is undefined even when `A.x` exists (espruino.md §1).
//
// Best effort within the bundle: for each class bound to a name we collect its
// own statics (static methods, getters, fields, and `C.x = ...` assignments
// anywhere), then flag reads `B.x` (and `this.x` inside B's static methods)
// where x is not B's own but is a static of an ancestor class.
import type * as acorn from "acorn";
import { staticKeyName, type Analysis, type AnyNode, type ClassInfo, type Decl } from "./scope.ts";

export interface StaticHit {
  node: AnyNode;
  member: string;
  owner: string; // the ancestor class that has it
}

type ClassNode = ClassInfo["node"];

// Properties every function has; reading them through a subclass is fine.
const FUNCTION_PROPS = new Set(["name", "length", "prototype", "call", "apply", "bind", "toString", "constructor"]);

export function findStaticInheritance(a: Analysis): StaticHit[] {
  const infoOf = new Map<ClassNode, ClassInfo>();
  const statics = new Map<ClassNode, Set<string>>();
  for (const c of a.classes) {
    infoOf.set(c.node, c);
    const own = new Set<string>();
    for (const m of c.node.body.body) {
      if ((m.type === "MethodDefinition" || m.type === "PropertyDefinition") && m.static) {
        const k = staticKeyName(m.key, m.computed);
        if (k !== null) own.add(k);
      }
    }
    statics.set(c.node, own);
  }
  if (a.classes.length === 0) return [];

  const classOfDecl = (d: Decl | null | undefined): ClassNode | null =>
    d && d.value && (d.value.type === "ClassDeclaration" || d.value.type === "ClassExpression") ? d.value as ClassNode : null;

  // Reads of C.x / this.x in static methods, and C.x = ... assignments (which make x C's own).
  const reads: { node: acorn.MemberExpression; cls: ClassNode; name: string }[] = [];
  for (const n of a.nodes) {
    if (n.type !== "MemberExpression") continue;
    const name = staticKeyName(n.property, n.computed);
    if (name === null) continue;
    let cls: ClassNode | null = null;
    if (n.object.type === "Identifier") cls = classOfDecl(a.refOf.get(n.object)?.decl);
    else if (n.object.type === "ThisExpression") cls = staticMethodClass(a, n);
    if (!cls) continue;
    if (isAssigned(a, n)) statics.get(cls)?.add(name);
    else reads.push({ node: n, cls, name });
  }

  const superOf = (c: ClassNode): ClassNode | null => classOfDecl(infoOf.get(c)?.superRef?.decl);
  const hits: StaticHit[] = [];
  for (const r of reads) {
    if (FUNCTION_PROPS.has(r.name) || statics.get(r.cls)?.has(r.name)) continue;
    const seen = new Set<ClassNode>([r.cls]);
    for (let up = superOf(r.cls); up && !seen.has(up); up = superOf(up)) {
      seen.add(up);
      if (statics.get(up)?.has(r.name)) {
        hits.push({ node: r.node, member: r.name, owner: up.id?.name ?? "its base class" });
        break;
      }
    }
  }
  return hits;
}

function isAssigned(a: Analysis, n: AnyNode): boolean {
  const p = a.parentOf.get(n);
  const key = a.keyOf.get(n);
  return !!p && ((p.type === "AssignmentExpression" && key === "left") || (p.type === "UpdateExpression"));
}

/** The class whose static method (or static initialiser) `this` belongs to, if any. */
function staticMethodClass(a: Analysis, n: AnyNode): ClassNode | null {
  for (let p = a.parentOf.get(n); p; p = a.parentOf.get(p)) {
    if (p.type === "FunctionExpression" || p.type === "FunctionDeclaration") {
      const m = a.parentOf.get(p);
      if (m && m.type === "MethodDefinition" && m.static) {
        const cls = a.parentOf.get(a.parentOf.get(m)!);
        return cls && (cls.type === "ClassDeclaration" || cls.type === "ClassExpression") ? cls as ClassNode : null;
      }
      return null;
    }
    if (p.type === "PropertyDefinition" || p.type === "StaticBlock") {
      const isStatic = p.type === "StaticBlock" || p.static;
      const cls = a.parentOf.get(a.parentOf.get(p)!);
      return isStatic && cls && (cls.type === "ClassDeclaration" || cls.type === "ClassExpression") ? cls as ClassNode : null;
    }
  }
  return null;
}
