// Plan-time evaluation of date and time calls over literals (used by FoldConstants through scalar.ts), so date ± interval bounds become literals.
import {
  addMonthsToDays, addMonthsToMs, datePartOfDays, datePartOfMs, dayOfMs, lastDayOfMonth, MS_PER_DAY, truncDays, truncMs, type TruncUnit,
} from '../../ops/expr/calendar.ts';
import { formatDate, parseDate, parseTimestamp } from '../../ops/expr/format.ts';
import { isDateFn, isDatePartFn, type ExprNode, type LiteralValue, type ScalarFn } from '../../ops/expr/node.ts';
import type { TypeJSON } from '../../ops/types.ts';

type Literal = Extract<ExprNode, { kind: 'literal' }>;

const MAX_DAYS = 2147483647;

/** Days of a date32 literal or milliseconds of a timestamp_ms one; null when it is neither or does not parse. */
function temporal(l: Literal): number | null {
  const v = l.value;
  if (l.type === 'date32') return typeof v === 'number' ? v : typeof v === 'string' ? parseDate(v) : null;
  if (l.type === 'timestamp_ms') return typeof v === 'number' ? v : typeof v === 'string' ? parseTimestamp(v) : null;
  return null;
}

/** An integer literal's value when a double holds it exactly. */
function int(l: Literal): number | null {
  const v = typeof l.value === 'string' && /^[+-]?\d+$/.test(l.value) ? Number(l.value) : l.value;
  return typeof v === 'number' && Number.isSafeInteger(v) ? v : null;
}

/** A date32 result as an ISO date where it prints as one (readable in explain), else days. */
function dateValue(days: number): LiteralValue | undefined {
  if (!Number.isSafeInteger(days) || Math.abs(days) > MAX_DAYS) return undefined;
  const s = formatDate(days);
  return /^\d{4}-\d{2}-\d{2}$/.test(s) ? s : days;
}

const result = (type: TypeJSON, x: number): LiteralValue | undefined =>
  type === 'date32' ? dateValue(x) : Number.isSafeInteger(x) ? x : undefined;

/**
 * The value of a date/time call whose arguments are literals, of type `type`; undefined when it
 * is not such a call or the runtime should decide (values out of range).
 */
export function evalDateCall(fn: ScalarFn, args: readonly Literal[], type: TypeJSON): LiteralValue | undefined {
  if (args.some((a) => a.value === null)) return isDateFn(fn) ? null : undefined;
  if (isDatePartFn(fn)) {
    const t = temporal(args[0]);
    if (t === null) return undefined;
    return args[0].type === 'date32' ? datePartOfDays(fn, t) : datePartOfMs(fn, t);
  }
  switch (fn) {
    case 'dateAdd': case 'dateSub': case 'addMonths': case 'addMillis': {
      const t = temporal(args[0]);
      const n = int(args[1]);
      if (t === null || n === null) return undefined;
      const ts = args[0].type === 'timestamp_ms';
      switch (fn) {
        case 'addMonths': return result(type, ts ? addMonthsToMs(t, n) : addMonthsToDays(t, n));
        case 'addMillis': return result(type, (ts ? t : t * MS_PER_DAY) + n);
        default: {
          const days = fn === 'dateAdd' ? n : -n;
          return result(type, ts ? t + days * MS_PER_DAY : t + days);
        }
      }
    }
    case 'lastDay': {
      const t = temporal(args[0]);
      if (t === null) return undefined;
      return result(type, lastDayOfMonth(args[0].type === 'timestamp_ms' ? dayOfMs(t) : t));
    }
    case 'datediff': {
      const e = temporal(args[0]), s = temporal(args[1]);
      if (e === null || s === null) return undefined;
      return (args[0].type === 'timestamp_ms' ? dayOfMs(e) : e) - (args[1].type === 'timestamp_ms' ? dayOfMs(s) : s);
    }
    case 'dateTrunc': {
      const t = temporal(args[1]);
      if (t === null || typeof args[0].value !== 'string') return undefined;
      const unit = args[0].value as TruncUnit;
      return result(type, args[1].type === 'date32' ? truncDays(unit, t) : truncMs(unit, t));
    }
    // Only the default form, which is CAST; with a format the runtime parses.
    case 'toDate': case 'toTimestamp': return args.length > 1 ? undefined : evalTemporalCast(args[0], type);
    default: return undefined;
  }
}


/**
 * CAST of a literal to date32 or timestamp_ms as the runtime does it: trimmed ISO text (null when
 * it does not parse), or a date/timestamp converted; undefined for anything else.
 */
export function evalTemporalCast(l: Literal, to: TypeJSON): LiteralValue | undefined {
  if (to !== 'date32' && to !== 'timestamp_ms') return undefined;
  if (l.type === 'utf8' && typeof l.value === 'string') {
    const x = to === 'date32' ? parseDate(l.value.trim()) : parseTimestamp(l.value.trim());
    return x === null ? null : result(to, x);
  }
  const t = temporal(l);
  if (t === null) return undefined;
  if (l.type === 'date32') return result(to, to === 'date32' ? t : t * MS_PER_DAY);
  return result(to, to === 'date32' ? dayOfMs(t) : t);
}
