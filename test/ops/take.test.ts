// takeData against a row-by-row reference (Vector.get) for every fixed-width type, utf8 and bool: nulls, slices, -1 indices; contiguousRun (when a gather may be a slice).
import * as arrow from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contiguousRun, takeData } from '../../ops/compute/take.ts';

const int = (min: number, max: number) => fc.integer({ min, max });
const CASES: [string, arrow.DataType, fc.Arbitrary<unknown>][] = [
  ['int8', new arrow.Int8(), int(-128, 127)],
  ['int32', new arrow.Int32(), fc.integer()],
  ['uint32', new arrow.Uint32(), int(0, 2 ** 32 - 1)],
  ['int64', new arrow.Int64(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })],
  ['uint64', new arrow.Uint64(), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })],
  ['float32', new arrow.Float32(), fc.constantFrom(0, -0, 1.5, NaN, -Infinity)],
  ['float64', new arrow.Float64(), fc.double()],
  ['date32', new arrow.DateDay(), int(-100_000, 100_000).map((d) => new Date(d * 86_400_000))],
  ['timestamp', new arrow.TimestampMillisecond(), int(-1e12, 1e12)],
  ['utf8', new arrow.Utf8(), fc.string({ maxLength: 80 })],
  ['bool', new arrow.Bool(), fc.boolean()],
];

const same = (x: unknown) => (x instanceof Date ? x.getTime() : typeof x === 'number' && Number.isNaN(x) ? 'NaN' : Object.is(x, -0) ? '-0' : x);

describe('takeData', () => {
  for (const [name, type, cell] of CASES) {
    it(`gathers ${name} like Vector.get, with nulls, a slice and -1 indices`, () => {
      fc.assert(fc.property(fc.array(fc.option(cell, { nil: null, freq: 5 }), { minLength: 1, maxLength: 100 }), fc.nat(9), fc.array(fc.nat(), { maxLength: 150 }), (xs, skip, picks) => {
        const full = arrow.vectorFromArray(xs, type as arrow.DataType).data[0];
        const d = full.slice(Math.min(skip, xs.length - 1), xs.length - Math.min(skip, xs.length - 1));
        const indices = Int32Array.from(picks, (p) => (p % 7 === 0 ? -1 : p % d.length));
        const got = new arrow.Vector([takeData(d, indices)]);
        const src = new arrow.Vector([d]);
        expect(Array.from({ length: indices.length }, (_, i) => same(got.get(i)))).toEqual(Array.from(indices, (k) => (k < 0 ? null : same(src.get(k)))));
      }), { numRuns: 80 });
    });
  }
});

describe('contiguousRun', () => {
  const run = (xs: number[], rows: number) => contiguousRun(Int32Array.from(xs), rows);
  it('gives the first index of one ascending run covering at least half the source, else -1', () => {
    expect(run([0, 1, 2, 3], 4)).toBe(0);
    expect(run([3, 4, 5], 6)).toBe(3);
    expect(run([5], 2)).toBe(5);
    expect(run([3, 4, 5], 7)).toBe(-1); // under half of the source: a copy frees the rest
    expect(run([0, 1, 3, 4], 4)).toBe(-1);
    expect(run([0, 2, 1, 3], 4)).toBe(-1); // first and last fit a run, the middle does not
    expect(run([-1, 0, 1], 3)).toBe(-1);
    expect(run([0, 1, -1], 3)).toBe(-1);
    expect(run([1, 1, 1], 3)).toBe(-1);
    expect(run([], 0)).toBe(-1);
  });

  it('agrees with a row-by-row check', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: -1, max: 12 }), { maxLength: 12 }), fc.integer({ min: 0, max: 24 }), (xs, rows) => {
      const isRun = xs.length > 0 && 2 * xs.length >= rows && xs[0] >= 0 && xs.every((x, i) => x === xs[0] + i);
      expect(run(xs, rows)).toBe(isRun ? xs[0] : -1);
    }), { numRuns: 2000 });
  });
});
