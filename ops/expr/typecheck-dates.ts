// Plan-time typing of the date and time functions: which types they take and give, literal units and formats checked once.
import { PlanError } from '../errors.ts';
import { isInteger, typeToString, type TypeJSON } from '../types.ts';
import { TRUNC_UNITS, type TruncUnit } from './calendar.ts';
import { compileDateFormat } from './date-format.ts';
import { exprToString, type DateFn, type DatePartFn, type ScalarFn } from './node.ts';
import type { CallChecks, CallOf, Typed } from './typecheck.ts';

const isTemporalish = (t: TypeJSON) => t === 'date32' || t === 'timestamp_ms' || t === 'null';
const isIntish = (t: TypeJSON) => isInteger(t) || t === 'null';
const TEMPORAL = 'date32 or timestamp_ms (parse text with fn.toDate(...) or fn.toTimestamp(...))';

export function dateCallType(e: CallOf<DateFn | DatePartFn>, c: CallChecks): Typed {
  const a = c.args;
  switch (e.fn) {
    case 'year': case 'quarter': case 'month': case 'day': case 'dayOfWeek': case 'dayOfYear': case 'weekOfYear':
    case 'hour': case 'minute': case 'second':
      c.arity(1); c.arg(0, isTemporalish, TEMPORAL);
      return { type: 'int32', nullable: c.anyNull };
    case 'dateAdd': case 'dateSub': case 'addMonths':
      c.arity(2); c.arg(0, isTemporalish, TEMPORAL);
      c.arg(1, isIntish, e.fn === 'addMonths' ? 'an integer number of months' : 'an integer number of days');
      // Beyond the int32 day range a date is null.
      return { type: a[0].type === 'null' ? 'date32' : a[0].type, nullable: c.anyNull || a[0].type !== 'timestamp_ms' };
    case 'addMillis':
      c.arity(2); c.arg(0, isTemporalish, TEMPORAL); c.arg(1, isIntish, 'an integer number of milliseconds');
      return { type: 'timestamp_ms', nullable: c.anyNull };
    case 'lastDay':
      c.arity(1); c.arg(0, isTemporalish, TEMPORAL);
      return { type: 'date32', nullable: c.anyNull };
    case 'dateFormat':
      c.arity(2); c.arg(0, isTemporalish, TEMPORAL);
      formatOf(e, c);
      return { type: 'utf8', nullable: c.anyNull };
    case 'datediff':
      c.arity(2); c.arg(0, isTemporalish, TEMPORAL); c.arg(1, isTemporalish, TEMPORAL);
      return { type: 'int32', nullable: c.anyNull };
    case 'dateTrunc': {
      c.arity(2);
      truncUnitOf(e, c);
      c.arg(1, isTemporalish, TEMPORAL);
      return { type: a[1].type === 'null' ? 'timestamp_ms' : a[1].type, nullable: a[1].nullable };
    }
    case 'toDate': case 'toTimestamp': {
      c.arity(1, 2);
      c.arg(0, (t) => isTemporalish(t) || t === 'utf8', 'utf8, date32 or timestamp_ms');
      if (a.length > 1) {
        if (a[0].type !== 'utf8' && a[0].type !== 'null') {
          throw new PlanError(`${exprToString(e)}: a format applies to text only; argument 1 has type ${typeToString(a[0].type)}`);
        }
        formatOf(e, c);
      }
      return { type: e.fn === 'toDate' ? 'date32' : 'timestamp_ms', nullable: a[0].nullable || a[0].type === 'utf8' };
    }
    case 'windowStart': {
      c.arity(3); c.arg(0, isTemporalish, TEMPORAL); c.arg(2, isIntish, 'an integer window index');
      const slide = c.literalArg(1, 'the slide (milliseconds)').value;
      if (typeof slide !== 'number' || !Number.isInteger(slide) || slide <= 0) throw new PlanError(`${exprToString(e)}: the slide must be a positive integer number of milliseconds, got ${JSON.stringify(slide)}`);
      return { type: 'timestamp_ms', nullable: c.anyNull };
    }
    case 'interval':
      throw new PlanError(`${exprToString(e)}: an interval has no value of its own; add it to or subtract it from a date or timestamp, e.g. col('d').add(fn.interval(3, 'month'))`);
  }
}

/** The literal unit of dateTrunc (argument 1), checked. */
export function truncUnitOf(e: CallOf<ScalarFn>, c: Pick<CallChecks, 'literalArg'>): TruncUnit {
  const v = c.literalArg(0, 'the unit').value;
  if (typeof v !== 'string' || !(TRUNC_UNITS as readonly string[]).includes(v)) {
    throw new PlanError(`${exprToString(e)}: unknown unit ${JSON.stringify(v)}; use one of ${TRUNC_UNITS.map((u) => `'${u}'`).join(', ')}`);
  }
  return v as TruncUnit;
}

/** The literal format of toDate/toTimestamp/dateFormat (argument 2), checked by compiling it. */
function formatOf(e: CallOf<ScalarFn>, c: CallChecks): void {
  const v = c.literalArg(1, 'the format').value;
  if (typeof v !== 'string') throw new PlanError(`${exprToString(e)}: the format must be a non-null string such as 'yyyy-MM-dd'`);
  try { compileDateFormat(v); } catch (err) { throw new PlanError(`${exprToString(e)}: ${(err as Error).message}`, { cause: err }); }
}
