// The differential suite: the same queries in Quiver and DuckDB over generated data with nulls, for any way of making a session.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { col, fn, when, type DataFrame, type Quiver } from '../../core/index.ts';
import { makeTables, sqlValue, type Tables } from './data.ts';

function norm(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return Number.isInteger(v) ? v : Number(v.toPrecision(10));
  if (v !== null && typeof v === 'object' && 'toDouble' in (v as object)) return Number((v as any).toDouble().toPrecision(10));
  return v;
}
const key = (r: Record<string, unknown>) => JSON.stringify(Object.values(r).map(norm));

interface Case { name: string; quiver: (a: DataFrame, b: DataFrame) => DataFrame; sql: string; ordered?: boolean }

export const CASES: Case[] = [
  { name: 'filter', quiver: (a) => a.filter(col('x').gt(10).and(col('g').isNotNull())).select('y', 'g', 'x'),
    sql: 'SELECT y, g, x FROM a WHERE x > 10 AND g IS NOT NULL' },
  { name: 'filter with or/not/null', quiver: (a) => a.filter(col('k').lt(50).or(col('x').isNull()).and(col('g').eq('beta').not())).select('y'),
    sql: "SELECT y FROM a WHERE (k < 50 OR x IS NULL) AND NOT (g = 'beta')" },
  { name: 'every aggregate by group', quiver: (a) => a.groupBy('g').agg(fn.count().alias('n'), fn.count('x').alias('nx'), fn.sum('k').alias('sk'),
      fn.sum('x').alias('sx'), fn.avg('x').alias('ax'), fn.min('x').alias('mn'), fn.max('k').alias('mk'), fn.countDistinct('k').alias('dk'), fn.min('g').alias('mg')),
    sql: 'SELECT g, count(*) n, count(x) nx, sum(k) sk, sum(x) sx, avg(x) ax, min(x) mn, max(k) mk, count(DISTINCT k) dk, min(g) mg FROM a GROUP BY g' },
  { name: 'two-key group by', quiver: (a) => a.groupBy('g', col('k').mod(7).alias('m')).agg(fn.count().alias('n'), fn.max('y').alias('my')),
    sql: 'SELECT g, k % 7 AS m, count(*) n, max(y) my FROM a GROUP BY g, k % 7' },
  { name: 'global aggregate', quiver: (a) => a.agg(fn.count().alias('n'), fn.sum('x').alias('s'), fn.countDistinct('g').alias('d')),
    sql: 'SELECT count(*) n, sum(x) s, count(DISTINCT g) d FROM a' },
  ...(['inner', 'left', 'right', 'full'] as const).map((how) => ({
    name: `${how} join`, quiver: (a: DataFrame, b: DataFrame) => a.select('k', 'y').join(b, 'k', how),
    sql: `SELECT ${how === 'right' ? 'b.k' : how === 'full' ? 'coalesce(a.k, b.k) AS k' : 'a.k'}, y, z, w FROM a ${how.toUpperCase()} JOIN b ON a.k = b.k`,
  })),
  { name: 'semi join', quiver: (a, b) => a.select('k', 'y').join(b, 'k', 'semi'), sql: 'SELECT k, y FROM a SEMI JOIN b USING (k)' },
  { name: 'anti join', quiver: (a, b) => a.select('k', 'y').join(b, 'k', 'anti'), sql: 'SELECT k, y FROM a ANTI JOIN b USING (k)' },
  { name: 'sort on several keys with nulls', ordered: true,
    quiver: (a) => a.orderBy(col('g').ascNullsFirst(), col('k').descNullsLast(), col('y').asc()).select('g', 'k', 'y'),
    sql: 'SELECT g, k, y FROM a ORDER BY g ASC NULLS FIRST, k DESC NULLS LAST, y ASC' },
  { name: 'top-k', ordered: true, quiver: (a) => a.orderBy(col('x').descNullsLast(), col('y').asc()).limit(25).select('y', 'x'),
    sql: 'SELECT y, x FROM a ORDER BY x DESC NULLS LAST, y ASC LIMIT 25' },
  { name: 'distinct', quiver: (a) => a.select('g', col('k').mod(3).alias('m')).distinct(), sql: 'SELECT DISTINCT g, k % 3 AS m FROM a' },
  { name: 'union all', quiver: (a, b) => a.select('k').union(b.select('k')), sql: 'SELECT k FROM a UNION ALL SELECT k FROM b' },
  // Every input after the first reads a shuffle: its tasks must read their own reduce partitions.
  { name: 'union all of aggregates', quiver: (a, b) => a.groupBy(col('k').mod(5).alias('m')).agg(fn.count().alias('n'))
      .union(b.groupBy(col('k').mod(5).alias('m')).agg(fn.count().alias('n'))).union(a.groupBy(col('k').mod(3).alias('m')).agg(fn.count().alias('n'))),
    sql: 'SELECT k % 5 m, count(*) n FROM a GROUP BY 1 UNION ALL SELECT k % 5, count(*) FROM b GROUP BY 1 UNION ALL SELECT k % 3, count(*) FROM a GROUP BY 1' },
  { name: 'limit after filter', quiver: (a) => a.filter(col('y').lt(100)).orderBy('y').limit(7).select('y'), ordered: true,
    sql: 'SELECT y FROM a WHERE y < 100 ORDER BY y LIMIT 7' },
  { name: 'expressions over aggregates by group',
    quiver: (a) => a.groupBy('g').agg(fn.sum('x').div(fn.count()).alias('m'), fn.max('k').sub(fn.min('k')).alias('r'),
      when(fn.sum('k').gt(40000), 1).otherwise(0).alias('big'), fn.count('x').add(1).alias('c1'), fn.sum('k').gt(fn.sum('y').div(100)).alias('cmp')),
    sql: 'SELECT g, sum(x) / count(*) m, max(k) - min(k) r, CASE WHEN sum(k) > 40000 THEN 1 ELSE 0 END big, count(x) + 1 c1, sum(k) > sum(y) / 100 cmp FROM a GROUP BY g' },
  { name: 'group key inside an expression over aggregates',
    quiver: (a) => a.groupBy(col('k').mod(7)).agg(col('k').mod(7).mul(1000).add(fn.count()).alias('z'), fn.countDistinct('g').mul(2).alias('d2')),
    sql: 'SELECT k % 7, (k % 7) * 1000 + count(*) z, count(DISTINCT g) * 2 d2 FROM a GROUP BY k % 7' },
  { name: 'global expressions over aggregates', quiver: (a) => a.agg(fn.sum('y').div(fn.count()).alias('m'), fn.max('x').sub(fn.min('x')).alias('r'), fn.count().add(1).alias('n1')),
    sql: 'SELECT sum(y) / count(*) m, max(x) - min(x) r, count(*) + 1 n1 FROM a' },
  { name: 'aggregate over join', quiver: (a, b) => a.join(b, 'k').groupBy('z').agg(fn.count().alias('n'), fn.sum('w').alias('sw')),
    sql: 'SELECT z, count(*) n, sum(w) sw FROM a JOIN b USING (k) GROUP BY z' },
];


