// The SQL constructs that map onto DataFrame APIs built beside the translator, in one table.
//
// Each entry translates one construct through the fluent API (Expr, fn, the join constructor),
// so SQL and DataFrames plan the same way; a construct the API refuses fails with the API's
// error at the construct's position.
import { Expr, lit } from '../api/column.ts';
import { fn } from '../api/functions.ts';
import type { ExprNode } from '../../ops/expr/node.ts';
import { join, type JoinType } from '../plan/join.ts';
import type { LogicalPlan } from '../plan/node.ts';
import { at } from './errors.ts';

export const API = Object.freeze({
  /** `value [NOT] [I]LIKE pattern`. */
  like(value: ExprNode, pattern: string, negated: boolean, caseInsensitive: boolean, node: unknown): ExprNode {
    return at(node, () => {
      const e = new Expr(value);
      const test = caseInsensitive ? e.ilike(lit(pattern)) : e.like(lit(pattern));
      return (negated ? test.not() : test).node;
    });
  },

  /** `value [NOT] IN (a, b, ...)`: set membership with SQL's nulls. */
  inList(value: ExprNode, list: readonly ExprNode[], negated: boolean, node: unknown): ExprNode {
    return at(node, () => {
      const test = new Expr(value).isin(list.map((x) => new Expr(x)));
      return (negated ? test.not() : test).node;
    });
  },

  /** EXTRACT(field FROM value). */
  extract(field: string, value: ExprNode, node: unknown): ExprNode {
    return at(node, () => fn.extract(field, new Expr(value)).node);
  },

  /** A date or timestamp expression plus or minus an interval (constant dates are folded before this). */
  dateArithmetic(op: 'add' | 'sub', value: ExprNode, amount: number, unit: string, node: unknown): ExprNode {
    return at(node, () => {
      const e = new Expr(value), i = fn.interval(amount, unit);
      return (op === 'add' ? e.add(i) : e.sub(i)).node;
    });
  },

  /** FROM a, b / CROSS JOIN: the cartesian product (EliminateCrossJoin keys it from WHERE's equalities). */
  crossJoin(left: LogicalPlan, right: LogicalPlan, node: unknown): LogicalPlan {
    return at(node, () => join(left, right, 'inner', [], [], false));
  },

  /** A join on equality keys and a residual condition evaluated inside the join (for every join type). */
  residualJoin(left: LogicalPlan, right: LogicalPlan, how: JoinType, leftKeys: readonly ExprNode[], rightKeys: readonly ExprNode[], residual: ExprNode, node: unknown): LogicalPlan {
    return at(node, () => join(left, right, how, leftKeys, rightKeys, false, 'auto', residual));
  },
});
