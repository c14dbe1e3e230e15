// The struct and map members of `fn`: struct, namedStruct, createMap, mapKeys, mapValues, elementAt, size, toJson.
import { PlanError } from '../../ops/errors.ts';
import type { ExprNode, NestedFn } from '../../ops/expr/node.ts';
import { Expr, toColumn, toExpr, type ColumnLike, type Operand } from './column.ts';

const call = (fn: NestedFn, args: readonly ExprNode[]): Expr => new Expr({ kind: 'call', fn, args });
const one = (fn: NestedFn) => (c: ColumnLike): Expr => call(fn, [toColumn(c).node]);
/** A column name (string) or an expression, where a map or list is expected. */
const arg = (c: ColumnLike): ExprNode => toColumn(c).node;
/** Keys and values: Exprs stay, plain values are literals (a string is a literal here). */
const value = (o: Operand): ExprNode => toExpr(o).node;

export const nestedFunctions = {
  /**
   * A struct with a field per argument (a column name or an expression), named as the column,
   * the alias, or colN: fn.struct('a', col('b').alias('c')) is struct<a, c>.
   */
  struct: (...cols: ColumnLike[]) => {
    if (cols.length === 0) throw new PlanError('fn.struct() needs at least one column');
    return call('struct', cols.map(arg));
  },
  /** A struct from name/value pairs: fn.namedStruct('a', col('x'), 'b', lit(1)). */
  namedStruct: (...pairs: (string | Operand)[]) => {
    if (pairs.length === 0 || pairs.length % 2 !== 0) throw new PlanError(`fn.namedStruct() takes names and values in pairs, got ${pairs.length} argument(s)`);
    const fields: ExprNode[] = [];
    for (let i = 0; i < pairs.length; i += 2) {
      const name = pairs[i];
      if (typeof name !== 'string' || name === '') throw new PlanError(`fn.namedStruct(): argument ${i + 1} must be a field name (a non-empty string), got ${JSON.stringify(name)}`);
      fields.push({ kind: 'alias', arg: value(pairs[i + 1] as Operand), name });
    }
    return call('struct', fields);
  },
  /** A map from key/value pairs: fn.createMap(lit('a'), col('x'), lit('b'), col('y')); plain values are literals. Keys MUST NOT be null or repeat in a row. */
  createMap: (...pairs: Operand[]) => {
    if (pairs.length === 0 || pairs.length % 2 !== 0) throw new PlanError(`fn.createMap() takes keys and values in pairs, got ${pairs.length} argument(s)`);
    return call('createMap', pairs.map(value));
  },
  /** The keys of a map, as a list in entry order. */
  mapKeys: one('mapKeys'),
  /** The values of a map, as a list in entry order. */
  mapValues: one('mapValues'),
  /** A map's value under `key` (null when absent), or a list's element at 1-based `index` (negative from the end; null out of range). */
  elementAt: (c: ColumnLike, keyOrIndex: Operand) => call('elementAt', [arg(c), value(keyOrIndex)]),
  /** The number of entries of a map or elements of a list (null for null). */
  size: one('size'),
  /** A struct, map or list as JSON text. */
  toJson: one('toJson'),
};
