// `fn`: aggregate and scalar functions (fn.count(), fn.sum('x'), fn.coalesce(a, b)...).
import { PlanError } from '../../ops/errors.ts';
import { exprToString, type AggFn, type ExprNode } from '../../ops/expr/node.ts';
import type { WindowFnName } from '../../ops/expr/window-spec.ts';
import { checkPercentileParams } from '../../ops/expr/typecheck.ts';
import { Expr, lit, toColumn, toExpr, when, type ColumnLike, type Operand } from './column.ts';
import { dateFunctions } from './date-functions.ts';
import { udaf, udf } from './udf-functions.ts';
import { generatorFunctions } from './generators.ts';
import { nestedFunctions } from './nested-functions.ts';
import { timeWindow } from './time-window.ts';

function agg(fn: AggFn, c: ColumnLike | null): Expr {
  return new Expr({ kind: 'agg', fn, arg: c === null ? null : toColumn(c).node });
}

/** percentileApprox's node; its parameters are checked here so that the mistake points at this call. */
function percentileApprox(c: ColumnLike, percentage: number | readonly number[], accuracy = 10000): Expr {
  const node = { kind: 'agg', fn: 'percentileApprox', arg: toColumn(c).node, params: { percentage: Array.isArray(percentage) ? Object.freeze([...percentage]) : percentage, accuracy } } as const;
  checkPercentileParams(node as ExprNode & { kind: 'agg' });
  return new Expr(node);
}

function windowFn(name: WindowFnName, ...args: ExprNode[]): Expr {
  return new Expr({ kind: 'windowFn', fn: name, args });
}

/** lag/lead's node: the value, the offset (an integer) and the default (a literal, null when not given). */
function offsetFn(name: 'lag' | 'lead', c: ColumnLike, offset: number, dflt: Operand): Expr {
  if (!Number.isInteger(offset)) throw new PlanError(`fn.${name}(): offset must be an integer, got ${String(offset)}`);
  const d = toExpr(dflt);
  if (d.node.kind !== 'literal') throw new PlanError(`fn.${name}(): the default must be a plain value, got ${exprToString(d.node)}`);
  return windowFn(name, toColumn(c).node, lit(offset).node, d.node);
}

export const fn = Object.freeze({
  /** 1, 2, 3, ... within the window partition, in its order (ties numbered in input order). */
  rowNumber: () => windowFn('rowNumber'),
  /** 1 + the number of rows that sort before this one (ties share a rank, gaps follow). */
  rank: () => windowFn('rank'),
  /** Like rank, without gaps. */
  denseRank: () => windowFn('denseRank'),
  /** The bucket 1..n of the row when the partition is split into n nearly equal buckets (the first ones one row larger). */
  ntile: (n: number) => {
    if (!Number.isInteger(n) || n < 1) throw new PlanError(`fn.ntile(): the number of buckets must be a positive integer, got ${String(n)}`);
    return windowFn('ntile', lit(n).node);
  },
  /** (rank - 1) / (rows in partition - 1); 0 for a one-row partition. */
  percentRank: () => windowFn('percentRank'),
  /** Rows up to and including this row's last peer, over the rows of the partition. */
  cumeDist: () => windowFn('cumeDist'),
  /** The value `offset` rows before this one in the window partition, or `dflt` (default null) when there is none. */
  lag: (c: ColumnLike, offset = 1, dflt: Operand = null) => offsetFn('lag', c, offset, dflt),
  /** The value `offset` rows after this one in the window partition, or `dflt` (default null) when there is none. */
  lead: (c: ColumnLike, offset = 1, dflt: Operand = null) => offsetFn('lead', c, offset, dflt),
  /** count() counts rows; count(x) counts non-null x. */
  count: (c?: ColumnLike) => (c === undefined || c === '*' ? agg('countStar', null) : agg('count', c)),
  sum: (c: ColumnLike) => agg('sum', c),
  avg: (c: ColumnLike) => agg('avg', c),
  mean: (c: ColumnLike) => agg('avg', c),
  min: (c: ColumnLike) => agg('min', c),
  max: (c: ColumnLike) => agg('max', c),
  countDistinct: (c: ColumnLike) => agg('countDistinct', c),
  first: (c: ColumnLike) => agg('first', c),
  last: (c: ColumnLike) => agg('last', c),
  /** Sum of the distinct non-null values (SQL's sum(DISTINCT x)). */
  sumDistinct: (c: ColumnLike) => agg('sumDistinct', c),
  /** Mean of the distinct non-null values (SQL's avg(DISTINCT x)). */
  avgDistinct: (c: ColumnLike) => agg('avgDistinct', c),
  /** Sample standard deviation of non-null values (null for fewer than 2), as Spark's stddev/stddev_samp. */
  stddev: (c: ColumnLike) => agg('stddevSamp', c),
  stddevSamp: (c: ColumnLike) => agg('stddevSamp', c),
  /** Population standard deviation (null for no values). */
  stddevPop: (c: ColumnLike) => agg('stddevPop', c),
  /** Sample variance of non-null values (null for fewer than 2), as Spark's variance/var_samp. */
  variance: (c: ColumnLike) => agg('varSamp', c),
  varSamp: (c: ColumnLike) => agg('varSamp', c),
  /** Population variance (null for no values). */
  varPop: (c: ColumnLike) => agg('varPop', c),
  /** The group's non-null values as a list (empty when none); the order after a shuffle is unspecified. */
  collectList: (c: ColumnLike) => agg('collectList', c),
  /** The group's distinct non-null values as a list, in no particular order. */
  collectSet: (c: ColumnLike) => agg('collectSet', c),
  /**
   * The value at percentage p in [0, 1] (an array of them gives a list), always one of the
   * group's values: the smallest whose rank reaches ceil(p * n), with a rank error under
   * n / accuracy (exact for groups of at most 2 * accuracy values); null when there are none.
   */
  percentileApprox,
  coalesce: (...args: Operand[]) => new Expr({ kind: 'call', fn: 'coalesce', args: args.map((a) => (typeof a === 'string' ? toColumn(a) : toExpr(a)).node) }),
  concat: (...args: ColumnLike[]) => new Expr({ kind: 'call', fn: 'concat', args: args.map((a) => toColumn(a).node) }),
  when,
  /** Event-time windows for select/groupBy: fn.window('ts', '10 seconds') (tumbling), fn.window('ts', '10 seconds', '5 seconds') (sliding). */
  window: timeWindow,
  udf,
  udaf,
  ...generatorFunctions,
  ...dateFunctions,
  ...nestedFunctions,
});
