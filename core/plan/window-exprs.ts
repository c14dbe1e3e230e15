// Projection whose expressions hold window expressions: Window nodes (one per PARTITION BY / ORDER BY) under a Project.
import { containsWindow, exprChildren, exprName, withExprChildren, type ExprNode } from '../../ops/expr/node.ts';
import type { LogicalPlan } from './node.ts';
import { project } from './project.ts';
import { window } from './window.ts';

/**
 * select(exprs) / withColumn. Without window expressions this is one Project, as before.
 * Otherwise each distinct `expr.over(spec)` is computed once by a Window node, the nodes that
 * share a PARTITION BY and ORDER BY (frames may differ) being one node (one sort), stacked
 * in the order the specs first appear, except that longer ORDER BYs go first (below): rows
 * sorted for one stay sorted for a spec whose keys are a prefix of its, which then needs no
 * sort of its own (core/physical/planner.ts):
 *   Project[exprs with each over(...) replaced by its column]
 *     Window[spec 2] <- Window[spec 1] <- input
 * Each expression keeps its output name (alias or rendering). A window expression that is a
 * whole output column is computed under that name.
 */
export function projectWithWindows(input: LogicalPlan, exprs: readonly ExprNode[]): LogicalPlan {
  if (!exprs.some(containsWindow)) return project(input, exprs);
  const taken = new Set(input.schema.map((f) => f.name));
  const calls = new Map<string, { node: ExprNode; name: string }>();
  const specs = new Map<string, ExprNode[]>();

  const callFor = (o: ExprNode & { kind: 'over' }, wanted: string | null): string => {
    const k = JSON.stringify(o);
    let c = calls.get(k);
    if (!c) {
      c = { node: o, name: fresh(wanted ?? `_w${calls.size}`, taken) };
      calls.set(k, c);
      const sk = JSON.stringify([o.spec.partitionBy, o.spec.orderBy]);
      if (!specs.has(sk)) specs.set(sk, []);
      specs.get(sk)!.push(c.name === exprName(o) ? o : { kind: 'alias', arg: o, name: c.name });
    }
    return c.name;
  };
  const rewrite = (e: ExprNode): ExprNode => {
    if (e.kind === 'over') return { kind: 'column', name: callFor(e, null) };
    const kids = exprChildren(e);
    return kids.length ? withExprChildren(e, kids.map(rewrite)) : e;
  };
  const outputs = exprs.map((e): ExprNode => {
    const inner = e.kind === 'alias' ? e.arg : e;
    const name = exprName(e);
    if (inner.kind === 'over') {
      const c = callFor(inner, name);
      return c === name ? { kind: 'column', name } : { kind: 'alias', arg: { kind: 'column', name: c }, name };
    }
    const r = rewrite(e);
    return r.kind === 'alias' || exprName(r) === name ? r : { kind: 'alias', arg: r, name };
  });
  let plan = input;
  const groups = [...specs.values()].map((g, i) => ({ g, i, n: (g[0].kind === 'alias' ? g[0].arg : g[0]) as ExprNode & { kind: 'over' } }));
  groups.sort((a, b) => b.n.spec.orderBy.length - a.n.spec.orderBy.length || a.i - b.i);
  for (const { g } of groups) plan = window(plan, g);
  return project(plan, outputs);
}

/** `name` when free, else `name_2`, `name_3`, ...; the result is then taken. */
function fresh(name: string, taken: Set<string>): string {
  let n = name;
  for (let i = 2; taken.has(n); i++) n = `${name}_${i}`;
  taken.add(n);
  return n;
}
