// interleave: rows picked from several batches, in any order, equal the rows picked one by one.
import * as arrow from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { interleave } from '../../ops/compute/interleave.ts';

const schema = new arrow.Schema([
  new arrow.Field('i', new arrow.Int32(), true),
  new arrow.Field('s', new arrow.Utf8(), true),
  new arrow.Field('b', new arrow.Bool(), true),
]);
type Row = [number | null, string | null, boolean | null];

function batchOf(rows: readonly Row[]): arrow.RecordBatch {
  const t = new arrow.Table({
    i: arrow.vectorFromArray(rows.map((r) => r[0]), new arrow.Int32()),
    s: arrow.vectorFromArray(rows.map((r) => r[1]), new arrow.Utf8()),
    b: arrow.vectorFromArray(rows.map((r) => r[2]), new arrow.Bool()),
  });
  return t.batches[0];
}
const rowsOf = (b: arrow.RecordBatch): Row[] => [...b].map((r) => [r.i, r.s, r.b] as Row);

const row = fc.tuple(fc.option(fc.integer()), fc.option(fc.string()), fc.option(fc.boolean()));

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
    const b = batchOf([[1, 'a', true], [2, null, false], [3, 'c', null], [4, 'd', true]]).slice(1, 4);
    const out = interleave(schema, [b, b], Int32Array.from([1, 0, 0, 1]), Int32Array.from([2, 0, 1, 1]));
    expect(rowsOf(out)).toEqual([[4, 'd', true], [2, null, false], [3, 'c', null], [3, 'c', null]]);
  });
});
