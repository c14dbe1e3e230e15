// Differential: window functions and frame aggregates against DuckDB on generated data with nulls and ties, in several partitions and spilling.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quiver, Window, col, fn, type DataFrame, type Expr, type FieldJSON } from '../../core/index.ts';
import { rng } from '../../examples/data/access-log.ts';
import { sqlValue } from './data.ts';

type Row = Record<string, unknown>;
const DAY = 86_400_000;

interface WRow { id: number; p: number | null; o: number | null; d: Date | null; x: number | null; k: number | null; s: string | null }

/** Few partitions (p, a tenth null), order keys with many ties and nulls (o, d), values with nulls (x, k, s). */
function makeRows(seed: number, count: number): WRow[] {
  const r = rng(seed);
  const maybe = <T>(v: T, p = 0.1): T | null => (r() < p ? null : v);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  return Array.from({ length: count }, (_, id) => ({
    id, p: maybe(int(0, 6)), o: maybe(int(0, 40)), d: maybe(new Date((19_000 + int(0, 60)) * DAY)),
    x: maybe(Math.round(r() * 1e5) / 100 - 400), k: maybe(int(-50, 50)), s: maybe(['ant', 'bee', 'cat', 'dog', 'eel', 'ému'][int(0, 5)], 0.2),
  }));
}

const SCHEMA: FieldJSON[] = [
  { name: 'id', type: 'int32', nullable: false }, { name: 'p', type: 'int32', nullable: true }, { name: 'o', type: 'int32', nullable: true },
  { name: 'd', type: 'date32', nullable: true }, { name: 'x', type: 'float64', nullable: true }, { name: 'k', type: 'int32', nullable: true },
  { name: 's', type: 'utf8', nullable: true },
];

// Tie-independent results order by `o` (ties!); results that depend on the order among peers order by (o, id), unique.
const W = Window.partitionBy('p').orderBy('o');
const WSQL = 'PARTITION BY p ORDER BY o ASC NULLS FIRST';
const WD = Window.partitionBy('p').orderBy(col('o').descNullsLast());
const WDSQL = 'PARTITION BY p ORDER BY o DESC NULLS LAST';
const U = Window.partitionBy('p').orderBy('o', 'id');
const USQL = 'PARTITION BY p ORDER BY o ASC NULLS FIRST, id ASC NULLS FIRST';
const DT = Window.partitionBy('p').orderBy('d');
const DTSQL = 'PARTITION BY p ORDER BY d ASC NULLS FIRST';

interface Case { name: string; quiver: Expr; sql: string }

