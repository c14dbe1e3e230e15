// SortExec and SortPreservingMergeExec against a hand-written reference sort, on random data.
import * as arrow from 'apache-arrow';
import fc from 'fast-check';
import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { ExprNode } from '../../ops/expr/node.ts';
import { compileSortKeys, SortExec, SortPreservingMergeExec, sortIndices } from '../../ops/sort/index.ts';
import { PlanError } from '../../ops/errors.ts';
import { collect, columnValues, makeContext, sortKey, SourceExec } from './stream-support.ts';

interface Row {
  id: number;
  i: number | null;
  f: number | null;
  s: string | null;
  b: boolean | null;
  big: bigint | null;
  d: number | null;
  ts: number | null;
}
type Col = Exclude<keyof Row, 'id'>;
const COLS: readonly Col[] = ['i', 'f', 's', 'b', 'big', 'd', 'ts'];
const DAY = 86_400_000;

function tableOf(rows: readonly Row[]): arrow.Table {
  return new arrow.Table({
    id: arrow.vectorFromArray(rows.map((r) => r.id), new arrow.Int32()),
    i: arrow.vectorFromArray(rows.map((r) => r.i), new arrow.Int32()),
    f: arrow.vectorFromArray(rows.map((r) => r.f), new arrow.Float64()),
    s: arrow.vectorFromArray(rows.map((r) => r.s), new arrow.Utf8()),
    b: arrow.vectorFromArray(rows.map((r) => r.b), new arrow.Bool()),
    big: arrow.vectorFromArray(rows.map((r) => r.big), new arrow.Int64()),
    d: arrow.vectorFromArray(rows.map((r) => (r.d === null ? null : new Date(r.d * DAY))), new arrow.DateDay()),
    ts: arrow.vectorFromArray(rows.map((r) => r.ts), new arrow.TimestampMillisecond()),
  });
}

/** One partition of `rows` cut into batches of the given sizes (cycled). */
function batchesOf(rows: readonly Row[], sizes: readonly number[]): arrow.RecordBatch[] {
  const out: arrow.RecordBatch[] = [];
  for (let at = 0, k = 0; at < rows.length; k++) {
    const n = sizes[k % sizes.length];
    out.push(tableOf(rows.slice(at, at + n)).batches[0]);
    at += n;
  }
  return out;
}

const SCHEMA = tableOf([]).schema;

// The reference order, written independently of ops/sort: Spark/DuckDB semantics.
function cmpValue(c: Col, x: NonNullable<Row[Col]>, y: NonNullable<Row[Col]>): number {
  switch (c) {
    case 'f': {
      const a = x as number, b = y as number;
      if (Number.isNaN(a) || Number.isNaN(b)) return Number(Number.isNaN(a)) - Number(Number.isNaN(b));
      return a < b ? -1 : a > b ? 1 : 0;
    }
    case 's': return Buffer.compare(Buffer.from(x as string, 'utf8'), Buffer.from(y as string, 'utf8'));
    case 'big': return x < y ? -1 : x > y ? 1 : 0;
    case 'b': return Number(x) - Number(y);
    default: return (x as number) - (y as number);
  }
}

interface Key { col: Col; ascending: boolean; nullsFirst: boolean }

function referenceSort(rows: readonly Row[], keys: readonly Key[]): number[] {
  const sorted = [...rows].sort((r1, r2) => {
    for (const k of keys) {
      const x = r1[k.col], y = r2[k.col];
      if (x === null || y === null) {
        if (x === y) continue;
        return (x === null ? -1 : 1) * (k.nullsFirst ? 1 : -1);
      }
      const c = cmpValue(k.col, x, y);
      if (c !== 0) return k.ascending ? c : -c;
    }
    return 0;
  });
  return sorted.map((r) => r.id);
}

const sortExprs = (keys: readonly Key[]): ExprNode[] => keys.map((k) => sortKey(k.col, k.ascending, k.nullsFirst));

