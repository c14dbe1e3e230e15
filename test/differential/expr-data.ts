// Seeded rows with nulls for the expression differential tests: tricky strings, dates around month ends and leap days, timestamps before and after 1970.
import { rng } from '../../examples/data/access-log.ts';

export interface ExprRow {
  id: number;
  s: string | null;
  k: number | null;
  d: Date | null;
  ts: Date | null;
  n: number | null;
  f: string | null;
}

const DAY = 86_400_000;
const UNITS = ['a', 'b', 'A', 'B', '%', '_', '\\', 'é', 'É', 'x', '.', '*'];
const EDGES = ['2024-02-29', '2023-02-28', '2000-02-29', '1900-02-28', '1970-01-01', '1969-12-31', '2023-12-31', '2024-01-31', '1999-03-31', '2100-02-28'];

const pad = (x: number, w = 2) => String(x).padStart(w, '0');

export function makeExprRows(seed: number, count = 2000): ExprRow[] {
  const r = rng(seed);
  const maybe = <T>(v: T, p = 0.1): T | null => (r() < p ? null : v);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  return Array.from({ length: count }, (_, id) => {
    const len = int(0, 6);
    const s = Array.from({ length: len }, () => UNITS[int(0, UNITS.length - 1)]).join('');
    // Days 1800..2200, a tenth of them on a month end or leap day.
    const day = r() < 0.1 ? Date.parse(`${EDGES[int(0, EDGES.length - 1)]}T00:00:00Z`) / DAY : int(-62_000, 84_000);
    const ms = int(-2_000_000, 2_000_000) * 1_000_000 + int(0, 999_999) * (r() < 0.5 ? 1 : -1);
    const dt = new Date(day * DAY);
    const f = r() < 0.8 ? `${pad(dt.getUTCDate())}/${pad(dt.getUTCMonth() + 1)}/${pad(dt.getUTCFullYear(), 4)}` : ['31/02/2020', 'x', '01-01-2020', '29/02/2023', ''][int(0, 4)];
    return { id, s: maybe(s), k: maybe(int(0, 12)), d: maybe(dt), ts: maybe(new Date(ms)), n: maybe(int(-40, 40)), f: maybe(f) };
  });
}
