// Vectorized date/time kernels over date32 (days) and timestamp_ms columns: parts, shifts, differences, truncation.
import type * as arrow from 'apache-arrow';
import type { TypeJSON } from '../types.ts';
import { andValidity, clearBit, validity, type Bits } from './bits.ts';
import {
  addMonthsToDays, addMonthsToMs, datePartOfDays, dayOfMs, lastDayOfMonth, MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE, packedCivil, truncDays, truncMs, type TruncUnit,
} from './calendar.ts';
import type { DatePartFn } from './node.ts';
import { fromNumbers, numbersOf } from './num.ts';

const INT32_MIN = -2147483648, INT32_MAX = 2147483647;

/** An int32 part (year, month, hour, ...) of every row; one loop per part, so the row loop has no dispatch. */
export function datePart(part: DatePartFn, type: TypeJSON, d: arrow.Data): arrow.Data {
  const n = d.length;
  const A = numbersOf(d);
  const R = new Int32Array(n);
  const ts = type === 'timestamp_ms';
  // Day numbers of the rows (timestamps: the UTC day holding them).
  const D = ts ? dayNumbers(A, n) : A;
  switch (part) {
    case 'year': for (let i = 0; i < n; i++) R[i] = packedCivil(D[i]) >> 9; break;
    case 'month': for (let i = 0; i < n; i++) R[i] = (packedCivil(D[i]) >> 5) & 15; break;
    case 'day': for (let i = 0; i < n; i++) R[i] = packedCivil(D[i]) & 31; break;
    case 'quarter': for (let i = 0; i < n; i++) R[i] = ((((packedCivil(D[i]) >> 5) & 15) + 2) / 3) | 0; break;
    case 'hour': case 'minute': case 'second': {
      if (!ts) break;
      const unit = part === 'hour' ? MS_PER_HOUR : part === 'minute' ? MS_PER_MINUTE : 1000;
      const wrap = part === 'hour' ? 24 : 60;
      for (let i = 0; i < n; i++) R[i] = Math.floor((A[i] - D[i] * MS_PER_DAY) / unit) % wrap;
      break;
    }
    default: for (let i = 0; i < n; i++) R[i] = datePartOfDays(part, D[i]);
  }
  const v = validity(d);
  return fromNumbers('int32', R, n, v ? v.slice() : null);
}

function dayNumbers(A: ArrayLike<number>, n: number): Float64Array {
  const D = new Float64Array(n);
  for (let i = 0; i < n; i++) D[i] = Math.floor(A[i] / MS_PER_DAY);
  return D;
}

/**
 * Out-of-range days (beyond int32) become null instead of wrapping; `valid` is the rows'
 * validity, already a fresh copy or null.
 */
function dateResult(R: Float64Array, n: number, valid: Bits | null): arrow.Data {
  let v = valid;
  for (let i = 0; i < n; i++) {
    const x = R[i];
    if (x < INT32_MIN || x > INT32_MAX) {
      if (!v) v = new Uint8Array((n + 7) >> 3).fill(0xff);
      clearBit(v, i);
      R[i] = 0;
    }
  }
  return fromNumbers('date32', R, n, v);
}

/** `t` plus `sign * days` days; a timestamp keeps its time of day. */
export function shiftDays(type: TypeJSON, t: arrow.Data, days: arrow.Data, sign: 1 | -1): arrow.Data {
  const n = t.length;
  const A = numbersOf(t), D = numbersOf(days);
  const R = new Float64Array(n);
  const valid = andValidity(validity(t), validity(days), n);
  if (type === 'timestamp_ms') {
    for (let i = 0; i < n; i++) R[i] = A[i] + sign * D[i] * MS_PER_DAY;
    return fromNumbers(type, R, n, valid);
  }
  for (let i = 0; i < n; i++) R[i] = A[i] + sign * D[i];
  return dateResult(R, n, valid);
}

/** `t` plus `months` calendar months, clamped to the end of the target month. */
export function addMonths(type: TypeJSON, t: arrow.Data, months: arrow.Data): arrow.Data {
  const n = t.length;
  const A = numbersOf(t), M = numbersOf(months);
  const R = new Float64Array(n);
  const valid = andValidity(validity(t), validity(months), n);
  if (type === 'timestamp_ms') {
    for (let i = 0; i < n; i++) R[i] = addMonthsToMs(A[i], M[i]);
    return fromNumbers(type, R, n, valid);
  }
  for (let i = 0; i < n; i++) R[i] = addMonthsToDays(A[i], M[i]);
  return dateResult(R, n, valid);
}

/** A timestamp `ms` milliseconds after `t` (a date counts from its midnight). */
export function addMillis(type: TypeJSON, t: arrow.Data, ms: arrow.Data): arrow.Data {
  const n = t.length;
  const A = numbersOf(t), M = numbersOf(ms);
  const R = new Float64Array(n);
  const scale = type === 'date32' ? MS_PER_DAY : 1;
  for (let i = 0; i < n; i++) R[i] = A[i] * scale + M[i];
  return fromNumbers('timestamp_ms', R, n, andValidity(validity(t), validity(ms), n));
}

/**
 * The start of window `k` back from the latest tumbling/sliding window holding each row's time:
 * floor(t / slide) * slide - k * slide (floor, so times before 1970 fall in the right window).
 */
export function windowStart(type: TypeJSON, t: arrow.Data, slideMs: number, k: arrow.Data): arrow.Data {
  const n = t.length;
  const A = numbersOf(t), K = numbersOf(k);
  const R = new Float64Array(n);
  const scale = type === 'date32' ? MS_PER_DAY : 1;
  for (let i = 0; i < n; i++) R[i] = (Math.floor((A[i] * scale) / slideMs) - K[i]) * slideMs;
  return fromNumbers('timestamp_ms', R, n, andValidity(validity(t), validity(k), n));
}

/** The last day of each row's month, as a date. */
export function lastDay(type: TypeJSON, t: arrow.Data): arrow.Data {
  const n = t.length;
  const A = numbersOf(t);
  const D = type === 'timestamp_ms' ? dayNumbers(A, n) : A;
  const R = new Int32Array(n);
  for (let i = 0; i < n; i++) R[i] = lastDayOfMonth(D[i]);
  const v = validity(t);
  return fromNumbers('date32', R, n, v ? v.slice() : null);
}

/** Days from `start` to `end` (timestamps count by their dates, as Spark's datediff). */
export function datediff(endType: TypeJSON, end: arrow.Data, startType: TypeJSON, start: arrow.Data): arrow.Data {
  const n = end.length;
  const E = numbersOf(end), S = numbersOf(start);
  const R = new Int32Array(n);
  const te = endType === 'timestamp_ms', ts = startType === 'timestamp_ms';
  for (let i = 0; i < n; i++) R[i] = (te ? dayOfMs(E[i]) : E[i]) - (ts ? dayOfMs(S[i]) : S[i]);
  return fromNumbers('int32', R, n, andValidity(validity(end), validity(start), n));
}

/** The start of the `unit` holding each row, of the row's own type. */
export function dateTrunc(unit: TruncUnit, type: TypeJSON, t: arrow.Data): arrow.Data {
  const n = t.length;
  const A = numbersOf(t);
  const v = validity(t);
  if (type === 'date32') {
    const R = new Int32Array(n);
    for (let i = 0; i < n; i++) R[i] = truncDays(unit, A[i]);
    return fromNumbers(type, R, n, v ? v.slice() : null);
  }
  const R = new Float64Array(n);
  for (let i = 0; i < n; i++) R[i] = truncMs(unit, A[i]);
  return fromNumbers(type, R, n, v ? v.slice() : null);
}