const STRINGS = ['', 'a', 'A', 'ab', 'abc', 'abcd', 'abcd\u0000', 'abcde', 'abcdf', 'b', 'é', 'e\u0301', '\uE000', '\uFFFD', '😀', 'z'];
const rowArb = (id: number) => fc.record({
  id: fc.constant(id),
  i: fc.option(fc.integer({ min: -3, max: 3 }), { nil: null }),
  f: fc.option(fc.oneof(fc.constantFrom(0, -0, 1, -1.5, NaN, Infinity, -Infinity), fc.double()), { nil: null }),
  s: fc.option(fc.oneof(fc.constantFrom(...STRINGS), fc.string({ maxLength: 5, unit: 'grapheme' })), { nil: null }),
  b: fc.option(fc.boolean(), { nil: null }),
  big: fc.option(fc.oneof(fc.constantFrom(0n, -1n, 2n ** 53n, 2n ** 53n + 1n, -(2n ** 63n)), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })), { nil: null }),
  d: fc.option(fc.integer({ min: -4, max: 4 }), { nil: null }),
  ts: fc.option(fc.integer({ min: -5, max: 5 }), { nil: null }),
});
const rowsArb = fc.integer({ min: 0, max: 60 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => rowArb(i))));
const keysArb = fc.array(fc.record({ col: fc.constantFrom(...COLS), ascending: fc.boolean(), nullsFirst: fc.boolean() }), { minLength: 1, maxLength: 3 });
const sizesArb = fc.array(fc.integer({ min: 1, max: 25 }), { minLength: 1, maxLength: 4 });

async function runSort(rows: readonly Row[], sizes: readonly number[], keys: readonly Key[], fetch: number | null, ctxOpts: { batchSize: number; memoryBudget?: number }) {
  const ctx = await makeContext(ctxOpts);
  const src = new SourceExec(SCHEMA, [batchesOf(rows, sizes)]);
  const out = await collect(new SortExec({ keys: sortExprs(keys), fetch }, src).execute(0, ctx));
  return { ctx, out, ids: columnValues(out, 'id') };
}

