// DataFrame operations through the engine: mapBatches UDFs on worker threads, repartition, limit, actions, many tiny tasks.
import { resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DataError, PlanError, Quiver, col, fn } from '../../core/index.ts';
import { groupReference, sortReference, spillData, SPILL_ROWS } from './data.ts';
import { multiset } from './helpers.ts';

const UDF = resolve(import.meta.dirname, '../fixtures/engine/udf.ts');
let q: Quiver;

const PEOPLE = [
  { id: 1, s: 'ada' }, { id: 2, s: null }, { id: 3, s: 'ünï€' }, { id: 4, s: '' }, { id: 5, s: 'grace' }, { id: 6, s: 'linus' },
];

beforeAll(async () => {
  q = await Quiver.local({ workers: 2 });
});

afterAll(async () => {
  await q?.close();
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('mapBatches', () => {
  it('runs a UDF module, loaded by absolute path, on the worker threads of every partition', async () => {
    const df = q.createDataFrame(PEOPLE, { partitions: 2 }).mapBatches({ module: UDF, export: 'describeStrings' }, {
      schema: [{ name: 'id', type: 'int32', nullable: true }, { name: 'len', type: 'int32', nullable: true }, { name: 'main', type: 'bool', nullable: true }],
    });
    expect(df.columns).toEqual(['id', 'len', 'main']);
    const rows = await df.toArray();
    expect(rows).toEqual([
      { id: 1, len: 3, main: false }, { id: 2, len: null, main: false }, { id: 3, len: 4, main: false },
      { id: 4, len: 0, main: false }, { id: 5, len: 5, main: false }, { id: 6, len: 5, main: false },
    ]);
    expect(q.session.lastJob!.tasks).toBe(2);
  });

  it('passes JSON options, and its output feeds later operators', async () => {
    const df = q.createDataFrame(PEOPLE, { partitions: 2 }).select('id')
      .mapBatches({ module: UDF, export: 'shiftIds' }, { schema: [{ name: 'id', type: 'int32', nullable: false }, { name: 'thread', type: 'int32', nullable: false }], options: { offset: 100 } });
    const rows = await df.filter(col('id').gt(102)).toArray();
    expect(rows.map((r) => r.id)).toEqual([103, 104, 105, 106]);
    for (const r of rows) expect(r.thread).toBeGreaterThan(0); // 0 is the main thread
    expect(await df.agg(fn.sum('id').alias('s')).toArray()).toEqual([{ s: 621 }]);
  });

  it('a missing export is a PlanError naming the module and the export, listing what it does export', async () => {
    const df = q.createDataFrame(PEOPLE, { partitions: 2 }).mapBatches({ module: UDF, export: 'noSuchUdf' });
    const err = await df.collect().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(PlanError);
    expect((err as PlanError).code).toBe('PLAN_ERROR');
    expect((err as PlanError).message).toBe(`mapBatches UDF 'noSuchUdf' from module '${UDF}': the module has no export 'noSuchUdf'; its exports are: describeStrings, refuse, shiftIds`);
  });

  it('a UDF that breaks its promised schema fails the job with a DataError', async () => {
    const df = q.createDataFrame(PEOPLE).mapBatches({ module: UDF, export: 'describeStrings' });
    const err = await df.collect().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toBe(`mapBatches UDF 'describeStrings' from module '${UDF}' returned a batch with schema [id: int32, len: int32, main: bool], expected [id: int32, s: utf8]; return exactly the promised columns, in order`);
  });
});

describe('repartition', () => {
  const rows = Array.from({ length: 5000 }, (_, i) => ({ id: i, k: `key${i % 37}`, v: i % 11 }));

  it('by key: the next stage has exactly n tasks and every row is kept', async () => {
    const df = q.createDataFrame(rows, { partitions: 3 }).repartition(7, 'k');
    const plan = await df.explain();
    expect(plan).toContain('Stage 0 (3 tasks) -> shuffle 0: hash("k") into 7 partitions');
    expect(plan).toContain('Stage 1 (7 tasks after stage 0) -> result');
    const got = await df.toArray();
    expect(q.session.lastJob!.stages).toBe(2);
    expect(q.session.lastJob!.tasks).toBe(3 + 7);
    expect(multiset(got)).toEqual(multiset(rows));
  });

  it('without keys (round robin), then an aggregate: n map tasks feed the shuffle', async () => {
    const df = q.createDataFrame(rows, { partitions: 2 }).repartition(5);
    expect(await df.explain()).toContain('Stage 1 (5 tasks after stage 0) -> result');
    expect(await df.count()).toBe(rows.length);
    const byKey = await df.groupBy('v').agg(fn.count().alias('n')).orderBy('v').toArray();
    expect(byKey).toEqual(Array.from({ length: 11 }, (_, v) => ({ v, n: rows.filter((r) => r.v === v).length })));
  });
});

describe('limit and actions', () => {
  const rows = Array.from({ length: 1000 }, (_, i) => ({ id: i, even: i % 2 === 0 }));
  const ids = new Set(rows.map((r) => r.id));

  it('limit without orderBy returns exactly n rows of the input, from any partitions', async () => {
    const df = q.createDataFrame(rows, { partitions: 4 });
    for (const n of [0, 1, 7, 250, 999, 1000, 5000]) {
      const got = await df.limit(n).toArray();
      expect(got.length, `limit(${n})`).toBe(Math.min(n, rows.length));
      expect(new Set(got.map((r) => r.id)).size).toBe(got.length); // no row twice
      for (const r of got) expect(ids.has(r.id as number)).toBe(true);
    }
    expect(await df.filter(col('even')).limit(300).count()).toBe(300);
    expect(await df.limit(10, 995).count()).toBe(5);
  });

  it('count, take and head', async () => {
    const df = q.createDataFrame(rows, { partitions: 4 });
    expect(await df.count()).toBe(1000);
    expect(await df.filter(col('even').not()).count()).toBe(500);
    expect(await df.filter(col('id').lt(0)).count()).toBe(0);
    expect(await df.orderBy(col('id').desc()).take(3)).toEqual([{ id: 999, even: false }, { id: 998, even: true }, { id: 997, even: false }]);
    const three = await df.take(3);
    expect(three.length).toBe(3);
    expect(await df.orderBy('id').head()).toEqual([{ id: 0, even: true }]);
    expect(await df.take(0)).toEqual([]);
  });

  it('show prints a boxed table of the first n rows', async () => {
    const printed: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((s: unknown) => { printed.push(String(s)); });
    await q.createDataFrame(PEOPLE).orderBy('id').show(3);
    await q.createDataFrame(PEOPLE).filter(col('id').gt(100)).show();
    expect(printed).toEqual([
      [
        '+----+------+',
        '| id |    s |',
        '+----+------+',
        '|  1 |  ada |',
        '|  2 | NULL |',
        '|  3 | ünï€ |',
        '+----+------+',
        '3 rows',
      ].join('\n'),
      ['+----+---+', '| id | s |', '+----+---+', '+----+---+', '0 rows'].join('\n'),
    ]);
  });
});

describe('scheduling', () => {
  it('2,000 tiny partitions count and sum correctly', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => ({ i }));
    const df = q.createDataFrame(rows, { partitions: 2000 });
    expect(await df.agg(fn.count().alias('n'), fn.sum('i').alias('s'), fn.min('i').alias('lo'), fn.max('i').alias('hi')).toArray())
      .toEqual([{ n: 5000, s: (4999 * 5000) / 2, lo: 0, hi: 4999 }]);
    expect(q.session.lastJob!.tasks).toBe(2001); // 2,000 partial aggregates and one final
  });
});

