// The grace (spilling) hash join: every join kind against DuckDB under a budget both inputs exceed, skew, and spill file cleanup.
import * as arrow from 'apache-arrow';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { readdir } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { joinFields } from '../../core/plan/schema.ts';
import { batchBytes } from '../../ops/compute/batch.ts';
import { partitionIds, splitByPartition } from '../../ops/compute/partition.ts';
import { ResourceError } from '../../ops/errors.ts';
import type { ExecPlan } from '../../ops/exec-plan.ts';
import type { ExprNode } from '../../ops/expr/node.ts';
import { GRACE_FANOUT, graceSlots } from '../../ops/joins/grace-partitions.ts';
import { HashJoinExec, type JoinType } from '../../ops/joins/hash-join-exec.ts';
import { fromArrowSchema } from '../../ops/types.ts';
import { batchesOf, norm, rng, rowsOf, sortRows, sqlTable } from './aggregate-support.ts';
import { col, collect, makeContext, SourceExec } from './stream-support.ts';

const KINDS: JoinType[] = ['inner', 'left', 'right', 'full', 'semi', 'anti'];
const PARTS = 4;
/** memoryBudget of each task (one partition each). */
const BUDGET = 16 * 1024;

/** Inputs with duplicate keys, nulls in both key columns, strings, and int32 = int64 keys. */
function sides(seed: number, rows: number, opts: { keys?: number; hot?: { key: string; share: number } } = {}) {
  const r = rng(seed);
  const { hot, keys = 300 } = opts;
  const key = () => (hot && r() < hot.share ? hot.key : r() < 0.1 ? null : `u${Math.floor(r() * keys)}`);
  // Rows about 60 bytes wide, as real ones are, so that the hash table is not most of the budget.
  const pad = (i: number) => `${i}`.padStart(40, '.');
  const num = () => (r() < 0.1 ? null : Math.floor(r() * 4));
  const l = new arrow.Table({
    lk: arrow.vectorFromArray(Array.from({ length: rows }, key), new arrow.Utf8()),
    ln: arrow.vectorFromArray(Array.from({ length: rows }, num), new arrow.Int32()),
    lv: arrow.vectorFromArray(Array.from({ length: rows }, (_, i) => pad(i)), new arrow.Utf8()),
  });
  const rr = new arrow.Table({
    rk: arrow.vectorFromArray(Array.from({ length: rows }, key), new arrow.Utf8()),
    rn: arrow.vectorFromArray(Array.from({ length: rows }, () => { const x = num(); return x === null ? null : BigInt(x); }), new arrow.Int64()),
    rv: arrow.vectorFromArray(Array.from({ length: rows }, (_, i) => `right-${pad(i)}`), new arrow.Utf8()),
  });
  return { l, r: rr };
}

/** The table hash-partitioned on `keys` into `parts` partitions, as a shuffle would. */
function shuffled(t: arrow.Table, keys: ExprNode[], parts = PARTS): SourceExec {
  const out: arrow.RecordBatch[][] = Array.from({ length: parts }, () => []);
  for (const b of batchesOf(t, 200)) splitByPartition(b, keys, parts).forEach((s, p) => out[p].push(s));
  return new SourceExec(t.schema, out);
}

function hashJoin(how: JoinType, left: ExecPlan, right: ExecPlan, lk: string[], rk: string[], buildSide: 'left' | 'right', using = false): HashJoinExec {
  const leftKeys = lk.map(col), rightKeys = rk.map(col);
  const outputFields = joinFields(fromArrowSchema(left.schema), fromArrowSchema(right.schema), how, leftKeys, rightKeys, using);
  return new HashJoinExec({ how, leftKeys, rightKeys, using, buildSide, outputFields }, left, right);
}

/** Every partition's rows, the summed counters, and whether every spill directory was left empty. */
async function runAll(j: HashJoinExec, parts: number, memoryBudget: number) {
  const rows: Record<string, unknown>[] = [];
  const counters: Record<string, number> = {};
  const leftover: string[] = [];
  for (let p = 0; p < parts; p++) {
    const ctx = await makeContext({ batchSize: 128, memoryBudget });
    rows.push(...rowsOf(await collect(j.execute(p, ctx))));
    for (const [k, v] of ctx.counters) counters[k] = (counters[k] ?? 0) + v;
    leftover.push(...await readdir(ctx.spillDir));
  }
  return { rows, counters, leftover };
}

