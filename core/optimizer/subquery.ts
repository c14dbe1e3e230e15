// What the decorrelation rules share: finding subqueries, and pulling correlated conditions out of a subquery's plan.
import { PlanError, assertNever } from '../../ops/errors.ts';
import { exprChildren, exprToString, transformExpr, withExprChildren, type ExprNode, type SubqueryExpr } from '../../ops/expr/node.ts';
import { aggregate } from '../plan/aggregate.ts';
import { filter } from '../plan/filter.ts';
import { planChildren, type LogicalPlan } from '../plan/node.ts';
import { project } from '../plan/project.ts';
import { colRef, conjoin, renameColumns, splitConjuncts } from './expr-utils.ts';
import { join, type JoinType } from '../plan/join.ts';

/**
 * Replaces the scalar subqueries of a Filter that `test` accepts, all at once (a later rule or
 * pass might move what is left), each by column `name` of a left join that `joinOne` builds onto
 * the input so far; a projection restores the input's columns. Null when there is none.
 */
export function scalarSubqueriesToJoins(node: LogicalPlan, test: (s: SubqueryExpr) => boolean,
  joinOne: (joined: LogicalPlan, sub: SubqueryExpr, name: string) => LogicalPlan): LogicalPlan | null {
  if (node.kind !== 'filter' || !findSubquery(node.predicate, test)) return null;
  const input = node.input;
  const taken = new Set(input.schema.map((f) => f.name));
  let joined = input, predicate = node.predicate;
  for (let sub = findSubquery(predicate, test); sub; sub = findSubquery(predicate, test)) {
    const name = freshName('__sq', taken);
    taken.add(name);
    joined = joinOne(joined, sub, name);
    predicate = replaceNode(predicate, sub, colRef(name));
  }
  return project(filter(joined, predicate), input.schema.map((f) => colRef(f.name)));
}

export const isSubquery = (e: ExprNode): e is SubqueryExpr => e.kind === 'subquery';

/** A Filter conjunct that is `[NOT] EXISTS (...)` or `x [NOT] IN (...)` (NOT (...) folded into `negated`). */
export function subqueryConjunct(c: ExprNode, kind: 'exists' | 'in'): SubqueryExpr | null {
  if (isSubquery(c) && c.subquery === kind) return c;
  if (c.kind === 'unary' && c.op === 'not' && isSubquery(c.arg) && c.arg.subquery === kind) return { ...c.arg, negated: !c.arg.negated };
  return null;
}

/** The first subquery under `e` (depth-first) that `test` accepts, not looking inside subquery plans. */
export function findSubquery(e: ExprNode, test: (s: SubqueryExpr) => boolean): SubqueryExpr | null {
  if (isSubquery(e) && test(e)) return e;
  for (const c of exprChildren(e)) {
    const f = findSubquery(c, test);
    if (f) return f;
  }
  return null;
}

/** `e` with the node `target` (by identity) replaced. */
export function replaceNode(e: ExprNode, target: ExprNode, by: ExprNode): ExprNode {
  if (e === target) return by;
  const kids = exprChildren(e);
  const next = kids.map((k) => replaceNode(k, target, by));
  return next.some((k, i) => k !== kids[i]) ? withExprChildren(e, next) : e;
}

/** Whether `e` refers to an enclosing query (an outerRef, here or in a nested subquery's outer values). */
export function hasOuterRef(e: ExprNode): boolean {
  return e.kind === 'outerRef' || exprChildren(e).some(hasOuterRef);
}

/** The expressions a plan node evaluates (not its children's). */
export function nodeExprs(p: LogicalPlan): readonly ExprNode[] {
  switch (p.kind) {
    case 'scan': return p.filters;
    case 'project': return p.exprs;
    case 'filter': return [p.predicate];
    case 'aggregate': return [...p.groupBy, ...p.aggs];
    case 'join': return [...p.leftKeys, ...p.rightKeys, ...(p.filter ? [p.filter] : [])];
    case 'sort': case 'repartition': return p.keys;
    case 'generate': return [p.arg];
    case 'window': return [...p.partitionBy, ...p.orderBy, ...p.exprs];
    case 'values': case 'streamScan': case 'limit': case 'distinct': case 'union': case 'mapBatches': case 'predict': case 'cache': case 'subqueryAlias': case 'sample': return [];
    default: return assertNever(p, 'plan node');
  }
}

