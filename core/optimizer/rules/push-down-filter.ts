// PushDownFilter: moves filter conjuncts below the nodes they commute with, down into scans.
import { assertNever } from '../../../ops/errors.ts';
import { columnsOf, exprChildren, exprName, type ExprNode, type ScalarFn } from '../../../ops/expr/node.ts';
import { typeEquals } from '../../../ops/types.ts';
import { aggregate, type Aggregate } from '../../plan/aggregate.ts';
import { distinct } from '../../plan/distinct.ts';
import { filter, type Filter } from '../../plan/filter.ts';
import { join, pairSources, type Join } from '../../plan/join.ts';
import type { LogicalPlan } from '../../plan/node.ts';
import { predict, type Predict } from '../../plan/predict.ts';
import { generate, type Generate } from '../../plan/generate.ts';
import { project, type Project } from '../../plan/project.ts';
import { repartition } from '../../plan/repartition.ts';
import { scan, type Scan } from '../../plan/scan.ts';
import { sort } from '../../plan/sort.ts';
import { subqueryAlias } from '../../plan/subquery-alias.ts';
import { union, type Union } from '../../plan/union.ts';
import { window, type Window } from '../../plan/window.ts';
import { colRef, conjoin, exprKey, renameColumns, splitConjuncts, stripAlias, substituteColumns } from '../expr-utils.ts';
import { unchanged, type OptimizerRule, type RewriteResult } from '../rule.ts';

/** Functions whose result may differ between two evaluations on the same row (none yet). */
const NONDETERMINISTIC: ReadonlySet<ScalarFn> = new Set<ScalarFn>();

/** Safe to evaluate on other rows or more than once: no aggregate, no nondeterministic call. */
function deterministic(e: ExprNode): boolean {
  if (e.kind === 'agg' || e.kind === 'over' || e.kind === 'windowFn') return false;
  if (e.kind === 'call' && NONDETERMINISTIC.has(e.fn)) return false;
  return exprChildren(e).every(deterministic);
}

export const PushDownFilter: OptimizerRule = {
  name: 'PushDownFilter',
  rewrite(node) {
    if (node.kind !== 'filter') return unchanged(node);
    const child = node.input;
    switch (child.kind) {
      case 'project': return throughProject(node, child);
      case 'sort': return { node: sort(filter(child.input, node.predicate), child.keys), changed: true };
      case 'repartition': return { node: repartition(filter(child.input, node.predicate), child.n, child.keys), changed: true };
      // Distinct compares whole rows, so dropping rows before or after it is the same.
      case 'distinct': return { node: distinct(filter(child.input, node.predicate)), changed: true };
      case 'union': return intoUnion(node, child);
      case 'join': return throughJoin(node, child);
      case 'aggregate': return throughAggregate(node, child);
      case 'window': return throughWindow(node, child);
      case 'scan': return intoScan(node, child);
      case 'predict': return throughPredict(node, child);
      // A limit picks rows before the filter sees them, and a UDF may depend on every row;
      // stacked filters are merged by CombineFilters instead.
      case 'limit': case 'mapBatches': case 'filter': case 'values': case 'streamScan': return unchanged(node);
      // Cached rows are the input's, whatever reads them: a filter stays above.
      case 'cache': return unchanged(node);
      // Below a sample a filter would change which rows a seed draws.
      case 'sample': return unchanged(node);
      case 'generate': return throughGenerate(node, child);
      // Same column names below: the filter moves under the alias as it is.
      case 'subqueryAlias': return { node: subqueryAlias(filter(child.input, node.predicate), child.alias), changed: true };
      // A filter above the watermark would hide dropped rows from its max event time: it stays.
      case 'watermark': return unchanged(node);
      default: return assertNever(child, 'plan node');
    }
  },
};

/**
 * Splits the filter's conjuncts: `below` returns the rewritten conjunct to push, or null to keep
 * it above. Returns null when nothing moves.
 */
