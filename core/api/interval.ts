// Intervals in the fluent API: fn.interval(n, unit) and date/timestamp ± interval, resolved into addMonths, dateAdd/dateSub or addMillis.
import { PlanError } from '../../ops/errors.ts';
import type { ExprNode } from '../../ops/expr/node.ts';

export type IntervalUnit = 'year' | 'quarter' | 'month' | 'week' | 'day' | 'hour' | 'minute' | 'second';

/** How each unit is applied: calendar months, days, or milliseconds, and how many of them one unit is. */
const UNITS: Readonly<Record<IntervalUnit, { readonly fn: 'addMonths' | 'days' | 'addMillis'; readonly factor: number }>> = {
  year: { fn: 'addMonths', factor: 12 },
  quarter: { fn: 'addMonths', factor: 3 },
  month: { fn: 'addMonths', factor: 1 },
  week: { fn: 'days', factor: 7 },
  day: { fn: 'days', factor: 1 },
  hour: { fn: 'addMillis', factor: 3_600_000 },
  minute: { fn: 'addMillis', factor: 60_000 },
  second: { fn: 'addMillis', factor: 1000 },
};

/** 'DAY', 'days' and 'day' all name the unit 'day'; anything else is a PlanError listing the units. */
export function intervalUnit(unit: string): IntervalUnit {
  const u = typeof unit === 'string' ? unit.trim().toLowerCase().replace(/s$/, '') : '';
  if (Object.hasOwn(UNITS, u)) return u as IntervalUnit;
  throw new PlanError(`interval: unknown unit ${JSON.stringify(unit)}; use one of ${Object.keys(UNITS).map((k) => `'${k}'`).join(', ')}`);
}

type Call = ExprNode & { kind: 'call' };

export const isIntervalNode = (e: ExprNode): e is Call => e.kind === 'call' && e.fn === 'interval';

const intLit = (v: number): ExprNode => ({ kind: 'literal', value: v, type: v >= -(2 ** 31) && v < 2 ** 31 ? 'int32' : 'int64' });

/**
 * `left op right` for add/sub where either side is an interval: date/timestamp ± interval and
 * interval + date/timestamp. Years, quarters and months add calendar months (clamped to the
 * month's end), weeks and days add days (a date stays a date), hours, minutes and seconds add
 * milliseconds (a date becomes a timestamp). Whether the other side is a date or timestamp is
 * checked by the function it resolves to.
 */
export function intervalArithmetic(op: 'add' | 'sub', left: ExprNode, right: ExprNode): ExprNode {
  if (isIntervalNode(left) && isIntervalNode(right)) {
    throw new PlanError('cannot combine two intervals; add each to the date or timestamp in turn, e.g. col(\'d\').add(fn.interval(1, \'year\')).add(fn.interval(2, \'day\'))');
  }
  if (isIntervalNode(left)) {
    if (op === 'sub') throw new PlanError('cannot subtract a date or timestamp from an interval; write date.sub(interval)');
    return applyInterval(right, left, 1);
  }
  if (!isIntervalNode(right)) throw new PlanError('interval arithmetic needs an interval operand');
  return applyInterval(left, right, op === 'add' ? 1 : -1);
}

function applyInterval(base: ExprNode, interval: Call, sign: 1 | -1): ExprNode {
  const [count, unitArg] = interval.args;
  const { fn, factor } = UNITS[intervalUnit(unitArg.kind === 'literal' ? String(unitArg.value) : '')];
  // dateSub reads better than dateAdd of a negative count, and folds the same.
  const negate = sign < 0 && fn !== 'days';
  let amount: ExprNode;
  if (count.kind === 'literal' && typeof count.value === 'number') {
    amount = intLit(count.value * factor * (negate ? -1 : 1));
  } else {
    amount = factor === 1 ? count : { kind: 'binary', op: 'mul', left: count, right: intLit(factor) };
    if (negate) amount = { kind: 'unary', op: 'negate', arg: amount };
  }
  const name = fn === 'days' ? (sign < 0 ? 'dateSub' : 'dateAdd') : fn;
  return { kind: 'call', fn: name, args: [base, amount] };
}

/** The interval node: no value of its own, only an operand of add/sub (typecheck refuses it elsewhere). */
export function intervalNode(count: ExprNode, unit: string): ExprNode {
  if (count.kind === 'literal' && (typeof count.value !== 'number' || !Number.isInteger(count.value))) {
    throw new PlanError(`interval: the count must be an integer, got ${JSON.stringify(count.value)}`);
  }
  return { kind: 'call', fn: 'interval', args: [count, { kind: 'literal', value: intervalUnit(unit), type: 'utf8' }] };
}
