// Block copies of ascending runs give what the per-row gather gives, for every type they take, on sliced data; filterRows takes that path when most rows pass.
import * as arrow from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { filterRows } from '../../ops/compute/filter-rows.ts';
import { indexRuns, takeRunsData } from '../../ops/compute/take-runs.ts';
import { takeData } from '../../ops/compute/take.ts';

const n = 300;
const text = (i: number) => (i % 5 === 0 ? 'x'.repeat(40 + (i % 7)) : i % 3 === 0 ? `é${i}ü` : `s${i}`);
const columns = (): Record<string, arrow.Data> => ({
  i32: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => i * 3 - 100), new arrow.Int32()).data[0],
  i16: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => i - 150), new arrow.Int16()).data[0],
  f64: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => i / 7), new arrow.Float64()).data[0],
  i64: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => BigInt(i) * 10_000_000_000n - 5n), new arrow.Int64()).data[0],
  ts: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => 1_700_000_000_000 + i * 1000), new arrow.TimestampMillisecond()).data[0],
  day: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => new Date(Date.UTC(2020, 0, 1 + i))), new arrow.DateDay()).data[0],
  utf8: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => text(i)), new arrow.Utf8()).data[0],
  bin: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => new Uint8Array(Array.from({ length: i % 50 }, (_, t) => (i + t) & 255))), new arrow.Binary()).data[0],
});
const values = (d: arrow.Data) => [...new arrow.Vector([d])].map((v) => (v instanceof Uint8Array ? Array.from(v) : v));

describe('takeRunsData', () => {
  it('equals the per-row gather on runs of any length, from data sliced anywhere', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 60 }), fc.array(fc.tuple(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 1, max: 70 })), { maxLength: 12 }), (from, gaps) => {
      const len = n - from;
      const idx: number[] = [];
      let at = 0;
      for (const [gap, run] of gaps) {
        at += gap;
        for (let t = 0; t < run && at < len; t++) idx.push(at++);
      }
      const indices = Int32Array.from(idx);
      const runs = indexRuns(indices);
      expect(runs.rows).toBe(indices.length);
      expect(Array.from(runs.lens.subarray(0, runs.count)).reduce((a, b) => a + b, 0)).toBe(indices.length);
      for (const [name, whole] of Object.entries(columns())) {
        const d = whole.slice(from, len);
        const got = takeRunsData(d, runs);
        expect(got, name).not.toBeNull();
        expect(values(got!), name).toEqual(values(takeData(d, indices)));
        expect(got!.offset).toBe(0);
      }
    }), { numRuns: 150 });
  });

  it('leaves data with nulls and other types to the per-row gather', () => {
    const runs = indexRuns(Int32Array.of(0, 1, 2));
    expect(takeRunsData(arrow.vectorFromArray([1, null, 3], new arrow.Int32()).data[0], runs)).toBeNull();
    expect(takeRunsData(arrow.vectorFromArray([true, false, true], new arrow.Bool()).data[0], runs)).toBeNull();
  });

  it('filterRows keeps the same rows when most pass (the block path) as the rows asked', () => {
    const cols = columns();
    const batch = new arrow.RecordBatch(cols);
    // Every 41st row fails: runs of 40.
    const keep = Array.from({ length: n }, (_, i) => i % 41 !== 5);
    const out = filterRows(batch, [{ evaluate: () => arrow.vectorFromArray(keep, new arrow.Bool()).data[0] }]);
    const want = Int32Array.from(keep.flatMap((k, i) => (k ? [i] : [])));
    expect(out.numRows).toBe(want.length);
    for (const [name, d] of Object.entries(cols)) expect(values(out.getChild(name)!.data[0]), name).toEqual(values(takeData(d, want)));
  });
});
