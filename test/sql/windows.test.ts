// q.sql window functions vs DuckDB: OVER (PARTITION BY ... ORDER BY ... ROWS/RANGE ...) on generated tables with nulls and ties, and their errors.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlanError, Quiver, SqlError } from '../../core/index.ts';
import { rng } from '../../examples/data/access-log.ts';
import { makeTables, sqlValue } from '../differential/data.ts';
import { expectSameAsDuck } from './compare.ts';

// g has ten values and nulls, k many ties and nulls, y is unique: functions that depend on the order among peers order by y.
const CASES: readonly (readonly [string, string])[] = [
  ['row_number, rank, dense_rank with ties and nulls', 'select y, row_number() over (partition by g order by x, y) rn, rank() over (partition by g order by k) r, dense_rank() over (partition by g order by k desc nulls first) dr from a'],
  ['ntile, percent_rank, cume_dist', 'select y, ntile(4) over (order by y) t, percent_rank() over (partition by g order by k) pr, cume_dist() over (partition by g order by k nulls first) cd from a'],
  ['lag, lead, first_value, last_value', 'select y, lag(x) over (partition by g order by y) l1, lead(x, 2, 0.5) over (partition by g order by y) l2, '
    + 'first_value(x) over (partition by g order by y rows between 1 preceding and 1 following) f, last_value(k) over (partition by g order by y rows between unbounded preceding and 1 preceding) lv from a'],
  ['default frames and whole partitions', 'select y, sum(x) over (partition by g order by k) s, count(x) over (partition by g) n, min(x) over (partition by k) mn, max(g) over () mx from a'],
  ['ROWS frames', 'select y, avg(x) over (partition by g order by y rows 3 preceding) m, sum(k) over (partition by g order by y rows between 2 preceding and 2 following) s, '
    + 'count(x) over (partition by g order by y rows between current row and unbounded following) c, max(x) over (order by y rows between 1 following and 5 following) mx from a'],
  ['RANGE frames with offsets, ascending and descending', 'select y, count(*) over (partition by g order by k range between 5 preceding and 5 following) n, '
    + 'sum(x) over (partition by g order by k desc range between 3 preceding and current row) s, min(x) over (order by k range between 10 following and unbounded following) mn from a'],
  ['a window over grouped rows', 'select g, sum(x) s, rank() over (order by sum(x) desc) r, sum(count(*)) over () total from a group by g'],
  ['a window inside an expression, ordered by it', 'select y, x - avg(x) over (partition by g) as dev from a where x is not null order by dev desc, y limit 20'],
  ['RANGE INTERVAL frames over a DATE and a TIMESTAMP key', 'select id, count(*) over (order by d range between interval 3 day preceding and current row) c1, '
    + "sum(v) over (partition by id % 3 order by ts desc range between interval '1' day preceding and interval 1 day following) s from c"],
  ['named windows: OVER w, a frame added to w, a window built on another', 'select y, sum(x) over w s, row_number() over w rn, avg(x) over (w rows between 2 preceding and 1 following) m, '
    + 'count(k) over w3 c from a window w as (partition by g order by y), w2 as (partition by k), w3 as (w2 order by y rows unbounded preceding)'],
  ['GROUPS frames over ties and nulls', 'select y, sum(x) over (partition by g order by k groups between 1 preceding and 1 following) s, '
    + 'count(*) over (order by k desc groups between 2 preceding and current row) c, min(x) over (partition by g order by k groups between current row and 1 following) mn, '
    + 'max(y) over (order by k nulls first groups between 3 following and unbounded following) mx from a'],
  ['filtering a window in a subquery (top 2 per group)', 'select g, y, rn from (select g, y, row_number() over (partition by g order by x desc, y) rn from a) t where rn <= 2'],
];

