// fillPairs: a probe batch's (probe row, build row) pairs, chunk by chunk, equal one pass of the plain nested loop for any chunk size, group sizes, outer rows and semi/anti marking.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fillPairs, type PairCursor } from '../../ops/joins/pair-fill.ts';

/** Groups of build rows as CSR (starts, rows), and probe rows' groups (-1: none). */
const shapes = fc.record({
  groupSizes: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 12 }),
  probe: fc.array(fc.integer({ min: -1, max: 11 }), { maxLength: 40 }),
  size: fc.integer({ min: 1, max: 9 }),
  emitPairs: fc.boolean(),
  preserved: fc.boolean(),
});

describe('fillPairs', () => {
  it('writes the nested loop\'s pairs, in order, whatever the chunk size, and marks the same build rows', () => {
    fc.assert(fc.property(shapes, ({ groupSizes, probe, size, emitPairs, preserved }) => {
      const starts = new Int32Array(groupSizes.length + 1);
      groupSizes.forEach((k, g) => { starts[g + 1] = starts[g] + k; });
      const total = starts[groupSizes.length];
      // Build rows in a shuffled order, so that a pair's build row is not its index.
      const rows = Int32Array.from({ length: total }, (_, t) => (t * 7 + 3) % Math.max(1, total));
      const gid = Int32Array.from(probe, (g) => (g >= groupSizes.length ? -1 : g));
      const want: [number, number][] = [];
      const wantMatched = new Uint8Array(total);
      gid.forEach((g, i) => {
        if (g >= 0) for (let t = starts[g]; t < starts[g + 1]; t++) { wantMatched[rows[t]] = 1; if (emitPairs) want.push([i, rows[t]]); }
        else if (preserved) want.push([i, -1]);
      });
      const got: [number, number][] = [];
      const matched = new Uint8Array(total);
      const c: PairCursor = { i: 0, t: -1 };
      let chunks = 0;
      while (c.i < gid.length) {
        const pi = new Int32Array(size), bi = new Int32Array(size);
        const m = fillPairs(gid, gid.length, starts, rows, matched, emitPairs, preserved, pi, bi, c);
        // A chunk short of full ends the batch.
        if (m < size) expect(c.i).toBe(gid.length);
        for (let k = 0; k < m; k++) got.push([pi[k], bi[k]]);
        expect(++chunks).toBeLessThanOrEqual(want.length + 1);
      }
      expect(got).toEqual(want);
      expect(matched).toEqual(wantMatched);
    }), { numRuns: 1000 });
  });
});
