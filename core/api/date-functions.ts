// The date and time members of `fn`: parts, extract, shifts, differences, truncation, parsing, date literals and intervals.
import { PlanError } from '../../ops/errors.ts';
import { formatDate, parseDate } from '../../ops/expr/format.ts';
import type { DatePartFn, ExprNode } from '../../ops/expr/node.ts';
import { Expr, lit, toColumn, toExpr, type ColumnLike } from './column.ts';
import { intervalNode } from './interval.ts';

const call = (fn: Extract<ExprNode, { kind: 'call' }>['fn'], args: ExprNode[]): Expr => new Expr({ kind: 'call', fn, args });
const part = (fn: DatePartFn) => (c: ColumnLike): Expr => call(fn, [toColumn(c).node]);

/** extract()'s field names (case-insensitive) and the part each reads. dayofweek is Spark's: 1 = Sunday; week is ISO. */
const FIELDS: Readonly<Record<string, DatePartFn>> = {
  year: 'year', quarter: 'quarter', month: 'month', day: 'day', dayofmonth: 'day', dayofweek: 'dayOfWeek',
  dayofyear: 'dayOfYear', doy: 'dayOfYear', week: 'weekOfYear', weekofyear: 'weekOfYear', hour: 'hour', minute: 'minute', second: 'second',
};

/** A count of days or months: a number (a literal) or an expression. */
type Count = number | Expr;

const count = (n: Count, what: string): ExprNode => {
  if (typeof n === 'number' && !Number.isInteger(n)) throw new PlanError(`${what} must be an integer, got ${n}`);
  return toExpr(n).node;
};

export const dateFunctions = {
  /** Calendar parts of a date32 or timestamp_ms (UTC), int32. */
  year: part('year'),
  quarter: part('quarter'),
  month: part('month'),
  day: part('day'),
  dayofmonth: part('day'),
  /** 1 = Sunday ... 7 = Saturday, as Spark. */
  dayofweek: part('dayOfWeek'),
  dayofyear: part('dayOfYear'),
  /** ISO 8601 week of the year (weeks start Monday; week 1 holds the first Thursday), as Spark's weekofyear. */
  weekofyear: part('weekOfYear'),
  hour: part('hour'),
  minute: part('minute'),
  second: part('second'),
  /** extract('year', c): the part named by `field` (year quarter month day dayofmonth dayofweek dayofyear hour minute second). */
  extract: (field: string, c: ColumnLike): Expr => {
    const f = typeof field === 'string' ? FIELDS[field.toLowerCase()] : undefined;
    if (f === undefined) throw new PlanError(`extract: unknown field ${JSON.stringify(field)}; use one of ${Object.keys(FIELDS).join(', ')}`);
    return call(f, [toColumn(c).node]);
  },
  /** `c` plus `days` days (a date stays a date; a timestamp keeps its time). */
  dateAdd: (c: ColumnLike, days: Count): Expr => call('dateAdd', [toColumn(c).node, count(days, 'dateAdd: days')]),
  dateSub: (c: ColumnLike, days: Count): Expr => call('dateSub', [toColumn(c).node, count(days, 'dateSub: days')]),
  /** `c` plus `n` months; a day past the target month's end becomes its last day (Jan 31 + 1 = Feb 28/29). */
  addMonths: (c: ColumnLike, n: Count): Expr => call('addMonths', [toColumn(c).node, count(n, 'addMonths: months')]),
  /** The last day of the month holding `c`, a date32 (Spark's last_day). */
  lastDay: (c: ColumnLike): Expr => call('lastDay', [toColumn(c).node]),
  /** `c` as text in a pattern such as 'yyyy-MM-dd HH:mm' (Spark's date_format; the letters toDate reads). */
  dateFormat: (c: ColumnLike, format: string): Expr => call('dateFormat', [toColumn(c).node, lit(format).node]),
  /** Days from `start` to `end` (int32; timestamps count by their dates). */
  datediff: (end: ColumnLike, start: ColumnLike): Expr => call('datediff', [toColumn(end).node, toColumn(start).node]),
  /** The start of the year/quarter/month/week (Monday)/day/hour/minute/second holding `c`, of `c`'s type. */
  dateTrunc: (unit: string, c: ColumnLike): Expr =>
    call('dateTrunc', [lit(typeof unit === 'string' ? unit.toLowerCase() : unit).node, toColumn(c).node]),
  /** Text to date32: ISO (yyyy-MM-dd) by default, or a pattern such as 'dd/MM/yyyy'; unparsable text is null. Dates and timestamps convert. */
  toDate: (c: ColumnLike, format?: string): Expr => call('toDate', format === undefined ? [toColumn(c).node] : [toColumn(c).node, lit(format).node]),
  /** Text to timestamp_ms (UTC): ISO by default, or a pattern such as 'yyyy-MM-dd HH:mm:ss'; unparsable text is null. */
  toTimestamp: (c: ColumnLike, format?: string): Expr =>
    call('toTimestamp', format === undefined ? [toColumn(c).node] : [toColumn(c).node, lit(format).node]),
  /** A date32 literal: fn.date('1998-12-01') (or a JS Date, by its UTC day). */
  date: (value: string | Date): Expr => {
    const days = value instanceof Date ? Math.floor(value.getTime() / 86_400_000) : typeof value === 'string' ? parseDate(value.trim()) : null;
    if (days === null || !Number.isFinite(days)) throw new PlanError(`date: ${JSON.stringify(value)} is not a date; write it as 'YYYY-MM-DD'`);
    return lit(formatDate(days), 'date32');
  },
  /**
   * An interval to add to or subtract from a date or timestamp: col('d').sub(fn.interval(90, 'day')).
   * Units: year quarter month (calendar months, clamped to the month's end), week day (a date stays
   * a date), hour minute second (the result is a timestamp).
   */
  interval: (n: Count, unit: string): Expr => new Expr(intervalNode(count(n, 'interval: count'), unit)),
};
