// Scalar UDFs and UDAFs through the engine: select, filter, withColumn, aggregate arguments, two-phase aggregation, spills, explain and errors.
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError, PlanError, Quiver, col, fn, lit } from '../../core/index.ts';
import { multiset } from './helpers.ts';

const MOD = resolve(import.meta.dirname, '../fixtures/udf/scalar-udfs.ts');
const twice = fn.udf({ module: MOD, export: 'twiceAPlusB' }, { returnType: 'float64' });
const sumSquares = fn.udaf({ module: MOD, export: 'sumSquares' }, { returnType: 'float64' });
let q: Quiver;

const ROWS = [
  { k: 'a', a: 1, b: 10, s: 'x' }, { k: 'b', a: 2, b: null, s: null }, { k: 'a', a: null, b: 3, s: 'yz' },
  { k: 'c', a: 4, b: 5, s: '' }, { k: 'b', a: 5, b: 6, s: 'w' }, { k: 'a', a: 6, b: 7, s: 'v' },
];

beforeAll(async () => {
  q = await Quiver.local({ workers: 2 });
});

afterAll(async () => {
  await q?.close();
});

describe('fn.udf', () => {
  it('computes a column in select, withColumn and filter, over 3 partitions', async () => {
    const df = q.createDataFrame(ROWS, { partitions: 3 });
    const rows = await df.select('k', twice('a', col('b')).alias('t')).toArray();
    expect(rows.map((r) => r.t)).toEqual([12, null, null, 13, 16, 19]);
    const shout = fn.udf({ module: MOD, export: 'shout' }, { returnType: 'utf8' });
    const w = await df.withColumn('loud', shout('s')).select('loud').toArray();
    expect(w.map((r) => r.loud)).toEqual(['X!', null, 'YZ!', '!', 'W!', 'V!']);
    const even = fn.udf({ module: MOD, export: 'isEven' }, { returnType: 'bool' });
    const f = await df.filter(even('a')).select('a').toArray();
    expect(f.map((r) => r.a)).toEqual([2, 4, 6]);
  });

  it('is an aggregate argument and works beside expressions', async () => {
    const df = q.createDataFrame(ROWS, { partitions: 2 });
    const rows = await df.groupBy('k').agg(fn.sum(twice('a', 'b')).alias('t'), fn.count(twice('a', 'b').add(1)).alias('n')).orderBy('k').toArray();
    expect(rows).toEqual([{ k: 'a', t: 12 + 19, n: 2 }, { k: 'b', t: 16, n: 1 }, { k: 'c', t: 13, n: 1 }]);
  });

  it('applies to aggregates inside agg() (an expression over aggregates)', async () => {
    const df = q.createDataFrame(ROWS, { partitions: 2 });
    const rows = await df.groupBy('k').agg(twice(fn.sum('a'), fn.count()).alias('t')).orderBy('k').toArray();
    expect(rows).toEqual([{ k: 'a', t: 7 * 2 + 3 }, { k: 'b', t: 7 * 2 + 2 }, { k: 'c', t: 4 * 2 + 1 }]);
  });

  it('with literal arguments only is not folded at plan time, and runs per batch', async () => {
    const c = fn.udf({ module: MOD, export: 'fortyTwo' }, { returnType: 'float64' });
    const df = q.createDataFrame(ROWS, { partitions: 2 }).select(c().alias('c'), twice(lit(1), lit(2)).alias('d'));
    const { calls } = await import('../fixtures/udf/scalar-udfs.ts');
    const before = calls.count;
    const plan = await df.explain();
    expect(plan).toContain('fortyTwo()');
    expect(plan).toContain('twiceAPlusB(1, 2)');
    expect(calls.count).toBe(before); // the driver never called it: tasks run on the workers
    expect((await df.toArray()).map((r) => [r.c, r.d])).toEqual(Array(6).fill([42, 4]));
  });

  it('explain shows the call by its export name', async () => {
    const plan = await q.createDataFrame(ROWS).select(twice('a', 'b').alias('t')).explain();
    expect(plan).toContain('twiceAPlusB(a, b) AS t');
  });

  it('DataError naming module, export and what came back', async () => {
    const df = q.createDataFrame(ROWS, { partitions: 1 });
    const bad = async (exp: string, returnType: 'float64' | 'int32' = 'float64') =>
      df.select(fn.udf({ module: MOD, export: exp }, { returnType })('a')).collect().catch((e) => e);
    let e = await bad('tooShort');
    expect(e).toBeInstanceOf(DataError);
    expect(e.message).toContain(`UDF 'tooShort' from module '${MOD}' returned an array of 5 value(s), expected 6`);
    e = await bad('wrongVectorType');
    expect(e.message).toContain('returned a Vector of type int32, expected float64');
    e = await bad('stringsForNumbers');
    expect(e.message).toContain('returned "x" (string) at row 0, expected a value of type float64 or null');
    e = await bad('nothing');
    expect(e.message).toContain('returned undefined');
    e = await bad('throws');
    expect(e.message).toContain("UDF 'throws'");
    expect(e.message).toContain('threw: boom');
    e = await bad('notAFunction');
    expect(e).toBeInstanceOf(PlanError);
    expect(e.message).toContain("export 'notAFunction' is a number, expected a function");
    e = await bad('noSuchExport');
    expect(e.message).toContain("the module has no export 'noSuchExport'");
  });

  it('PlanError at the call for a relative path, a function or a bad returnType', () => {
    expect(() => fn.udf({ module: './x.ts', export: 'f' }, { returnType: 'int32' })).toThrow(/relative/);
    expect(() => fn.udf((() => 1) as never, { returnType: 'int32' })).toThrow(/not passed as a function/);
    expect(() => fn.udf({ module: MOD, export: 'f' }, { returnType: 'int33' as never })).toThrow(/returnType "int33" is not a Quiver type/);
  });
});