export function planHasOuterRef(p: LogicalPlan): boolean {
  return nodeExprs(p).some(hasOuterRef) || planChildren(p).some(planHasOuterRef);
}

/** A name starting with `base` that is not in `taken`. */
export function freshName(base: string, taken: ReadonlySet<string>): string {
  for (let i = 0; ; i++) if (!taken.has(`${base}${i}`) && ![...taken].some((t) => t.startsWith(`${base}${i}_`))) return `${base}${i}`;
}

/**
 * A subquery's plan without its correlated conditions, and those conditions as join keys:
 * `outerKeys[i]` (over the enclosing plan) = `innerKeys[i]` (over `plan`). Conditions are
 * pulled out of Filters, through Projects (which then keep the columns the keys need); with
 * Correlated conditions that are not such equalities come back in `residual` as they are
 * (reading outerRef nodes; see keyedJoin). A correlated reference anywhere else is a PlanError.
 */
export function decorrelate(sub: SubqueryExpr): { plan: LogicalPlan; outerKeys: ExprNode[]; innerKeys: ExprNode[]; residual: ExprNode[] } {
  const { plan, conds } = pullUp(sub.plan as LogicalPlan);
  const outerKeys: ExprNode[] = [], innerKeys: ExprNode[] = [], residual: ExprNode[] = [];
  const outer = (e: ExprNode): ExprNode => transformExpr(e, (n) => (n.kind === 'outerRef' ? sub.outerRefs[n.index] : n));
  const onlyOuter = (e: ExprNode): boolean => hasOuterRef(e) && !hasColumn(e);
  for (const c of conds) {
    if (c.kind === 'binary' && c.op === 'eq') {
      if (onlyOuter(c.right) && !hasOuterRef(c.left)) { outerKeys.push(outer(c.right)); innerKeys.push(c.left); continue; }
      if (onlyOuter(c.left) && !hasOuterRef(c.right)) { outerKeys.push(outer(c.left)); innerKeys.push(c.right); continue; }
    }
    if (hasNestedOuterRef(c)) throw new PlanError(`the correlated condition ${exprToString(c)} is not supported yet: it holds a subquery that reads the enclosing query`);
    residual.push(c);
  }
  return { plan, outerKeys, innerKeys, residual };
}

/** A subquery under `e` whose outer values read an outerRef (a reference two levels up). */
const hasNestedOuterRef = (e: ExprNode): boolean => (e.kind === 'subquery' && e.outerRefs.some(hasOuterRef)) || exprChildren(e).some(hasNestedOuterRef);

/**
 * Join(how, left, right) on the keys and, when there are correlated conditions that are not
 * equalities, with them as the join's condition. The condition reads both sides by name, so the
 * right side's columns that the left also has are renamed (`name__inner`) first.
 */
export function keyedJoin(left: LogicalPlan, right: LogicalPlan, how: JoinType, leftKeys: readonly ExprNode[], rightKeys: readonly ExprNode[],
  residual: readonly ExprNode[], outerRefs: readonly ExprNode[]): LogicalPlan {
  if (residual.length === 0) return join(left, right, how, leftKeys, rightKeys, false);
  const taken = new Set([...left.schema.map((f) => f.name), ...right.schema.map((f) => f.name)]);
  const renames = new Map<string, string>();
  for (const f of right.schema) {
    if (!left.schema.some((l) => l.name === f.name)) continue;
    let to = `${f.name}__inner`;
    for (let i = 2; taken.has(to); i++) to = `${f.name}__inner${i}`;
    taken.add(to);
    renames.set(f.name, to);
  }
  const r = renames.size ? project(right, right.schema.map((f) => (renames.has(f.name) ? { kind: 'alias', arg: colRef(f.name), name: renames.get(f.name)! } : colRef(f.name)))) : right;
  // Inner columns are renamed first; then the outer values (over left names) replace the outerRefs.
  const cond = conjoin(residual.map((c) => transformExpr(renameColumns(c, renames), (n) => (n.kind === 'outerRef' ? outerRefs[n.index] : n))))!;
  return join(left, r, how, leftKeys, rightKeys.map((k) => renameColumns(k, renames)), false, 'auto', cond);
}

