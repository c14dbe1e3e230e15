// Proleptic Gregorian calendar arithmetic on day counts, and the ISO-8601 text of dates and timestamps.
//
// Pure integer arithmetic (H. Hinnant's days_from_civil / civil_from_days), not Date: Date.UTC
// reads years 0-99 as 1900-1999 and Date stops at +-8.64e15 ms, while date32 and timestamp_ms
// columns hold any int32 day or int64 millisecond.

export const MS_PER_DAY = 86_400_000;
const MS_PER_DAY_N = 86_400_000n;
const DAYS_PER_ERA = 146_097; // 400 Gregorian years
const EPOCH_SHIFT = 719_468; // days from 0000-03-01 to 1970-01-01

/** Days since 1970-01-01 of year `y` (0 = 1 BC), month 1-12, day 1-31; no validation. */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * DAYS_PER_ERA + doe - EPOCH_SHIFT;
}

/** [year, month 1-12, day 1-31] of a day count since 1970-01-01. */
export function civilFromDays(days: number): [number, number, number] {
  const z = days + EPOCH_SHIFT;
  const era = Math.floor(z / DAYS_PER_ERA);
  const doe = z - era * DAYS_PER_ERA;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, doy - Math.floor((153 * mp + 2) / 5) + 1];
}

/** Days since 1970-01-01 of a real calendar date, or null (month 13, February 30). */
export function validDays(y: number, m: number, d: number): number | null {
  if (m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return null;
  return daysFromCivil(y, m, d);
}

function daysInMonth(y: number, m: number): number {
  if (m !== 2) return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28;
}

/**
 * Year text as Date.prototype.toISOString writes it: 'YYYY' for 0-9999, else ISO-8601's expanded
 * form with a sign and at least six digits ('+275760', '-000001'). Readers MUST accept both.
 */
export function isoYear(y: number): string {
  if (y >= 0 && y <= 9999) return String(y).padStart(4, '0');
  return `${y < 0 ? '-' : '+'}${String(Math.abs(y)).padStart(6, '0')}`;
}

const pad2 = (k: number): string => String(k).padStart(2, '0');

/** Days since the epoch as YYYY-MM-DD (expanded years outside 0000-9999). */
export function isoDateText(days: number): string {
  const [y, m, d] = civilFromDays(days);
  return `${isoYear(y)}-${pad2(m)}-${pad2(d)}`;
}

/** Milliseconds since the epoch as YYYY-MM-DDTHH:MM:SS.fffZ, exact for every int64. */
export function isoTimestampText(ms: bigint): string {
  let days = ms / MS_PER_DAY_N;
  if (ms % MS_PER_DAY_N < 0n) days -= 1n;
  const tod = Number(ms - days * MS_PER_DAY_N);
  const frac = String(tod % 1000).padStart(3, '0');
  const secs = Math.floor(tod / 1000);
  return `${isoDateText(Number(days))}T${pad2(Math.floor(secs / 3600))}:${pad2(Math.floor(secs / 60) % 60)}:${pad2(secs % 60)}.${frac}Z`;
}