describe('q.sql window functions vs DuckDB', () => {
  let q: Quiver;
  let duck: DuckDBConnection;
  beforeAll(async () => {
    q = await Quiver.local({ workers: 2, shufflePartitions: 3, batchSize: 500, ui: false });
    duck = await (await DuckDBInstance.create(':memory:')).connect();
    const data = makeTables(23);
    q.createDataFrame(data.a, { partitions: 3, schema: [{ name: 'k', type: 'int32', nullable: true }, { name: 'g', type: 'utf8', nullable: true },
      { name: 'x', type: 'float64', nullable: true }, { name: 'y', type: 'int32', nullable: false }] }).createOrReplaceTempView('a');
    await duck.run('CREATE TABLE a (k INTEGER, g VARCHAR, x DOUBLE, y INTEGER NOT NULL)');
    // Dates over 40 days and timestamps over 20 (a tenth of each null): many ties among the dates.
    const r = rng(3);
    const c = Array.from({ length: 800 }, (_, id) => ({
      id, d: r() < 0.1 ? null : new Date((19_700 + Math.floor(r() * 40)) * 86_400_000), ts: r() < 0.1 ? null : new Date(1_700_000_000_000 + Math.floor(r() * 20 * 86_400_000)),
      v: Math.round(r() * 1000) / 10,
    }));
    q.createDataFrame(c, { partitions: 2, schema: [{ name: 'id', type: 'int32', nullable: false }, { name: 'd', type: 'date32', nullable: true },
      { name: 'ts', type: 'timestamp_ms', nullable: true }, { name: 'v', type: 'float64', nullable: false }] }).createOrReplaceTempView('c');
    await duck.run('CREATE TABLE c (id INTEGER, d DATE, ts TIMESTAMP, v DOUBLE)');
    await duck.run(`INSERT INTO c VALUES ${c.map((x) => `(${x.id}, ${x.d ? `DATE '${x.d.toISOString().slice(0, 10)}'` : 'NULL'}, ${x.ts ? `epoch_ms(${x.ts.getTime()})` : 'NULL'}, ${x.v})`).join(', ')}`);
    await duck.run(`INSERT INTO a VALUES ${data.a.map((r) => `(${[r.k, r.g, r.x, r.y].map(sqlValue).join(', ')})`).join(', ')}`);
  }, 60_000);
  afterAll(async () => { if (q) await q.close(); });

  for (const [name, sql] of CASES) it(name, () => expectSameAsDuck(q, duck, sql), 60_000);

  const errorOf = (text: string): SqlError => {
    try {
      q.sql(text);
    } catch (e) {
      expect(e).toBeInstanceOf(SqlError);
      expect(e).toBeInstanceOf(PlanError);
      return e as SqlError;
    }
    throw new Error(`q.sql accepted: ${text}`);
  };

  it('refuses window mistakes with a position', () => {
    expect(errorOf('select row_number() from a').message).toMatch(/line 1, column 8: row_number\(\) is a window function: add OVER/);
    expect(errorOf('select y from a\nwhere rank() over (order by y) < 3').message).toMatch(/line 2, column 7: window functions are not allowed in WHERE/);
    expect(errorOf('select rank() over (partition by g) from a').message).toMatch(/needs an ordered window/);
    expect(errorOf('select sum(x) over (order by y groups 0.5 preceding) from a').message).toMatch(/GROUPS frame offsets must be whole numbers/);
    expect(errorOf('select sum(x) over w from a').message).toMatch(/line 1, column 8: unknown window 'w': define it with WINDOW w AS/);
    expect(errorOf('select sum(x) over v from a window w as (order by y)').message).toMatch(/unknown window 'v': the WINDOW clause defines w/);
    expect(errorOf('select sum(x) over (w order by k) from a window w as (order by y)').message).toMatch(/window 'w' has an ORDER BY already/);
    expect(errorOf('select sum(x) over (w order by k) from a window w as (partition by g rows 1 preceding)').message).toMatch(/window 'w' has a frame/);
    expect(errorOf('select sum(x) over (order by y rows between 1 following and 1 preceding) from a').message).toMatch(/starts after it ends/);
    expect(errorOf('select sum(x) over (order by g range between 1 preceding and current row) from a').message).toMatch(/numeric, date or timestamp order key/);
    expect(errorOf('select upper(g) over (order by y) from a').message).toMatch(/not a window function or an aggregate/);
    expect(errorOf('select count(*) over (order by y range between interval 1 day preceding and current row) from a').message).toMatch(/needs exactly one DATE or TIMESTAMP column/);
  });
});
