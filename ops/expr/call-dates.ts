// Compiles the date and time function calls onto the kernels in dates.ts (units and formats resolved once, at compile time).
import type * as arrow from 'apache-arrow';
import { InternalError, assertNever } from '../errors.ts';
import type { TypeJSON } from '../types.ts';
import { nullData } from './bits.ts';
import type { TruncUnit } from './calendar.ts';
import { numberOf, stringOf, type Node } from './compiled.ts';
import { compileDateFormat, parseColumn } from './date-format.ts';
import { formatColumn } from './date-print.ts';
import { addMillis, addMonths, datediff, datePart, dateTrunc, lastDay, shiftDays, windowStart } from './dates.ts';
import type { Coerce, Compile } from './functions.ts';
import type { DateFn, DatePartFn, ExprNode } from './node.ts';

const node = (type: TypeJSON, evaluate: (b: arrow.RecordBatch) => arrow.Data): Node => ({ type, constant: null, evaluate });
const nulls = (type: TypeJSON): Node => node(type, (b) => nullData(type, b.numRows));

export function compileDateCall(e: ExprNode & { kind: 'call'; fn: DateFn | DatePartFn }, compile: Compile, coerce: Coerce, out: TypeJSON): Node {
  const fn = e.fn;
  if (fn === 'dateTrunc') {
    const unit = stringOf(compile(e.args[0])) as TruncUnit;
    const t = compile(e.args[1]);
    if (t.type === 'null') return nulls(out);
    return node(out, (b) => dateTrunc(unit, t.type, t.evaluate(b)));
  }
  const args = e.args.map(compile);
  // Every date function is null when an argument has the null type.
  if (args.some((x) => x.type === 'null')) return nulls(out);
  const [a, b] = args;
  switch (fn) {
    case 'year': case 'quarter': case 'month': case 'day': case 'dayOfWeek': case 'dayOfYear': case 'weekOfYear':
    case 'hour': case 'minute': case 'second':
      return node(out, (r) => datePart(fn, a.type, a.evaluate(r)));
    case 'dateAdd': case 'dateSub': {
      const sign = fn === 'dateAdd' ? 1 : -1;
      return node(out, (r) => shiftDays(a.type, a.evaluate(r), b.evaluate(r), sign));
    }
    case 'addMonths': return node(out, (r) => addMonths(a.type, a.evaluate(r), b.evaluate(r)));
    case 'addMillis': return node(out, (r) => addMillis(a.type, a.evaluate(r), b.evaluate(r)));
    case 'lastDay': return node(out, (r) => lastDay(a.type, a.evaluate(r)));
    case 'dateFormat': {
      const format = stringOf(b)!;
      const t = a.type as 'date32' | 'timestamp_ms';
      return node(out, (r) => formatColumn(a.evaluate(r), t, format));
    }
    case 'datediff': return node(out, (r) => datediff(a.type, a.evaluate(r), b.type, b.evaluate(r)));
    case 'toDate': case 'toTimestamp': {
      const to = fn === 'toDate' ? 'date32' : 'timestamp_ms';
      if (!b) return coerce(a, to);
      const parse = compileDateFormat(stringOf(b)!);
      return node(out, (r) => parseColumn(a.evaluate(r), parse, to));
    }
    case 'windowStart': {
      const slide = numberOf(b), k = args[2];
      return node(out, (r) => windowStart(a.type, a.evaluate(r), slide, k.evaluate(r)));
    }
    case 'interval':
      throw new InternalError(`${fn} reached the evaluator; typecheck refuses an interval outside date arithmetic`);
  }
  return assertNever(fn, 'date function');
}
