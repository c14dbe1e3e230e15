// `fn`: aggregate and scalar functions (fn.count(), fn.sum('x'), fn.coalesce(a, b)...).
import type { AggFn } from '../../ops/expr/node.ts';
import { Expr, toColumn, toExpr, when, type ColumnLike, type Operand } from './column.ts';
import { dateFunctions } from './date-functions.ts';

function agg(fn: AggFn, c: ColumnLike | null): Expr {
  return new Expr({ kind: 'agg', fn, arg: c === null ? null : toColumn(c).node });
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
  coalesce: (...args: Operand[]) => new Expr({ kind: 'call', fn: 'coalesce', args: args.map((a) => (typeof a === 'string' ? toColumn(a) : toExpr(a)).node) }),
  concat: (...args: ColumnLike[]) => new Expr({ kind: 'call', fn: 'concat', args: args.map((a) => toColumn(a).node) }),
  when,
  ...dateFunctions,
});