const hasColumn = (e: ExprNode): boolean => e.kind === 'column' || (e.kind !== 'subquery' && exprChildren(e).some(hasColumn));

function pullUp(p: LogicalPlan): { plan: LogicalPlan; conds: ExprNode[] } {
  switch (p.kind) {
    case 'filter': {
      const below = pullUp(p.input);
      const conjuncts = splitConjuncts(p.predicate);
      const corr = conjuncts.filter(hasOuterRef);
      if (corr.length === 0 && below.plan === p.input) return { plan: p, conds: [] };
      const rest = conjoin(conjuncts.filter((c) => !hasOuterRef(c)));
      return { plan: rest ? filter(below.plan, rest) : below.plan, conds: [...below.conds, ...corr] };
    }
    case 'project': {
      if (p.exprs.some(hasOuterRef)) throw new PlanError('a correlated reference in a subquery\'s select list is not supported yet');
      const below = pullUp(p.input);
      if (below.conds.length === 0) return { plan: p, conds: [] };
      // The columns the pulled conditions read must stay visible above the projection.
      const needed = new Set<string>();
      for (const c of below.conds) collectColumns(c, needed);
      const out = new Set(p.schema.map((f) => f.name));
      const extra: ExprNode[] = [];
      for (const n of needed) {
        if (!out.has(n)) { extra.push(colRef(n)); continue; }
        const i = p.schema.findIndex((f) => f.name === n);
        const e = p.exprs[i];
        if (!(e.kind === 'column' && e.name === n)) throw new PlanError(`a correlated condition on '${n}', which the subquery's select list redefines, is not supported yet`);
      }
      return { plan: project(below.plan, [...p.exprs, ...extra]), conds: below.conds };
    }
    default:
      if (planHasOuterRef(p)) throw new PlanError(`a correlated reference under a ${p.kind} in a subquery is not supported yet`);
      return { plan: p, conds: [] };
  }
}

function collectColumns(e: ExprNode, out: Set<string>): void {
  if (e.kind === 'column') out.add(e.name);
  for (const c of exprChildren(e)) collectColumns(c, out);
}

/**
 * A correlated scalar subquery's plan, `[Project] over a global Aggregate over X`, regrouped by
 * its correlation keys: one row per key with columns `keys[i]` then `value`. Counting aggregates
 * are refused (a key with no rows must give 0, and a left join gives null).
 */
export function regroupScalar(sub: SubqueryExpr, keyName: (i: number) => string, valueName: string): { plan: LogicalPlan; outerKeys: ExprNode[]; keyNames: string[] } {
  const top = sub.plan as LogicalPlan;
  const proj = top.kind === 'project' ? top : null;
  const agg = proj ? proj.input : top;
  if (agg.kind !== 'aggregate' || agg.groupBy.length > 0) {
    throw new PlanError('a correlated scalar subquery is supported when it computes one aggregate over its rows (select max(x) from ... where ...); this one does not');
  }
  if (proj && (proj.exprs.length !== 1 || hasOuterRef(proj.exprs[0]))) throw new PlanError('a correlated scalar subquery must return one column that does not read the enclosing query');
  if (agg.aggs.some((a) => JSON.stringify(a).includes('"fn":"count'))) {
    throw new PlanError('count() in a correlated scalar subquery is not supported yet (a key without rows must count 0)');
  }
  const { plan: input, outerKeys, innerKeys, residual } = decorrelate({ ...sub, plan: agg.input });
  if (residual.length) throw new PlanError(`the correlated condition ${exprToString(residual[0])} in a scalar subquery is not supported yet: only equalities with the enclosing query decorrelate there`);
  const keyNames = innerKeys.map((_, i) => keyName(i));
  const regrouped = aggregate(input, innerKeys.map((k, i) => ({ kind: 'alias', arg: k, name: keyNames[i] })), agg.aggs);
  const value: ExprNode = proj ? proj.exprs[0] : colRef(agg.schema[0].name);
  const bare = value.kind === 'alias' ? value.arg : value;
  return { plan: project(regrouped, [...keyNames.map(colRef), { kind: 'alias', arg: bare, name: valueName }]), outerKeys, keyNames };
}
