import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PlanError } from '../../ops/errors.ts';
import { exprToString, type ExprNode } from '../../ops/expr/node.ts';
import { inferField } from '../../ops/expr/typecheck.ts';
import { col as apiCol } from '../../core/api/column.ts';
import { batchOf, call, col, lit, run, un } from './helpers.ts';

const b = batchOf({
  i: { type: 'int32', values: [1, 2, 3, null, 5, 0] },
  x: { type: 'float64', values: [1, 2.5, NaN, null, -0, 0] },
  s: { type: 'utf8', values: ['a', 'bb', 'é', null, '', 'ccc'] },
  o: { type: 'int32', values: [9, 2, null, 4, null, 7] },
  d: { type: 'date32', values: [new Date(Date.UTC(2020, 0, 1)), new Date(Date.UTC(2020, 0, 2)), null, new Date(Date.UTC(2020, 0, 1)), new Date(0), new Date(0)] },
});
const isin = (x: ExprNode, ...vals: ExprNode[]) => call('in', x, ...vals);
const i32 = (v: number | null) => lit(v, 'int32');

describe('in', () => {
  it('numbers: a match is true, null x is null, no match is false', () => {
    expect(run(isin(col('i'), i32(1), i32(3), i32(5)), b)).toEqual([true, false, true, null, true, false]);
  });

  it('no match and a null in the list is null; a match stays true', () => {
    expect(run(isin(col('i'), i32(1), i32(null)), b)).toEqual([true, null, null, null, null, null]);
    expect(run(un('not', isin(col('i'), i32(1), i32(null))), b)).toEqual([false, null, null, null, null, null]);
    expect(run(isin(col('i'), lit(null, 'null')), b)).toEqual([null, null, null, null, null, null]);
  });

  it('mixed numeric types compare as numbers; NaN matches NaN, -0 matches 0', () => {
    expect(run(isin(col('i'), lit(2.0, 'float64'), lit(2, 'int64')), b)).toEqual([false, true, false, null, false, false]);
    expect(run(isin(col('x'), lit('NaN', 'float64'), i32(0)), b)).toEqual([false, false, true, null, true, true]);
    expect(run(isin(col('x'), lit(2.5, 'float64')), b)).toEqual([false, true, false, null, false, false]);
    // A table for a narrow integer span, a scan for a few other numbers, a Set for the rest.
    expect(run(isin(col('x'), i32(0), i32(2), i32(1)), b)).toEqual([true, false, false, null, true, true]);
    expect(run(isin(col('i'), i32(5), lit(1e12, 'int64')), b)).toEqual([false, false, false, null, true, false]);
    const many = Array.from({ length: 20 }, (_, k) => lit(k * 1e6 + 0.5, 'float64'));
    expect(run(isin(col('x'), ...many, lit(1, 'float64')), b)).toEqual([true, false, false, null, false, false]);
  });

  it('strings by bytes (few values bucketed by length, many in a set)', () => {
    expect(run(isin(col('s'), lit('a', 'utf8'), lit('é', 'utf8'), lit('', 'utf8'), lit('ccd', 'utf8')), b)).toEqual([true, false, true, null, true, false]);
    const many = Array.from({ length: 40 }, (_, k) => lit(`v${k}`, 'utf8'));
    expect(run(isin(col('s'), ...many, lit('bb', 'utf8')), b)).toEqual([false, true, false, null, false, false]);
    expect(run(isin(col('s'), ...many, lit('bb', 'utf8'), lit(null, 'utf8')), b)).toEqual([null, true, null, null, null, null]);
  });

  it('strings: the length table, first bytes, the empty string and long values agree with a row-by-row test', () => {
    // A small alphabet makes equal lengths and equal first bytes common; one candidate past the
    // dense table's 1,024 bytes takes the path by Map.
    const str = fc.stringMatching(/^[ab\u00e9]{0,4}$/);
    fc.assert(fc.property(fc.array(fc.option(str), { maxLength: 30 }), fc.array(str, { minLength: 1, maxLength: 5 }), fc.boolean(), (vals, cands, long) => {
      const list = [...cands, ...(long ? ['x'.repeat(1500)] : [])];
      const got = run(isin(col('s'), ...list.map((c) => lit(c, 'utf8'))), batchOf({ s: { type: 'utf8', values: [...vals, ...(long ? ['x'.repeat(1500)] : [])] } }));
      expect(got).toEqual([...vals.map((v) => (v === null ? null : list.includes(v))), ...(long ? [true] : [])]);
    }), { numRuns: 500 });
    expect(run(isin(col('s'), lit(null, 'utf8')), b)).toEqual([null, null, null, null, null, null]);
  });

  it('dates, and columns in the list (compared row by row, their nulls count as unknown)', () => {
    expect(run(isin(col('d'), lit('2020-01-01', 'date32')), b)).toEqual([true, false, null, true, false, false]);
    expect(run(isin(col('i'), col('o'), i32(1)), b)).toEqual([true, true, null, null, null, false]);
    expect(run(isin(col('s'), col('s')), b)).toEqual([true, true, true, null, true, true]);
  });

  it('works on a sliced batch', () => {
    const vals = Array.from({ length: 40 }, (_, k) => (k % 9 === 0 ? null : `w${k % 6}`));
    const sl = batchOf({ s: { type: 'utf8', values: vals } }).slice(5, 33);
    expect(run(isin(col('s'), lit('w1', 'utf8'), lit('w4', 'utf8')), sl)).toEqual(vals.slice(5, 33).map((v) => (v === null ? null : v === 'w1' || v === 'w4')));
  });

  it('isin builds one call (a list or arguments), renders as SQL, and refuses incomparable values', () => {
    expect(apiCol('i').isin(1, 2).node).toEqual(apiCol('i').isin([1, 2]).node);
    expect(apiCol('i').isin([1, 2]).node).toMatchObject({ kind: 'call', fn: 'in' });
    expect(exprToString(isin(col('s'), lit('a', 'utf8'), lit('b', 'utf8')))).toBe("(s IN ('a', 'b'))");
    expect(() => apiCol('i').isin()).toThrow('isin() needs at least one value');
    const fields = [{ name: 'i', type: 'int32' as const, nullable: false }];
    expect(inferField(isin(col('i'), i32(1)), fields)).toEqual({ name: '(i IN (1))', type: 'bool', nullable: false });
    expect(inferField(isin(col('i'), i32(null)), fields).nullable).toBe(true);
    expect(() => inferField(isin(col('i'), lit('1', 'utf8')), fields)).toThrow(PlanError);
    expect(() => inferField(isin(col('i'), lit('1', 'utf8')), fields)).toThrow("(i IN ('1')): list value 1 ('1') has type utf8, which cannot be compared with int32; cast it");
  });
});
