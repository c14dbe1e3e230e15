// `fn`: aggregate and scalar functions (fn.count(), fn.sum('x'), fn.coalesce(a, b)...).
import type { AggFn, ExprNode } from '../../ops/expr/node.ts';
import { checkPercentileParams } from '../../ops/expr/typecheck.ts';
import { Expr, toColumn, toExpr, when, type ColumnLike, type Operand } from './column.ts';
import { dateFunctions } from './date-functions.ts';
import { udaf, udf } from './udf-functions.ts';
import { generatorFunctions } from './generators.ts';

function agg(fn: AggFn, c: ColumnLike | null): Expr {
  return new Expr({ kind: 'agg', fn, arg: c === null ? null : toColumn(c).node });
}

/** percentileApprox's node; its parameters are checked here so that the mistake points at this call. */
function percentileApprox(c: ColumnLike, percentage: number | readonly number[], accuracy = 10000): Expr {
  const node = { kind: 'agg', fn: 'percentileApprox', arg: toColumn(c).node, params: { percentage: Array.isArray(percentage) ? Object.freeze([...percentage]) : percentage, accuracy } } as const;
  checkPercentileParams(node as ExprNode & { kind: 'agg' });
  return new Expr(node);
}

export const fn = Object.freeze({
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
  udf,
  udaf,
  ...generatorFunctions,
  ...dateFunctions,
});