const CASES: Case[] = [
  // ranking over ties
  { name: 'rank', quiver: fn.rank().over(W), sql: `rank() OVER (${WSQL})` },
  { name: 'dense_rank', quiver: fn.denseRank().over(W), sql: `dense_rank() OVER (${WSQL})` },
  { name: 'percent_rank', quiver: fn.percentRank().over(W), sql: `percent_rank() OVER (${WSQL})` },
  { name: 'cume_dist', quiver: fn.cumeDist().over(W), sql: `cume_dist() OVER (${WSQL})` },
  { name: 'rank desc nulls last', quiver: fn.rank().over(WD), sql: `rank() OVER (${WDSQL})` },
  { name: 'global rank', quiver: fn.rank().over(Window.orderBy(col('x').desc())), sql: 'rank() OVER (ORDER BY x DESC NULLS LAST)' },
  // row positions (unique order)
  { name: 'row_number', quiver: fn.rowNumber().over(U), sql: `row_number() OVER (${USQL})` },
  { name: 'global row_number', quiver: fn.rowNumber().over(Window.orderBy('o', 'id')), sql: 'row_number() OVER (ORDER BY o ASC NULLS FIRST, id)' },
  { name: 'ntile(3)', quiver: fn.ntile(3).over(U), sql: `ntile(3) OVER (${USQL})` },
  { name: 'ntile(1000)', quiver: fn.ntile(1000).over(U), sql: `ntile(1000) OVER (${USQL})` },
  { name: 'lag', quiver: fn.lag('x').over(U), sql: `lag(x) OVER (${USQL})` },
  { name: 'lag 2 with default', quiver: fn.lag('k', 2, 0).over(U), sql: `lag(k, 2, 0) OVER (${USQL})` },
  { name: 'lead of strings', quiver: fn.lead('s').over(U), sql: `lead(s) OVER (${USQL})` },
  { name: 'lead 3 with default', quiver: fn.lead('x', 3, -1.5).over(U), sql: `lead(x, 3, -1.5) OVER (${USQL})` },
  // default frames: RANGE UNBOUNDED PRECEDING .. CURRENT ROW with an order, the whole partition without
  { name: 'running sum', quiver: fn.sum('x').over(W), sql: `sum(x) OVER (${WSQL})` },
  { name: 'running int sum', quiver: fn.sum('k').over(W), sql: `sum(k) OVER (${WSQL})` },
  { name: 'running count', quiver: fn.count('x').over(W), sql: `count(x) OVER (${WSQL})` },
  { name: 'running count(*)', quiver: fn.count().over(WD), sql: `count(*) OVER (${WDSQL})` },
  { name: 'running avg', quiver: fn.avg('k').over(W), sql: `avg(k) OVER (${WSQL})` },
  { name: 'running min', quiver: fn.min('x').over(W), sql: `min(x) OVER (${WSQL})` },
  { name: 'running max of strings', quiver: fn.max('s').over(W), sql: `max(s) OVER (${WSQL})` },
  { name: 'partition sum', quiver: fn.sum('x').over(Window.partitionBy('p')), sql: 'sum(x) OVER (PARTITION BY p)' },
  { name: 'partition min of strings', quiver: fn.min('s').over(Window.partitionBy('p')), sql: 'min(s) OVER (PARTITION BY p)' },
  { name: 'whole-table count', quiver: fn.count('k').over(Window.partitionBy()), sql: 'count(k) OVER ()' },
  // moving ROWS frames
  { name: 'sum rows -2..0', quiver: fn.sum('x').over(U.rowsBetween(-2, 0)), sql: `sum(x) OVER (${USQL} ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)` },
  { name: 'avg rows -3..1', quiver: fn.avg('x').over(U.rowsBetween(-3, 1)), sql: `avg(x) OVER (${USQL} ROWS BETWEEN 3 PRECEDING AND 1 FOLLOWING)` },
  { name: 'min rows -2..2', quiver: fn.min('k').over(U.rowsBetween(-2, 2)), sql: `min(k) OVER (${USQL} ROWS BETWEEN 2 PRECEDING AND 2 FOLLOWING)` },
  { name: 'max rows 1..3', quiver: fn.max('x').over(U.rowsBetween(1, 3)), sql: `max(x) OVER (${USQL} ROWS BETWEEN 1 FOLLOWING AND 3 FOLLOWING)` },
  { name: 'count rows unbounded..-1', quiver: fn.count('x').over(U.rowsBetween(Window.unboundedPreceding, -1)), sql: `count(x) OVER (${USQL} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)` },
  { name: 'sum rows 0..unbounded', quiver: fn.sum('k').over(U.rowsBetween(Window.currentRow, Window.unboundedFollowing)), sql: `sum(k) OVER (${USQL} ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING)` },
  { name: 'first rows -1..1', quiver: fn.first('x').over(U.rowsBetween(-1, 1)), sql: `first_value(x) OVER (${USQL} ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING)` },
  { name: 'last rows -2..-1', quiver: fn.last('s').over(U.rowsBetween(-2, -1)), sql: `last_value(s) OVER (${USQL} ROWS BETWEEN 2 PRECEDING AND 1 PRECEDING)` },
  { name: 'first over the partition', quiver: fn.first('k').over(U.rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)), sql: `first_value(k) OVER (${USQL} ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)` },
  { name: 'count(*) rows -5..5', quiver: fn.count().over(U.rowsBetween(-5, 5)), sql: `count(*) OVER (${USQL} ROWS BETWEEN 5 PRECEDING AND 5 FOLLOWING)` },
  // RANGE frames with value offsets, ties and null keys
  { name: 'sum range -5..5', quiver: fn.sum('x').over(W.rangeBetween(-5, 5)), sql: `sum(x) OVER (${WSQL} RANGE BETWEEN 5 PRECEDING AND 5 FOLLOWING)` },
  { name: 'count(*) range -10..0', quiver: fn.count().over(W.rangeBetween(-10, 0)), sql: `count(*) OVER (${WSQL} RANGE BETWEEN 10 PRECEDING AND CURRENT ROW)` },
  { name: 'min range 0..3', quiver: fn.min('x').over(W.rangeBetween(0, 3)), sql: `min(x) OVER (${WSQL} RANGE BETWEEN CURRENT ROW AND 3 FOLLOWING)` },
  { name: 'max range -3..-1', quiver: fn.max('k').over(W.rangeBetween(-3, -1)), sql: `max(k) OVER (${WSQL} RANGE BETWEEN 3 PRECEDING AND 1 PRECEDING)` },
  { name: 'avg range unbounded..2', quiver: fn.avg('x').over(W.rangeBetween(Window.unboundedPreceding, 2)), sql: `avg(x) OVER (${WSQL} RANGE BETWEEN UNBOUNDED PRECEDING AND 2 FOLLOWING)` },
  { name: 'count range 1..unbounded', quiver: fn.count('k').over(W.rangeBetween(1, Window.unboundedFollowing)), sql: `count(k) OVER (${WSQL} RANGE BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING)` },
  { name: 'sum range desc -5..2', quiver: fn.sum('k').over(WD.rangeBetween(-5, 2)), sql: `sum(k) OVER (${WDSQL} RANGE BETWEEN 5 PRECEDING AND 2 FOLLOWING)` },
  { name: 'count range current..current', quiver: fn.count().over(W.rangeBetween(0, 0)), sql: `count(*) OVER (${WSQL} RANGE BETWEEN CURRENT ROW AND CURRENT ROW)` },
  { name: 'sum over a date range of 7 days', quiver: fn.sum('x').over(DT.rangeBetween(-7, 0)), sql: `sum(x) OVER (${DTSQL} RANGE BETWEEN INTERVAL 7 DAY PRECEDING AND CURRENT ROW)` },
  { name: 'count over a date range -3..3 days', quiver: fn.count().over(DT.rangeBetween(-3, 3)), sql: `count(*) OVER (${DTSQL} RANGE BETWEEN INTERVAL 3 DAY PRECEDING AND INTERVAL 3 DAY FOLLOWING)` },
];