describe('the spill workloads at the default memory budget', () => {
  // spill.test.ts runs the same jobs under a 64 KB budget against the same references.
  const data = spillData();

  it('groupBy and orderBy give the reference rows without spilling', async () => {
    const df = q.createDataFrame(data.table, { partitions: 2 });
    const groups = await df.groupBy('k').agg(
      fn.count().alias('n'), fn.count('v').alias('cnt'), fn.sum('v').alias('s'), fn.min('v').alias('lo'), fn.max('v').alias('hi'),
    ).toArray();
    expect(q.session.lastJob!.counters.spills ?? 0).toBe(0);
    expect(multiset(groups)).toEqual(multiset(groupReference(data.rows)));
    const sorted = await df.orderBy(col('v'), col('id').desc()).select('id').toArray();
    expect(q.session.lastJob!.counters.spills ?? 0).toBe(0);
    expect(sorted.length).toBe(SPILL_ROWS);
    expect(sorted.map((r) => r.id)).toEqual(sortReference(data.rows).map((r) => r.id));
  });
});

describe('groupBy without aggregates', () => {
  it('groupBy(keys).agg() gives the distinct keys (it failed in the column pruning rule)', async () => {
    const df = q.createDataFrame([{ a: 1, b: 2 }, { a: 1, b: 3 }, { a: 2, b: 3 }], { partitions: 2 });
    expect(await df.groupBy('a').agg().orderBy('a').toArray()).toEqual([{ a: 1 }, { a: 2 }]);
    expect(await df.groupBy('a', 'b').agg().select('b').distinct().count()).toBe(2);
  });
});
