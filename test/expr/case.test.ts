import { describe, expect, it } from 'vitest';
import type { ExprNode } from '../../ops/expr/node.ts';
import { batchOf, bin, call, col, lit, run } from './helpers.ts';

const b = batchOf({
  i: { type: 'int32', values: [1, 5, null, 10, -3] },
  l: { type: 'int64', values: [100, null, 300, 400, 500] },
  s: { type: 'utf8', values: ['a', null, 'c', 'd', 'e'] },
  p: { type: 'bool', values: [true, null, false, true, false] },
});

const when = (branches: [ExprNode, ExprNode][], otherwise: ExprNode | null = null): ExprNode =>
  ({ kind: 'case', branches: branches.map(([w, t]) => ({ when: w, then: t })), otherwise });

describe('CASE WHEN', () => {
  it('picks the first true branch; null conditions do not match', () => {
    const e = when([[bin('gt', col('i'), lit(4, 'int32')), lit('big', 'utf8')], [bin('gt', col('i'), lit(0, 'int32')), col('s')]], lit('other', 'utf8'));
    expect(run(e, b)).toEqual(['a', 'big', 'other', 'big', 'other']);
  });

  it('without ELSE yields null; a null THEN adopts the result type', () => {
    expect(run(when([[col('p'), col('i')]]), b)).toEqual([1, null, null, 10, null]);
    expect(run(when([[col('p'), lit(null, 'null')]], col('l')), b)).toEqual([null, null, 300, null, 500]);
  });

  it('widens branches to the common numeric type', () => {
    expect(run(when([[col('p'), col('i')]], col('l')), b)).toEqual([1, null, 300, 10, 500]);
    expect(run(when([[col('p'), col('i')]], lit(0.5, 'float64')), b)).toEqual([1, 0.5, 0.5, 10, 0.5]);
  });

  it('handles bool, list and constant conditions', () => {
    expect(run(when([[un0('isNull', col('i')), lit(true, 'bool')]], col('p')), b)).toEqual([true, null, true, true, false]);
    const parts = call('split', col('s'), lit('', 'utf8'));
    expect(run(when([[col('p'), parts]], call('split', lit('x y', 'utf8'), lit(' ', 'utf8'))), b)).toEqual([['a'], ['x', 'y'], ['x', 'y'], ['d'], ['x', 'y']]);
    expect(run(when([[lit(false, 'bool'), col('i')], [lit(true, 'bool'), col('l')]]), b)).toEqual([100, null, 300, 400, 500]);
    expect(run(when([[lit(null, 'bool'), col('i')]], lit(7, 'int32')), b)).toEqual([7, 7, 7, 7, 7]);
  });

  it('works on a sliced batch', () => {
    const vals = Array.from({ length: 30 }, (_, k) => (k % 4 === 0 ? null : k));
    const big = batchOf({ x: { type: 'int64', values: vals } }).slice(3, 25);
    const e = when([[bin('lt', col('x'), lit(10, 'int32')), bin('mul', col('x'), lit(2, 'int32'))]], col('x'));
    expect(run(e, big)).toEqual(vals.slice(3, 25).map((x) => (x === null ? null : x < 10 ? x * 2 : x)));
  });
});

describe('coalesce', () => {
  it('takes the first non-null argument', () => {
    expect(run(call('coalesce', col('i'), col('l'), lit(-1, 'int32')), b)).toEqual([1, 5, 300, 10, -3]);
    expect(run(call('coalesce', col('s'), lit('none', 'utf8')), b)).toEqual(['a', 'none', 'c', 'd', 'e']);
    expect(run(call('coalesce', lit(null, 'null'), col('p')), b)).toEqual([true, null, false, true, false]);
    expect(run(call('coalesce', lit(null, 'null')), b)).toEqual([null, null, null, null, null]);
  });
});

function un0(op: 'isNull', arg: ExprNode): ExprNode {
  return { kind: 'unary', op, arg };
}
