import * as arrow from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashBytes, hashColumns } from '../../ops/compute/hash.ts';
import { KeyTable } from '../../ops/compute/key-table.ts';
import { toFloat64Data } from '../../ops/joins/join-hash-table.ts';

const vec = (values: unknown[], type: arrow.DataType) => arrow.vectorFromArray(values, type).data[0];
const enc = new TextEncoder();

describe('hashColumns', () => {
  it('hashes numbers by value across types, -0 as 0 and all NaNs alike', () => {
    const h = (d: arrow.Data) => Array.from(hashColumns([d], d.length));
    const i32 = h(vec([7, 0, -3, null], new arrow.Int32()));
    expect(h(vec([7n, 0n, -3n, null], new arrow.Int64()))).toEqual(i32);
    expect(h(vec([7, -0, -3, null], new arrow.Float64()))).toEqual(i32);
    expect(h(vec([7, 0, -3, null], new arrow.Int8()))).toEqual(i32);
    expect(h(vec([7, 0, -3, null], new arrow.Float32()))).toEqual(i32);
    const nan = new Float64Array([NaN, -NaN, 0 / 0]);
    new Uint32Array(nan.buffer)[2] ^= 1; // another NaN payload
    const hn = h(arrow.makeData({ type: new arrow.Float64(), length: 3, nullCount: 0, data: nan }));
    expect(new Set(hn).size).toBe(1);
    expect(i32[0]).not.toBe(i32[1]);
  });

  it('is deterministic (pinned values) and combines columns in order', () => {
    const a = vec(['x', 'yy', null], new arrow.Utf8());
    const b = vec([1, 2, 3], new arrow.Int32());
    expect(Array.from(hashColumns([a], 3))).toEqual(Array.from(hashColumns([a], 3)));
    expect(hashBytes(enc.encode('hello'), 0, 5)).toBe(0x248bfa47); // murmur3_32("hello", seed 0)
    expect(hashBytes(enc.encode(''), 0, 0)).toBe(0);
    const ab = hashColumns([a, b], 3), ba = hashColumns([b, a], 3);
    expect(ab[0]).not.toBe(ba[0]);
  });

  it('reads utf8 by bytes through slices and offsets', () => {
    fc.assert(fc.property(fc.array(fc.option(fc.string({ unit: 'grapheme' }), { nil: null }), { minLength: 1, maxLength: 40 }), fc.nat(), (xs, s) => {
      const d = vec(xs, new arrow.Utf8());
      const start = s % xs.length;
      const sliced = d.slice(start, xs.length - start);
      const fresh = vec(xs.slice(start), new arrow.Utf8());
      expect(Array.from(hashColumns([sliced], sliced.length))).toEqual(Array.from(hashColumns([fresh], fresh.length)));
    }));
  });
});

