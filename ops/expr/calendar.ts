// Proleptic Gregorian calendar arithmetic on day numbers (days since 1970-01-01, UTC): the scalar core of the date kernels and of plan-time folding.
import type { DatePartFn } from './node.ts';

export const MS_PER_DAY = 86_400_000;
export const MS_PER_HOUR = 3_600_000;
export const MS_PER_MINUTE = 60_000;

/** Units of dateTrunc and of intervals (an interval also takes 'quarter' via months). */
export type TruncUnit = 'year' | 'quarter' | 'month' | 'week' | 'day' | 'hour' | 'minute' | 'second';
export const TRUNC_UNITS: readonly TruncUnit[] = ['year', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second'];

/** Days of 1900-01-01 and 2101-01-01: dates between them are read from a table, the rest computed. */
const TABLE_START = -25567;
const TABLE_LEN = 73414;
let table: Int32Array | null = null;

/** y * 512 + m * 32 + d for every day of 1900..2100, built on first use (a few ms, 290 KB). */
function civilTable(): Int32Array {
  const t = new Int32Array(TABLE_LEN);
  const out = new Int32Array(3);
  for (let k = 0; k < TABLE_LEN; k++) {
    computeCivil(TABLE_START + k, out);
    t[k] = out[0] * 512 + out[1] * 32 + out[2];
  }
  return t;
}

/** y * 512 + m * 32 + d of an integer day number (the packed form the part loops unpack). */
export function packedCivil(days: number): number {
  const k = days - TABLE_START;
  if (k >= 0 && k < TABLE_LEN) return (table ??= civilTable())[k];
  computeCivil(days, packScratch);
  return packScratch[0] * 512 + packScratch[1] * 32 + packScratch[2];
}
const packScratch = new Int32Array(3);

/**
 * Year, month (1-12) and day (1-31) of an integer day number, written into `out` (no
 * allocation per row): a table lookup for 1900..2100, Howard Hinnant's civil_from_days
 * (exact for every integer a double holds) elsewhere.
 */
export function civilFromDays(days: number, out: Int32Array): void {
  const k = days - TABLE_START;
  if (k >= 0 && k < TABLE_LEN) {
    const p = (table ??= civilTable())[k];
    out[0] = p >> 9;
    out[1] = (p >> 5) & 15;
    out[2] = p & 31;
    return;
  }
  computeCivil(days, out);
}

function computeCivil(days: number, out: Int32Array): void {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const m = mp < 10 ? mp + 3 : mp - 9;
  out[0] = yoe + era * 400 + (m <= 2 ? 1 : 0);
  out[1] = m;
  out[2] = doy - Math.floor((153 * mp + 2) / 5) + 1;
}

/** The day number of a calendar date (month 1-12; the day MUST exist in that month). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export const isLeapYear = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/** Days before each month in a common year. */
const DAYS_BEFORE = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

export function daysInMonth(y: number, m: number): number {
  return m === 2 && isLeapYear(y) ? 29 : MONTH_DAYS[m - 1];
}

const scratch = new Int32Array(3);

/**
 * `days` plus `months` calendar months; a day past the end of the target month becomes its last
 * day (Jan 31 + 1 month = Feb 28 or 29), as Spark's add_months and DuckDB's interval arithmetic do.
 */
export function addMonthsToDays(days: number, months: number): number {
  civilFromDays(days, scratch);
  const total = scratch[0] * 12 + (scratch[1] - 1) + months;
  const y = Math.floor(total / 12);
  const m = total - y * 12 + 1;
  const d = Math.min(scratch[2], daysInMonth(y, m));
  return daysFromCivil(y, m, d);
}

/** Day number and milliseconds within the day (0 <= ms < 86_400_000) of a timestamp. */
export const dayOfMs = (ms: number): number => Math.floor(ms / MS_PER_DAY);

/** A timestamp moved by calendar months, keeping its time of day. */
export function addMonthsToMs(ms: number, months: number): number {
  const day = dayOfMs(ms);
  return addMonthsToDays(day, months) * MS_PER_DAY + (ms - day * MS_PER_DAY);
}

/** A date-part of a day number (the time parts of a date are 0). */
export function datePartOfDays(part: DatePartFn, days: number): number {
  switch (part) {
    case 'year': civilFromDays(days, scratch); return scratch[0];
    case 'quarter': civilFromDays(days, scratch); return ((scratch[1] - 1) / 3 | 0) + 1;
    case 'month': civilFromDays(days, scratch); return scratch[1];
    case 'day': civilFromDays(days, scratch); return scratch[2];
    // 1970-01-01 was a Thursday; Spark numbers Sunday 1 through Saturday 7.
    case 'dayOfWeek': return (((days + 4) % 7) + 7) % 7 + 1;
    case 'dayOfYear':
      civilFromDays(days, scratch);
      return DAYS_BEFORE[scratch[1] - 1] + scratch[2] + (scratch[1] > 2 && isLeapYear(scratch[0]) ? 1 : 0);
    case 'weekOfYear': {
      // ISO 8601: weeks start on Monday, and week 1 holds the year's first Thursday.
      const thursday = days - ((((days + 3) % 7) + 7) % 7) + 3;
      return Math.floor((thursday - truncDays('year', thursday)) / 7) + 1;
    }
    case 'hour': case 'minute': case 'second': return 0;
  }
}

/** The last day of the month holding `days`. */
export function lastDayOfMonth(days: number): number {
  civilFromDays(days, scratch);
  return days - scratch[2] + daysInMonth(scratch[0], scratch[1]);
}

/** A date-part of a timestamp in milliseconds (UTC). */
export function datePartOfMs(part: DatePartFn, ms: number): number {
  const day = dayOfMs(ms);
  const rest = ms - day * MS_PER_DAY;
  switch (part) {
    case 'hour': return Math.floor(rest / MS_PER_HOUR);
    case 'minute': return Math.floor(rest / MS_PER_MINUTE) % 60;
    case 'second': return Math.floor(rest / 1000) % 60;
    default: return datePartOfDays(part, day);
  }
}

/** The first day of the unit that holds `days` (weeks start on Monday); units below a day leave a date alone. */
export function truncDays(unit: TruncUnit, days: number): number {
  switch (unit) {
    case 'year': return days - datePartOfDays('dayOfYear', days) + 1;
    case 'quarter': civilFromDays(days, scratch); return daysFromCivil(scratch[0], scratch[1] - ((scratch[1] - 1) % 3), 1);
    case 'month': civilFromDays(days, scratch); return days - scratch[2] + 1;
    // Thursday 1970-01-01 is 3 days after a Monday.
    case 'week': return days - ((((days + 3) % 7) + 7) % 7);
    case 'day': case 'hour': case 'minute': case 'second': return days;
  }
}

/** The first millisecond of the unit that holds `ms`. */
export function truncMs(unit: TruncUnit, ms: number): number {
  switch (unit) {
    case 'hour': return Math.floor(ms / MS_PER_HOUR) * MS_PER_HOUR;
    case 'minute': return Math.floor(ms / MS_PER_MINUTE) * MS_PER_MINUTE;
    case 'second': return Math.floor(ms / 1000) * 1000;
    default: return truncDays(unit, dayOfMs(ms)) * MS_PER_DAY;
  }
}
