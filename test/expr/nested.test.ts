import { describe, expect, it } from 'vitest';
import { DataError, PlanError } from '../../ops/errors.ts';
import { compileExpr } from '../../ops/expr/eval.ts';
import type { ExprNode, NestedFn } from '../../ops/expr/node.ts';
import { exprName, exprToString } from '../../ops/expr/node.ts';
import { inferField } from '../../ops/expr/typecheck.ts';
import { fromArrowSchema, fromArrowType, toArrowType, typeToString, type TypeJSON } from '../../ops/types.ts';
import { alias, batchOf, col, lit, run } from './helpers.ts';

const S: TypeJSON = { struct: [{ name: 'a', type: 'int32', nullable: true }, { name: 'b', type: 'utf8', nullable: true }] };
const M: TypeJSON = { map: { key: 'utf8', value: 'int64' } };
const b = batchOf({
  s: { type: S, values: [{ a: 1, b: 'x' }, null, { a: null, b: 'z' }, { a: 4, b: null }, { a: 5, b: 'e' }] },
  m: { type: M, values: [new Map([['k', 1n], ['j', 2n]]), null, new Map(), new Map([['k', 9n]]), new Map([['j', null]])] },
  l: { type: { list: 'int32' }, values: [[1, 2, 3], [], null, [7], [8, 9]] },
  key: { type: 'utf8', values: ['j', 'k', 'k', null, 'j'] },
  i: { type: 'int32', values: [1, 2, -1, 0, 5] },
});
const call = (fn: NestedFn, ...args: ExprNode[]): ExprNode => ({ kind: 'call', fn, args });

describe('struct and map types', () => {
  it('map to Arrow and back, and print as Spark and DuckDB do', () => {
    const t: TypeJSON = { struct: [{ name: 'a', type: { list: M }, nullable: false }, { name: 'b', type: S, nullable: true }] };
    expect(fromArrowType(toArrowType(t))).toEqual(t);
    expect(typeToString(t)).toBe('struct<a: list<map<utf8, int64>> not null, b: struct<a: int32, b: utf8>>');
    expect(JSON.parse(JSON.stringify(t))).toEqual(t);
  });
});

