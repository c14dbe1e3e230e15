// Differential: stddev/variance, sum/avg of distinct values, collectList/collectSet and percentileApprox against DuckDB, in 4 partitions (partial -> shuffle -> final) and spilling.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quiver, col, fn, type DataFrame } from '../../core/index.ts';
import { makeTables, sqlValue, type Tables } from './data.ts';

type Row = Record<string, unknown>;

const SCHEMA_A = [{ name: 'k', type: 'int32' as const, nullable: true }, { name: 'g', type: 'utf8' as const, nullable: true },
  { name: 'x', type: 'float64' as const, nullable: true }, { name: 'y', type: 'int32' as const, nullable: false }];

const key = (r: Row, keys: string[]) => JSON.stringify(keys.map((k) => r[k] ?? null));

/** Rows by their group key: each engine's answer for every group, which must be the same set of groups. */
function byGroup(rows: Row[], keys: string[]): Map<string, Row> {
  const m = new Map<string, Row>();
  for (const r of rows) m.set(key(r, keys), r);
  expect(m.size, 'duplicate groups').toBe(rows.length);
  return m;
}

/** Equal within a relative 1e-9 (the engines accumulate in different orders), nulls equal. */
function expectClose(got: unknown, want: unknown, what: string): void {
  if (want === null || got === null) { expect(got, what).toBe(want); return; }
  const g = Number(got), w = Number(want);
  expect(Math.abs(g - w), `${what}: ${g} vs ${w}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(w)));
}

const round = (x: unknown) => Number(Number(x).toPrecision(12));

/** Sorted numbers; DuckDB's JSON rows print doubles to 15 digits, so both sides round to 12. */
const numSort = (xs: unknown) => [...(xs as number[])].map(round).sort((a, b) => a - b);

/** Where `v` sits among the sorted values: the 1-based ranks [below + 1, upTo] it occupies; null when it is not one of them. */
function ranksOf(sorted: number[], v: number): [number, number] | null {
  const below = sorted.filter((x) => x < v).length, upTo = sorted.filter((x) => x <= v).length;
  return upTo > below ? [below + 1, upTo] : null;
}

function suite(title: string, open: () => Promise<Quiver>, spills: boolean): void {
  describe(title, () => {
    let q: Quiver;
    let duck: DuckDBConnection;
    let data: Tables;
    let a: DataFrame;
    beforeAll(async () => {
      q = await open();
      duck = await (await DuckDBInstance.create(':memory:')).connect();
      data = makeTables(11, 6000);
      await duck.run('CREATE TABLE a (k INTEGER, g VARCHAR, x DOUBLE, y INTEGER)');
      await duck.run(`INSERT INTO a VALUES ${data.a.map((r) => `(${[r.k, r.g, r.x, r.y].map(sqlValue).join(', ')})`).join(', ')}`);
      a = q.createDataFrame(data.a, { schema: SCHEMA_A, partitions: 4 });
    }, 120_000);
    afterAll(async () => { if (q) await q.close(); });

    const duckRows = async (sql: string): Promise<Row[]> => (await duck.runAndReadAll(sql)).getRowObjectsJson() as Row[];

    const STATS = ['sd', 'sdp', 'v', 'vp', 'sdk', 'sdx', 'adk'];
    const stats = (df: DataFrame, keys: string[]) => (keys.length ? df.groupBy(...keys) : df.groupBy()).agg(
      fn.stddev('x').alias('sd'), fn.stddevPop('x').alias('sdp'), fn.variance('x').alias('v'), fn.varPop('x').alias('vp'),
      fn.stddevSamp('k').alias('sdk'), fn.sumDistinct('x').alias('sdx'), fn.avgDistinct('k').alias('adk'), fn.count('x').alias('n'));
    const statsSql = (keys: string[], where = '') => `SELECT ${[...keys, 'stddev_samp(x) sd', 'stddev_pop(x) sdp', 'var_samp(x) v', 'var_pop(x) vp',
      'stddev_samp(k) sdk', 'sum(DISTINCT x) sdx', 'avg(DISTINCT k) adk', 'count(x) n'].join(', ')} FROM a ${where}${keys.length ? ` GROUP BY ${keys.join(', ')}` : ''}`;

    for (const keys of [['g'], ['g', 'k'], []]) {
      it(`stddev and variance grouped by [${keys.join(', ')}]`, async () => {
        const got = byGroup(await stats(a, keys).toArray(), keys);
        const want = byGroup(await duckRows(statsSql(keys)), keys);
        expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
        for (const [k, w] of want) for (const c of [...STATS, 'n']) expectClose(got.get(k)![c], w[c], `${k}.${c}`);
        if (keys.length === 2) {
          // Many groups hold one value of x (stddev_samp null, var_pop 0) or none (all null).
          const ones = [...want.values()].filter((r) => Number(r.n) === 1);
          expect(ones.length).toBeGreaterThan(50);
          expect(ones.every((r) => got.get(key(r, keys))!.sd === null && got.get(key(r, keys))!.vp === 0)).toBe(true);
          expect([...want.values()].some((r) => Number(r.n) === 0)).toBe(true);
          if (spills) expect(q.session.lastJob!.counters.spills).toBeGreaterThan(0);
        }
      }, 60_000);
    }

    it('statistics of empty input: one row of nulls', async () => {
      const got = await stats(a.filter(col('y').lt(0)), []).toArray();
      const want = await duckRows(statsSql([], 'WHERE y < 0'));
      expect(got).toEqual([{ sd: null, sdp: null, v: null, vp: null, sdk: null, sdx: null, adk: null, n: 0 }]);
      for (const c of STATS) expect(want[0][c]).toBeNull();
    });

    for (const keys of [['g'], ['g', 'k']]) {
      it(`collectList and collectSet grouped by [${keys.join(', ')}] (compared sorted: their order is unspecified)`, async () => {
        const got = byGroup(await a.groupBy(...keys).agg(fn.collectList('x').alias('l'), fn.collectSet('k').alias('s'), fn.collectList('y').alias('ly')).toArray(), keys);
        const want = byGroup(await duckRows(`SELECT ${keys.join(', ')},
          coalesce(list(x) FILTER (WHERE x IS NOT NULL), []) l, coalesce(list(DISTINCT k) FILTER (WHERE k IS NOT NULL), []) s, list(y) ly
          FROM a GROUP BY ${keys.join(', ')}`), keys);
        expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
        for (const [k, w] of want) {
          const g = got.get(k)!;
          for (const c of ['l', 's', 'ly']) expect(numSort(g[c]), `${k}.${c}`).toEqual(numSort(w[c]));
        }
        if (spills && keys.length === 2) expect(q.session.lastJob!.counters.spills).toBeGreaterThan(0);
      }, 60_000);
    }

    // DuckDB's quantile_disc picks rank floor((n - 1) p) + 1, Spark's percentile_approx ceil(p n): they may differ by one rank.
    for (const accuracy of [10000, 3]) {
      it(`percentileApprox (accuracy ${accuracy}) is within n / accuracy ranks of DuckDB's quantile_disc, and an input value`, async () => {
        const ps = [0, 0.1, 0.25, 0.5, 0.9, 1];
        const got = byGroup(await a.groupBy('g').agg(fn.percentileApprox('x', ps, accuracy).alias('qs'), fn.percentileApprox('y', 0.5, accuracy).alias('my')).toArray(), ['g']);
        const want = byGroup(await duckRows(`SELECT g, quantile_disc(x, [${ps.join(', ')}]) qs, quantile_disc(y, 0.5) my, list(x) FILTER (WHERE x IS NOT NULL) xs, list(y) ys FROM a GROUP BY g`), ['g']);
        expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
        let compacted = false;
        for (const [k, w] of want) {
          const xs = numSort(w.xs), ys = numSort(w.ys);
          const check = (sorted: number[], ours: unknown, theirs: unknown, what: string) => {
            const bound = sorted.length / accuracy + 1;
            const o = ranksOf(sorted, round(ours)), t = ranksOf(sorted, round(theirs));
            expect(o, `${what}: ${String(ours)} is not an input value`).not.toBeNull();
            const gap = o![0] > t![1] ? o![0] - t![1] : t![0] > o![1] ? t![0] - o![1] : 0;
            expect(gap, `${what}: ours ${String(ours)} at ranks ${o}, DuckDB ${String(theirs)} at ${t}`).toBeLessThan(bound);
            if (accuracy === 10000) expect(gap, what).toBeLessThanOrEqual(1);
            if (gap > 1) compacted = true;
          };
          const g = got.get(k)!;
          ps.forEach((p, i) => check(xs, (g.qs as number[])[i], (w.qs as number[])[i], `${k} x@${p}`));
          check(ys, g.my, w.my, `${k} y@0.5`);
        }
        // With accuracy 3 the sketches compact (groups of ~600 values), so some answers are approximate.
        if (accuracy === 3) expect(compacted).toBe(true);
      }, 60_000);
    }
  });
}

suite('new aggregates vs DuckDB, 4 partitions', () => Quiver.local({ workers: 2, shufflePartitions: 4, batchSize: 300 }), false);
suite('new aggregates vs DuckDB, 4 partitions into 2 reducers under a 16 KB memory budget (spills)', () => Quiver.local({ workers: 2, shufflePartitions: 2, batchSize: 300, memoryBudget: 16 * 1024 }), true);
