// interleave: rows picked from several batches, in any order, equal the rows picked one by one.
import * as arrow from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { interleave } from '../../ops/compute/interleave.ts';

const schema = new arrow.Schema([
  new arrow.Field('i', new arrow.Int32(), true),
  new arrow.Field('s', new arrow.Utf8(), true),
  new arrow.Field('b', new arrow.Bool(), true),
  new arrow.Field('l', new arrow.Int64(), true),
  new arrow.Field('f', new arrow.Float64(), true),
  new arrow.Field('h', new arrow.Int16(), true),
]);
type Row = [number | null, string | null, boolean | null, bigint | null, number | null, number | null];

function batchOf(rows: readonly Row[]): arrow.RecordBatch {
  const t = new arrow.Table({
    i: arrow.vectorFromArray(rows.map((r) => r[0]), new arrow.Int32()),
    s: arrow.vectorFromArray(rows.map((r) => r[1]), new arrow.Utf8()),
    b: arrow.vectorFromArray(rows.map((r) => r[2]), new arrow.Bool()),
    l: arrow.vectorFromArray(rows.map((r) => r[3]), new arrow.Int64()),
    f: arrow.vectorFromArray(rows.map((r) => r[4]), new arrow.Float64()),
    h: arrow.vectorFromArray(rows.map((r) => r[5]), new arrow.Int16()),
  });
  return t.batches[0];
}
const rowsOf = (b: arrow.RecordBatch): Row[] => [...b].map((r) => [r.i, r.s, r.b, r.l, r.f, r.h] as Row);

const row = fc.tuple(fc.option(fc.integer()), fc.option(fc.string()), fc.option(fc.boolean()), fc.option(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })), fc.option(fc.double({ noNaN: true })), fc.option(fc.integer({ min: -32768, max: 32767 })));

describe('interleave', () => {
  it('gathers (source, row) pairs in order, across sources, slices and permutations alike', () => {
    fc.assert(fc.property(
      fc.array(fc.array(row, { minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 5 }).chain((sources) => fc.tuple(
        fc.constant(sources),
        fc.array(fc.nat().chain((s) => fc.tuple(fc.constant(s % sources.length), fc.nat())), { maxLength: 60 }),
        fc.boolean(),
      )),
      ([sources, picks, sortPicks]) => {
        const batches = sources.map(batchOf);
        const pairs = picks.map(([s, r]) => [s, r % sources[s].length] as const);
        // Consecutive rows per source exercise the slice path.
        if (sortPicks) pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        const out = interleave(schema, batches, Int32Array.from(pairs, (p) => p[0]), Int32Array.from(pairs, (p) => p[1]));
        expect(out.numRows).toBe(pairs.length);
        expect(rowsOf(out)).toEqual(pairs.map(([s, r]) => sources[s][r]));
      },
    ), { numRuns: 200 });
  });

  it('takes a sliced batch by its own row numbers', () => {
    const b = batchOf([[1, 'a', true, 1n, 1.5, 1], [2, null, false, null, 2.5, 2], [3, 'c', null, -3n, null, 3], [4, 'd', true, 4n, 4.5, null]]).slice(1, 4);
    const out = interleave(schema, [b, b], Int32Array.from([1, 0, 0, 1]), Int32Array.from([2, 0, 1, 1]));
    expect(rowsOf(out)).toEqual([[4, 'd', true, 4n, 4.5, null], [2, null, false, null, 2.5, 2], [3, 'c', null, -3n, null, 3], [3, 'c', null, -3n, null, 3]]);
  });

  it('gathers a list column (the per-source path) beside plain ones', () => {
    const ls = new arrow.Schema([new arrow.Field('i', new arrow.Int32(), true), new arrow.Field('xs', new arrow.List(new arrow.Field('item', new arrow.Int32(), true)), true)]);
    const mk = (rows: [number, number[] | null][]) => new arrow.Table({
      i: arrow.vectorFromArray(rows.map((r) => r[0]), new arrow.Int32()),
      xs: arrow.vectorFromArray(rows.map((r) => r[1]), new arrow.List(new arrow.Field('item', new arrow.Int32(), true))),
    }).batches[0];
    const a = mk([[1, [1]], [2, null]]), b = mk([[3, [3, 3]], [4, []]]);
    const out = interleave(ls, [a, b], Int32Array.from([1, 0, 1, 0]), Int32Array.from([0, 1, 1, 0]));
    expect([...out].map((r) => [r.i, r.xs === null ? null : [...r.xs]])).toEqual([[3, [3, 3]], [2, null], [4, []], [1, [1]]]);
  });
});
