// Lookups into big KeyTables (past the size where a bit filter of the groups' hashes answers most absent keys first) give the ids a Map gives, on every key path, with groups added after a lookup found too.
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { KeyTable } from '../../ops/compute/key-table.ts';

const vec = (values: unknown[], type: arrow.DataType) => arrow.vectorFromArray(values, type).data[0];

interface Path { name: string; types: arrow.DataType[]; key: (i: number) => unknown[] }
const PATHS: Path[] = [
  { name: 'float64', types: [new arrow.Float64()], key: (i) => [i * 1.5] },
  { name: 'int64', types: [new arrow.Int64()], key: (i) => [BigInt(i) * 1_000_003n - 7n] },
  { name: 'int32,int32', types: [new arrow.Int32(), new arrow.Int32()], key: (i) => [i >> 3, i & 7] },
  { name: 'utf8', types: [new arrow.Utf8()], key: (i) => [`k${i}`] },
  { name: 'utf8,int64', types: [new arrow.Utf8(), new arrow.Int64()], key: (i) => [`p${i % 97}`, BigInt(i)] },
];

describe('KeyTable lookups into big tables', () => {
  for (const p of PATHS) {
    it(`${p.name}: present keys find their groups, absent ones -1, also keys added after the first lookup`, () => {
      const t = new KeyTable(p.types);
      const cols = (keys: number[]) => p.types.map((ty, c) => vec(keys.map((i) => p.key(i)[c]), ty));
      // 40,000 groups (even numbers), inserted in batches.
      const want = new Map<number, number>();
      for (let from = 0; from < 80_000; from += 16_000) {
        const keys = Array.from({ length: 8_000 }, (_, j) => from + 2 * j);
        const ids = t.insert(cols(keys), keys.length);
        keys.forEach((k, j) => want.set(k, ids[j]));
      }
      const probe = (keys: number[]) => Array.from(t.lookup(cols(keys), keys.length));
      // Present and absent keys mixed, then keys beyond every group.
      const mixed = Array.from({ length: 30_000 }, (_, j) => (j * 7919) % 100_000);
      expect(probe(mixed)).toEqual(mixed.map((k) => want.get(k) ?? -1));
      // Groups added after a lookup (the filter is kept up): found by the next lookup.
      const more = Array.from({ length: 5_000 }, (_, j) => 2 * j + 1);
      const ids = t.insert(cols(more), more.length);
      more.forEach((k, j) => want.set(k, ids[j]));
      const again = Array.from({ length: 30_000 }, (_, j) => (j * 104_729) % 100_000);
      expect(probe(again)).toEqual(again.map((k) => want.get(k) ?? -1));
      // Twice as many groups again (the filter is made anew, larger).
      const many = Array.from({ length: 60_000 }, (_, j) => 200_000 + j);
      const ids2 = t.insert(cols(many), many.length);
      many.forEach((k, j) => want.set(k, ids2[j]));
      const last = Array.from({ length: 30_000 }, (_, j) => (j * 13) % 300_000);
      expect(probe(last)).toEqual(last.map((k) => want.get(k) ?? -1));
    });
  }
});