describe('KeyTable', () => {
  it('assigns dense ids in first-seen order and groups nulls together', () => {
    const t = new KeyTable([new arrow.Utf8(), new arrow.Int32()]);
    const s = vec(['a', 'b', 'a', null, null, 'a'], new arrow.Utf8());
    const n = vec([1, 1, 1, null, null, 2], new arrow.Int32());
    expect(Array.from(t.insert([s, n], 6))).toEqual([0, 1, 0, 2, 2, 3]);
    expect(Array.from(t.lookup([vec(['a', 'c', null], new arrow.Utf8()), vec([2, 1, null], new arrow.Int32())], 3))).toEqual([3, -1, 2]);
    const [ks, kn] = t.keysAsData();
    expect([...new arrow.Vector([ks])]).toEqual(['a', 'b', null, 'a']);
    expect([...new arrow.Vector([kn])]).toEqual([1, 1, null, 2]);
  });

  it("never matches null keys with nullKeys 'never-match'", () => {
    const t = new KeyTable([new arrow.Utf8()], { nullKeys: 'never-match' });
    expect(Array.from(t.insert([vec(['a', null, 'a'], new arrow.Utf8())], 3))).toEqual([0, -1, 0]);
    expect(Array.from(t.lookup([vec([null, 'a'], new arrow.Utf8())], 2))).toEqual([-1, 0]);
    const u = new KeyTable([new arrow.Int32(), new arrow.Utf8()], { nullKeys: 'never-match' });
    expect(Array.from(u.insert([vec([1, null, 1], new arrow.Int32()), vec(['x', 'x', null], new arrow.Utf8())], 3))).toEqual([0, -1, -1]);
    expect(u.size).toBe(1);
  });

  it('matches every key type, including 64-bit extremes, bool, binary and NaN', () => {
    const cols = [
      vec([9007199254740993n, 9007199254740992n, -1n, 9007199254740993n], new arrow.Int64()),
      vec([true, false, true, true], new arrow.Bool()),
      vec([enc.encode('ab'), enc.encode(''), enc.encode('ab'), enc.encode('ab')], new arrow.Binary()),
      vec([NaN, 0, -0, NaN], new arrow.Float64()),
      vec([1, 2, 1, 1], new arrow.DateDay()),
    ];
    const t = new KeyTable(cols.map((c) => c.type));
    expect(Array.from(t.insert(cols, 4))).toEqual([0, 1, 2, 0]);
    const back = t.keysAsData();
    expect([...new arrow.Vector([back[0]])]).toEqual([9007199254740993n, 9007199254740992n, -1n]);
    expect([...new arrow.Vector([back[1]])]).toEqual([true, false, true]);
    expect([...new arrow.Vector([back[3]])]).toEqual([NaN, 0, -0]);
  });

  it('compares numbers of different widths by value (int32 build, float64 probe)', () => {
    const t = new KeyTable([new arrow.Int32()], { nullKeys: 'never-match' });
    t.insert([vec([1, 2, 3], new arrow.Int32())], 3);
    expect(Array.from(t.lookup([vec([2, 2.5, 3], new arrow.Float64())], 3))).toEqual([1, -1, 2]);
    const wide = new KeyTable([new arrow.Float64()]);
    wide.insert([toFloat64Data(vec([5n, null], new arrow.Int64()))], 2);
    expect(Array.from(wide.lookup([vec([5, null], new arrow.Float64())], 2))).toEqual([0, 1]);
  });

  it('agrees with a Map reference on random utf8 keys, across growth and slices', () => {
    fc.assert(fc.property(fc.array(fc.option(fc.constantFrom('', 'a', 'ab', 'abc', 'abcd', 'abcde', 'héllo', 'zzzzzzzzzzzzzzzzzz', 'x'.repeat(40)), { nil: null }), { maxLength: 300 }),
      fc.array(fc.string(), { maxLength: 300 }), (xs, ys) => {
        const t = new KeyTable([new arrow.Utf8()]);
        const ref = new Map<string | null, number>();
        for (const batch of [xs, ys.map((y) => y as string | null), xs.slice(1)]) {
          if (batch.length === 0) continue;
          const padded = ['pad', ...batch];
          const d = vec(padded, new arrow.Utf8()).slice(1, batch.length);
          const ids = Array.from(t.insert([d], batch.length));
          const want = batch.map((x) => { if (!ref.has(x)) ref.set(x, ref.size); return ref.get(x)!; });
          expect(ids).toEqual(want);
        }
        expect([...new arrow.Vector([t.keysAsData()[0]])]).toEqual([...ref.keys()]);
      }));
  });

  it('agrees with a Map reference on random multi-column keys', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.option(fc.integer({ min: -3, max: 3 }), { nil: null }), fc.option(fc.constantFrom('p', 'q', ''), { nil: null })), { maxLength: 500 }), (rows) => {
      const t = new KeyTable([new arrow.Int32(), new arrow.Utf8()]);
      const ids = Array.from(t.insert([vec(rows.map((r) => r[0]), new arrow.Int32()), vec(rows.map((r) => r[1]), new arrow.Utf8())], rows.length));
      const ref = new Map<string, number>();
      const want = rows.map((r) => { const k = JSON.stringify(r); if (!ref.has(k)) ref.set(k, ref.size); return ref.get(k)!; });
      expect(ids).toEqual(want);
    }));
  });
});
