// JoinKeysIntoAggregate: an aggregate joined on its group keys with a relation that drops rows aggregates only the keys that relation has (a semi join under it).
//
// TPC-H Q17 compares each lineitem with the average quantity of its part, for the parts of one
// brand and container: the decorrelated subquery is `avg(l_quantity) group by l_partkey` over all
// of lineitem (200,000 groups at SF 1), left-joined to about 200 parts. Only groups whose key the
// other side has can come out of the join, so the aggregate may read just the rows with such keys:
// Aggregate(input ⋉ keys(other)). Q20's sum per (part, supplier) is the same. Magic sets in the
// literature; DuckDB and Spark push such join filters into aggregates too.
//
// Valid where the join drops the aggregate side's unmatched rows (inner; left, semi with the
// aggregate on the right; right with it on the left) on keys that are group keys: a group whose
// key the other side lacks is never output, and a null key matches nothing either way. The keys
// come from the smallest part of the other side that holds them: through inner joins to the input
// a key column comes from (its keys are a superset of the join's), through projections; filters
// and semi joins stay, as they are what makes the key set small. Only where that part drops rows
// (a filter, a semi join); it is planned like any join side (a broadcast of distinct keys when small).
import type { ExprNode } from '../../../ops/expr/node.ts';
import { aggregate } from '../../plan/aggregate.ts';
import { join, pairSources, type Join } from '../../plan/join.ts';
import type { LogicalPlan } from '../../plan/node.ts';
import { project, type Project } from '../../plan/project.ts';
import { subqueryAlias, type SubqueryAlias } from '../../plan/subquery-alias.ts';
import { colRef, passedColumn, stripAlias } from '../expr-utils.ts';
import { unchanged, type OptimizerRule } from '../rule.ts';

/** Names of the key columns a reduction's semi join reads (and the mark that an aggregate has one). */
const MARK = '__joinkeys_';

export const JoinKeysIntoAggregate: OptimizerRule = {
  name: 'JoinKeysIntoAggregate',
  rewrite(node) {
    if (node.kind !== 'join' || node.using || node.leftKeys.length === 0) return unchanged(node);
    const sides = node.how === 'inner' ? (['right', 'left'] as const) : node.how === 'left' || node.how === 'semi' ? (['right'] as const) : node.how === 'right' ? (['left'] as const) : [];
    for (const side of sides) {
      const reduced = side === 'right'
        ? reduce(node.right, node.rightKeys, node.left, node.leftKeys)
        : reduce(node.left, node.leftKeys, node.right, node.rightKeys);
      if (reduced === null) continue;
      const [left, right] = side === 'right' ? [node.left, reduced] : [reduced, node.right];
      return { node: join(left, right, node.how, node.leftKeys, node.rightKeys, false, node.strategy, node.filter), changed: true };
    }
    return unchanged(node);
  },
};

/** `side` (an aggregate, under projections and aliases) reading only the rows whose group keys `other` has; null where the rule does not apply. */
function reduce(side: LogicalPlan, sideKeys: readonly ExprNode[], other: LogicalPlan, otherKeys: readonly ExprNode[]): LogicalPlan | null {
  if (!sideKeys.every((k) => k.kind === 'column')) return null;
  let names = sideKeys.map((k) => (k as ExprNode & { kind: 'column' }).name);
  // Projections of plain columns and aliases (a derived table `(select k, sum(v) ... group by k) s`).
  const layers: (Project | SubqueryAlias)[] = [];
  let agg = side;
  while (agg.kind === 'project' || agg.kind === 'subqueryAlias') {
    if (agg.kind === 'project') {
      const proj = agg;
      const inner = names.map((n) => passedColumn(proj, n));
      if (inner.some((n) => n === null)) return null;
      names = inner as string[];
    }
    layers.push(agg);
    agg = agg.input;
  }
  if (agg.kind !== 'aggregate' || agg.groupBy.length === 0) return null;
  const groups = agg.schema.slice(0, agg.groupBy.length);
  const groupInputs: ExprNode[] = [];
  for (const n of names) {
    const g = groups.findIndex((f) => f.name === n);
    if (g < 0) return null;
    groupInputs.push(stripAlias(agg.groupBy[g]));
  }
  if (reduced(agg.input)) return null;
  const src = keySource(other, otherKeys);
  if (src === null || !dropsRows(src.plan)) return null;
  const marks = src.keys.map((_, i) => `${MARK}${i}`);
  const keys = project(src.plan, src.keys.map((k, i): ExprNode => ({ kind: 'alias', arg: k, name: marks[i] })));
  const semi = join(agg.input, keys, 'semi', groupInputs, marks.map(colRef), false);
  let out: LogicalPlan = aggregate(semi, agg.groupBy, agg.aggs);
  for (const l of layers.reverse()) out = l.kind === 'project' ? project(out, l.exprs) : subqueryAlias(out, l.alias);
  return out;
}

/** Whether `plan` already reads through such a semi join (the rule ran, and the join may have moved down since). */
function reduced(plan: LogicalPlan): boolean {
  if (plan.kind === 'join' && plan.how === 'semi' && plan.right.schema.length > 0 && plan.right.schema.every((f) => f.name.startsWith(MARK))) return true;
  switch (plan.kind) {
    case 'join': return reduced(plan.left) || reduced(plan.right);
    case 'project': case 'filter': case 'subqueryAlias': case 'sort': case 'limit': case 'repartition': return reduced(plan.input);
    default: return false;
  }
}

/**
 * The smallest part of `plan` the key columns come from, with the keys over it; null while a
 * filter still sits over a join there (a later pass pushes it into the join's inputs first).
 */
function keySource(plan: LogicalPlan, keys: readonly ExprNode[]): { plan: LogicalPlan; keys: readonly ExprNode[] } | null {
  if (plan.kind === 'filter' && plan.input.kind === 'join') return null;
  if (!keys.every((k) => k.kind === 'column')) return { plan, keys };
  const names = keys.map((k) => (k as ExprNode & { kind: 'column' }).name);
  switch (plan.kind) {
    case 'join': {
      if (plan.how !== 'inner' || plan.using) return { plan, keys };
      const from = new Map(pairSources(plan as Join).map((p) => [p.name, p] as const));
      const sides = new Set(names.map((n) => from.get(n)?.side));
      if (sides.size !== 1 || sides.has(undefined)) return { plan, keys };
      const left = sides.has('left');
      return keySource(left ? plan.left : plan.right, names.map((n) => colRef(from.get(n)!.input)));
    }
    case 'project': {
      const inner = names.map((n) => passedColumn(plan, n));
      if (inner.some((n) => n === null)) return { plan, keys };
      return keySource(plan.input, (inner as string[]).map(colRef));
    }
    default:
      return { plan, keys };
  }
}

/** Whether `plan` may drop rows of the relation under it: a filter, a scan's filters, a semi or anti join, a limit. */
function dropsRows(plan: LogicalPlan): boolean {
  switch (plan.kind) {
    case 'filter': case 'limit': return true;
    case 'scan': return plan.filters.length > 0;
    case 'join': return plan.how === 'semi' || plan.how === 'anti' || (plan.how === 'inner' && (dropsRows(plan.left) || dropsRows(plan.right)));
    case 'project': case 'subqueryAlias': return dropsRows(plan.input);
    default: return false;
  }
}