const tableBytes = (t: arrow.Table) => t.batches.reduce((s, b) => s + batchBytes(b), 0);

describe('grace hash join vs DuckDB (both inputs over 4x memoryBudget)', () => {
  const { l, r } = sides(11, 5000);
  let duck: DuckDBConnection;
  const want = async (sql: string) => sortRows((await duck.runAndReadAll(sql)).getRowObjects().map((o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, norm(v)]))));
  beforeAll(async () => {
    duck = await (await DuckDBInstance.create(':memory:')).connect();
    for (const s of [...sqlTable('l', l, { lk: 'VARCHAR', ln: 'INTEGER', lv: 'VARCHAR' }), ...sqlTable('r', r, { rk: 'VARCHAR', rn: 'BIGINT', rv: 'VARCHAR' })]) await duck.run(s);
  });

  it('generates inputs whose partitions are each over 4x the budget', () => {
    expect(tableBytes(l)).toBeGreaterThan(4 * PARTS * BUDGET);
    expect(tableBytes(r)).toBeGreaterThan(4 * PARTS * BUDGET);
  });

  for (const how of KINDS) {
    it(`${how} join, both build sides`, async () => {
      const expected = await want(`SELECT * FROM l ${how.toUpperCase()} JOIN r ON l.lk = r.rk AND l.ln = r.rn`);
      const leftKeys = [col('lk'), col('ln')], rightKeys = [col('rk'), col('rn')];
      for (const buildSide of ['left', 'right'] as const) {
        const j = hashJoin(how, shuffled(l, leftKeys), shuffled(r, rightKeys), ['lk', 'ln'], ['rk', 'rn'], buildSide);
        const { rows, counters, leftover } = await runAll(j, PARTS, BUDGET);
        expect(sortRows(rows)).toEqual(expected);
        expect(counters.spills).toBeGreaterThan(0);
        expect(counters.spillBytes).toBeGreaterThan(0);
        expect(counters.joinSpillPartitions).toBeGreaterThanOrEqual(PARTS * GRACE_FANOUT);
        expect(leftover).toEqual([]);
      }
    });
  }

  it('USING joins (one key column; full joins coalesce it) and a single-partition input', async () => {
    const u = sides(12, 1500, { keys: 1000 });
    const lu = new arrow.Table({ k: u.l.getChild('lk')!, lv: u.l.getChild('lv')! });
    const ru = new arrow.Table({ k: u.r.getChild('rk')!, rv: u.r.getChild('rv')! });
    // One partition holds each side whole: over 4x the budget, as the other tests' partitions.
    expect(tableBytes(lu)).toBeGreaterThan(4 * BUDGET);
    expect(tableBytes(ru)).toBeGreaterThan(4 * BUDGET);
    for (const s of [...sqlTable('lu', lu, { k: 'VARCHAR', lv: 'VARCHAR' }), ...sqlTable('ru', ru, { k: 'VARCHAR', rv: 'VARCHAR' })]) await duck.run(s);
    const keyOf: Record<string, string> = { inner: 'lu.k', left: 'lu.k', right: 'ru.k', full: 'COALESCE(lu.k, ru.k)' };
    for (const how of ['inner', 'left', 'right', 'full'] as JoinType[]) {
      const expected = await want(`SELECT ${keyOf[how]} AS k, lv, rv FROM lu ${how.toUpperCase()} JOIN ru ON lu.k = ru.k`);
      for (const buildSide of ['left', 'right'] as const) {
        const j = hashJoin(how, shuffled(lu, [col('k')], 1), shuffled(ru, [col('k')], 1), ['k'], ['k'], buildSide, true);
        const { rows, counters, leftover } = await runAll(j, 1, BUDGET);
        expect(sortRows(rows), `${how} using, build ${buildSide}`).toEqual(expected);
        expect(counters.spills).toBeGreaterThan(0);
        expect(leftover).toEqual([]);
      }
    }
  });
});

