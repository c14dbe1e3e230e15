import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { partitionIds, splitByPartition } from '../../ops/compute/partition.ts';
import { randomTable, rowsOf } from './aggregate-support.ts';
import { col } from './stream-support.ts';

describe('partitionIds', () => {
  it('is in range, deterministic, and equal keys of different numeric types land together', () => {
    const a = arrow.vectorFromArray([1, 2, 3, null, 7], new arrow.Int32()).data[0];
    const b = arrow.vectorFromArray([1n, 2n, 3n, null, 7n], new arrow.Int64()).data[0];
    for (const n of [1, 2, 3, 7, 200]) {
      const p = partitionIds([a], 5, n);
      expect(Array.from(p).every((x) => x >= 0 && x < n)).toBe(true);
      expect(Array.from(partitionIds([b], 5, n))).toEqual(Array.from(p));
    }
  });

  it('spreads distinct keys evenly', () => {
    const keys = arrow.vectorFromArray(Array.from({ length: 10_000 }, (_, i) => `user-${i}`), new arrow.Utf8()).data[0];
    const counts = new Array(8).fill(0);
    for (const p of partitionIds([keys], keys.length, 8)) counts[p]++;
    for (const c of counts) expect(c).toBeGreaterThan(1000);
  });
});

describe('splitByPartition', () => {
  it('returns nParts batches that together hold every row once, in input order, keys together', () => {
    const t = randomTable({ rows: 1000, groups: 50, seed: 4 });
    const withId = new arrow.Table({ i: arrow.vectorFromArray(Array.from({ length: 1000 }, (_, i) => i), new arrow.Int32()), k: t.getChild('k')!, g: t.getChild('g')! });
    const batch = withId.batches[0].slice(100, 800);
    const parts = splitByPartition(batch, [col('k'), col('g')], 5);
    expect(parts).toHaveLength(5);
    const ids = parts.flatMap((p) => [...p.getChild('i')!] as number[]);
    expect([...ids].sort((a, b) => a - b)).toEqual(Array.from({ length: 700 }, (_, i) => i + 100));
    const home = new Map<string, number>();
    parts.forEach((p, n) => {
      const rows = rowsOf([p]);
      for (const r of rows) {
        const k = JSON.stringify([r.k, r.g]);
        expect(home.get(k) ?? n).toBe(n);
        home.set(k, n);
      }
      const order = rows.map((r) => r.i as number);
      expect(order).toEqual([...order].sort((a, b) => a - b));
    });
  });

  it('deals rows round robin without keys, starting at roundRobinStart', () => {
    const t = new arrow.Table({ x: arrow.vectorFromArray([0, 1, 2, 3, 4, 5, 6], new arrow.Int32()) });
    const parts = splitByPartition(t.batches[0], [], 3, 2);
    expect(parts.map((p) => [...p.getChild('x')!])).toEqual([[1, 4], [2, 5], [0, 3, 6]]);
    const empty = splitByPartition(t.batches[0].slice(0, 0), [], 4);
    expect(empty.map((p) => p.numRows)).toEqual([0, 0, 0, 0]);
  });
});