/** Numbers equal within a relative 1e-9 (sums accumulate in other orders), other values exactly. */
function same(a: unknown, b: unknown): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  const x = Number(a), y = Number(b);
  return Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(y));
}

function suite(title: string, open: () => Promise<Quiver>, spills: boolean): void {
  describe(title, () => {
    let q: Quiver;
    let duck: DuckDBConnection;
    let df: DataFrame;
    beforeAll(async () => {
      q = await open();
      duck = await (await DuckDBInstance.create(':memory:')).connect();
      const rows = makeRows(7, 3000);
      await duck.run('CREATE TABLE w (id INTEGER, p INTEGER, o INTEGER, d DATE, x DOUBLE, k INTEGER, s VARCHAR)');
      const v = (r: WRow) => [r.id, sqlValue(r.p), sqlValue(r.o), r.d ? `DATE '${r.d.toISOString().slice(0, 10)}'` : 'NULL', sqlValue(r.x), sqlValue(r.k), sqlValue(r.s)].join(', ');
      await duck.run(`INSERT INTO w VALUES ${rows.map((r) => `(${v(r)})`).join(', ')}`);
      df = q.createDataFrame(rows as unknown as Row[], { schema: SCHEMA, partitions: 4 });
    }, 120_000);
    afterAll(async () => { await q?.close(); });

    it('every window function and frame kind, row by row', async () => {
      const got = await df.select(col('id'), ...CASES.map((c, i) => c.quiver.alias(`c${i}`))).orderBy('id').toArray();
      if (spills) expect(q.session.lastJob!.counters.spills).toBeGreaterThan(0);
      const sql = `SELECT id, ${CASES.map((c, i) => `${c.sql} AS c${i}`).join(', ')} FROM w ORDER BY id`;
      const want = (await duck.runAndReadAll(sql)).getRowObjects();
      expect(got.length).toBe(want.length);
      const failures: string[] = [];
      CASES.forEach((c, i) => {
        let bad = 0, first = '';
        for (let r = 0; r < want.length; r++) {
          const a = got[r][`c${i}`], b = want[r][`c${i}`];
          if (!same(a, b) && bad++ === 0) first = `id ${String(got[r].id)}: quiver ${String(a)}, duckdb ${String(b)}`;
        }
        if (bad) failures.push(`${c.name}: ${bad} rows differ, first ${first}`);
      });
      expect(failures).toEqual([]);
    }, 120_000);

    it('a window over a filter and a filter over a window', async () => {
      const got = await df.filter(col('k').gt(0)).withColumn('r', fn.rowNumber().over(U)).filter(col('r').lte(3).and(col('p').isNotNull()))
        .select('id', 'r').orderBy('id').toArray();
      const want = (await duck.runAndReadAll(`SELECT id, r FROM (SELECT id, p, row_number() OVER (${USQL}) r FROM w WHERE k > 0) WHERE r <= 3 AND p IS NOT NULL ORDER BY id`)).getRowObjects();
      expect(got.map((r) => [r.id, Number(r.r)])).toEqual(want.map((r) => [r.id, Number(r.r)]));
      expect(got.length).toBeGreaterThan(10);
    }, 60_000);
  });
}

suite('window functions vs DuckDB, 4 partitions into 3 reducers', () => Quiver.local({ workers: 2, shufflePartitions: 3, batchSize: 300 }), false);
suite('window functions vs DuckDB under a 16 KB memory budget (the sorts spill)', () => Quiver.local({ workers: 2, shufflePartitions: 2, batchSize: 200, memoryBudget: 16 * 1024 }), true);
