// Generated data for the spill tests, with plain-JS reference answers to compare the engine with.
import * as arrow from 'apache-arrow';
import { rng } from './helpers.ts';

export const SPILL_ROWS = 200_000;
export const SPILL_GROUPS = 50_000;

export interface SpillRow { id: number; k: number | null; v: number | null }

/** 200k rows: `id` unique, `k` in 50k groups (a few nulls), `v` random in [-1000, 1000) (a few nulls). */
export function spillData(): { table: arrow.Table; rows: SpillRow[] } {
  const rand = rng(42);
  const rows: SpillRow[] = new Array(SPILL_ROWS);
  for (let i = 0; i < SPILL_ROWS; i++) {
    rows[i] = {
      id: i,
      k: i % 997 === 0 ? null : (i * 7919) % SPILL_GROUPS,
      v: i % 101 === 0 ? null : Math.floor(rand() * 2000) - 1000,
    };
  }
  const table = new arrow.Table({
    id: arrow.makeVector(Int32Array.from(rows, (r) => r.id)),
    k: arrow.vectorFromArray(rows.map((r) => r.k), new arrow.Int32()),
    v: arrow.vectorFromArray(rows.map((r) => r.v), new arrow.Int32()),
  });
  return { table, rows };
}

export interface GroupRow { k: number | null; n: number; cnt: number; s: number | null; lo: number | null; hi: number | null }

/** groupBy k: count(*) as n, count(v) as cnt, sum(v) as s, min(v) as lo, max(v) as hi. */
export function groupReference(rows: readonly SpillRow[]): GroupRow[] {
  const groups = new Map<number | null, GroupRow>();
  for (const r of rows) {
    let g = groups.get(r.k);
    if (!g) groups.set(r.k, (g = { k: r.k, n: 0, cnt: 0, s: null, lo: null, hi: null }));
    g.n++;
    if (r.v === null) continue;
    g.cnt++;
    g.s = (g.s ?? 0) + r.v;
    g.lo = g.lo === null ? r.v : Math.min(g.lo, r.v);
    g.hi = g.hi === null ? r.v : Math.max(g.hi, r.v);
  }
  return [...groups.values()];
}

/** Rows sorted by v ascending (nulls first), then id descending: a total order. */
export function sortReference(rows: readonly SpillRow[]): SpillRow[] {
  return [...rows].sort((a, b) => {
    if (a.v !== b.v) {
      if (a.v === null) return -1;
      if (b.v === null) return 1;
      return a.v - b.v;
    }
    return b.id - a.id;
  });
}
