// Differential: HashJoinExec against DuckDB, every join kind and both build sides, two keys (utf8, int32 = int64) with nulls.
import * as arrow from 'apache-arrow';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { joinFields } from '../../core/plan/schema.ts';
import { HashJoinExec, type JoinType } from '../../ops/joins/hash-join-exec.ts';
import { fromArrowSchema } from '../../ops/types.ts';
import { splitByPartition } from '../../ops/compute/partition.ts';
import type { ExprNode } from '../../ops/expr/node.ts';
import { batchesOf, norm, rng, run, sortRows, sqlTable } from './aggregate-support.ts';
import { col, SourceExec } from './stream-support.ts';

function sides(seed: number, rows: number) {
  const r = rng(seed);
  const key = () => (r() < 0.1 ? null : `u${Math.floor(r() * 30)}`);
  const num = () => (r() < 0.1 ? null : Math.floor(r() * 4));
  const l = new arrow.Table({
    lk: arrow.vectorFromArray(Array.from({ length: rows }, key), new arrow.Utf8()),
    ln: arrow.vectorFromArray(Array.from({ length: rows }, num), new arrow.Int32()),
    lv: arrow.vectorFromArray(Array.from({ length: rows }, (_, i) => i), new arrow.Int32()),
  });
  const rr = new arrow.Table({
    rk: arrow.vectorFromArray(Array.from({ length: rows }, key), new arrow.Utf8()),
    rn: arrow.vectorFromArray(Array.from({ length: rows }, () => { const x = num(); return x === null ? null : BigInt(x); }), new arrow.Int64()),
    rv: arrow.vectorFromArray(Array.from({ length: rows }, (_, i) => `r${i}`), new arrow.Utf8()),
  });
  return { l, r: rr };
}

const PARTS = 3;

/** The table hash-partitioned on `keys` into PARTS partitions, as a shuffle would. */
function shuffled(t: arrow.Table, keys: ExprNode[]): SourceExec {
  const parts: arrow.RecordBatch[][] = Array.from({ length: PARTS }, () => []);
  for (const b of batchesOf(t, 100)) splitByPartition(b, keys, PARTS).forEach((s, p) => parts[p].push(s));
  return new SourceExec(t.schema, parts);
}

describe('HashJoinExec vs DuckDB', () => {
  const { l, r } = sides(5, 800);
  let duck: DuckDBConnection;
  beforeAll(async () => {
    duck = await (await DuckDBInstance.create(':memory:')).connect();
    for (const s of [...sqlTable('l', l, { lk: 'VARCHAR', ln: 'INTEGER', lv: 'INTEGER' }), ...sqlTable('r', r, { rk: 'VARCHAR', rn: 'BIGINT', rv: 'VARCHAR' })]) await duck.run(s);
  });

  for (const how of ['inner', 'left', 'right', 'full', 'semi', 'anti'] as JoinType[]) {
    it(`${how} join`, async () => {
      const on = 'l.lk = r.rk AND l.ln = r.rn';
      const sql = `SELECT * FROM l ${how.toUpperCase()} JOIN r ON ${on}`;
      const want = sortRows((await duck.runAndReadAll(sql)).getRowObjects().map((o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, norm(v)]))));
      const leftKeys = [col('lk'), col('ln')], rightKeys = [col('rk'), col('rn')];
      for (const buildSide of ['left', 'right'] as const) {
        const outputFields = joinFields(fromArrowSchema(l.schema), fromArrowSchema(r.schema), how, leftKeys, rightKeys, false);
        const j = new HashJoinExec({ how, leftKeys, rightKeys, using: false, buildSide, outputFields }, shuffled(l, leftKeys), shuffled(r, rightKeys));
        const rows = [];
        // A shuffled join: equal keys (int32 on the left, int64 on the right) MUST meet in one partition.
        for (let p = 0; p < PARTS; p++) rows.push(...(await run(j, { batchSize: 128, partition: p })).rows);
        expect(sortRows(rows)).toEqual(want);
      }
    });
  }
});
