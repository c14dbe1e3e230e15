// The SQL constructs that map onto DataFrame APIs still being built, in one table.
//
// Each entry translates one construct. Those whose API is not merged yet throw a one-line
// "not supported yet" SqlError naming what they wait for, never a wrong answer; when the API
// lands, its entry here is the one place to change.
import type { ExprNode } from '../../ops/expr/node.ts';
import type { LogicalPlan } from '../plan/node.ts';
import type { JoinType } from '../plan/join.ts';
import { notSupported } from './errors.ts';

const call = (fn: 'startsWith' | 'endsWith' | 'contains', a: ExprNode, s: string): ExprNode =>
  ({ kind: 'call', fn, args: [a, { kind: 'literal', value: s, type: 'utf8' }] });
const not = (e: ExprNode): ExprNode => ({ kind: 'unary', op: 'not', arg: e });

/** What each construct needs, for the "not supported yet" messages. */
const NEEDS = {
  like: 'needs Expr.like for patterns other than prefix%, %suffix, %infix% or exact',
  ilike: 'needs Expr.ilike',
  extract: 'needs fn.year/month/day/extract',
  dateArithmetic: 'needs fn.dateAdd/fn.interval for a column plus or minus an interval',
  crossJoin: 'needs df.crossJoin (comma joins and joins without an equality become keyed joins by an optimizer rule built with it)',
  residualJoin: 'needs df.join(other, condition, how) with non-equality conditions',
} as const;

export const API = Object.freeze({
  /**
   * `value [NOT] LIKE pattern`. Patterns whose only wildcards are a leading and/or trailing %
   * (no _, no escape) are the string tests startsWith/endsWith/contains/eq.
   */
  like(value: ExprNode, pattern: string, negated: boolean, caseInsensitive: boolean, node: unknown): ExprNode {
    if (caseInsensitive) throw notSupported(node, 'ILIKE', NEEDS.ilike);
    const inner = pattern.replace(/^%+/, '').replace(/%+$/, '');
    if (/[%_\\]/.test(inner)) throw notSupported(node, `LIKE '${pattern}'`, NEEDS.like);
    const lead = pattern.startsWith('%'), trail = pattern.endsWith('%') && pattern.length > 1;
    const test: ExprNode = lead && trail ? call('contains', value, inner)
      : lead ? call('endsWith', value, inner)
        : trail ? call('startsWith', value, inner)
          : { kind: 'binary', op: 'eq', left: value, right: { kind: 'literal', value: inner, type: 'utf8' } };
    return negated ? not(test) : test;
  },

  /** EXTRACT(field FROM value). */
  extract(field: string, _value: ExprNode, node: unknown): ExprNode {
    throw notSupported(node, `EXTRACT(${field} FROM ...)`, NEEDS.extract);
  },

  /** A date or timestamp expression plus or minus an interval that is not a constant date. */
  dateArithmetic(_op: 'add' | 'sub', _value: ExprNode, _amount: number, unit: string, node: unknown): ExprNode {
    throw notSupported(node, `date arithmetic with INTERVAL (${unit}) on a column`, NEEDS.dateArithmetic);
  },

  /** FROM a, b / CROSS JOIN / a join whose ON has no equality between the two sides. */
  crossJoin(_left: LogicalPlan, _right: LogicalPlan, node: unknown): LogicalPlan {
    throw notSupported(node, 'a join without an equality between its sides (comma join, CROSS JOIN)', NEEDS.crossJoin);
  },

  /** An outer join whose ON condition has a non-equality part touching the preserved side. */
  residualJoin(_left: LogicalPlan, _right: LogicalPlan, how: JoinType, _leftKeys: readonly ExprNode[], _rightKeys: readonly ExprNode[], _residual: ExprNode, node: unknown): LogicalPlan {
    throw notSupported(node, `a ${how} join whose ON condition is not only equalities`, NEEDS.residualJoin);
  },

  /** Aggregate functions of the DataFrame API not merged yet (stddev, variance, ...). */
  pendingAggregate(name: string, node: unknown): never {
    throw notSupported(node, `aggregate function ${name}()`, 'needs the fn aggregate of that name');
  },
});
