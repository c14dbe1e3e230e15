// INTERVAL literals and calendar arithmetic on constant dates (DuckDB's rules: months clamp the day).
import { sqlError } from './errors.ts';
import type { Ast } from './parse.ts';

export type IntervalUnit = 'day' | 'month' | 'year';
export interface Interval { readonly amount: number; readonly unit: IntervalUnit }

const UNITS: Record<string, { unit: IntervalUnit; times: number }> = {
  day: { unit: 'day', times: 1 }, days: { unit: 'day', times: 1 }, week: { unit: 'day', times: 7 }, weeks: { unit: 'day', times: 7 },
  month: { unit: 'month', times: 1 }, months: { unit: 'month', times: 1 }, year: { unit: 'year', times: 1 }, years: { unit: 'year', times: 1 },
};

/** `INTERVAL '3' MONTH`, `INTERVAL '90 days'`, `INTERVAL 3 DAY`. */
export function parseInterval(v: Ast, node: Ast): Interval {
  const raw = v.value?.Value?.value;
  const text = raw ? String(Object.values(raw)[0] instanceof Array ? (Object.values(raw)[0] as unknown[])[0] : Object.values(raw)[0]).trim() : null;
  if (text === null) throw sqlError(node, 'INTERVAL needs a constant, e.g. INTERVAL \'3\' MONTH');
  if (v.last_field || v.fractional_seconds_precision) throw sqlError(node, 'INTERVAL ... TO ... is not supported yet');
  const m = /^([+-]?\d+)(?:\s+([a-z]+))?$/i.exec(text);
  const unitName = (v.leading_field ? String(v.leading_field) : m?.[2] ?? '').toLowerCase();
  const u = UNITS[unitName];
  if (!m || !u || (v.leading_field && m[2])) {
    throw sqlError(node, `INTERVAL '${text}'${v.leading_field ? ` ${v.leading_field}` : ''} is not supported: write a whole number of days, weeks, months or years, e.g. INTERVAL '3' MONTH`);
  }
  return { amount: Number(m[1]) * u.times, unit: u.unit };
}

/** `date` (YYYY-MM-DD) plus `amount` units, as YYYY-MM-DD; adding months keeps the day or clamps it to the month's last. */
export function addInterval(date: string, amount: number, unit: IntervalUnit): string {
  const [y, m, d] = date.split('-').map(Number);
  if (unit === 'day') return new Date(Date.UTC(y, m - 1, d + amount)).toISOString().slice(0, 10);
  const months = unit === 'year' ? amount * 12 : amount;
  const first = new Date(Date.UTC(y, m - 1 + months, 1));
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  return new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), Math.min(d, last))).toISOString().slice(0, 10);
}