describe('grace partitioning', () => {
  it('spreads the rows of one shuffle partition over every spill partition, and anew at the next level', () => {
    const keys = [arrow.vectorFromArray(Array.from({ length: 20000 }, (_, i) => `key-${i}`), new arrow.Utf8()).data[0]];
    const shuffle = partitionIds(keys, 20000, 16);
    const level0 = graceSlots(keys, 20000, 0, 0);
    const level1 = graceSlots(keys, 20000, 1, 0);
    const used0 = new Set<number>(), used1 = new Set<number>();
    for (let i = 0; i < 20000; i++) {
      if (shuffle[i] !== 0) continue;
      used0.add(level0[i]);
      if (level0[i] === 0) used1.add(level1[i]);
    }
    expect(used0.size).toBe(GRACE_FANOUT);
    expect(used1.size).toBe(GRACE_FANOUT);
  });

  it('sends equal int32 and int64 keys to the same spill partition and spreads null keys', () => {
    const a = arrow.vectorFromArray([1, 2, 3, null, null, null, null], new arrow.Int32()).data[0];
    const b = arrow.vectorFromArray([1n, 2n, 3n, null, null, null, null], new arrow.Int64()).data[0];
    const sa = graceSlots([a], 7, 0, 0), sb = graceSlots([b], 7, 0, 0);
    expect([...sa.subarray(0, 3)]).toEqual([...sb.subarray(0, 3)]);
    expect(new Set(sa.subarray(3)).size).toBe(4);
  });
});

describe('grace hash join: skew and cleanup', () => {
  it('a hot key that fits after repartitioning gives the right rows', async () => {
    // 'hot' holds 5% of 4000 rows: its spill partition needs a second round, then fits.
    const { l, r } = sides(3, 4000, { hot: { key: 'hot', share: 0.05 } });
    const j = hashJoin('full', shuffled(l, [col('lk'), col('ln')], 1), shuffled(r, [col('rk'), col('rn')], 1), ['lk', 'ln'], ['rk', 'rn'], 'right');
    const big = await runAll(j, 1, 1 << 30);
    const small = await runAll(j, 1, 16 * 1024);
    expect(big.counters.spills ?? 0).toBe(0);
    expect(sortRows(small.rows)).toEqual(sortRows(big.rows));
    expect(small.counters.joinSpillPartitions).toBeGreaterThan(GRACE_FANOUT);
    expect(small.leftover).toEqual([]);
  });

  it('one key holding most build rows fails with a ResourceError naming the skew and the key, not retried', async () => {
    const { l, r } = sides(4, 4000, { hot: { key: 'hot', share: 0.9 } });
    const j = hashJoin('inner', shuffled(l, [col('lk')], 1), shuffled(r, [col('rk')], 1), ['lk'], ['rk'], 'right');
    const ctx = await makeContext({ memoryBudget: 8 * 1024 });
    const err = await collect(j.execute(0, ctx)).catch((e) => e);
    expect(err).toBeInstanceOf(ResourceError);
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/join key is skewed: in partition 0, \d+ rows of the build side \(right input.*the first of them has rk = "hot"\. Raise memoryBudget, filter out or salt the hot key/);
    expect(ctx.counters.get('spills')).toBeGreaterThan(0);
    expect(await readdir(ctx.spillDir)).toEqual([]);
  });

  for (const stop of ['break', 'abort'] as const) {
    it(`deletes its spill files when the consumer stops early (${stop})`, async () => {
      const { l, r } = sides(5, 3000);
      const left = shuffled(l, [col('lk')], 1), right = shuffled(r, [col('rk')], 1);
      const j = hashJoin('left', left, right, ['lk'], ['rk'], 'right');
      const abort = new AbortController();
      const ctx = { ...(await makeContext({ batchSize: 64, memoryBudget: 8 * 1024 })), signal: abort.signal };
      let seen = 0, during: string[] = [];
      const err = await (async () => {
        for await (const b of j.execute(0, ctx)) {
          seen += b.numRows;
          during = await readdir(ctx.spillDir);
          if (stop === 'break') break;
          abort.abort();
        }
      })().catch((e) => e);
      expect(seen).toBeGreaterThan(0);
      expect(during.length).toBeGreaterThan(0); // files existed while the join ran
      expect(await readdir(ctx.spillDir)).toEqual([]);
      if (stop === 'abort') expect(err).toBeDefined();
      expect(left.closed).toBe(1);
      expect(right.closed).toBe(1);
    });
  }
});
