// KeyTable's dense map (one integer key over a small range): ids in first-seen order as a plain map gives them, across batches that widen the range up and down (the map regrows), near the int32 limits, and after the keys outgrow it and the slots take over.
import * as arrow from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyTable } from '../../ops/compute/key-table.ts';

const INT_MIN = -(2 ** 31), INT_MAX = 2 ** 31 - 1;
const int32 = (xs: number[]) => arrow.vectorFromArray(xs, new arrow.Int32()).data[0];

/** Ids a plain map gives in first-seen order, and whether the table keeps its dense map (the rule of key-dense-int.ts, batch by batch). */
function reference(batches: number[][]): { ids: number[][]; groups: Map<number, number>; dense: boolean } {
  const groups = new Map<number, number>();
  let lo = Infinity, hi = -Infinity, dense = true;
  const ids = batches.map((b) => {
    const before = groups.size;
    const out = b.map((k) => { if (!groups.has(k)) groups.set(k, groups.size); return groups.get(k)!; });
    if (b.length) {
      lo = Math.min(lo, ...b); hi = Math.max(hi, ...b);
      const range = hi - lo + 1;
      if (range > Math.max(4096, 10 * (before + b.length)) || range > Math.max(4096, 10 * groups.size)) dense = false;
    }
    return out;
  });
  return { ids, groups, dense };
}

describe('KeyTable dense map', () => {
  it('gives first-seen ids while the range grows both ways, and keeps them after the slots take over', () => {
    const walk = fc.array(fc.record({ move: fc.integer({ min: -6000, max: 6000 }), keys: fc.array(fc.integer({ min: -300, max: 300 }), { minLength: 0, maxLength: 300 }) }), { minLength: 1, maxLength: 12 });
    fc.assert(fc.property(fc.constantFrom(0, INT_MIN + 2000, INT_MAX - 2000, -50_000), walk, fc.array(fc.integer({ min: -20_000, max: 20_000 }), { maxLength: 100 }), (start, steps, probeOffsets) => {
      let center = start;
      const clamp = (x: number) => Math.min(INT_MAX, Math.max(INT_MIN, x));
      const batches = steps.map((s) => { center = clamp(center + s.move); return s.keys.map((k) => clamp(center + k)); });
      const want = reference(batches);
      const t = new KeyTable([new arrow.Int32()], { nullKeys: 'group' });
      batches.forEach((b, i) => expect(Array.from(t.insert([int32(b)], b.length)), `batch ${i}`).toEqual(want.ids[i]));
      expect(t.size).toBe(want.groups.size);
      expect(t.isDense).toBe(want.dense && want.groups.size > 0);
      const probe = probeOffsets.map((o) => clamp(start + o));
      expect(Array.from(t.lookup([int32(probe)], probe.length))).toEqual(probe.map((k) => want.groups.get(k) ?? -1));
      // The stored keys, group by group.
      expect([...new arrow.Vector([t.keysAsData()[0]])]).toEqual([...want.groups.keys()]);
    }), { numRuns: 300 });
  });

  it('hands over to the slots when a batch spreads the keys out, with every group still found', () => {
    const t = new KeyTable([new arrow.Int32()], { nullKeys: 'group' });
    const dense = Array.from({ length: 3000 }, (_, i) => 1000 + i);
    t.insert([int32(dense)], dense.length);
    expect(t.isDense).toBe(true);
    const far = [5_000_000, 1000, 7, -9_000_000];
    expect(Array.from(t.insert([int32(far)], far.length))).toEqual([3000, 0, 3001, 3002]);
    expect(t.isDense).toBe(false);
    const all = [...dense, 5_000_000, 7, -9_000_000, 42];
    expect(Array.from(t.lookup([int32(all)], all.length))).toEqual([...dense.map((_, i) => i), 3000, 3001, 3002, -1]);
  });

  it('never adds a null key of a never-match table, and finds none', () => {
    const t = new KeyTable([new arrow.Int32()], { nullKeys: 'never-match' });
    const b = arrow.vectorFromArray([5, null, 6, null, 5], new arrow.Int32()).data[0];
    expect(Array.from(t.insert([b], 5))).toEqual([0, -1, 1, -1, 0]);
    expect(t.isDense).toBe(true);
    expect(Array.from(t.lookup([b], 5))).toEqual([0, -1, 1, -1, 0]);
    expect(t.size).toBe(2);
  });
});
