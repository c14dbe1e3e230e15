// KeyTable's specialised probe paths (one number key, two number keys, one 64-bit key, one integer key settled by hash alone) against its several-key path.
//
// A table whose keys carry one more column, a constant true bool, takes the several-key path
// (key-probe-multi.ts) and must give the same ids in the same order, for every batch,
// slice, null rule and table size (across rehashes).
import * as arrow from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fmix32, NULL_HASH } from '../../ops/compute/hash.ts';
import { KeyTable, type NullKeys } from '../../ops/compute/key-table.ts';

const vec = (values: unknown[], type: arrow.DataType) => arrow.vectorFromArray(values, type).data[0];
const trues = (n: number) => vec(new Array(n).fill(true), new arrow.Bool());

/** Values with the edge cases of number keys: -0, NaN, infinities, beyond int32, fractions, and many repeats. */
const FLOATS = [0, -0, NaN, 1, -1, 1.5, -2.25, 2 ** 31, -(2 ** 31) - 1, 2 ** 32 + 3, Infinity, -Infinity, 1e-300];
const floatCell = fc.option(fc.oneof(fc.constantFrom(...FLOATS), fc.integer({ min: -50, max: 50 }), fc.double()), { nil: null, freq: 8 });
const int32Cell = fc.option(fc.oneof(fc.integer({ min: -40, max: 40 }), fc.constantFrom(2147483647, -2147483648, 0)), { nil: null, freq: 8 });
const wideInt = fc.oneof(fc.bigInt({ min: -40n, max: 40n }), fc.constantFrom(2n ** 60n, 2n ** 60n + 1n, -(2n ** 63n), 2n ** 63n - 1n, 2n ** 53n + 1n, 2n ** 53n), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }));
const int64Cell = fc.option(wideInt, { nil: null, freq: 8 });
const uint64Cell = fc.option(fc.oneof(fc.bigInt({ min: 0n, max: 40n }), fc.constantFrom(2n ** 64n - 1n, 2n ** 63n, 2n ** 53n + 1n)), { nil: null, freq: 8 });

const oneByte = fc.constantFrom('A', 'N', 'R', 'F', 'O', '\u0000', '\u007f');
const flagCell = (freq: number) => fc.option(fc.oneof(oneByte, fc.string({ maxLength: 3 }), fc.constantFrom('', 'é')), { nil: null, freq });

interface Shape { types: arrow.DataType[]; cells: fc.Arbitrary<unknown>[] }
const SHAPES: Record<string, Shape> = {
  int32: { types: [new arrow.Int32()], cells: [int32Cell] },
  float64: { types: [new arrow.Float64()], cells: [floatCell] },
  float32: { types: [new arrow.Float32()], cells: [fc.option(fc.constantFrom(0, -0, NaN, 1.5, -1, Infinity, 3), { nil: null })] },
  int8: { types: [new arrow.Int8()], cells: [fc.option(fc.integer({ min: -128, max: 127 }), { nil: null })] },
  // No nulls: a 'group' table stays on the exact path (hashes alone) until a float or a null comes.
  'int32 without nulls': { types: [new arrow.Int32()], cells: [fc.oneof(fc.integer({ min: -40, max: 40 }), fc.integer(), fc.constantFrom(2147483647, -2147483648, 0))] },
  'int16 without nulls': { types: [new arrow.Int16()], cells: [fc.integer({ min: -32768, max: 32767 })] },
  'uint16 without nulls': { types: [new arrow.Uint16()], cells: [fc.integer({ min: 0, max: 65535 })] },
  'uint8 without nulls': { types: [new arrow.Uint8()], cells: [fc.integer({ min: 0, max: 255 })] },
  uint32: { types: [new arrow.Uint32()], cells: [fc.option(fc.oneof(fc.integer({ min: 0, max: 30 }), fc.constantFrom(2 ** 32 - 1, 2 ** 31)), { nil: null })] },
  int64: { types: [new arrow.Int64()], cells: [int64Cell] },
  uint64: { types: [new arrow.Uint64()], cells: [uint64Cell] },
  'int32,int32': { types: [new arrow.Int32(), new arrow.Int32()], cells: [int32Cell, int32Cell] },
  'int32,float64': { types: [new arrow.Int32(), new arrow.Float64()], cells: [int32Cell, floatCell] },
  // One-byte strings (flags, status codes) find groups through byte codes, others and nulls the table's own way.
  utf8: { types: [new arrow.Utf8()], cells: [flagCell(8)] },
  'utf8 of one byte, without nulls': { types: [new arrow.Utf8()], cells: [oneByte] },
  'utf8,utf8': { types: [new arrow.Utf8(), new arrow.Utf8()], cells: [flagCell(8), flagCell(8)] },
  'utf8,utf8 of one byte, without nulls': { types: [new arrow.Utf8(), new arrow.Utf8()], cells: [oneByte, oneByte] },
  'binary,utf8 mostly one byte, without nulls': { types: [new arrow.Binary(), new arrow.Utf8()], cells: [fc.uint8Array({ minLength: 1, maxLength: 1 }), fc.oneof({ arbitrary: oneByte, weight: 20 }, { arbitrary: fc.string({ maxLength: 3 }), weight: 1 })] },
};