describe('SortExec', () => {
  it('orders by several keys, every direction and null placement, like the reference (stable)', async () => {
    await fc.assert(fc.asyncProperty(rowsArb, keysArb, sizesArb, fc.integer({ min: 1, max: 16 }), async (rows, keys, sizes, batchSize) => {
      const { out, ids } = await runSort(rows, sizes, keys, null, { batchSize });
      expect(ids).toEqual(referenceSort(rows, keys));
      for (const b of out) {
        expect(b.numRows).toBeGreaterThan(0);
        expect(b.numRows).toBeLessThanOrEqual(batchSize);
      }
    }), { numRuns: 300 });
  });

  it('the radix sort, the packed native sort and the comparator sort give the same permutation', async () => {
    await fc.assert(fc.property(rowsArb, keysArb, (rows, keys) => {
      // Arrow JS builds a zero-row Table's batch over Vectors, not Data; SortExec never sees one.
      if (rows.length === 0) return;
      const batch = tableOf(rows).batches[0];
      const compiled = compileSortKeys(sortExprs(keys), batch.schema);
      const kc = compiled.evaluate(batch);
      const ref = referenceSort(rows, keys);
      for (const path of ['radix', 'packed', 'compare'] as const) expect(Array.from(sortIndices(compiled.orders, kc, rows.length, path)), path).toEqual(ref);
    }), { numRuns: 300 });
  });

  it('falls back to the comparator when packed keys would pass 2^53, and stays correct', async () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const rows: Row[] = Array.from({ length: 20_000 }, (_, id) => ({
      id, i: Math.floor(rand() * 1e9), f: rand() < 0.1 ? NaN : rand(), s: null, b: null,
      big: BigInt(Math.floor(rand() * 1e6)) * 2n ** 40n, d: null, ts: Math.floor(rand() * 1e12),
    }));
    const keys: Key[] = [
      { col: 'f', ascending: false, nullsFirst: false }, { col: 'i', ascending: true, nullsFirst: true },
      { col: 'big', ascending: true, nullsFirst: true }, { col: 'ts', ascending: false, nullsFirst: true },
    ];
    const { ids } = await runSort(rows, [3000], keys, null, { batchSize: 4096 });
    expect(ids).toEqual(referenceSort(rows, keys));
  });

  it('keeps input order among equal keys', async () => {
    const rows = Array.from({ length: 50 }, (_, id): Row => ({ id, i: id % 3, f: null, s: null, b: null, big: null, d: null, ts: null }));
    const { ids } = await runSort(rows, [7], [{ col: 'i', ascending: false, nullsFirst: false }], null, { batchSize: 8 });
    const expected = [2, 1, 0].flatMap((k) => rows.filter((r) => r.i === k).map((r) => r.id));
    expect(ids).toEqual(expected);
  });

  it('puts NaN after every number and orders strings by code point', async () => {
    const base = { i: null, s: null, b: null, big: null, d: null, ts: null };
    const fs = [NaN, Infinity, -0, null, 1, -Infinity, 0];
    const rows = fs.map((f, id): Row => ({ ...base, id, f }));
    const asc = await runSort(rows, [3], [{ col: 'f', ascending: true, nullsFirst: false }], null, { batchSize: 100 });
    expect(asc.ids).toEqual([5, 2, 6, 4, 1, 0, 3]);
    const strs = ['\uFFFD', '😀', 'é', 'z', '\uE000'];
    const srows = strs.map((s, id): Row => ({ ...base, f: null, id, s }));
    const st = await runSort(srows, [5], [{ col: 's', ascending: true, nullsFirst: false }], null, { batchSize: 100 });
    // UTF-16 order would put the emoji (a surrogate pair) before U+E000 and U+FFFD.
    expect(st.ids).toEqual([3, 2, 4, 0, 1]);
  });

  it('top-k (fetch) equals sort then limit', async () => {
    await fc.assert(fc.asyncProperty(rowsArb, keysArb, sizesArb, fc.integer({ min: 0, max: 70 }), fc.integer({ min: 1, max: 8 }), async (rows, keys, sizes, fetch, batchSize) => {
      const { ids } = await runSort(rows, sizes, keys, fetch, { batchSize });
      expect(ids).toEqual(referenceSort(rows, keys).slice(0, fetch));
    }), { numRuns: 200 });
  });

  it('fetch=0 yields nothing and never pulls', async () => {
    const ctx = await makeContext();
    const src = new SourceExec(SCHEMA, [batchesOf([], [1])], 0);
    expect(await collect(new SortExec({ keys: [sortKey('i')], fetch: 0 }, src).execute(0, ctx))).toEqual([]);
    expect(src.pulls).toBe(0);
  });

  it('top-k and sort with spills under a tiny budget match the reference', async () => {
    await fc.assert(fc.asyncProperty(rowsArb, keysArb, sizesArb, fc.option(fc.integer({ min: 0, max: 30 }), { nil: null }), async (rows, keys, sizes, fetch) => {
      const { ids, ctx } = await runSort(rows, sizes, keys, fetch, { batchSize: 4, memoryBudget: 256 });
      const ref = referenceSort(rows, keys);
      expect(ids).toEqual(fetch === null ? ref : ref.slice(0, fetch));
      expect(await readdir(ctx.spillDir)).toEqual([]);
    }), { numRuns: 60 });
  });

  it('external sort: 100k rows under a 16 KB budget equal the in-memory sort, spill, and clean up', async () => {
    const n = 100_000;
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const rows: Row[] = Array.from({ length: n }, (_, id) => ({
      id,
      i: rand() < 0.05 ? null : Math.floor(rand() * 50),
      f: rand() < 0.01 ? NaN : rand(),
      s: rand() < 0.05 ? null : `k${Math.floor(rand() * 300)}`,
      b: null,
      // The second half goes past 2^53, so runs mix the float and BigInt key forms.
      big: id < n / 2 ? BigInt(Math.floor(rand() * 10)) : 2n ** 60n + BigInt(Math.floor(rand() * 10)),
      d: null,
      ts: null,
    }));
    const keys: Key[] = [
      { col: 's', ascending: true, nullsFirst: true },
      { col: 'i', ascending: false, nullsFirst: false },
      { col: 'big', ascending: true, nullsFirst: false },
    ];
    const sizes = [1000];
    const mem = await runSort(rows, sizes, keys, null, { batchSize: 4096 });
    expect(mem.ctx.counters.get('spills') ?? 0).toBe(0);
    const ext = await runSort(rows, sizes, keys, null, { batchSize: 4096, memoryBudget: 16 * 1024 });
    expect(ext.ids).toEqual(mem.ids);
    expect(mem.ids).toEqual(referenceSort(rows, keys));
    expect(ext.ctx.counters.get('spills')).toBeGreaterThan(10);
    expect(ext.ctx.counters.get('spillBytes')).toBeGreaterThan(1_000_000);
    expect(ext.out.every((b) => b.numRows <= 4096)).toBe(true);
    expect(await readdir(ext.ctx.spillDir)).toEqual([]);

    // A consumer that stops early still leaves no spill files behind.
    const ctx = await makeContext({ batchSize: 100, memoryBudget: 16 * 1024 });
    const sort = new SortExec({ keys: sortExprs(keys), fetch: null }, new SourceExec(SCHEMA, [batchesOf(rows, sizes)]));
    let seen = 0;
    for await (const b of sort.execute(0, ctx)) { seen += b.numRows; break; }
    expect(seen).toBe(100);
    expect(ctx.counters.get('spills')).toBeGreaterThan(10);
    expect(await readdir(ctx.spillDir)).toEqual([]);
  });

  it('renders one line for explain and rejects unsortable keys', () => {
    const src = new SourceExec(SCHEMA, [[]]);
    expect(new SortExec({ keys: [sortKey('i', false, false)], fetch: 5 }, src).display()).toBe('SortExec: [i DESC NULLS LAST] fetch=5');
    expect(new SortExec({ keys: [sortKey('s', true, true), sortKey('f')], fetch: null }, src).display()).toBe('SortExec: [s ASC NULLS FIRST, f ASC NULLS LAST]');
    const listSchema = new arrow.Schema([new arrow.Field('l', new arrow.List(new arrow.Field('item', new arrow.Int32(), true)), true)]);
    expect(() => new SortExec({ keys: [sortKey('l')], fetch: null }, new SourceExec(listSchema, [[]]))).toThrow(PlanError);
  });
});

