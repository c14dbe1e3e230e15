// PruneColumns: reads and carries only the columns some ancestor needs, down to the scans.
import { assertNever } from '../../../ops/errors.ts';
import { columnsOf, type ExprNode } from '../../../ops/expr/node.ts';
import type { FieldJSON } from '../../../ops/types.ts';
import { aggregate, type Aggregate } from '../../plan/aggregate.ts';
import { cache } from '../../plan/cache.ts';
import { distinct } from '../../plan/distinct.ts';
import { filter } from '../../plan/filter.ts';
import { eventTimeWatermark } from '../../plan/watermark.ts';
import { join, pairSources, type Join } from '../../plan/join.ts';
import { limit } from '../../plan/limit.ts';
import { mapBatches } from '../../plan/map-batches.ts';
import { predict } from '../../plan/predict.ts';
import { generate } from '../../plan/generate.ts';
import { sample } from '../../plan/sample.ts';
import type { LogicalPlan } from '../../plan/node.ts';
import { project, type Project } from '../../plan/project.ts';
import { repartition } from '../../plan/repartition.ts';
import { scan, type Scan } from '../../plan/scan.ts';
import { sort } from '../../plan/sort.ts';
import { subqueryAlias } from '../../plan/subquery-alias.ts';
import { union, type Union } from '../../plan/union.ts';
import { window, type Window } from '../../plan/window.ts';
import { colRef, stripAlias } from '../expr-utils.ts';
import { rewritten, type OptimizerRule } from '../rule.ts';
import { typeWidth } from '../stats.ts';

/**
 * Applied at the root: the root needs all its columns, and each node passes down what it needs of
 * its input. `prune(node, required)` returns a node whose columns include `required`, are a
 * subsequence of `node`'s (same fields, same order) and may include a few more (a node that cannot
 * drop columns itself, such as Values, keeps them; a pass-through parent then carries them).
 * Exchanges (Join, Aggregate, Union inputs) get a Project when their input would carry extra
 * columns, so nothing unneeded is shuffled or broadcast.
 */
export const PruneColumns: OptimizerRule = {
  name: 'PruneColumns',
  applyOrder: 'root',
  rewrite(node) {
    return rewritten(node, prune(node, new Set(node.schema.map((f) => f.name))));
  },
};

type Names = ReadonlySet<string>;

