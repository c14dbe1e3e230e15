// KeyTable's path for several key columns (key-probe-multi.ts) against a Map of the rows' values: batches, slices, both null rules, inserts then lookups.
import * as arrow from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesView, hashColumns } from '../../ops/compute/hash.ts';
import { sameKeyBytes } from '../../ops/compute/key-store.ts';
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

describe('KeyTable compares key bytes eight at a time', () => {
  // Bytes whose 8-byte windows read as float64 zeros (+0, -0) and NaNs: equal doubles with
  // different bits, and equal bits that are unequal doubles.
  const byte = fc.constantFrom(0x00, 0x80, 0xf8, 0x7f, 0xff, 0x01);
  const key = fc.option(fc.uint8Array({ minLength: 0, maxLength: 20 }).chain((a) => fc.array(byte, { minLength: a.length, maxLength: a.length }).map((b) => Uint8Array.from(b))), { nil: null, freq: 10 });
  const hex = (b: Uint8Array | null) => (b === null ? 'null' : Buffer.from(b).toString('hex'));

  it('one binary key and two: the same groups as a Map of the bytes, zeros and NaN patterns included', () => {
    fc.assert(fc.property(fc.array(fc.tuple(key, key), { minLength: 1, maxLength: 200 }), (rows) => {
      const one = new KeyTable([new arrow.Binary()]);
      const two = new KeyTable([new arrow.Binary(), new arrow.Binary()]);
      const ref1 = new Map<string, number>(), ref2 = new Map<string, number>();
      const half = rows.length >> 1;
      // Two batches: the second is guessed against groups the first stored.
      for (const part of [rows.slice(0, half), rows.slice(half)]) {
        if (part.length === 0) continue;
        const a = vec(part.map((r) => r[0]), new arrow.Binary()), b = vec(part.map((r) => r[1]), new arrow.Binary());
        expect(Array.from(one.insert([a], part.length))).toEqual(part.map((r) => { const k = hex(r[0]); if (!ref1.has(k)) ref1.set(k, ref1.size); return ref1.get(k)!; }));
        expect(Array.from(two.insert([a, b], part.length))).toEqual(part.map((r) => { const k = `${hex(r[0])}|${hex(r[1])}`; if (!ref2.has(k)) ref2.set(k, ref2.size); return ref2.get(k)!; }));
      }
    }), { numRuns: 150 });
  });

  it('sameKeyBytes equals a byte-by-byte compare, for windows that read as +0, -0 and NaN and for every overlap', () => {
    const pair = fc.integer({ min: 0, max: 20 }).chain((n) => fc.tuple(fc.array(byte, { minLength: n, maxLength: n }), fc.array(byte, { minLength: n, maxLength: n }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })));
    fc.assert(fc.property(pair, ([xs, ys, xo, yo]) => {
      // Equal keys about as often as unequal: y is x with its last byte from ys, or x itself.
      const x = Uint8Array.from([...new Array(xo).fill(7), ...xs]);
      const yKey = ys.length && ys[0] !== 0x00 ? xs.map((v, i) => (i === xs.length - 1 ? ys[i] : v)) : xs;
      const y = Uint8Array.from([...new Array(yo).fill(5), ...yKey]);
      const want = Buffer.compare(x.subarray(xo), y.subarray(yo)) === 0;
      expect(sameKeyBytes(x, bytesView(x), xo, y, bytesView(y), yo, xs.length)).toBe(want);
    }), { numRuns: 2000 });
    const pos = new Uint8Array(8), neg = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0x80]), nan = Uint8Array.from([1, 0, 0, 0, 0, 0, 0xf8, 0x7f]);
    expect(sameKeyBytes(pos, bytesView(pos), 0, neg, bytesView(neg), 0, 8)).toBe(false);
    const nan2 = Uint8Array.from(nan);
    expect(sameKeyBytes(nan, bytesView(nan), 0, nan2, bytesView(nan2), 0, 8)).toBe(true);
  });
});
