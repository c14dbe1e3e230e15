import * as arrow from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conjunctsOf, filterRows, type RowPredicate } from '../../ops/compute/filter-rows.ts';
import type { ExprNode } from '../../ops/expr/node.ts';

/** A batch with row ids 0..n-1 in `id` and a string column, so gathers of both kinds are checked. */
function batchOf(n: number): arrow.RecordBatch {
  const ids = Int32Array.from({ length: n }, (_, i) => i);
  return new arrow.RecordBatch({
    id: arrow.makeData({ type: new arrow.Int32(), length: n, data: ids }),
    s: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => `r${i}`), new arrow.Utf8()).data[0],
  });
}

/** A conjunct whose answer for row id r is truth[r] (true, false or null). */
function predicate(truth: readonly (boolean | null)[], calls: number[]): RowPredicate {
  return {
    evaluate(b) {
      const ids = b.getChild('id')!.toArray() as Int32Array;
      calls.push(ids.length);
      return arrow.vectorFromArray(Array.from(ids, (r) => truth[r]), new arrow.Bool()).data[0];
    },
  };
}

describe('filterRows', () => {
  it('keeps exactly the rows where every conjunct is true (null is false), in order', () => {
    const cell = fc.constantFrom<boolean | null>(true, true, true, false, null);
    fc.assert(fc.property(fc.integer({ min: 0, max: 70 }), fc.integer({ min: 1, max: 4 }), fc.infiniteStream(cell), (n, k, stream) => {
      const truths = Array.from({ length: k }, () => Array.from({ length: n }, () => stream.next().value as boolean | null));
      const out = filterRows(batchOf(n), truths.map((t) => predicate(t, [])));
      const want = Array.from({ length: n }, (_, r) => r).filter((r) => truths.every((t) => t[r] === true));
      expect(Array.from(out.getChild('id')!.toArray() as Int32Array)).toEqual(want);
      expect(out.getChild('s')!.toArray()).toEqual(want.map((r) => `r${r}`));
    }), { numRuns: 300 });
  });

  it('with an output schema, returns only its leading columns, the rows those of the whole filter, on every path (none, all, some, a run, an early gather)', () => {
    const cell = fc.constantFrom<boolean | null>(true, true, true, false, null);
    fc.assert(fc.property(fc.integer({ min: 0, max: 70 }), fc.integer({ min: 1, max: 4 }), fc.infiniteStream(cell), fc.constantFrom('mixed', 'all', 'none'), (n, k, stream, kind) => {
      const truths = Array.from({ length: k }, () => Array.from({ length: n }, () => (kind === 'all' ? true : kind === 'none' ? false : stream.next().value as boolean | null)));
      const whole = batchOf(n);
      // The filters read `id`, which the output leaves out: it comes last, after `s`.
      const b = new arrow.RecordBatch({ s: whole.getChild('s')!.data[0], id: whole.getChild('id')!.data[0] });
      const out = new arrow.Schema([b.schema.fields[0]]);
      const got = filterRows(b, truths.map((t) => predicate(t, [])), out);
      const want = Array.from({ length: n }, (_, r) => r).filter((r) => truths.every((t) => t[r] === true));
      expect(got.schema.fields.map((f) => f.name)).toEqual(['s']);
      expect(got.numRows).toBe(want.length);
      expect(got.getChild('s')!.toArray()).toEqual(want.map((r) => `r${r}`));
    }), { numRuns: 300 });
  });

  it('runs later conjuncts only on the rows left once a quarter or fewer remain', () => {
    const n = 100;
    const calls: number[] = [];
    const few = Array.from({ length: n }, (_, r) => r % 10 === 0); // 10 rows pass
    const most = Array.from({ length: n }, (_, r) => r % 10 !== 5); // 90 pass
    const out = filterRows(batchOf(n), [predicate(most, calls), predicate(few, calls), predicate(most, calls)]);
    expect(calls).toEqual([100, 100, 10]);
    expect(out.numRows).toBe(10);
  });

  it('returns the batch untouched when all pass, and a slice for a contiguous run', () => {
    const b = batchOf(20);
    expect(filterRows(b, [predicate(Array(20).fill(true), [])])).toBe(b);
    const run = filterRows(b, [predicate(Array.from({ length: 20 }, (_, r) => r >= 5 && r < 12), [])]);
    expect(Array.from(run.getChild('id')!.toArray() as Int32Array)).toEqual([5, 6, 7, 8, 9, 10, 11]);
    expect(run.data.children[0].values.buffer).toBe(b.data.children[0].values.buffer);
  });

  it('splits a predicate into its conjuncts, left to right', () => {
    const c = (name: string): ExprNode => ({ kind: 'column', name });
    const and = (l: ExprNode, r: ExprNode): ExprNode => ({ kind: 'binary', op: 'and', left: l, right: r });
    const or: ExprNode = { kind: 'binary', op: 'or', left: c('x'), right: c('y') };
    expect(conjunctsOf(and(and(c('a'), or), c('b')))).toEqual([c('a'), or, c('b')]);
  });
});