function partition(f: Filter, below: (c: ExprNode) => ExprNode | null): { pushed: ExprNode[]; kept: ExprNode[] } | null {
  const pushed: ExprNode[] = [];
  const kept: ExprNode[] = [];
  for (const c of splitConjuncts(f.predicate)) {
    const r = below(c);
    if (r === null) kept.push(c);
    else pushed.push(r);
  }
  return pushed.length ? { pushed, kept } : null;
}

/** `kept` conjuncts (if any) as a Filter over `node`. */
function keepAbove(node: LogicalPlan, kept: readonly ExprNode[]): RewriteResult {
  const p = conjoin(kept);
  return { node: p === null ? node : filter(node, p), changed: true };
}

function throughProject(f: Filter, p: Project): RewriteResult {
  const defs = new Map(p.exprs.map((e, i) => [p.schema[i].name, stripAlias(e)] as const));
  const split = partition(f, (c) => {
    const cols = [...columnsOf(c)];
    // An aggregate would be recomputed over the wrong rows, a nondeterministic call to another
    // value: only conjuncts over deterministic definitions move.
    if (!cols.every((n) => defs.has(n) && deterministic(defs.get(n)!))) return null;
    return substituteColumns(c, (n) => defs.get(n));
  });
  if (!split) return unchanged(f);
  return keepAbove(project(filter(p.input, conjoin(split.pushed)!), p.exprs), split.kept);
}

/** Conjuncts over input columns only run before inference: fewer images to tag. */
function throughPredict(f: Filter, p: Predict): RewriteResult {
  const inputNames = new Set(p.input.schema.map((x) => x.name));
  const split = partition(f, (c) => ([...columnsOf(c)].every((n) => inputNames.has(n)) && deterministic(c) ? c : null));
  if (!split) return unchanged(f);
  return keepAbove(predict(filter(p.input, conjoin(split.pushed)!), p.spec), split.kept);
}

/** Conjuncts over the input's columns only hold for every row a list gives: they filter the input rows first. */
function throughGenerate(f: Filter, g: Generate): RewriteResult {
  const inputNames = new Set(g.input.schema.map((x) => x.name));
  const split = partition(f, (c) => ([...columnsOf(c)].every((n) => inputNames.has(n)) && deterministic(c) ? c : null));
  if (!split) return unchanged(f);
  return keepAbove(generate(filter(g.input, conjoin(split.pushed)!), g.arg, g.outer, g.posName, g.colName, g.valueName), split.kept);
}

/** Union columns match by position; each input gets the predicate in its own column names. */
function intoUnion(f: Filter, u: Union): RewriteResult {
  const names = u.schema.map((x) => x.name);
  const inputs = u.inputs.map((input) => {
    const rename = new Map(names.map((n, j) => [n, input.schema[j].name] as const));
    return filter(input, renameColumns(f.predicate, rename));
  });
  return { node: union(inputs), changed: true };
}

type Side = 'left' | 'right' | 'none';

/**
 * Which input each output column of the join is read from ('none': both, e.g. a full USING
 * key), and its name there (a column renamed `q.name` for a clash has its plain name below).
 */
function outputSides(j: Join): Map<string, { side: Side; input: string }> {
  const sides = new Map<string, { side: Side; input: string }>();
  if (j.how === 'semi' || j.how === 'anti') {
    for (const f of j.left.schema) sides.set(f.name, { side: 'left', input: f.name });
    return sides;
  }
  const usingNames = new Set(j.using ? j.leftKeys.map(exprName) : []);
  for (const s of pairSources(j)) {
    sides.set(s.name, usingNames.has(s.name) ? { side: usingKeySide(j, s.name), input: s.name } : { side: s.side, input: s.input });
  }
  return sides;
}

/** A USING key appears once: the left value, the right one for right joins, coalesced for full. */
function usingKeySide(j: Join, name: string): Side {
  switch (j.how) {
    case 'inner': case 'left': case 'semi': case 'anti': return 'left';
    case 'right': {
      // The right value is the output only for a same-named column key of the same type.
      const i = j.leftKeys.findIndex((k) => exprName(k) === name);
      const lk = j.leftKeys[i];
      const rk = j.rightKeys[i];
      if (lk.kind !== 'column' || rk.kind !== 'column' || rk.name !== name) return 'none';
      const l = j.left.schema.find((x) => x.name === name)!;
      const r = j.right.schema.find((x) => x.name === name)!;
      return typeEquals(l.type, r.type) ? 'right' : 'none';
    }
    case 'full': return 'none';
    default: return assertNever(j.how, 'join type');
  }
}

