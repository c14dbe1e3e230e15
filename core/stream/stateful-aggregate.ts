// A streaming aggregate's plan: where it sits, its watermark and window key, its aggregates split into mergeable parts, and each batch's partial aggregate.
import { InternalError, PlanError } from '../../ops/errors.ts';
import { exprName, exprToString, type AggFn, type ExprNode } from '../../ops/expr/node.ts';
import type { FieldJSON } from '../../ops/types.ts';
import { aggregate, type Aggregate } from '../plan/aggregate.ts';
import { planChildren, withPlanChildren, type LogicalPlan } from '../plan/node.ts';

export type OutputMode = 'append' | 'update' | 'complete';
export const OUTPUT_MODES: readonly OutputMode[] = ['append', 'update', 'complete'];

/** The aggregates whose state merges across batches (avg as a sum and a count). */
export type StateAggFn = 'count' | 'sum' | 'min' | 'max' | 'avg';
const MERGEABLE: Partial<Record<AggFn, StateAggFn>> = { count: 'count', countStar: 'count', sum: 'sum', min: 'min', max: 'max', avg: 'avg' };

/** One output aggregate of the streaming Aggregate, and the partial columns a batch gives for it. */
export interface StateSlot {
  readonly fn: StateAggFn;
  /** Its output field in the Aggregate's schema. */
  readonly field: FieldJSON;
  /** The partial aggregate's columns: one, or two for avg (sum, count). */
  readonly columns: readonly string[];
}

export interface StatefulAggregate {
  /** Child indexes from the root of the streaming plan down to the Aggregate. */
  readonly path: readonly number[];
  readonly aggregate: Aggregate;
  readonly mode: OutputMode;
  /** The event-time column and its delay (withWatermark below the Aggregate), or null. */
  readonly watermark: { readonly column: string; readonly delayMs: number } | null;
  /** The group key holding the window's end over the event-time column (append mode emits and all modes but complete evict by it), or -1. */
  readonly windowEndKey: number;
  readonly slots: readonly StateSlot[];
}

/** Partial-aggregate column names: keys, the late flag, rows, latest event time. */
export const keyColumn = (i: number): string => `__key${i}`;
export const LATE = '__late';
export const ROWS = '__rows';
export const MAX_EVENT_TIME = '__max_event_time';

function findAggregate(plan: LogicalPlan, path: number[]): { aggregate: Aggregate; path: number[] } | null {
  if (plan.kind === 'aggregate' && hasStream(plan.input)) return { aggregate: plan, path };
  const kids = planChildren(plan);
  for (const [i, c] of kids.entries()) {
    const found = findAggregate(c, [...path, i]);
    if (found) return found;
  }
  return null;
}

const hasStream = (p: LogicalPlan): boolean => p.kind === 'streamScan' || planChildren(p).some(hasStream);

function findWatermark(p: LogicalPlan): { column: string; delayMs: number } | null {
  if (p.kind === 'watermark') return { column: p.column, delayMs: p.delayMs };
  for (const c of planChildren(p)) {
    const w = findWatermark(c);
    if (w) return w;
  }
  return null;
}

const unalias = (e: ExprNode): ExprNode => (e.kind === 'alias' ? unalias(e.arg) : e);

/** Whether column `name` of `p` is a window end over `time` (fn.window's addMillis(windowStart(time, ...), size)), followed through row-preserving nodes. */
function isWindowEnd(p: LogicalPlan, name: string, time: string): boolean {
  switch (p.kind) {
    case 'project': {
      const item = p.exprs.find((e) => exprName(e) === name);
      if (item === undefined) return false;
      const e = unalias(item);
      if (e.kind === 'column') return isWindowEnd(p.input, e.name, time);
      if (e.kind !== 'call' || e.fn !== 'addMillis') return false;
      const start = unalias(e.args[0]);
      return start.kind === 'call' && start.fn === 'windowStart' && unalias(start.args[0]).kind === 'column' && (unalias(start.args[0]) as { name: string }).name === time;
    }
    case 'filter': case 'generate': case 'watermark': case 'subqueryAlias': case 'repartition': case 'sample':
      return isWindowEnd(p.input, name, time);
    default: return false;
  }
}

/**
 * The streaming Aggregate of `plan`, checked for `mode`, or null when the plan aggregates nothing.
 * PlanErrors: an aggregate Quiver cannot merge across batches, append mode without a watermark
 * and a window over its column among the keys, an event-time column the Aggregate cannot see.
 */
