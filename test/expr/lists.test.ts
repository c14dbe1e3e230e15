import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { makeBatch } from '../../ops/compute/batch.ts';
import { compileExpr } from '../../ops/expr/eval.ts';
import { bin, call, cast, col, lit, valuesOf } from './helpers.ts';

function listBatch(): arrow.RecordBatch {
  const fixedType = new arrow.FixedSizeList(2, new arrow.Field('v', new arrow.Float64(), true));
  const fixed = arrow.vectorFromArray([[1, 2], [3, null], null, [7, 8], [9, 10]], fixedType as any).data[0];
  const listType = new arrow.List(new arrow.Field('element', new arrow.Int64(), true));
  const list = arrow.vectorFromArray([[1n], [], null, [4n, 5n, 6n], [7n, 8n]], listType as any).data[0];
  const schema = new arrow.Schema([new arrow.Field('fx', fixedType, true), new arrow.Field('ls', listType, true)]);
  return makeBatch(schema, [fixed, list]);
}

const run = (e: Parameters<typeof compileExpr>[0], b: arrow.RecordBatch) => {
  const c = compileExpr(e, b.schema);
  const d = c.evaluate(b);
  expect(String(d.type)).toBe(String(c.field.type));
  expect(d.length).toBe(b.numRows);
  return valuesOf(d);
};

describe('list columns', () => {
  it('at() on fixed-size lists and lists, including sliced batches', () => {
    const b = listBatch();
    expect(run(call('at', col('fx'), lit(1, 'int32')), b)).toEqual([2, null, null, 8, 10]);
    expect(run(call('at', col('fx'), lit(2, 'int32')), b)).toEqual([null, null, null, null, null]);
    expect(run(call('at', col('ls'), lit(1, 'int32')), b)).toEqual([null, null, null, 5, 8]);
    const s = b.slice(1, 5);
    expect(run(call('at', col('fx'), lit(0, 'int32')), s)).toEqual([3, null, 7, 9]);
    expect(run(call('at', col('ls'), lit(0, 'int32')), s)).toEqual([null, null, 4, 7]);
    expect(run(bin('add', call('at', col('ls'), lit(0, 'int32')), lit(1, 'int32')), s)).toEqual([null, null, 5, 8]);
  });

  it('casts list elements and renders lists as text', () => {
    const b = listBatch();
    expect(run(cast(col('ls'), 'utf8'), b)).toEqual(['[1]', '[]', null, '[4, 5, 6]', '[7, 8]']);
    expect(run(cast(col('fx'), 'utf8'), b.slice(1, 4))).toEqual(['[3.0, null]', null, '[7.0, 8.0]']);
    expect(run(cast(col('ls'), { list: 'float64' }), b.slice(3, 5))).toEqual([[4, 5, 6], [7, 8]]);
  });

  it('chooses lists per row in CASE', () => {
    const b = listBatch();
    const e = { kind: 'case' as const, branches: [{ when: un0(col('fx')), then: cast(col('fx'), { fixedList: 'int64', size: 2 }) }], otherwise: null };
    expect(run(e, b.slice(1, 5))).toEqual([[3, null], null, [7, 8], [9, 10]]);
  });
});

function un0(arg: ReturnType<typeof col>) {
  return { kind: 'unary' as const, op: 'isNotNull' as const, arg };
}
