// Use before declaration. Espruino does not hoist: a function or variable is
// undefined until execution reaches its declaration (espruino.md §1).
//
// Two ways to get there:
//  - direct: code that runs when a scope runs names something that scope
//    declares further down (`f(); function f(){}`);
//  - through a call: a statement calls a function declared above it, and that
//    function (or one it calls, transitively) names something declared below
//    the statement. This is how compiled class helpers crash:
//    `function _inherits(a,b){_setPrototypeOf(a,b)}  var B=function(){_inherits(B,A)...}();
//     function _setPrototypeOf(o,p){...}`.
//
// References inside a function body that is only defined (a callback, a
// method) are not flagged: that body runs later, when the names may exist.
// Calls are followed only when the callee is a plain name bound to a function
// or class; method calls (`o.m()`) are not resolved.
//
// Cost: one pass over the references, then summaries of "names used from
// outside" per function, computed once per strongly connected component of the
// call graph (Tarjan), so recursion and mutual recursion are handled exactly.
import type * as acorn from "acorn";
import type { Analysis, AnyNode, Decl } from "./scope.ts";

export interface HoistingHit {
  /** Where to report: the reference, or the call that leads to it. */
  node: AnyNode;
  name: string;
  decl: Decl;
  /** For a hit through a call: the callee's name. */
  via: acorn.Identifier | null;
}

const within = (inner: AnyNode, outer: AnyNode): boolean => inner.start >= outer.start && inner.end <= outer.end;

export function findHoistingViolations(a: Analysis): HoistingHit[] {
  const hits: HoistingHit[] = [];

  // Direct uses, and per activation the declarations it uses from outside itself.
  const usesFromOutside = new Map<AnyNode, Set<Decl>>();
  for (const ref of a.refs) {
    const d = ref.decl;
    if (!d) continue;
    if (ref.activation === d.scope.activation) {
      if (ref.id.start < d.pos) hits.push({ node: ref.id, name: ref.id.name, decl: d, via: null });
    } else if (ref.activation !== a.program && !within(d.scope.node, ref.activation)) {
      let set = usesFromOutside.get(ref.activation);
      if (!set) usesFromOutside.set(ref.activation, (set = new Set()));
      set.add(d);
    }
  }

  // The call graph between activations (deferred functions and classes).
  const edges = new Map<AnyNode, AnyNode[]>();
  const addEdge = (from: AnyNode, to: AnyNode | null | undefined): void => {
    if (!to || from === a.program) return;
    let list = edges.get(from);
    if (!list) edges.set(from, (list = []));
    list.push(to);
  };
  for (const c of a.calls) addEdge(c.activation, c.callee.decl?.value);
  for (const cls of a.classes) {
    addEdge(cls.node, cls.constructorFn);
    addEdge(cls.node, cls.superRef?.decl?.value);
  }

  const summary = summarize(usesFromOutside, edges);

  // Each call that runs now: does the callee reach a name declared below the call?
  for (const c of a.calls) {
    const target = c.callee.decl?.value;
    if (!target) continue;
    const reached = summary(target);
    if (!reached) continue;
    for (const d of reached) {
      if (d.pos > c.node.start && d.scope.activation === c.activation && !within(d.scope.node, target)) {
        hits.push({ node: c.node, name: d.name, decl: d, via: c.callee.id });
      }
    }
  }
  return hits;
}

/**
 * For each activation, the declarations outside it that it uses when it runs,
 * including through the functions it calls. Tarjan's SCC algorithm: every
 * member of a cycle shares one set; sets of callees outside the cycle are
 * filtered to what lies outside the caller.
 */
function summarize(direct: Map<AnyNode, Set<Decl>>, edges: Map<AnyNode, AnyNode[]>): (n: AnyNode) => Set<Decl> | undefined {
  const index = new Map<AnyNode, number>();
  const low = new Map<AnyNode, number>();
  const onStack = new Set<AnyNode>();
  const stack: AnyNode[] = [];
  const sets = new Map<AnyNode, Set<Decl>>();
  let counter = 0;

  const connect = (v: AnyNode): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const members: AnyNode[] = [];
    let w: AnyNode;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      members.push(w);
    } while (w !== v);
    const memberSet = new Set(members);
    const combined = new Set<Decl>();
    for (const m of members) {
      for (const d of direct.get(m) ?? []) combined.add(d);
      for (const callee of edges.get(m) ?? []) {
        if (memberSet.has(callee)) continue;
        for (const d of sets.get(callee) ?? []) if (!within(d.scope.node, m)) combined.add(d);
      }
    }
    for (const m of members) sets.set(m, combined);
  };

  return (n) => {
    if (!index.has(n)) connect(n);
    return sets.get(n);
  };
}
