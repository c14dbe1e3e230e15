import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InternalError } from '../../ops/errors.ts';
import { compileExpr } from '../../ops/expr/eval.ts';
import { batchOf, bin, call, col, lit, run, un } from './helpers.ts';

const b = batchOf({
  i: { type: 'int32', values: [1, 2, null, 4, 5] },
  f: { type: 'float64', values: [1, 2.5, 3, null, -1] },
  l: { type: 'int64', values: [1, 3, 3, 4, null] },
  s: { type: 'utf8', values: ['a', 'ab', null, 'b', 'é'] },
  d: { type: 'date32', values: [new Date(0), new Date(86400000), null, new Date(0), new Date(2 * 86400000)] },
  p: { type: 'bool', values: [true, true, true, false, false] },
  q: { type: 'bool', values: [true, false, null, true, null] },
});

describe('a utf8 column equal to a literal', () => {
  it('is the bytes compared, for every length of column and literal, slice and null (property)', () => {
    const cell = fc.option(fc.oneof(fc.constantFrom('', 'A', 'R', 'N', 'é', 'AB'), fc.string({ maxLength: 3 })), { nil: null, freq: 6 });
    fc.assert(fc.property(fc.array(cell, { maxLength: 40 }), fc.nat(9), fc.oneof(fc.constantFrom('', 'R', 'é', 'AB'), fc.string({ maxLength: 3 })), fc.constantFrom('eq' as const, 'neq' as const),
      (values, skip, want, op) => {
        // Sliced past `skip` leading rows: a batch whose offsets and bits start mid-column.
        const batch = batchOf({ s: { type: 'utf8', values: [...new Array(skip).fill('R'), ...values] } }).slice(skip);
        const same = (v: string) => Buffer.from(v).equals(Buffer.from(want));
        expect(run(bin(op, col('s'), lit(want, 'utf8')), batch)).toEqual(values.map((v) => (v === null ? null : same(v) === (op === 'eq'))));
      }), { numRuns: 500 });
  });
});

describe('comparisons', () => {
  it('compares numbers across types, with nulls', () => {
    expect(run(bin('lt', col('i'), col('f')), b)).toEqual([false, true, null, null, false]);
    expect(run(bin('eq', col('i'), col('l')), b)).toEqual([true, false, null, true, null]);
    expect(run(bin('gte', col('l'), lit(3, 'int32')), b)).toEqual([false, true, true, true, null]);
    expect(run(bin('gt', lit(3, 'int32'), col('i')), b)).toEqual([true, true, null, false, false]);
    expect(run(bin('neq', col('f'), lit(2.5, 'float64')), b)).toEqual([true, false, true, null, true]);
    expect(run(bin('lte', col('i'), lit(null, 'int32')), b)).toEqual([null, null, null, null, null]);
  });

  it('compares strings by UTF-8 bytes (code point order)', () => {
    expect(run(bin('lt', col('s'), lit('b', 'utf8')), b)).toEqual([true, true, null, false, false]);
    expect(run(bin('eq', col('s'), lit('ab', 'utf8')), b)).toEqual([false, true, null, false, false]);
    expect(run(bin('neq', lit('ab', 'utf8'), col('s')), b)).toEqual([true, false, null, true, true]);
    expect(run(bin('gt', col('s'), lit('a', 'utf8')), b)).toEqual([false, true, null, true, true]);
    expect(run(bin('eq', col('s'), col('s')), b)).toEqual([true, true, null, true, true]);
  });

  it('compares dates and bools', () => {
    expect(run(bin('lt', col('d'), lit('1970-01-02', 'date32')), b)).toEqual([true, false, null, true, false]);
    expect(run(bin('gt', col('p'), col('q')), b)).toEqual([false, true, null, false, null]);
  });
});

