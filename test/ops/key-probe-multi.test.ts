// KeyTable's path for several key columns (key-probe-multi.ts) against a Map of the rows' values: batches, slices, both null rules, inserts then lookups.
import * as arrow from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashColumns } from '../../ops/compute/hash.ts';
import { KeyTable, type NullKeys } from '../../ops/compute/key-table.ts';

const vec = (values: unknown[], type: arrow.DataType) => arrow.vectorFromArray(values, type).data[0];

interface Shape { types: arrow.DataType[]; cells: fc.Arbitrary<unknown>[] }
// Few distinct values per column, so batches repeat keys (within a batch and across batches).
const SHAPES: Record<string, Shape> = {
  'utf8,utf8': {
    types: [new arrow.Utf8(), new arrow.Utf8()],
    cells: [fc.option(fc.constantFrom('', 'a', 'ab', '2020-06-25T13:44', 'x'.repeat(70)), { nil: null }), fc.option(fc.constantFrom('p', 'q', '', 'héllo'), { nil: null })],
  },
  'int64,bool,utf8': {
    types: [new arrow.Int64(), new arrow.Bool(), new arrow.Utf8()],
    cells: [fc.option(fc.constantFrom(0n, -1n, 2n ** 60n, 2n ** 53n + 1n), { nil: null }), fc.option(fc.boolean(), { nil: null }), fc.option(fc.constantFrom('a', 'b'), { nil: null })],
  },
  'float64,utf8': {
    types: [new arrow.Float64(), new arrow.Utf8()],
    cells: [fc.option(fc.constantFrom(0, -0, NaN, 1.5, -2), { nil: null }), fc.option(fc.constantFrom('k', 'kk'), { nil: null })],
  },
};

/** A cell as the reference sees it: -0 is 0, NaN is one value, null is null. */
const norm = (x: unknown) => (typeof x === 'number' && Number.isNaN(x) ? 'NaN' : Object.is(x, -0) ? 0 : typeof x === 'bigint' ? `${x}n` : x);
const keyOf = (r: unknown[]) => JSON.stringify(r.map(norm));

/** One batch's columns, each a slice (offset `skip`) of a longer column. */
function columns(shape: Shape, rows: unknown[][], skip: number): arrow.Data[] {
  return shape.types.map((t, c) => vec([...new Array(skip).fill(rows[0]?.[c] ?? null), ...rows.map((r) => r[c])], t).slice(skip, rows.length));
}

function check(shape: Shape, nullKeys: NullKeys, batches: { rows: unknown[][]; skip: number }[], probe: unknown[][]): void {
  const t = new KeyTable(shape.types, { nullKeys });
  const ref = new Map<string, number>();
  const refRows: unknown[][] = [];
  const hasNull = (r: unknown[]) => r.some((x) => x === null);
  for (const b of batches) {
    if (b.rows.length === 0) continue;
    const ids = Array.from(t.insert(columns(shape, b.rows, b.skip), b.rows.length));
    const want = b.rows.map((r) => {
      if (nullKeys === 'never-match' && hasNull(r)) return -1;
      const k = keyOf(r);
      if (!ref.has(k)) { ref.set(k, ref.size); refRows.push(r); }
      return ref.get(k)!;
    });
    expect(ids).toEqual(want);
  }
  expect(t.size).toBe(ref.size);
  if (probe.length) {
    const ids = Array.from(t.lookup(columns(shape, probe, 3), probe.length));
    expect(ids).toEqual(probe.map((r) => (nullKeys === 'never-match' && hasNull(r) ? -1 : ref.get(keyOf(r)) ?? -1)));
  }
  const back = t.keysAsData().map((d) => [...new arrow.Vector([d])]);
  expect(refRows.map((_, g) => keyOf(back.map((col) => col[g])))).toEqual(refRows.map(keyOf));
}

describe('KeyTable with several key columns agrees with a Map of the rows', () => {
  for (const [name, shape] of Object.entries(SHAPES)) {
    for (const nullKeys of ['group', 'never-match'] as NullKeys[]) {
      it(`${name} keys, nullKeys '${nullKeys}'`, () => {
        const row = fc.tuple(...shape.cells) as fc.Arbitrary<unknown[]>;
        const batches = fc.array(fc.record({ rows: fc.array(row, { maxLength: 150 }), skip: fc.integer({ min: 0, max: 9 }) }), { minLength: 1, maxLength: 6 });
        fc.assert(fc.property(batches, fc.array(row, { maxLength: 60 }), (bs, probe) => check(shape, nullKeys, bs, probe)), { numRuns: 60 });
      });
    }
  }

  it('across many rehashes: 30,000 distinct utf8 pairs in 4 batches, half of them repeats', () => {
    const shape = SHAPES['utf8,utf8'];
    const rows = Array.from({ length: 60_000 }, (_, i) => [`m${(i * 7919) % 30_000}`, i % 5 === 0 ? null : `p${i % 3}`]);
    const batches = [0, 1, 2, 3].map((k) => ({ rows: rows.slice(k * 15_000, (k + 1) * 15_000), skip: k }));
    check(shape, 'group', batches, rows.slice(0, 2000).map((r, i) => (i % 7 === 0 ? [`absent${i}`, r[1]] : r)));
  });

  it('tells apart two keys whose hashes are equal (a full-hash collision), guessed or walked', () => {
    const u = new arrow.Utf8();
    const rows = (...k: string[]) => [vec(k, u), vec(k.map(() => 'p'), u)];
    // Found by search: the two keys collide in all 32 bits of hashColumns.
    const h = hashColumns(rows('k15599', 'k97211'), 2);
    expect(h[0]).toBe(h[1]);
    const t = new KeyTable([u, u]);
    expect(Array.from(t.insert(rows('k15599'), 1))).toEqual([0]);
    // Batch 2's first row guesses group 0 from its slot; its bytes differ, so it is a new group.
    expect(Array.from(t.insert(rows('k97211', 'k15599', 'k97211'), 3))).toEqual([1, 0, 1]);
    expect(Array.from(t.lookup(rows('k97211', 'k15599', 'k15598'), 3))).toEqual([1, 0, -1]);
    const fresh = new KeyTable([u, u]);
    expect(Array.from(fresh.insert(rows('k15599', 'k97211'), 2))).toEqual([0, 1]);
  });
});