describe('SortPreservingMergeExec', () => {
  it('merges sorted partitions into one sorted partition; ties keep partition order', async () => {
    await fc.assert(fc.asyncProperty(fc.array(rowsArb, { minLength: 0, maxLength: 4 }), keysArb, fc.option(fc.integer({ min: 0, max: 80 }), { nil: null }), async (parts, keys, fetch) => {
      let id = 0;
      const renumbered = parts.map((p) => p.map((r) => ({ ...r, id: id++ })));
      const src = new SourceExec(SCHEMA, renumbered.map((p) => batchesOf(p, [7])));
      const sorted = new SortExec({ keys: sortExprs(keys), fetch: null }, src);
      const merge = new SortPreservingMergeExec({ keys: sortExprs(keys), fetch, inputPartitions: parts.length }, sorted);
      const ctx = await makeContext({ batchSize: 5 });
      const ids = columnValues(await collect(merge.execute(0, ctx)), 'id');
      const ref = referenceSort(renumbered.flat(), keys);
      expect(ids).toEqual(fetch === null ? ref : ref.slice(0, fetch));
    }), { numRuns: 100 });
  });

  it('merges partitions that yield the very same batch object', async () => {
    const base = { f: null, s: null, b: null, big: null, d: null, ts: null };
    const rows = [0, 1, 1, 2, 5].map((i, id): Row => ({ ...base, id, i }));
    const [b] = batchesOf(rows, [5]);
    const src = new SourceExec(SCHEMA, [[b], [b], [b]]);
    const merge = new SortPreservingMergeExec({ keys: [sortKey('i')], fetch: null, inputPartitions: 3 }, src);
    const out = await collect(merge.execute(0, await makeContext({ batchSize: 4 })));
    expect(columnValues(out, 'id')).toEqual([0, 0, 0, 1, 2, 1, 2, 1, 2, 3, 3, 3, 4, 4, 4]);
    expect(merge.display()).toBe('SortPreservingMergeExec: [i ASC NULLS LAST]');
  });
});