/** Rows split into batches, each batch possibly a slice (offset > 0) of a longer column. */
const batchesOf = (shape: Shape) => fc.array(fc.record({
  rows: fc.array(fc.tuple(...shape.cells), { maxLength: 120 }),
  skip: fc.integer({ min: 0, max: 9 }),
}), { minLength: 1, maxLength: 6 });

function columns(shape: Shape, rows: unknown[][], skip: number): arrow.Data[] {
  return shape.types.map((t, c) => {
    const pad = new Array(skip).fill(c === 0 ? null : rows[0]?.[c] ?? null);
    const d = vec([...pad, ...rows.map((r) => r[c])], t);
    return d.slice(skip, rows.length);
  });
}

const keyValues = (t: KeyTable) => t.keysAsData().map((d) => [...new arrow.Vector([d])].map((x) => (typeof x === 'number' && Number.isNaN(x) ? 'NaN' : Object.is(x, -0) ? '-0' : x)));

function check(shape: Shape, nullKeys: NullKeys, batches: { rows: unknown[][]; skip: number }[], probe: unknown[][]): void {
  const fast = new KeyTable(shape.types, { nullKeys });
  const generic = new KeyTable([...shape.types, new arrow.Bool()], { nullKeys });
  for (const b of batches) {
    const cols = columns(shape, b.rows, b.skip);
    const n = b.rows.length;
    expect(Array.from(fast.insert(cols, n))).toEqual(Array.from(generic.insert([...cols, trues(n)], n)));
  }
  expect(fast.size).toBe(generic.size);
  expect(keyValues(fast)).toEqual(keyValues(generic).slice(0, shape.types.length));
  const cols = columns(shape, probe, 3);
  expect(Array.from(fast.lookup(cols, probe.length))).toEqual(Array.from(generic.lookup([...cols, trues(probe.length)], probe.length)));
}

