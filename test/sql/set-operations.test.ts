// q.sql set operations (UNION / INTERSECT / EXCEPT [ALL]) and VALUES vs DuckDB on tables with duplicates and nulls, and the DataFrame twins.
import { describe, expect, it } from 'vitest';
import { PlanError, SqlError, col } from '../../core/index.ts';
import { duckRows, expectSameAsDuck, expectSameRows, quiverRows } from './compare.ts';
import { openSuite } from './tables.ts';

// k % 5 and g give many duplicate rows, nulls in both columns; the two halves of a overlap.
const LEFT = 'select k % 5 as m, g from a where y < 400';
const RIGHT = 'select k % 5, g from a where y >= 250';

const CASES: readonly (readonly [string, string])[] = [
  ['INTERSECT (nulls equal)', `${LEFT} intersect ${RIGHT}`],
  ['INTERSECT ALL keeps the fewer duplicates', `${LEFT} intersect all ${RIGHT}`],
  ['EXCEPT (nulls equal)', `${LEFT} except ${RIGHT}`],
  ['EXCEPT ALL keeps the surplus duplicates', `${LEFT} except all ${RIGHT}`],
  ['UNION and UNION ALL', `${LEFT} union ${RIGHT}`],
  ['set operations chained, parenthesized, ordered', `((${LEFT} except all ${RIGHT}) intersect all ${LEFT}) union all (select k % 5, g from a where y > 500) order by m nulls first, g nulls first`],
  ['a set operation after a union of shuffled inputs', `(select k % 5, g from a where y > 500) union all (${LEFT} intersect ${RIGHT}) union all (${LEFT} except all ${RIGHT})`],
  ['EXCEPT between two tables, one column', 'select k from a except select k from b'],
  ['INTERSECT inside a subquery', `select count(*), count(g) from (${LEFT} intersect all ${RIGHT}) t`],
  ['VALUES as a query', "values (1, 'a'), (-2, null), (3.5, 'c')"],
  ['VALUES in FROM with column aliases, joined', "select t.n, t.s, count(*) c from a join (values (1, 'one'), (2, 'two'), (null, 'none'), (2, 'deux')) as t(n, s) on a.k % 10 = t.n group by t.n, t.s"],
  ['VALUES with expressions and one row', 'select * from (values (1 + 2, 10.0 / 4, upper(\'x\'))) v(a, b, c)'],
  ['VALUES in IN (subquery) and a set operation', 'select y from a where k in (select * from (values (1), (2), (3)) t(v)) except select w from b'],
];

describe('q.sql set operations and VALUES vs DuckDB', () => {
  const s = openSuite(41, 600, 300);

  for (const [name, sql] of CASES) it(name, () => expectSameAsDuck(s.q, s.duck, sql), 30_000);

  it('the DataFrame twins: intersect, intersectAll, subtract, exceptAll', async () => {
    const a = s.q.table('a');
    const left = a.filter(col('y').lt(400)).select(col('k').mod(5).alias('m'), 'g');
    const right = a.filter(col('y').gte(250)).select(col('k').mod(5).alias('m2'), 'g');
    const pairs: readonly [string, () => ReturnType<typeof left.intersect>][] = [
      ['intersect', () => left.intersect(right)], ['intersect all', () => left.intersectAll(right)],
      ['except', () => left.subtract(right)], ['except all', () => left.exceptAll(right)],
    ];
    for (const [op, df] of pairs) {
      const got = df();
      expect(got.columns).toEqual(['m', 'g']);
      expectSameRows(await quiverRows(got), (await duckRows(s.duck, `${LEFT} ${op} ${RIGHT}`)).rows, false);
    }
  }, 30_000);

  it('refuses mismatched inputs and bad VALUES with clear errors', () => {
    expect(() => s.q.table('a').intersect(s.q.table('b').select('k'))).toThrow(PlanError);
    expect(() => s.q.table('a').select('k').subtract(s.q.table('b').select('z'))).toThrow(/column 0 \('k'\) is int32 in the first input but utf8/);
    expect(() => s.q.sql('select k from a intersect select k, w from b')).toThrow(SqlError);
    expect(() => s.q.sql("values (1, 'a'),\n (2)")).toThrow(/line 2, column 2: VALUES row 2 has 1 values but the first has 2/);
    expect(() => s.q.sql("values (1), ('a')")).toThrow(/VALUES column 1 mixes int32 and utf8; cast the values to one type/);
    expect(() => s.q.sql('values (k)')).toThrow(SqlError);
  });
});