const namesOf = (exprs: readonly ExprNode[], into = new Set<string>()): Set<string> => {
  for (const e of exprs) columnsOf(e, into);
  return into;
};
const union2 = (a: Names, b: Iterable<string>): Set<string> => new Set([...a, ...b]);
const allNames = (n: LogicalPlan): Set<string> => new Set(n.schema.map((f) => f.name));
const sameList = <T>(a: readonly T[], b: readonly T[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** The column that is cheapest to carry, for nodes that must keep one (e.g. under count(*)). */
function narrowest(fields: readonly FieldJSON[]): string {
  let best = fields[0];
  for (const f of fields) if (typeWidth(f.type) < typeWidth(best.type)) best = f;
  return best.name;
}

function prune(node: LogicalPlan, required: Names): LogicalPlan {
  switch (node.kind) {
    case 'scan': return pruneScan(node, required);
    // An in-memory table is shipped whole; a parent exchange projects it.
    case 'values': return node;
    // Each batch's rows replace it before optimizing (core/stream): nothing to prune in its place.
    case 'streamScan': return node;
    case 'project': return pruneProject(node, required);
    case 'filter': {
      const input = prune(node.input, union2(required, columnsOf(node.predicate)));
      return input === node.input ? node : filter(input, node.predicate);
    }
    case 'sort': {
      const input = prune(node.input, namesOf(node.keys, new Set(required)));
      return input === node.input ? node : sort(input, node.keys);
    }
    case 'repartition': {
      const input = prune(node.input, namesOf(node.keys, new Set(required)));
      return input === node.input ? node : repartition(input, node.n, node.keys);
    }
    case 'limit': {
      const input = prune(node.input, required);
      return input === node.input ? node : limit(input, node.n, node.offset);
    }
    // Distinct compares whole rows and a UDF sees its whole input: both keep every input
    // column, though what lies below may still be pruned to exactly those columns.
    case 'distinct': {
      const input = prune(node.input, allNames(node.input));
      return input === node.input ? node : distinct(input);
    }
    case 'mapBatches': {
      const input = prune(node.input, allNames(node.input));
      return input === node.input ? node : mapBatches(input, node.udf, node.schema, node.options);
    }
    // Cached partitions hold every column, whichever job computes them first.
    case 'cache': {
      const input = prune(node.input, allNames(node.input));
      return input === node.input ? node : cache(input, node.id, node.name);
    }
    // Predict needs its input column; the columns it adds are not asked of its input.
    case 'predict': {
      const added = new Set(node.schema.slice(node.input.schema.length).map((f) => f.name));
      const need = new Set([...required].filter((n) => !added.has(n)));
      need.add(node.spec.inputCol);
      const input = prune(node.input, need);
      return input === node.input ? node : predict(input, node.spec);
    }
    case 'aggregate': return pruneAggregate(node, required);
    case 'join': return pruneJoin(node, required);
    // Same column names as its input: pass the requirement through.
    case 'subqueryAlias': {
      const input = prune(node.input, required);
      return input === node.input ? node : subqueryAlias(input, node.alias);
    }
    case 'union': return pruneUnion(node, required);
    // Each row is drawn on its own: which columns it carries does not change the draw.
    case 'sample': {
      const input = prune(node.input, required);
      return input === node.input ? node : sample(input, node.fraction, node.withReplacement, node.seed);
    }
    // The list's columns, and the required ones the generator does not add.
    case 'generate': {
      const need = new Set([...required].filter((n) => n !== node.posName && n !== node.colName && n !== node.valueName));
      columnsOf(node.arg, need);
      const input = prune(node.input, need);
      return input === node.input ? node : generate(input, node.arg, node.outer, node.posName, node.colName, node.valueName);
    }
    case 'window': return pruneWindow(node, required);
    // The event-time column is read by the streaming aggregate above, whatever else is pruned.
    case 'watermark': {
      const input = prune(node.input, union2(required, new Set([node.column])));
      return input === node.input ? node : eventTimeWatermark(input, node.column, node.delayMs);
    }
    default: return assertNever(node, 'plan node');
  }
}

function pruneScan(s: Scan, required: Names): Scan {
  // Columns only the scan's own filters read are not in its output: ScanExec reads them as
  // extras, filters, and drops them, so rows gathered by a selective filter carry only what
  // the plan above needs (TPC-H Q12 read three dates only to filter on them).
  let keep = s.schema.filter((f) => required.has(f.name)).map((f) => f.name);
  if (keep.length === 0) keep = [narrowest(s.schema)];
  if (keep.length === s.schema.length) return s;
  return scan(s.source, s.fileSchema, keep, s.filters, s.limit);
}

function pruneProject(p: Project, required: Names): LogicalPlan {
  let exprs = p.exprs.filter((_, i) => required.has(p.schema[i].name));
  if (exprs.length === 0) {
    // Keep one output so the row count survives; a plain column is cheapest.
    exprs = [p.exprs.find((e) => stripAlias(e).kind === 'column') ?? p.exprs[0]];
  }
  const input = prune(p.input, namesOf(exprs));
  return input === p.input && exprs.length === p.exprs.length ? p : project(input, exprs);
}

/** `prune`, then a Project if the result still carries columns beyond `required`. */
function pruneExact(node: LogicalPlan, required: Names): LogicalPlan {
  const input = prune(node, required);
  const keep = input.schema.filter((f) => required.has(f.name)).map((f) => f.name);
  const names = keep.length ? keep : [narrowest(input.schema)];
  return names.length === input.schema.length ? input : project(input, names.map(colRef));
}

function pruneAggregate(a: Aggregate, required: Names): LogicalPlan {
  // Group keys define the groups and always stay; unused aggregates go (at least one stays).
  const offset = a.groupBy.length;
  let aggs = a.aggs.filter((_, i) => required.has(a.schema[offset + i].name));
  // One aggregate stays when there were some; groupBy(keys).agg() (the distinct keys) has none.
  if (aggs.length === 0 && a.aggs.length > 0) aggs = [a.aggs[0]];
  const input = pruneExact(a.input, namesOf(aggs, namesOf(a.groupBy)));
  return input === a.input && aggs.length === a.aggs.length ? a : aggregate(input, a.groupBy, aggs);
}

function pruneJoin(j: Join, required: Names): LogicalPlan {
  const semi = j.how === 'semi' || j.how === 'anti';
  // A semi/anti join without a condition may have clashing names: it outputs the left side only.
  const sources = semi && j.filter === null ? [] : pairSources(j);
  const leftReq = namesOf(j.leftKeys);
  const rightReq = namesOf(j.rightKeys);
  // Output (and condition) names are the pair's names, which may be renamed `q.name`.
  const fromPair = (names: Iterable<string>): void => {
    const want = new Set(names);
    for (const s of sources) if (want.has(s.name)) (s.side === 'left' ? leftReq : rightReq).add(s.input);
  };
  if (semi) {
    const leftNames = allNames(j.left);
    for (const n of required) if (leftNames.has(n)) leftReq.add(n);
  } else {
    fromPair(required);
  }
  if (j.filter) fromPair(columnsOf(j.filter));
  const left = pruneExact(j.left, leftReq);
  const right = pruneExact(j.right, rightReq);
  if (left === j.left && right === j.right) return j;
  const pruned = join(left, right, j.how, j.leftKeys, j.rightKeys, j.using, j.strategy, j.filter);
  return semi ? pruned : keepPairNames(j, pruned);
}

/**
 * A column renamed `q.name` for clashing with the other side keeps its plain name once its
 * partner is pruned away: a Project gives it back the name the parents use.
 */
function keepPairNames(before: Join, after: Join): LogicalPlan {
  const oldNames = new Map(pairSources(before).map((s) => [`${s.side}:${s.input}`, s.name] as const));
  const names = pairSources(after).map((s) => oldNames.get(`${s.side}:${s.input}`) ?? s.name);
  if (names.every((n, i) => n === after.schema[i].name)) return after;
  return project(after, after.schema.map((f, i) => (names[i] === f.name ? colRef(f.name) : { kind: 'alias', arg: colRef(f.name), name: names[i] })));
}

function pruneUnion(u: Union, required: Names): LogicalPlan {
  // Columns match by position: keep the same positions in every input.
  let positions = u.schema.map((f, i) => (required.has(f.name) ? i : -1)).filter((i) => i >= 0);
  if (positions.length === 0) positions = [0];
  const inputs = u.inputs.map((input) => {
    const names = positions.map((i) => input.schema[i].name);
    const pruned = prune(input, new Set(names));
    return sameList(pruned.schema.map((f) => f.name), names) ? pruned : project(pruned, names.map(colRef));
  });
  return inputs.every((x, i) => x === u.inputs[i]) ? u : union(inputs);
}

function pruneWindow(w: Window, required: Names): LogicalPlan {
  // Window columns no ancestor reads are not computed; a Window left with none goes away.
  const offset = w.input.schema.length;
  const exprs = w.exprs.filter((_, i) => required.has(w.schema[offset + i].name));
  const need = new Set([...required].filter((n) => w.input.schema.some((f) => f.name === n)));
  if (exprs.length === 0) return prune(w.input, need);
  // The input is sorted and shuffled under the window: carry only what is needed.
  const input = pruneExact(w.input, namesOf(exprs, need));
  return input === w.input && exprs.length === w.exprs.length ? w : window(input, exprs);
}