describe('KeyTable specialised paths agree with the generic path', () => {
  for (const [name, shape] of Object.entries(SHAPES)) {
    for (const nullKeys of ['group', 'never-match'] as const) {
      it(`${name} keys, nullKeys '${nullKeys}'`, () => {
        fc.assert(fc.property(batchesOf(shape), fc.array(fc.tuple(...shape.cells), { maxLength: 80 }), (batches, probe) => {
          check(shape, nullKeys, batches, probe);
        }), { numRuns: 60 });
      });
    }
  }

  it('across many rehashes: 20,000 distinct keys in 5 batches, with nulls, looked up in another order', () => {
    const n = 50_000;
    for (const name of ['int32', 'int64', 'int32,float64', 'float64']) {
      const shape = SHAPES[name];
      const cell = (i: number, c: number): unknown => {
        if (i % 997 === 0) return null;
        const k = (i * 7919) % 20_000;
        const t = shape.types[c];
        if (t.typeId === arrow.Type.Int && (t as arrow.Int).bitWidth === 64) return BigInt(k) * 3_000_000_000_007n - 2n ** 62n;
        if (t.typeId === arrow.Type.Float) return k % 3 === 0 ? k + 0.5 : k === 0 ? -0 : k % 101 === 0 ? NaN : k;
        return (k * 104_729) | 0;
      };
      const rows = Array.from({ length: n }, (_, i) => shape.types.map((_, c) => cell(i, c)));
      const batches = [0, 1, 2, 3, 4].map((b) => ({ rows: rows.slice(b * 10_000, (b + 1) * 10_000), skip: b }));
      for (const nullKeys of ['group', 'never-match'] as const) check(shape, nullKeys, batches, [...rows].reverse().slice(0, 20_000));
    }
  });

  it('an int32 table looked up with float64 keys matches by value (-0 as 0, fractions never)', () => {
    for (const nullKeys of ['group', 'never-match'] as const) {
      const t = new KeyTable([new arrow.Int32()], { nullKeys });
      t.insert([vec([0, 7, -3, null], new arrow.Int32())], 4);
      const ids = t.lookup([vec([-0, 7, 7.5, -3, null, NaN], new arrow.Float64())], 6);
      expect(Array.from(ids)).toEqual([0, 1, -1, 2, nullKeys === 'group' ? 3 : -1, -1]);
    }
  });

  it('an int32 table on the exact path goes on correctly after a float, a null, then ints again', () => {
    for (const nullKeys of ['group', 'never-match'] as const) {
      const t = new KeyTable([new arrow.Float64()], { nullKeys });
      const ints = Array.from({ length: 3000 }, (_, i) => (i * 7919) % 1000 - 500);
      const g1 = t.insert([vec(ints, new arrow.Int32())], ints.length);
      expect(t.size).toBe(1000);
      expect(Array.from(t.insert([vec([2.5, null, 3, -0, NaN], new arrow.Float64())], 5)))
        .toEqual([1000, nullKeys === 'group' ? 1001 : -1, g1[ints.indexOf(3)], g1[ints.indexOf(0)], nullKeys === 'group' ? 1002 : 1001]);
      const ids = t.lookup([vec([...ints, 2, null], new arrow.Int32())], ints.length + 2);
      expect(Array.from(ids.subarray(0, ints.length))).toEqual(Array.from(g1));
      expect(ids[ints.length]).toBe(g1[ints.indexOf(2)]);
      expect(ids[ints.length + 1]).toBe(nullKeys === 'group' ? 1001 : -1);
      // A fraction whose float64 bits fold to an int's hash word is not that int.
      expect(Array.from(t.lookup([vec([2.5, 7.25], new arrow.Float64())], 2))).toEqual([1000, -1]);
    }
  });

  it('tells a null from a value whose hash is the null hash (a full-hash collision)', () => {
    // The number path hashes an int32 v as fmix32(v); invert fmix32 to find the v hashing as null.
    const inv = (c: number) => { let x = c; for (let k = 0; k < 5; k++) x = Math.imul(x, 2 - Math.imul(c, x)); return x; }; // c * x = 1 mod 2^32 (Newton)
    const unxor = (h: number, s: number) => { let x = h; for (let k = s; k < 32; k += s) x = h ^ (x >>> s); return x >>> 0; };
    let h = unxor(NULL_HASH, 16);
    h = Math.imul(h, inv(0xc2b2ae35)) >>> 0;
    h = unxor(h, 13);
    h = Math.imul(h, inv(0x85ebca6b)) >>> 0;
    const v = unxor(h, 16) | 0;
    expect(fmix32(v) | 0).toBe(NULL_HASH);
    const t = new KeyTable([new arrow.Int32()]);
    expect(Array.from(t.insert([vec([v, null, v], new arrow.Int32())], 3))).toEqual([0, 1, 0]);
    expect(Array.from(t.lookup([vec([null, v], new arrow.Int32())], 2))).toEqual([1, 0]);
  });
});