/** Registers the suite: every case in `q()`'s session against DuckDB, inputs cut into `partitions`. */
export function differentialSuite(title: string, partitions: number, open: () => Promise<Quiver>, close: (q: Quiver) => Promise<void> = (q) => q.close()): void {
  describe(title, () => {
    let q: Quiver;
    let duck: DuckDBConnection;
    let data: Tables;
    beforeAll(async () => {
      q = await open();
      duck = await (await DuckDBInstance.create(':memory:')).connect();
      data = makeTables(7);
      await duck.run('CREATE TABLE a (k INTEGER, g VARCHAR, x DOUBLE, y INTEGER)');
      await duck.run('CREATE TABLE b (k INTEGER, z VARCHAR, w INTEGER)');
      await duck.run(`INSERT INTO a VALUES ${data.a.map((r) => `(${[r.k, r.g, r.x, r.y].map(sqlValue).join(', ')})`).join(', ')}`);
      await duck.run(`INSERT INTO b VALUES ${data.b.map((r) => `(${[r.k, r.z, r.w].map(sqlValue).join(', ')})`).join(', ')}`);
    }, 120_000);
    afterAll(async () => { if (q) await close(q); });

    for (const c of CASES) {
      it(c.name, async () => {
        const schemaA = [{ name: 'k', type: 'int32' as const, nullable: true }, { name: 'g', type: 'utf8' as const, nullable: true },
          { name: 'x', type: 'float64' as const, nullable: true }, { name: 'y', type: 'int32' as const, nullable: false }];
        const schemaB = [{ name: 'k', type: 'int32' as const, nullable: true }, { name: 'z', type: 'utf8' as const, nullable: true },
          { name: 'w', type: 'int32' as const, nullable: true }];
        const a = q.createDataFrame(data.a, { schema: schemaA, partitions });
        const b = q.createDataFrame(data.b, { schema: schemaB, partitions });
        const got = (await c.quiver(a, b).toArray()).map(key);
        const want = (await duck.runAndReadAll(c.sql)).getRowObjects().map(key);
        if (!c.ordered) { got.sort(); want.sort(); }
        expect(got.length).toBe(want.length);
        expect(got).toEqual(want);
      }, 60_000);
    }
  });
}
