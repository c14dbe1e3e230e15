// Values as a user sees them: the JS types toArray() gives for each column type, and the text show() prints.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DataError, Quiver, col, fn, type FieldJSON } from '../../core/index.ts';

let q: Quiver;

beforeAll(async () => {
  q = await Quiver.local({ workers: 2 });
});

afterAll(async () => {
  await q?.close();
});

afterEach(() => {
  vi.restoreAllMocks();
});

const SCHEMA: FieldJSON[] = [
  { name: 'b', type: 'bool', nullable: true },
  { name: 'i8', type: 'int8', nullable: true },
  { name: 'i32', type: 'int32', nullable: true },
  { name: 'i64', type: 'int64', nullable: true },
  { name: 'u32', type: 'uint32', nullable: true },
  { name: 'u64', type: 'uint64', nullable: true },
  { name: 'f32', type: 'float32', nullable: true },
  { name: 'f64', type: 'float64', nullable: true },
  { name: 's', type: 'utf8', nullable: true },
  { name: 'bin', type: 'binary', nullable: true },
  { name: 'd', type: 'date32', nullable: true },
  { name: 't', type: 'timestamp_ms', nullable: true },
  { name: 'l', type: { list: 'int64' }, nullable: true },
];

const ROWS = [
  { b: true, i8: -8, i32: 2_000_000_000, i64: 2 ** 53 - 1, u32: 4_000_000_000, u64: 7n, f32: 0.5, f64: NaN, s: 'ünï', bin: new Uint8Array([1, 2, 255]),
    d: new Date(Date.UTC(2024, 1, 29)), t: new Date(Date.UTC(2024, 1, 29, 12, 0, 0, 5)), l: [1n, -2n] },
  { b: false, i8: 0, i32: -1, i64: -(2 ** 53 - 1), u32: 0, u64: 0n, f32: -Infinity, f64: -0, s: '', bin: new Uint8Array([]),
    d: new Date(Date.UTC(1969, 11, 31)), t: new Date(Date.UTC(1970, 0, 1)), l: [] },
  { b: null, i8: null, i32: null, i64: null, u32: null, u64: null, f32: null, f64: null, s: null, bin: null, d: null, t: null, l: null },
];

describe('toArray()', () => {
  it('maps every column type to one JS type: numbers for ints and floats, Date for dates and timestamps, Uint8Array for binary', async () => {
    const rows = await q.createDataFrame(ROWS, { schema: SCHEMA }).toArray();
    expect(rows).toEqual([
      { b: true, i8: -8, i32: 2_000_000_000, i64: 2 ** 53 - 1, u32: 4_000_000_000, u64: 7, f32: 0.5, f64: NaN, s: 'ünï', bin: new Uint8Array([1, 2, 255]),
        d: new Date('2024-02-29T00:00:00.000Z'), t: new Date('2024-02-29T12:00:00.005Z'), l: [1, -2] },
      { b: false, i8: 0, i32: -1, i64: -(2 ** 53 - 1), u32: 0, u64: 0, f32: -Infinity, f64: -0, s: '', bin: new Uint8Array([]),
        d: new Date('1969-12-31T00:00:00.000Z'), t: new Date('1970-01-01T00:00:00.000Z'), l: [] },
      { b: null, i8: null, i32: null, i64: null, u32: null, u64: null, f32: null, f64: null, s: null, bin: null, d: null, t: null, l: null },
    ]);
    expect(rows[0].d).toBeInstanceOf(Date);
    expect(rows[0].t).toBeInstanceOf(Date);
    expect(Object.is(rows[1].f64, -0)).toBe(true);
  });

  it('gives int64 as numbers in every row, and refuses one a number cannot hold exactly rather than change its type or value', async () => {
    const df = q.createDataFrame([{ id: 1, v: 5n }, { id: 2, v: 2n ** 60n + 1n }], { schema: [{ name: 'id', type: 'int32', nullable: false }, { name: 'v', type: 'int64', nullable: true }] });
    await expect(df.toArray()).rejects.toThrow(new DataError("column 'v' holds 1152921504606846977, beyond the integers a JS number holds exactly (±2^53-1); call toArray({ int64: 'bigint' }) to get every int64 as a bigint, or cast the column to utf8"));
    expect(await df.toArray({ int64: 'bigint' })).toEqual([{ id: 1, v: 5n }, { id: 2, v: 2n ** 60n + 1n }]);
    expect(await df.filter(col('id').eq(1)).toArray()).toEqual([{ id: 1, v: 5 }]);
    // count() and sum() are int64: numbers, the same type in every row
    const agg = await df.groupBy('id').agg(fn.count().alias('n')).orderBy('id').toArray();
    expect(agg).toEqual([{ id: 1, n: 1 }, { id: 2, n: 1 }]);
    expect(agg.map((r) => typeof r.n)).toEqual(['number', 'number']);
  });

  it("with { int64: 'bigint' }, every int64 and uint64 is a bigint, small ones too", async () => {
    const rows = await q.createDataFrame(ROWS, { schema: SCHEMA }).select('i64', 'u64', 'l').toArray({ int64: 'bigint' });
    expect(rows).toEqual([
      { i64: 2n ** 53n - 1n, u64: 7n, l: [1n, -2n] },
      { i64: -(2n ** 53n - 1n), u64: 0n, l: [] },
      { i64: null, u64: null, l: null },
    ]);
  });
});

describe('show()', () => {
  it('prints dates as YYYY-MM-DD, timestamps as YYYY-MM-DD HH:MM:SS[.fff] (UTC, no zone), int64 exactly', async () => {
    const printed: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((s: unknown) => { printed.push(String(s)); });
    const df = q.createDataFrame([
      { d: new Date(Date.UTC(2024, 1, 29)), t: new Date(Date.UTC(2024, 1, 29, 12, 0, 0, 5)), big: 2n ** 60n + 1n, f: NaN, bin: new Uint8Array([1, 171]) },
      { d: new Date(Date.UTC(1969, 11, 31)), t: new Date(Date.UTC(1969, 11, 31, 23, 59, 59)), big: -7n, f: 1.5, bin: null },
    ], { schema: [
      { name: 'd', type: 'date32', nullable: true }, { name: 't', type: 'timestamp_ms', nullable: true },
      { name: 'big', type: 'int64', nullable: true }, { name: 'f', type: 'float64', nullable: true }, { name: 'bin', type: 'binary', nullable: true },
    ] });
    await df.show();
    expect(printed).toEqual([[
      '+------------+-------------------------+---------------------+-----+--------+',
      '|          d |                       t |                 big |   f |    bin |',
      '+------------+-------------------------+---------------------+-----+--------+',
      '| 2024-02-29 | 2024-02-29 12:00:00.005 | 1152921504606846977 | NaN | 0x01ab |',
      '| 1969-12-31 |     1969-12-31 23:59:59 |                  -7 | 1.5 |   NULL |',
      '+------------+-------------------------+---------------------+-----+--------+',
      '2 rows',
    ].join('\n')]);
  });
});
