// What the decorrelation rules share: finding subqueries, and pulling correlated conditions out of a subquery's plan.
import { PlanError, assertNever } from '../../ops/errors.ts';
import { columnsOf, exprChildren, exprToString, transformExpr, withExprChildren, type ExprNode, type SubqueryExpr } from '../../ops/expr/node.ts';
import { aggregate } from '../plan/aggregate.ts';
import { filter } from '../plan/filter.ts';
import { planChildren, type LogicalPlan } from '../plan/node.ts';
import { project } from '../plan/project.ts';
import { colRef, conjoin, renameColumns, splitConjuncts, substituteColumns } from './expr-utils.ts';
import { join, type JoinType } from '../plan/join.ts';

/** What joining one scalar subquery gives: the joined plan, and the expression over it that replaces the subquery. */
export interface JoinedScalar {
  readonly plan: LogicalPlan;
  readonly value: ExprNode;
}

/**
 * Replaces the scalar subqueries of a Filter's predicate or a Project's expressions (SQL's
 * select list) that `test` accepts, all at once (a later rule or pass might move what is left),
 * each by the value of a left join that `joinOne` builds onto the input so far (it may use
 * `name` and names starting with it). A Filter gets a projection restoring the input's columns.
 * Null when there is none.
 */
export function scalarSubqueriesToJoins(node: LogicalPlan, test: (s: SubqueryExpr) => boolean,
  joinOne: (joined: LogicalPlan, sub: SubqueryExpr, name: string) => JoinedScalar): LogicalPlan | null {
  if (node.kind !== 'filter' && node.kind !== 'project') return null;
  let exprs: readonly ExprNode[] = node.kind === 'filter' ? [node.predicate] : node.exprs;
  if (!exprs.some((e) => findSubquery(e, test))) return null;
  const input = node.input;
  const taken = new Set(input.schema.map((f) => f.name));
  let joined = input;
  for (;;) {
    const at = exprs.findIndex((e) => findSubquery(e, test));
    if (at < 0) break;
    const sub = findSubquery(exprs[at], test)!;
    const name = freshName('__sq', taken);
    taken.add(name);
    const one = joinOne(joined, sub, name);
    for (const f of one.plan.schema) taken.add(f.name);
    joined = one.plan;
    exprs = exprs.map((e, i) => (i === at ? replaceNode(e, sub, one.value) : e));
  }
  if (node.kind === 'project') return project(joined, exprs);
  return project(filter(joined, exprs[0]), input.schema.map((f) => colRef(f.name)));
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
    case 'values': case 'streamScan': case 'limit': case 'distinct': case 'union': case 'mapBatches': case 'predict': case 'cache': case 'subqueryAlias': case 'sample': case 'watermark': return [];
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

/** Aggregates whose value over no rows is 0, not null (SQL's COUNT bug when a left join gives null instead). */
const COUNTING: ReadonlySet<string> = new Set(['count', 'countStar', 'countDistinct']);

/** `singleValue(column)` named `name`: a scalar subquery's one value per group, an error at run time for more. */
export const singleValueOf = (column: string, name: string): ExprNode => ({ kind: 'alias', arg: { kind: 'agg', fn: 'singleValue', arg: colRef(column) }, name });

/**
 * A correlated scalar subquery as a plan to left-join: one row per correlation key with
 * columns `keyName(i)` and `name`, and `value`, the expression over the joined plan that
 * replaces the subquery.
 * - `[Project] over a global Aggregate over X` is regrouped by the correlation keys. When the
 *   value reads a counting aggregate, a key without rows must give the value over no rows
 *   (count 0, not null), so the plan also has a `${name}_m` column (true) and `value` is
 *   `CASE WHEN ${name}_m IS NULL THEN <value with counts 0, other aggregates null> ELSE name END`.
 * - Anything else is grouped by the keys with singleValue: one value per key, and a run-time
 *   error where a key has more than one row (as SQL says).
 */
export function regroupScalar(sub: SubqueryExpr, keyName: (i: number) => string, name: string): { plan: LogicalPlan; outerKeys: ExprNode[]; keyNames: string[]; value: ExprNode } {
  const top = sub.plan as LogicalPlan;
  const proj = top.kind === 'project' ? top : null;
  const agg = proj ? proj.input : top;
  const aggregated = agg.kind === 'aggregate' && agg.groupBy.length === 0;
  if (proj && (proj.exprs.length !== 1 || hasOuterRef(proj.exprs[0]))) throw new PlanError('a correlated scalar subquery must return one column that does not read the enclosing query');
  const { plan: input, outerKeys, innerKeys, residual } = decorrelate({ ...sub, plan: aggregated ? agg.input : top });
  if (residual.length) throw new PlanError(`the correlated condition ${exprToString(residual[0])} in a scalar subquery is not supported yet: only equalities with the enclosing query decorrelate there`);
  const keyNames = innerKeys.map((_, i) => keyName(i));
  const keys = innerKeys.map((k, i): ExprNode => ({ kind: 'alias', arg: k, name: keyNames[i] }));
  if (!aggregated) {
    const plan = aggregate(input, keys, [singleValueOf(input.schema[0].name, name)]);
    return { plan, outerKeys, keyNames, value: colRef(name) };
  }
  const regrouped = aggregate(input, keys, agg.aggs);
  const raw: ExprNode = proj ? proj.exprs[0] : colRef(agg.schema[0].name);
  const bare = raw.kind === 'alias' ? raw.arg : raw;
  const outputs = [...keyNames.map(colRef), { kind: 'alias', arg: bare, name } as ExprNode];
  // The value over no rows: each aggregate's own value over no rows in its place.
  const overNone = new Map<string, ExprNode>(agg.aggs.map((a, i) => {
    const f = agg.schema[i];
    const fn = (a.kind === 'alias' ? a.arg : a) as ExprNode & { kind: 'agg' };
    return [f.name, COUNTING.has(fn.fn) ? { kind: 'literal', value: 0, type: f.type } : { kind: 'literal', value: null, type: f.type }];
  }));
  const counts = [...columnsOf(bare)].some((c) => { const e = overNone.get(c); return e?.kind === 'literal' && e.value !== null; });
  if (!counts) return { plan: project(regrouped, outputs), outerKeys, keyNames, value: colRef(name) };
  const marker = `${name}_m`;
  const plan = project(regrouped, [...outputs, { kind: 'alias', arg: { kind: 'literal', value: true, type: 'bool' }, name: marker }]);
  const empty = substituteColumns(bare, (c) => overNone.get(c));
  const value: ExprNode = { kind: 'case', branches: [{ when: { kind: 'unary', op: 'isNull', arg: colRef(marker) }, then: empty }], otherwise: colRef(name) };
  return { plan, outerKeys, keyNames, value };
}
