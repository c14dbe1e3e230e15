// Differential: HashAggregateExec against DuckDB on generated data with nulls (single and partial -> final).
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { HashAggregateExec } from '../../ops/aggregate/hash-aggregate-exec.ts';
import type { AggFn } from '../../ops/expr/node.ts';
import { agg, norm, randomTable, run, sortRows, source, sqlTable } from './aggregate-support.ts';
import { col, collect, makeContext, SourceExec } from './stream-support.ts';

const t = randomTable({ rows: 3000, groups: 120, nullRate: 0.2, seed: 99 });
const AGGS: [AggFn, string | null, string, string][] = [
  ['countStar', null, 'n', 'count(*)'], ['count', 's', 'ns', 'count(s)'], ['sum', 'v', 'sv', 'sum(v)'], ['sum', 'big', 'sb', 'sum(big)'],
  ['sum', 'f', 'sf', 'sum(f)'], ['avg', 'f', 'af', 'avg(f)'], ['min', 's', 'mins', 'min(s)'], ['max', 's', 'maxs', 'max(s)'],
  ['min', 'big', 'minb', 'min(big)'], ['max', 'f', 'maxf', 'max(f)'], ['countDistinct', 's', 'ds', 'count(DISTINCT s)'],
  ['countDistinct', 'v', 'dv', 'count(DISTINCT v)'], ['max', 'b', 'maxbool', 'bool_or(b)'],
];

describe('HashAggregateExec vs DuckDB', () => {
  let duck: DuckDBConnection;
  beforeAll(async () => {
    duck = await (await DuckDBInstance.create(':memory:')).connect();
    for (const s of sqlTable('t', t, { k: 'VARCHAR', g: 'INTEGER', v: 'INTEGER', f: 'DOUBLE', s: 'VARCHAR', b: 'BOOLEAN', big: 'BIGINT' })) await duck.run(s);
  });
  const duckRows = async (sql: string) => (await duck.runAndReadAll(sql)).getRowObjects().map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, norm(v)])));

  for (const keys of [['k'], ['k', 'g'], ['b', 'g'], []]) {
    it(`group by [${keys.join(', ')}], single and partial -> final`, async () => {
      const aggs = AGGS.map(([fn, arg, name]) => agg(fn, arg, name));
      const sql = `SELECT ${[...keys, ...AGGS.map(([, , name, e]) => `${e} AS ${name}`)].join(', ')} FROM t${keys.length ? ` GROUP BY ${keys.join(', ')}` : ''}`;
      const want = sortRows(await duckRows(sql));
      const single = new HashAggregateExec({ mode: 'single', groupBy: keys.map(col), aggs }, source(t, 1, 256));
      expect(sortRows((await run(single)).rows)).toEqual(want);
      const partial = new HashAggregateExec({ mode: 'partial', groupBy: keys.map(col), aggs }, source(t, 3, 256));
      const states = [];
      for (let p = 0; p < 3; p++) states.push(...(await collect(partial.execute(p, await makeContext()))));
      const final = new HashAggregateExec({ mode: 'final', groupBy: keys.map(col), aggs }, new SourceExec(partial.schema, [states]));
      expect(sortRows((await run(final)).rows)).toEqual(want);
    });
  }
});