export function planStatefulAggregate(plan: LogicalPlan, mode: OutputMode): StatefulAggregate | null {
  const found = findAggregate(plan, []);
  if (found === null) return null;
  const agg = found.aggregate;
  const watermark = findWatermark(agg.input);
  if (watermark !== null && !agg.input.schema.some((f) => f.name === watermark.column)) {
    throw new PlanError(`streaming groupBy: the event-time column '${watermark.column}' of withWatermark is not among the aggregate's input columns (${agg.input.schema.map((f) => f.name).join(', ')}); keep it up to the groupBy`);
  }
  const windowEndKey = watermark === null ? -1 : agg.groupBy.findIndex((k) => {
    const e = unalias(k);
    return e.kind === 'column' && isWindowEnd(agg.input, e.name, watermark.column);
  });
  if (mode === 'append' && windowEndKey < 0) {
    throw new PlanError("outputMode('append') with a streaming groupBy needs withWatermark(col, delay) and fn.window(col, ...) over that column among the keys: a group is emitted once the watermark passes its window's end. Use outputMode('update') or 'complete' otherwise");
  }
  const k = agg.groupBy.length;
  const slots = agg.aggs.map((a, i): StateSlot => {
    const e = unalias(a);
    const fn = e.kind === 'agg' ? MERGEABLE[e.fn] : undefined;
    if (fn === undefined) throw new PlanError(`streaming groupBy: ${exprToString(a)} cannot be kept across micro-batches; use count, sum, min, max or avg (or run it per batch with foreachBatch)`);
    return { fn, field: agg.schema[k + i], columns: fn === 'avg' ? [`__agg${i}_sum`, `__agg${i}_count`] : [`__agg${i}`] };
  });
  return { path: found.path, aggregate: agg, mode, watermark, windowEndKey, slots };
}

/** The Aggregate at `path` of a batch's plan (the streaming plan with its sources substituted). */
export function aggregateAt(plan: LogicalPlan, path: readonly number[]): Aggregate {
  const node = path.reduce((p, i) => planChildren(p)[i], plan);
  if (node.kind !== 'aggregate') throw new InternalError(`no aggregate at ${path.join('/')} of the batch plan`);
  return node;
}

/** `plan` with the node at `path` replaced by `by` (same schema). */
export function replaceAt(plan: LogicalPlan, path: readonly number[], by: LogicalPlan): LogicalPlan {
  if (path.length === 0) return by;
  const kids = planChildren(plan);
  return withPlanChildren(plan, kids.map((c, i) => (i === path[0] ? replaceAt(c, path.slice(1), by) : c)));
}

/**
 * One batch's partial aggregate over the Aggregate's input `input`: per group key and late flag
 * (event time before `watermarkMs`), the slots' partial columns, the rows, the latest event time.
 */
export function partialAggregate(sa: StatefulAggregate, input: LogicalPlan, watermarkMs: number | null): LogicalPlan {
  const time: ExprNode | null = sa.watermark === null ? null : { kind: 'column', name: sa.watermark.column };
  const late: ExprNode = time === null || watermarkMs === null
    ? { kind: 'literal', value: false, type: 'bool' }
    : { kind: 'binary', op: 'lt', left: time, right: { kind: 'literal', value: watermarkMs, type: 'timestamp_ms' } };
  const keys: ExprNode[] = [...sa.aggregate.groupBy.map((g, i): ExprNode => ({ kind: 'alias', arg: unalias(g), name: keyColumn(i) })), { kind: 'alias', arg: late, name: LATE }];
  const named = (fn: AggFn, arg: ExprNode | null, name: string): ExprNode => ({ kind: 'alias', arg: { kind: 'agg', fn, arg }, name });
  const parts = sa.slots.flatMap((s, i) => {
    const e = unalias(sa.aggregate.aggs[i]) as ExprNode & { kind: 'agg' };
    if (s.fn === 'avg') return [named('sum', e.arg, s.columns[0]), named('count', e.arg, s.columns[1])];
    return [named(e.fn, e.arg, s.columns[0])];
  });
  const extra = [named('countStar', null, ROWS), ...(time === null ? [] : [named('max', time, MAX_EVENT_TIME)])];
  return aggregate(input, keys, [...parts, ...extra]);
}
