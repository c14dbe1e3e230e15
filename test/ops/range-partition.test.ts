// SampleExec and RangePartitionExec: weighted key samples, bounds that ignore the sample's order, ranges that follow the sort order.
import * as arrow from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../ops/compute/random.ts';
import type { ExprNode } from '../../ops/expr/node.ts';
import { compareRows, compileSortKeys, RANGE_PARTITION_COLUMN, rangeBounds, RangePartitionExec, SampleExec } from '../../ops/sort/index.ts';
import { collect, columnValues, makeContext, sortKey, sourceOf, SourceExec } from './stream-support.ts';

/** `n` rows: x an int in [0, spread) or null, s a short word or null. */
function table(n: number, spread: number, seed: number): arrow.Table {
  const r = mulberry32(seed);
  const x = Array.from({ length: n }, () => (r() < 0.1 ? null : Math.floor(r() * spread)));
  const s = Array.from({ length: n }, () => (r() < 0.1 ? null : ['a', 'ab', 'b', 'é', ''][Math.floor(r() * 5)]));
  return new arrow.Table({ x: arrow.vectorFromArray(x, new arrow.Int32()), s: arrow.vectorFromArray(s, new arrow.Utf8()) });
}

const KEYS: ExprNode[] = [sortKey('x', false, true), sortKey('s', true, false)];

describe('SampleExec', () => {
  it('keeps at most `rows` sampled keys weighted by rows per sample, the same draw each run', async () => {
    const t = table(10_000, 1000, 1);
    const ctx = await makeContext();
    const run = async () => collect(new SampleExec({ keys: KEYS, rows: 50 }, sourceOf(t, 777)).execute(0, ctx));
    const [a, b] = [await run(), await run()];
    expect(a).toHaveLength(1);
    expect(a[0].numRows).toBe(50);
    expect(a[0].schema.fields.map((f) => f.name)).toEqual(['k0', 'k1', 'weight']);
    expect(new Set(columnValues(a, 'weight'))).toEqual(new Set([200]));
    expect(columnValues(a, 'k0')).toEqual(columnValues(b, 'k0'));
    const pairs = new Set(t.toArray().map((r) => `${r.x}|${r.s}`));
    const k0 = columnValues(a, 'k0'), k1 = columnValues(a, 'k1');
    for (let i = 0; i < 50; i++) expect(pairs.has(`${k0[i]}|${k1[i]}`)).toBe(true);
  });

  it('keeps every row of a small partition (weight 1) and nothing for an empty one', async () => {
    const t = table(30, 5, 2);
    const ctx = await makeContext();
    const got = await collect(new SampleExec({ keys: KEYS, rows: 50 }, sourceOf(t, 7)).execute(0, ctx));
    expect(got[0].numRows).toBe(30);
    expect(new Set(columnValues(got, 'weight'))).toEqual(new Set([1]));
    const empty = new SourceExec(t.schema, [[]]);
    expect(await collect(new SampleExec({ keys: KEYS, rows: 50 }, empty).execute(0, ctx))).toEqual([]);
  });
});

describe('rangeBounds', () => {
  it('draws the same bound values from a sample in any order, strictly increasing, at most partitions - 1', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.option(fc.integer({ min: 0, max: 30 })), fc.integer({ min: 1, max: 3 })), { minLength: 1, maxLength: 200 }),
      fc.integer({ min: 1, max: 8 }), fc.integer(), (rows, partitions, seed) => {
        const shuffled = [...rows];
        const r = mulberry32(seed);
        for (let i = shuffled.length - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]]; }
        const bounds = (rs: typeof rows) => {
          const t = new arrow.Table({ k0: arrow.vectorFromArray(rs.map((x) => x[0]), new arrow.Int32()) });
          const sk = compileSortKeys([sortKey('k0', false, true)], t.schema);
          const keys = sk.evaluate(t.batches[0]);
          const idx = rangeBounds(sk.orders, keys, Float64Array.from(rs.map((x) => x[1])), rs.length, partitions);
          for (let i = 1; i < idx.length; i++) expect(compareRows(sk.orders, keys, idx[i - 1], keys, idx[i])).toBeLessThan(0);
          return [...idx].map((i) => rs[i][0]);
        };
        const a = bounds(rows);
        expect(a.length).toBeLessThanOrEqual(partitions - 1);
        expect(bounds(shuffled)).toEqual(a);
      }));
  });
});

describe('RangePartitionExec', () => {
  it('tags rows so that each range sorts wholly before the next, equal keys together', async () => {
    const t = table(5000, 40, 3);
    const ctx = await makeContext();
    const sample = await collect(new SampleExec({ keys: KEYS, rows: 100 }, sourceOf(t, 500)).execute(0, ctx));
    const sampleSource = new SourceExec(sample[0].schema, [sample]);
    const exec = new RangePartitionExec({ keys: KEYS, partitions: 4 }, sourceOf(t, 333), sampleSource);
    const out = await collect(exec.execute(0, ctx));
    expect(out.reduce((n, b) => n + b.numRows, 0)).toBe(5000);
    expect(exec.schema.fields.at(-1)!.name).toBe(RANGE_PARTITION_COLUMN);
    const sk = compileSortKeys(KEYS, t.schema);
    const rows = out.flatMap((b) => {
      const keys = sk.evaluate(b);
      const ids = b.getChild(RANGE_PARTITION_COLUMN)!.toArray() as Int32Array;
      return Array.from({ length: b.numRows }, (_, i) => ({ keys, i, p: ids[i] }));
    });
    expect(new Set(rows.map((r) => r.p)).size).toBeGreaterThan(2);
    rows.sort((a, b) => compareRows(sk.orders, a.keys, a.i, b.keys, b.i));
    for (let k = 1; k < rows.length; k++) {
      const a = rows[k - 1], b = rows[k];
      if (compareRows(sk.orders, a.keys, a.i, b.keys, b.i) === 0) expect(b.p).toBe(a.p);
      else expect(b.p).toBeGreaterThanOrEqual(a.p);
    }
  });
});
