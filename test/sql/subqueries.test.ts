// q.sql subqueries vs DuckDB: scalar (correlated or not, in WHERE and in the select list), EXISTS, IN and NOT IN with nulls.
import { describe, expect, it } from 'vitest';
import { DataError, SqlError } from '../../core/index.ts';
import { expectSameAsDuck } from './compare.ts';
import { openSuite } from './tables.ts';

// a.k and b.k share values 0..299 with ties and nulls; a.y is unique; b.w has nulls.
const CASES: readonly (readonly [string, string])[] = [
  ['uncorrelated scalar subquery in the select list', 'select y, (select max(w) from b) m, x - (select avg(x) from a) d from a'],
  ['correlated scalar subquery in the select list', 'select y, (select avg(w) from b where b.k = a.k) s from a'],
  ['correlated count(*) in the select list is 0 for no rows', 'select y, (select count(*) from b where b.k = a.k) n from a'],
  ['an expression over counts keeps its value over no rows', 'select y, (select count(w) * 2 + 1 from b where b.k = a.k) n, (select count(*) + max(w) from b where b.k = a.k) m from a'],
  ['correlated count in WHERE (the COUNT bug)', 'select y from a where (select count(*) from b where b.k = a.k) = 0'],
  ['count over two correlation keys', 'select y, (select count(*) from b where b.k = a.k and b.w % 10 = a.y % 10) n from a'],
  ['a scalar subquery without an aggregate (one row per key)', 'select k, w, (select g from a where a.y = b.k) g from b'],
  ['an uncorrelated scalar subquery of one row or none', 'select y, (select g from a where y = 7) as g7, (select w from b where w > 100000) as nothing from a where y < 20'],
  ['scalar subqueries beside GROUP BY, correlated on a group key', 'select k, count(*) c, (select count(*) from b where b.k = a.k) nb, (select max(w) from b) mw from a group by k'],
  ['a scalar subquery inside an expression', "select y, case when (select count(*) from b where b.k = a.k) > 1 then 'many' else 'few' end c from a"],
  ['correlated EXISTS with a non-equality', 'select y from a where exists (select 1 from b where b.k = a.k and b.w > a.x)'],
  ['correlated NOT EXISTS with a non-equality', 'select y from a where not exists (select 1 from b where b.k = a.k and b.w > a.x)'],
  ['correlated IN with nulls on both sides', 'select y from a where k % 7 in (select w % 7 from b where b.k = a.k)'],
  ['correlated NOT IN with nulls on both sides', 'select y from a where k % 7 not in (select w % 7 from b where b.k = a.k)'],
  ['correlated NOT IN by a non-equality only', 'select y from a where k % 50 not in (select w % 50 from b where b.w > a.x + 400)'],
  ['correlated NOT IN, the tested value never null', 'select y from a where y % 100 not in (select w % 100 from b where b.k = a.k)'],
  ['uncorrelated NOT IN with a null in the subquery yields no rows', 'select y from a where k not in (select k from b)'],
  ['uncorrelated NOT IN, nulls only in the probe', 'select y from a where k not in (select k from b where k is not null and k < 100)'],
  ['NOT IN over an empty subquery keeps null probes', 'select count(*) from a where k not in (select k from b where w > 100000)'],
  ['a scalar subquery in the select list reading a nested subquery', 'select y, (select count(*) from b where b.k = a.k and b.w > (select avg(w) from b)) n from a'],
];

describe('q.sql subqueries vs DuckDB', () => {
  const s = openSuite(31, 600, 300);

  for (const [name, sql] of CASES) it(name, () => expectSameAsDuck(s.q, s.duck, sql), 30_000);

  it('a scalar subquery with more than one row fails at run time, as in DuckDB', async () => {
    for (const sql of ['select y, (select w from b) from a', 'select k, (select y from a where a.k = b.k) from b']) {
      await expect(s.duck.run(sql)).rejects.toThrow(/More than one row/);
      await expect(s.q.sql(sql).toArray()).rejects.toThrow(DataError);
      await expect(s.q.sql(sql).toArray()).rejects.toThrow(/a scalar subquery returned more than one row/);
    }
  }, 30_000);

  it('refuses EXISTS and IN in the select list with a position', () => {
    expect(() => s.q.sql('select y, exists (select 1 from b where b.k = a.k) from a')).toThrow(SqlError);
    expect(() => s.q.sql('select y,\n k in (select k from b) from a')).toThrow(/line 2, column 2: IN \(subquery\) in the select list is not supported yet/);
  });

  it('plans the count with its marker, no subquery left', async () => {
    const text = await s.q.sql('select y, (select count(*) from b where b.k = a.k) n from a').explain();
    const optimized = text.slice(text.indexOf('Optimized'), text.indexOf('Physical') > 0 ? text.indexOf('Physical') : undefined);
    expect(optimized).toMatch(/Join: left on \[k = __sq0_k0\]/);
    expect(optimized).toMatch(/CASE WHEN __sq0_m IS NULL THEN 0 ELSE __sq0 END AS n/);
    expect(optimized).not.toMatch(/SUBQUERY/);
  }, 30_000);
});
