// fn.window on batch DataFrames against DuckDB: tumbling and sliding windows in groupBy and select, with nulls and times before 1970.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlanError, Quiver, col, fn, type DataFrame } from '../../core/index.ts';
import { rng } from '../../examples/data/access-log.ts';
import { duckRows, expectSameRows } from '../sql/compare.ts';

interface Event { t: number | null; k: string; v: number }

let q: Quiver;
let duck: DuckDBConnection;
let events: DataFrame;
const rows: Event[] = [];

beforeAll(async () => {
  q = await Quiver.local({ workers: 2 });
  const r = rng(17);
  for (let i = 0; i < 3000; i++) {
    // Times around the epoch (some before it), a few null.
    rows.push({ t: r() < 0.03 ? null : Math.floor(r() * 200_000) - 50_000, k: ['a', 'b', 'c'][Math.floor(r() * 3)], v: Math.floor(r() * 100) });
  }
  events = q.createDataFrame(rows.map((e) => ({ ts: e.t === null ? null : new Date(e.t), k: e.k, v: e.v })),
    { schema: [{ name: 'ts', type: 'timestamp_ms', nullable: true }, { name: 'k', type: 'utf8', nullable: false }, { name: 'v', type: 'int32', nullable: false }] }).repartition(3);
  duck = await (await DuckDBInstance.create(':memory:')).connect();
  await duck.run('CREATE TABLE e (t BIGINT, k VARCHAR, v INTEGER)');
  await duck.run(`INSERT INTO e VALUES ${rows.map((e) => `(${e.t ?? 'NULL'}, '${e.k}', ${e.v})`).join(',')}`);
});
afterAll(async () => { await q.close(); duck.closeSync(); });

/** Quiver's rows with window bounds as epoch milliseconds. */
async function windowRows(df: DataFrame): Promise<unknown[][]> {
  return (await df.toArray()).map((r) => Object.values(r).map((x) => (x instanceof Date ? x.getTime() : x)));
}

const duckWindows = async (sql: string): Promise<unknown[][]> => (await duckRows(duck, sql)).rows;

describe('fn.window on a batch DataFrame', () => {
  it('tumbling windows: groupBy(window, key) counts and sums as DuckDB over floor(t / size); a null time has a null window', async () => {
    const df = events.groupBy(fn.window('ts', '10 seconds'), 'k').agg(fn.count().alias('n'), fn.sum('v').alias('s'));
    expect(df.columns).toEqual(['window_start', 'window_end', 'k', 'n', 's']);
    const want = await duckWindows(`SELECT floor(t / 10000) * 10000 AS ws, floor(t / 10000) * 10000 + 10000 AS we, k, count(*), sum(v) FROM e GROUP BY ALL`);
    expectSameRows(await windowRows(df), want, false);
  });

  it('sliding windows: each row in every window [start, start + size) holding it, starts every slide (size not a multiple of the slide)', async () => {
    for (const [size, slide] of [[10_000, 5_000], [10_000, 3_000]]) {
      const df = events.groupBy(fn.window(col('ts'), size, slide), 'k').agg(fn.count().alias('n'), fn.max('v').alias('m'));
      const n = Math.ceil(size / slide);
      const want = await duckWindows(`SELECT (floor(t / ${slide}) - i) * ${slide} AS ws, (floor(t / ${slide}) - i) * ${slide} + ${size} AS we, k, count(*), max(v)
        FROM e, range(0, ${n}) r(i) WHERE t < (floor(t / ${slide}) - i) * ${slide} + ${size} GROUP BY ALL`);
      expectSameRows(await windowRows(df), want, false);
    }
  });

  it('select(fn.window(...)) adds window_start and window_end where the item stands', async () => {
    const df = events.filter(col('ts').isNotNull()).select('k', fn.window('ts', '1 minute'), 'v');
    expect(df.columns).toEqual(['k', 'window_start', 'window_end', 'v']);
    const want = await duckWindows('SELECT k, floor(t / 60000) * 60000, floor(t / 60000) * 60000 + 60000, v FROM e WHERE t IS NOT NULL');
    expectSameRows(await windowRows(df), want, false);
  });

  it('refuses bad windows with the reason', () => {
    expect(() => fn.window('ts', '5 seconds', '10 seconds')).toThrow(/slide \(10000 ms\) is longer than the window/);
    expect(() => fn.window('ts', 'ten seconds')).toThrow(PlanError);
    expect(() => events.groupBy(fn.window('k', '1 second'))).toThrow(/time column has type utf8, expected timestamp_ms/);
    expect(() => events.select(fn.window('ts', '1 second'), fn.window('ts', '2 seconds'))).toThrow(/one fn.window\(...\) at a time/);
  });
});
