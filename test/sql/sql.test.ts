// q.sql construct by construct: each query runs in Quiver and in DuckDB on the same generated tables (with nulls) and must agree.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quiver } from '../../core/index.ts';
import { expectSameAsDuck } from './compare.ts';
import { loadTables } from './tables.ts';

/** [construct, query]; a query ordered by a unique key is compared in order. */
const CASES: readonly (readonly [string, string])[] = [
  ['projection, aliases, arithmetic', 'select y, x * 2 as x2, k + 1, -x as neg from a'],
  ['*', 'select * from b'],
  ['t.* over a join', 'select b.* from a join b on a.k = b.k'],
  ['SELECT without FROM', 'select 1 + 2 as three, \'x\' as s'],
  ['inner join with equality and other conditions', 'select a.y, b.z from a join b on a.k = b.k and b.w > 0 and a.x < b.w'],
  ['left join, condition on the right side', 'select a.y, b.w from a left join b on a.k = b.k and b.w > 0'],
  ['right join', 'select a.y, b.w from a right outer join b on a.k = b.k'],
  ['full join', 'select a.y, b.w, b.z from a full outer join b on b.k = a.k'],
  ['join USING', 'select k, y, z from a join b using (k)'],
  ['self-join with aliases', 'select a1.y, a2.y from a a1 join a a2 on a1.y = a2.k where a2.y < 100'],
  ['WHERE: AND, OR, NOT, IS [NOT] NULL', "select y from a where (k < 50 or x is null) and not (g = 'beta') and g is not null"],
  ['GROUP BY an expression', 'select k % 7 as m, count(*) n, sum(x) s, avg(x), min(g), max(y) from a group by k % 7'],
  ['GROUP BY an alias', 'select k % 7 as m, count(*) from a group by m'],
  ['GROUP BY an ordinal', 'select g, count(*) from a group by 1'],
  ['HAVING with an aggregate only there', 'select g, count(*) from a group by g having sum(x) > 0'],
  ['global aggregate', 'select count(*), count(x), sum(k), count(distinct g), count(distinct k) from a'],
  ['expressions over aggregates', 'select g, sum(x) / count(x) as m, 100.0 * sum(case when x > 0 then 1 else 0 end) / count(*) as pct from a group by g'],
  ['ORDER BY an aggregate not selected, NULLS FIRST', 'select g from a group by g order by count(*) desc, g nulls first'],
  ['ORDER BY an expression not selected, an ordinal, LIMIT', 'select y, x from a where x is not null order by abs(x) desc, 1 limit 10'],
  ['ORDER BY alias DESC NULLS LAST, LIMIT OFFSET', 'select y as v, x from a order by v desc nulls last limit 5 offset 10'],
  ['DISTINCT', 'select distinct g from a'],
  ['UNION', 'select k from a union select k from b'],
  ['UNION ALL with ORDER BY', 'select y as v from a where y < 5 union all select w from b where w > 490 order by v'],
  ['WITH and a column list', 'with t (kk, n) as (select k, count(*) from a group by k) select kk, n from t where n > 12'],
  ['two CTEs, the second over the first', 'with t as (select k, x from a where x > 0), u as (select k, sum(x) s from t group by k) select count(*), sum(s) from u'],
  ['subquery in FROM with column aliases', 'select c, count(*) as kinds from (select k, count(*) from a group by k) as s (kk, c) group by c'],
  ['CASE searched and simple', "select y, case when x > 0 then 'pos' when x < 0 then 'neg' else 'zero' end as sgn, case g when 'beta' then 1 else 0 end as b from a"],
  ['BETWEEN, IN list, NOT IN list, LIKE', "select y from a where x between -10 and 100 and g in ('alpha', 'beta', 'gamma') and k not in (1, 2, 3) and g like 'a%'"],
  ['LIKE suffix, infix, NOT LIKE', "select z from b where z like '%a1' or z like '%et%' and z not like 'b%'"],
  ['CAST', 'select cast(k as double) as kd, cast(y as varchar) as ys, cast(w as bigint) as wb from a join b using (k)'],
  ['SUBSTRING FROM FOR, string functions', 'select substring(g from 2 for 3) as s, upper(g), length(g), coalesce(g, \'none\') from a'],
  ['date literals and INTERVAL arithmetic on them', "select cast(date '1995-01-31' + interval '1' month as date) as m, cast(date '1998-12-01' - interval '90' day as date) as d, cast(date '1996-02-29' + interval '1' year as date) as y"],
  ['uncorrelated scalar subquery', 'select y from a where x > (select avg(x) from a)'],
  ['correlated scalar subquery', 'select y from a where x > (select avg(b.w) from b where b.k = a.k)'],
  ['correlated scalar subquery with an expression over the aggregate', 'select y from a where x < (select 0.5 * max(w) from b where b.k = a.k)'],
  ['scalar subquery in HAVING', 'select g, sum(x) from a group by g having sum(x) > (select avg(x) * 100 from a)'],
  ['correlated EXISTS', 'select y from a where exists (select * from b where b.k = a.k and b.w > 0)'],
  ['correlated NOT EXISTS', 'select y from a where not exists (select 1 from b where b.k = a.k)'],
  ['uncorrelated EXISTS', 'select count(*) from a where exists (select 1 from b where w > 1000)'],
  ['IN subquery', 'select y from a where k in (select k from b where w > 0)'],
  ['NOT IN subquery with nulls on the right (no rows)', 'select y from a where k not in (select k from b where w > 0)'],
  ['NOT IN subquery without nulls on the right, nullable left', 'select y from a where k not in (select k from b where k is not null and w > 100)'],
  ['NOT IN over an empty subquery keeps null keys', 'select count(*) from a where k not in (select k from b where w > 100000)'],
  ['correlated IN subquery', 'select y from a where k in (select b.k from b where b.z = a.g)'],
  ['nested subqueries', 'select y from a where k in (select k from b where w > (select avg(w) from b)) and x > 0'],
];