describe('struct and map expressions', () => {
  it('getField reads a field, null where the struct is null, and is named as the field', () => {
    const e = call('getField', col('s'), lit('a', 'utf8'));
    expect(run(e, b)).toEqual([1, null, null, 4, 5]);
    expect(exprName(e)).toBe('a');
    expect(exprToString(e)).toBe('s.a');
    expect(inferField(e, fromArrowSchema(b.schema))).toEqual({ name: 'a', type: 'int32', nullable: true });
  });

  it('reads rows of a sliced batch at their own positions', () => {
    const s = b.slice(2, 5);
    expect(run(call('getField', col('s'), lit('b', 'utf8')), s)).toEqual(['z', null, 'e']);
    expect(run(call('getItem', col('m'), lit('k', 'utf8')), s)).toEqual([null, 9, null]);
    expect(run(call('mapValues', col('m')), s)).toEqual([[], [9], [null]]);
    expect(run(call('elementAt', col('l'), lit(-1, 'int32')), s)).toEqual([null, 7, 9]);
  });

  it('getItem and elementAt look up map keys (absent or null key: null) and list positions', () => {
    expect(run(call('getItem', col('m'), lit('j', 'utf8')), b)).toEqual([2, null, null, null, null]);
    expect(run(call('getItem', col('m'), col('key')), b)).toEqual([2, null, null, null, null]);
    expect(run(call('elementAt', col('m'), lit('k', 'utf8')), b)).toEqual([1, null, null, 9, null]);
    // getItem on a list is 0-based (Spark's Column.getItem), elementAt 1-based with negatives from the end.
    expect(run(call('getItem', col('l'), col('i')), b)).toEqual([2, null, null, 7, null]);
    expect(run(call('elementAt', col('l'), col('i')), b)).toEqual([1, null, null, null, null]);
    expect(run(call('elementAt', col('l'), lit(-2, 'int32')), b)).toEqual([2, null, null, null, 8]);
  });

  it('struct(...) names fields by alias, column or field, and builds constants', () => {
    const e = call('struct', col('i'), alias(lit('q', 'utf8'), 'c'), call('getField', col('s'), lit('a', 'utf8')), lit(1, 'int32'));
    expect(inferField(e, fromArrowSchema(b.schema)).type).toEqual({ struct: [
      { name: 'i', type: 'int32', nullable: true }, { name: 'c', type: 'utf8', nullable: false },
      { name: 'a', type: 'int32', nullable: true }, { name: 'col4', type: 'int32', nullable: false },
    ] });
    expect(run(e, b.slice(0, 2))).toEqual([{ i: 1, c: 'q', a: 1, col4: 1 }, { i: 2, c: 'q', a: null, col4: 1 }]);
    expect(() => inferField(call('struct', col('i'), col('i')), fromArrowSchema(b.schema))).toThrow("two fields would be named 'i'");
  });

  it('createMap builds a map per row with widened values; mapKeys, mapValues and size read it', () => {
    const e = call('createMap', lit('x', 'utf8'), col('i'), col('key'), lit(1.5, 'float64'));
    expect(inferField(e, fromArrowSchema(b.schema)).type).toEqual({ map: { key: 'utf8', value: 'float64' } });
    expect(run(e, b.slice(0, 3))).toEqual([new Map([['x', 1], ['j', 1.5]]), new Map([['x', 2], ['k', 1.5]]), new Map([['x', -1], ['k', 1.5]])]);
    expect(() => run(e, b)).toThrow(DataError);
    expect(() => run(e, b)).toThrow('key 2 is null in row 4');
    expect(() => run(call('createMap', col('key'), col('i'), lit('k', 'utf8'), col('i')), b.slice(0, 3))).toThrow('keys 1 and 2 are equal in row 2');
    expect(run(call('mapKeys', col('m')), b)).toEqual([['k', 'j'], null, [], ['k'], ['j']]);
    expect(run(call('size', col('m')), b)).toEqual([2, null, 0, 1, 1]);
    expect(run(call('size', col('l')), b)).toEqual([3, 0, null, 1, 2]);
  });

  it('toJson and cast to utf8 give JSON text; casts between structs go field by field', () => {
    expect(run(call('toJson', col('s')), b)).toEqual(['{"a":1,"b":"x"}', null, '{"a":null,"b":"z"}', '{"a":4,"b":null}', '{"a":5,"b":"e"}']);
    expect(run({ kind: 'cast', arg: col('m'), to: 'utf8' }, b)).toEqual(['{"k":1,"j":2}', null, '{}', '{"k":9}', '{"j":null}']);
    const to: TypeJSON = { struct: [{ name: 'x', type: 'float64', nullable: true }, { name: 'y', type: 'utf8', nullable: true }] };
    expect(run({ kind: 'cast', arg: col('s'), to }, b.slice(0, 2))).toEqual([{ x: 1, y: 'x' }, null]);
  });

  it('refuses ill-typed access with the fields, types and fixes named', () => {
    const fields = fromArrowSchema(b.schema);
    const err = (e: ExprNode) => { try { inferField(e, fields); } catch (x) { expect(x).toBeInstanceOf(PlanError); return (x as Error).message; } return ''; };
    expect(err(call('getField', col('s'), lit('zz', 'utf8')))).toContain("struct s has no field 'zz'; its fields are a, b");
    expect(err(call('getField', col('m'), lit('k', 'utf8')))).toContain("read a map's value with getItem");
    expect(err(call('getItem', col('m'), lit(1, 'int32')))).toContain("the map's keys are utf8");
    expect(err(call('getItem', col('s'), lit('a', 'utf8')))).toContain("getField('name')");
    expect(err(call('elementAt', col('l'), lit(0, 'int32')))).toContain('counts list positions from 1');
    expect(err(call('createMap', lit(1.5, 'float64'), lit(1, 'int32')))).toContain('map keys must share one type');
    expect(err(call('mapKeys', col('s')))).toContain('mapKeys needs a map, got struct<a: int32, b: utf8>');
    expect(err({ kind: 'binary', op: 'eq', left: col('s'), right: col('s') })).toContain('cannot compare struct');
    expect(() => compileExpr(call('size', col('key')), b.schema)).toThrow('size needs a map or a list');
  });
});