describe('fn.udaf', () => {
  const data = Array.from({ length: 5000 }, (_, i) => ({ k: i % 7 === 0 ? null : `g${i % 13}`, x: i % 11 === 0 ? null : (i % 17) - 8 }));
  const reference = (rows: typeof data) => {
    const m = new Map<string | null, { s: number; n: number }>();
    for (const r of rows) {
      const st = m.get(r.k) ?? { s: 0, n: 0 };
      if (r.x !== null) { st.s += r.x * r.x; st.n++; }
      m.set(r.k, st);
    }
    return [...m].map(([k, st]) => ({ k, ss: st.n ? st.s : null }));
  };

  it('aggregates per group in two phases (partial states cross the shuffle as JSON)', async () => {
    const df = q.createDataFrame(data, { partitions: 4 });
    const rows = await df.groupBy('k').agg(sumSquares('x').alias('ss')).toArray();
    expect(multiset(rows)).toEqual(multiset(reference(data)));
    const plan = await df.groupBy('k').agg(sumSquares('x').alias('ss')).explain();
    expect(plan).toContain('sumSquares(x) AS ss');
    expect(plan).toMatch(/mode=partial/);
  });

  it('global aggregate, empty input gives finish(init()), and a UDF argument', async () => {
    const df = q.createDataFrame(data, { partitions: 3 });
    const [row] = await df.agg(sumSquares('x').alias('ss'), fn.sum(col('x').mul(col('x'))).alias('ref')).toArray();
    expect(row.ss).toBe(Number(row.ref));
    const [none] = await df.filter(col('x').gt(1000)).agg(sumSquares('x').alias('ss')).toArray();
    expect(none.ss).toBeNull();
    const joined = fn.udaf({ module: MOD, export: 'joinSorted' }, { returnType: 'utf8' });
    const shout = fn.udf({ module: MOD, export: 'shout' }, { returnType: 'utf8' });
    const out = await q.createDataFrame(ROWS, { partitions: 2 }).groupBy('k').agg(joined(shout('s')).alias('j')).orderBy('k').toArray();
    expect(out).toEqual([{ k: 'a', j: 'V!,X!,YZ!' }, { k: 'b', j: 'W!' }, { k: 'c', j: '!' }]);
  });

  it('DataError for a state JSON cannot hold; PlanError for an incomplete export', async () => {
    const df = q.createDataFrame(ROWS, { partitions: 2 });
    const big = fn.udaf({ module: MOD, export: 'bigintState' }, { returnType: 'float64' });
    let e = await df.groupBy('k').agg(big('a')).collect().catch((x) => x);
    expect(e).toBeInstanceOf(DataError);
    expect(e.message).toContain(`UDAF 'bigintState' from module '${MOD}': its state is not JSON`);
    const miss = fn.udaf({ module: MOD, export: 'missingMerge' }, { returnType: 'float64' });
    e = await df.groupBy('k').agg(miss('a')).collect().catch((x) => x);
    expect(e).toBeInstanceOf(PlanError);
    expect(e.message).toContain('without the function(s) merge');
  });
});

describe('fn.udaf under a small memory budget', () => {
  it('spills partial states and gives the reference groups', async () => {
    const s = await Quiver.local({ workers: 2, memoryBudget: 64 * 1024 });
    try {
      const rows = Array.from({ length: 60_000 }, (_, i) => ({ k: i % 20_000, x: i % 5 === 0 ? null : i % 9 }));
      const got = await s.createDataFrame(rows, { partitions: 2 }).groupBy('k').agg(sumSquares('x').alias('ss')).toArray();
      const m = new Map<number, { s: number; n: number }>();
      for (const r of rows) { const st = m.get(r.k) ?? { s: 0, n: 0 }; if (r.x !== null) { st.s += r.x * r.x; st.n++; } m.set(r.k, st); }
      expect(multiset(got)).toEqual(multiset([...m].map(([k, st]) => ({ k, ss: st.n ? st.s : null }))));
      expect(s.session.lastJob!.counters.spills).toBeGreaterThan(0);
    } finally {
      await s.close();
    }
  });
});