describe('q.sql vs DuckDB, construct by construct', () => {
  let q: Quiver;
  let duck: DuckDBConnection;
  beforeAll(async () => {
    q = await Quiver.local({ workers: 2, shufflePartitions: 3, batchSize: 500, ui: false });
    duck = await (await DuckDBInstance.create(':memory:')).connect();
    await loadTables(q, duck, 11);
  }, 60_000);
  afterAll(async () => { if (q) await q.close(); });

  for (const [name, sql] of CASES) it(name, () => expectSameAsDuck(q, duck, sql), 60_000);

  it('decorrelates every subquery into a join (explain shows semi, anti and left joins, no subquery)', async () => {
    const text = await q.sql('select y from a where exists (select 1 from b where b.k = a.k) and k not in (select k from b where k is not null) '
      + 'and x > (select avg(w) from b where b.k = a.k) and y < (select max(w) from b)').explain();
    const optimized = text.slice(text.indexOf('Optimized'), text.indexOf('Physical') > 0 ? text.indexOf('Physical') : undefined);
    expect(optimized).toMatch(/Join: semi on \[k = k\]/);
    expect(optimized).toMatch(/Join: anti/);
    expect(optimized).toMatch(/Join: left on \[k = __sq\d_k0\]/);
    expect(optimized).toMatch(/Join: left on \[true = true\]/);
    expect(optimized).not.toMatch(/SUBQUERY|EXISTS|IN\(<subquery>/);
  }, 60_000);

  it('the result is a DataFrame: it composes with the fluent API and writes', async () => {
    const df = q.sql('select g, count(*) as n from a group by g').filter(q.table('a').plan ? (await import('../../core/index.ts')).col('n').gt(100) : undefined as never);
    expect((await df.toArray()).every((r) => (r.n as number) > 100)).toBe(true);
    q.sql('select k, y from a where y < 10').createOrReplaceTempView('small');
    expect(await q.sql('select count(*) as n from small').toArray()).toEqual([{ n: 10 }]);
  }, 60_000);
});