describe('three-valued logic', () => {
  const t = batchOf({
    x: { type: 'bool', values: [true, true, true, false, false, false, null, null, null] },
    y: { type: 'bool', values: [true, false, null, true, false, null, true, false, null] },
  });
  it('AND: false wins over null', () => {
    expect(run(bin('and', col('x'), col('y')), t)).toEqual([true, false, null, false, false, false, null, false, null]);
  });
  it('OR: true wins over null', () => {
    expect(run(bin('or', col('x'), col('y')), t)).toEqual([true, true, true, true, false, null, true, null, null]);
  });
  it('NOT keeps nulls; IS NULL is never null', () => {
    expect(run(un('not', col('x')), t)).toEqual([false, false, false, true, true, true, null, null, null]);
    expect(run(un('isNull', col('y')), t)).toEqual([false, false, true, false, false, true, false, false, true]);
    expect(run(un('isNotNull', col('y')), t)).toEqual([true, true, false, true, true, false, true, true, false]);
    expect(run(un('isNull', col('x')), batchOf({ x: { type: 'int32', values: [1, 2] } }))).toEqual([false, false]);
  });
  it('works with a null literal and on sliced, unaligned batches', () => {
    expect(run(bin('and', col('x'), lit(null, 'null')), t)).toEqual([null, null, null, false, false, false, null, null, null]);
    expect(run(bin('or', lit(null, 'bool'), col('y')), t)).toEqual([true, null, null, true, null, null, true, null, null]);
    const big = batchOf({
      x: { type: 'bool', values: Array.from({ length: 50 }, (_, i) => (i % 3 === 0 ? null : i % 2 === 0)) },
      y: { type: 'bool', values: Array.from({ length: 50 }, (_, i) => (i % 7 === 0 ? null : i % 4 < 2)) },
    });
    const s = big.slice(5, 44);
    const x = (i: number) => (i % 3 === 0 ? null : i % 2 === 0);
    const y = (i: number) => (i % 7 === 0 ? null : i % 4 < 2);
    const and3 = (a: boolean | null, c: boolean | null) => (a === false || c === false ? false : a === null || c === null ? null : true);
    const or3 = (a: boolean | null, c: boolean | null) => (a === true || c === true ? true : a === null || c === null ? null : false);
    const idx = Array.from({ length: 39 }, (_, k) => k + 5);
    expect(run(bin('and', col('x'), col('y')), s)).toEqual(idx.map((i) => and3(x(i), y(i))));
    expect(run(bin('or', col('x'), col('y')), s)).toEqual(idx.map((i) => or3(x(i), y(i))));
    expect(run(un('not', col('x')), s)).toEqual(idx.map((i) => (x(i) === null ? null : !x(i))));
    expect(run(un('isNull', col('y')), s)).toEqual(idx.map((i) => y(i) === null));
  });
});

describe('evaluator contract', () => {
  it('returns column Data untouched, through aliases', () => {
    const c = compileExpr({ kind: 'alias', arg: col('s'), name: 'z' }, b.schema);
    expect(c.evaluate(b)).toBe(b.data.children[3]);
    expect(c.field.name).toBe('z');
  });
  it('broadcasts literals and folds constant sub-expressions', () => {
    expect(run(bin('add', lit(1, 'int32'), lit(2, 'int64')), b)).toEqual([3, 3, 3, 3, 3]);
    expect(run(call('upper', lit('x', 'utf8')), b)).toEqual(['X', 'X', 'X', 'X', 'X']);
    expect(run(lit(null, 'utf8'), b)).toEqual([null, null, null, null, null]);
  });
  it('refuses aggregate and sort nodes with an InternalError', () => {
    expect(() => compileExpr({ kind: 'agg', fn: 'sum', arg: col('i') }, b.schema)).toThrow(InternalError);
    expect(() => compileExpr({ kind: 'sort', arg: col('i'), ascending: true, nullsFirst: true }, b.schema)).toThrow(InternalError);
  });
  it('handles empty batches', () => {
    const e = b.slice(0, 0);
    expect(run(bin('add', col('i'), lit(1, 'int32')), e)).toEqual([]);
    expect(run(call('at', call('split', col('s'), lit(' ', 'utf8')), lit(0, 'int32')), e)).toEqual([]);
  });
});

describe('NaN, as Spark orders it', () => {
  it('NaN equals NaN and is greater than every other number', () => {
    const n = batchOf({ x: { type: 'float64', values: [NaN, NaN, 1, Infinity, null] }, y: { type: 'float64', values: [NaN, 1, NaN, NaN, NaN] } });
    expect(run(bin('eq', col('x'), col('y')), n)).toEqual([true, false, false, false, null]);
    expect(run(bin('gt', col('x'), col('y')), n)).toEqual([false, true, false, false, null]);
    expect(run(bin('lt', col('x'), col('y')), n)).toEqual([false, false, true, true, null]);
    expect(run(bin('gte', col('x'), lit(Infinity, 'float64')), n)).toEqual([true, true, false, true, null]);
    expect(run(bin('neq', col('x'), bin('div', lit(0, 'float64'), lit(0.5, 'float64'))), n)).toEqual([true, true, true, true, null]);
  });
});