function throughJoin(f: Filter, j: Join): RewriteResult {
  const sides = outputSides(j);
  // Never filter the side that supplies nulls: its unmatched rows would reappear as null-padded.
  const leftOk = j.how === 'inner' || j.how === 'left' || j.how === 'semi' || j.how === 'anti';
  const rightOk = j.how === 'inner' || j.how === 'right';
  const toLeft: ExprNode[] = [];
  const toRight: ExprNode[] = [];
  const kept: ExprNode[] = [];
  for (const c of splitConjuncts(f.predicate)) {
    const cols = [...columnsOf(c)];
    const s = new Set(cols.map((n) => sides.get(n)?.side ?? 'none'));
    const below = (): ExprNode => renameColumns(c, new Map(cols.map((n) => [n, sides.get(n)!.input] as const)));
    if (s.size === 1 && s.has('left') && leftOk) toLeft.push(below());
    else if (s.size === 1 && s.has('right') && rightOk) toRight.push(below());
    else kept.push(c);
  }
  if (toLeft.length === 0 && toRight.length === 0) return unchanged(f);
  const left = toLeft.length ? filter(j.left, conjoin(toLeft)!) : j.left;
  const right = toRight.length ? filter(j.right, conjoin(toRight)!) : j.right;
  return keepAbove(join(left, right, j.how, j.leftKeys, j.rightKeys, j.using, j.strategy, j.filter), kept);
}

function throughAggregate(f: Filter, a: Aggregate): RewriteResult {
  // Group keys that are plain columns (possibly renamed): a filter on them drops whole groups.
  const keys = new Map<string, ExprNode>();
  for (const g of a.groupBy) {
    const inner = stripAlias(g);
    if (inner.kind === 'column') keys.set(g.kind === 'alias' ? g.name : inner.name, colRef(inner.name));
  }
  const split = partition(f, (c) => {
    const cols = [...columnsOf(c)];
    // A constant conjunct must stay: a global aggregate yields one row even from no input.
    if (cols.length === 0 || !cols.every((n) => keys.has(n))) return null;
    return substituteColumns(c, (n) => keys.get(n));
  });
  if (!split) return unchanged(f);
  return keepAbove(aggregate(filter(a.input, conjoin(split.pushed)!), a.groupBy, a.aggs), split.kept);
}

/**
 * A conjunct over partition keys only (plain columns) drops whole window partitions, which
 * changes no other partition's window values: it may go below. Any other conjunct changes
 * which rows the frames see, so it stays above.
 */
function throughWindow(f: Filter, w: Window): RewriteResult {
  const keys = new Set(w.partitionBy.filter((k) => k.kind === 'column').map((k) => (k as { name: string }).name));
  const split = partition(f, (c) => {
    const cols = [...columnsOf(c)];
    return cols.length > 0 && cols.every((n) => keys.has(n)) && deterministic(c) ? c : null;
  });
  if (!split) return unchanged(f);
  return keepAbove(window(filter(w.input, conjoin(split.pushed)!), w.exprs), split.kept);
}

/** The scan applies its filters exactly, so the Filter node goes away. */
function intoScan(f: Filter, s: Scan): RewriteResult {
  // A pushed limit counts rows before a filter added now would drop them.
  if (s.limit !== null) return unchanged(f);
  const filters = [...s.filters];
  const have = new Set(filters.map(exprKey));
  for (const c of splitConjuncts(f.predicate)) {
    if (have.has(exprKey(c))) continue;
    have.add(exprKey(c));
    filters.push(c);
  }
  return { node: scan(s.source, s.fileSchema, s.projection, filters, s.limit), changed: true };
}
