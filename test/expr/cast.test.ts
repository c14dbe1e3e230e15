import { describe, expect, it } from 'vitest';
import { batchOf, call, cast, col, lit, run } from './helpers.ts';

describe('cast', () => {
  it('between numeric types, as Java narrows', () => {
    const b = batchOf({ f: { type: 'float64', values: [1.9, -1.9, NaN, 1e20, -1e20, null, 300.7] }, l: { type: 'int64', values: [1, -1, 2 ** 40 + 5, 0, 255, null, 256] } });
    expect(run(cast(col('f'), 'int32'), b)).toEqual([1, -1, 0, 2147483647, -2147483648, null, 300]);
    expect(run(cast(col('f'), 'int64'), b)).toEqual([1, -1, 0, 9223372036854775807, -9223372036854775808, null, 300]);
    expect(run(cast(col('f'), 'int8'), b)).toEqual([1, -1, 0, -1, 0, null, 44]);
    expect(run(cast(col('l'), 'int32'), b)).toEqual([1, -1, 5, 0, 255, null, 256]);
    expect(run(cast(col('l'), 'uint8'), b)).toEqual([1, 255, 5, 0, 255, null, 0]);
    expect(run(cast(col('l'), 'float32'), b)).toEqual([1, -1, 2 ** 40, 0, 255, null, 256]);
    expect(run(cast(col('f'), 'bool'), b)).toEqual([true, true, true, true, true, null, true]);
    expect(run(cast(col('l'), 'bool'), b)).toEqual([true, true, true, false, true, null, true]);
    expect(run(cast(cast(col('l'), 'uint64'), 'int64'), b)).toEqual([1, -1, 2 ** 40 + 5, 0, 255, null, 256]);
  });

  it('to utf8 in Spark formats', () => {
    const b = batchOf({
      f: { type: 'float64', values: [1, 0.1, 1e7, 1.5e-4, -0, NaN, Infinity, null] },
      g: { type: 'float32', values: [0.1, 1, 3.4028234663852886e38, 1e-5, 2.5, 100, 1e7, null] },
      l: { type: 'int64', values: [1, -1, 0, 123456789012, 5, 6, 7, null] },
      t: { type: 'bool', values: [true, false, null, true, true, true, true, true] },
    });
    expect(run(cast(col('f'), 'utf8'), b)).toEqual(['1.0', '0.1', '1.0E7', '1.5E-4', '-0.0', 'NaN', 'Infinity', null]);
    expect(run(cast(col('g'), 'utf8'), b)).toEqual(['0.1', '1.0', '3.4028235E38', '1.0E-5', '2.5', '100.0', '1.0E7', null]);
    expect(run(cast(col('l'), 'utf8'), b)).toEqual(['1', '-1', '0', '123456789012', '5', '6', '7', null]);
    expect(run(cast(col('t'), 'utf8'), b)).toEqual(['true', 'false', null, 'true', 'true', 'true', 'true', 'true']);
  });

  it('dates and timestamps to and from text', () => {
    const b = batchOf({ s: { type: 'utf8', values: ['2024-02-29', '2023-02-29', ' 2024-01-05 10:11:12.5 ', '2024-01', 'x', null, '2024-03-01T00:00:00Z', '2024-03-01T02:00:00+02:00'] } });
    const days = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 86400000;
    expect(run(cast(col('s'), 'date32'), b)).toEqual([days('2024-02-29'), null, days('2024-01-05'), days('2024-01-01'), null, null, days('2024-03-01'), days('2024-03-01')]);
    const ms = run(cast(col('s'), 'timestamp_ms'), b);
    expect(ms).toEqual([Date.parse('2024-02-29T00:00:00Z'), null, Date.parse('2024-01-05T10:11:12.500Z'), Date.parse('2024-01-01T00:00:00Z'), null, null, Date.parse('2024-03-01T00:00:00Z'), Date.parse('2024-03-01T00:00:00Z')]);
    expect(run(cast(cast(col('s'), 'timestamp_ms'), 'utf8'), b)).toEqual(['2024-02-29 00:00:00', null, '2024-01-05 10:11:12.5', '2024-01-01 00:00:00', null, null, '2024-03-01 00:00:00', '2024-03-01 00:00:00']);
    expect(run(cast(cast(col('s'), 'date32'), 'utf8'), b)).toEqual(['2024-02-29', null, '2024-01-05', '2024-01-01', null, null, '2024-03-01', '2024-03-01']);
    expect(run(cast(cast(cast(col('s'), 'timestamp_ms'), 'date32'), 'timestamp_ms'), b)[2]).toBe(Date.parse('2024-01-05T00:00:00Z'));
  });

  it('parses numbers and bools from text, null on failure', () => {
    const b = batchOf({ s: { type: 'utf8', values: [' 42 ', '-7.9', '1e3', 'abc', '', '99999999999', null, '0x10', '+5', 'Infinity'] } });
    expect(run(cast(col('s'), 'int32'), b)).toEqual([42, -7, null, null, null, null, null, null, 5, null]);
    expect(run(cast(col('s'), 'int64'), b)).toEqual([42, -7, null, null, null, 99999999999, null, null, 5, null]);
    expect(run(cast(col('s'), 'float64'), b)).toEqual([42, -7.9, 1000, null, null, 99999999999, null, null, 5, Infinity]);
    const t = batchOf({ s: { type: 'utf8', values: ['true', 'F', 'yes', '0', 'maybe', null, ' t '] } });
    expect(run(cast(col('s'), 'bool'), t)).toEqual([true, false, true, false, null, null, true]);
  });

  it('numbers to timestamps as seconds (Spark) and back', () => {
    const b = batchOf({ n: { type: 'int64', values: [0, 1700000000, -1, null] }, f: { type: 'float64', values: [1.5, 0, -0.25, null] } });
    expect(run(cast(col('n'), 'timestamp_ms'), b)).toEqual([0, 1700000000000, -1000, null]);
    expect(run(cast(col('f'), 'timestamp_ms'), b)).toEqual([1500, 0, -250, null]);
    expect(run(cast(cast(col('f'), 'timestamp_ms'), 'int64'), b)).toEqual([1, 0, -1, null]);
    expect(run(cast(cast(col('f'), 'timestamp_ms'), 'float64'), b)).toEqual([1.5, 0, -0.25, null]);
  });

  it('lists element-wise and to their string form', () => {
    const b = batchOf({ s: { type: 'utf8', values: ['1 2 x', null, ''] } });
    const parts = call('split', col('s'), lit(' ', 'utf8'));
    expect(run(cast(parts, { list: 'int32' }), b)).toEqual([[1, 2, null], null, [null]]);
    expect(run(cast(parts, 'utf8'), b)).toEqual(['[1, 2, x]', null, '[]']);
    expect(run(cast(cast(parts, { list: 'int32' }), 'utf8'), b)).toEqual(['[1, 2, null]', null, '[null]']);
  });

  it('null to anything, and binary to and from utf8', () => {
    const b = batchOf({ s: { type: 'utf8', values: ['hé', null] } });
    expect(run(cast(lit(null, 'null'), 'float64'), b)).toEqual([null, null]);
    expect(run(cast(lit(null, 'null'), { list: 'utf8' }), b)).toEqual([null, null]);
    expect(run(cast(cast(col('s'), 'binary'), 'utf8'), b)).toEqual(['hé', null]);
  });
});
