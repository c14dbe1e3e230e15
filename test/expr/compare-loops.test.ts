import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { columnBits, scalarBits, type CmpOp } from '../../ops/expr/compare-loops.ts';

const OPS: CmpOp[] = ['eq', 'neq', 'lt', 'lte', 'gt', 'gte'];
const holds = (op: CmpOp, a: number, b: number): boolean =>
  op === 'eq' ? a === b : op === 'neq' ? a !== b : op === 'lt' ? a < b : op === 'lte' ? a <= b : op === 'gt' ? a > b : a >= b;
const bitsOf = (out: Uint8Array, n: number): boolean[] => Array.from({ length: n }, (_, i) => (out[i >> 3] & (1 << (i & 7))) !== 0);

describe('branch-free comparison loops', () => {
  // Small values make ties common; lengths cover the 8-row blocks and the tail after them.
  const small = fc.integer({ min: -3, max: 3 });
  it('scalarBits equals a row-by-row test for every op, int32 and float64, any length', () => {
    fc.assert(fc.property(fc.constantFrom(...OPS), fc.array(small, { maxLength: 40 }), small, fc.boolean(), (op, xs, s, float) => {
      const A = float ? Float64Array.from(xs, (x) => x / 2) : Int32Array.from(xs);
      const t = float ? s / 2 : s;
      const out = scalarBits(op, A, t, A.length);
      expect(out.length).toBe((A.length + 7) >> 3);
      expect(bitsOf(out, A.length)).toEqual(Array.from(A, (a) => holds(op, a, t)));
      // Nothing is set past the last row.
      for (let i = A.length; i < out.length * 8; i++) expect(out[i >> 3] & (1 << (i & 7))).toBe(0);
    }), { numRuns: 300 });
  });

  it('columnBits equals a row-by-row test for every op, over mixed array types', () => {
    fc.assert(fc.property(fc.constantFrom(...OPS), fc.array(fc.tuple(small, small), { maxLength: 40 }), (op, pairs) => {
      const A = Int32Array.from(pairs, (p) => p[0]);
      const B = Float64Array.from(pairs, (p) => p[1]);
      expect(bitsOf(columnBits(op, A, B, A.length), A.length)).toEqual(pairs.map(([a, b]) => holds(op, a, b)));
    }), { numRuns: 300 });
  });
});
