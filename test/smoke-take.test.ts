import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { takeBatch, maskToIndices } from '../ops/compute/take.ts';
import { concatBatches } from '../ops/compute/batch.ts';

describe('take and concat', () => {
  it('gathers every type, with -1 as null, and concatenates', () => {
    const t = new arrow.Table({ a: arrow.makeVector(Int32Array.from([1, 2, 3])), s: arrow.vectorFromArray(['x', 'yy', 'zzz'], new arrow.Utf8()), f: arrow.makeVector(Float64Array.from([1.5, 2.5, 3.5])) });
    const b = t.batches[0];
    const g = takeBatch(b, Int32Array.from([2, -1, 0]));
    expect(g.toArray().map((r) => r.toJSON())).toEqual([{ a: 3, s: 'zzz', f: 3.5 }, { a: null, s: null, f: null }, { a: 1, s: 'x', f: 1.5 }]);
    const c = concatBatches(b.schema, [b.slice(1, 3), g]);
    expect(c.toArray().map((r) => r.toJSON().s)).toEqual(['yy', 'zzz', 'zzz', null, 'x']);
    const mask = arrow.vectorFromArray([true, false, true], new arrow.Bool()).data[0];
    expect(Array.from(maskToIndices(mask))).toEqual([0, 2]);
  });
});
