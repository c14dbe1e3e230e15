// Scalar UDF evaluation and UDAF accumulation at the operator level: conversion of what user code returns, two-phase aggregation and spills, plan JSON and the executor policy.
import * as arrow from 'apache-arrow';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkStage, type ExecutorPolicy } from '../../core/cluster/plan-guard.ts';
import { decodeStage } from '../../core/cluster/stage-schema.ts';
import type { Stage } from '../../core/physical/phys-node.ts';
import { HashAggregateExec } from '../../ops/aggregate/hash-aggregate-exec.ts';
import { DataError, InternalError } from '../../ops/errors.ts';
import { compileExpr } from '../../ops/expr/eval.ts';
import type { ExprNode } from '../../ops/expr/node.ts';
import { valuesToData } from '../../ops/expr/udf.ts';
import type { TypeJSON } from '../../ops/types.ts';
import { preloadUdfs, udfRefsIn } from '../../ops/udf-registry.ts';
import { collect, col, columnValues, makeContext, SourceExec, sourceOf } from './stream-support.ts';

const MOD = resolve(import.meta.dirname, '../fixtures/udf/scalar-udfs.ts');
const udf = (exp: string, args: ExprNode[], returnType: 'float64' | 'utf8' = 'float64'): ExprNode => ({ kind: 'udf', udf: { module: MOD, export: exp }, args, returnType });
const udaf = (exp: string, arg: ExprNode, stateType?: TypeJSON): ExprNode => ({
  kind: 'alias', name: 'u', arg: { kind: 'agg', fn: 'udaf', arg, udaf: { udf: { module: MOD, export: exp }, returnType: 'float64', ...(stateType ? { stateType } : {}) } },
});

const table = new arrow.Table({
  a: arrow.vectorFromArray([1, 2, null, 4], new arrow.Int32()),
  b: arrow.vectorFromArray([10, 20, 30, null], new arrow.Float64()),
});

describe('scalar UDF nodes', () => {
  it('compiles without loading (plan time) and fails clearly when run without the task preload', () => {
    const c = compileExpr(udf('fortyTwo', []), new arrow.Schema([]));
    expect(c.field.type).toBeInstanceOf(arrow.Float64);
    expect(() => c.evaluate(table.batches[0])).toThrow(InternalError);
  });

  it('evaluates per batch once preloaded', async () => {
    await preloadUdfs(udfRefsIn(udf('twiceAPlusB', [])));
    const d = compileExpr(udf('twiceAPlusB', [col('a'), col('b')]), table.schema).evaluate(table.batches[0]);
    expect([...arrow.makeVector(d)]).toEqual([12, 24, null, null]);
  });

  it('valuesToData: typed arrays, arrays, Vectors, and what it refuses', () => {
    expect([...arrow.makeVector(valuesToData(new Float64Array([1, 2]), 'float64', 2, 'f'))]).toEqual([1, 2]);
    expect([...arrow.makeVector(valuesToData(new Int32Array([1, 2]), 'float64', 2, 'f'))]).toEqual([1, 2]);
    const days = valuesToData(new Int32Array([0, 19_000]), 'date32', 2, 'f');
    expect(Array.from(days.values as Int32Array)).toEqual([0, 19_000]);
    expect([...arrow.makeVector(valuesToData([1, null, 3], 'int64', 3, 'f'))]).toEqual([1n, null, 3n]);
    expect([...arrow.makeVector(valuesToData([[1], null], { list: 'int32' }, 2, 'f'))].map((v) => (v ? [...v] : v))).toEqual([[1], null]);
    expect(() => valuesToData([1, 2], 'float64', 3, "UDF 'f'")).toThrow(/UDF 'f' returned an array of 2 value\(s\), expected 3/);
    expect(() => valuesToData(arrow.vectorFromArray(['x'], new arrow.Utf8()), 'float64', 1, 'f')).toThrow(/Vector of type utf8, expected float64/);
    expect(() => valuesToData(arrow.vectorFromArray(['x']), 'utf8', 1, 'f')).toThrow(/Vector of type Dictionary<Int32, Utf8>, expected utf8/);
    expect(() => valuesToData(Promise.resolve([1]), 'float64', 1, 'f')).toThrow(/a UDF must be synchronous/);
    expect(() => valuesToData(new Int32Array(1), 'utf8', 1, 'f')).toThrow(DataError);
    expect(() => valuesToData([true], 'int32', 1, 'f')).toThrow(/returned true \(boolean\) at row 0/);
  });
});

describe('UDAF through HashAggregateExec', () => {
  beforeAll(async () => { await preloadUdfs(udfRefsIn([udaf('sumSquares', col('a')), udaf('joinSorted', col('a')), udaf('sumSquaresList', col('a'))])); });

  const keyed = (n: number) => new arrow.Table({
    k: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => i % 500), new arrow.Int32()),
    x: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => (i % 3 === 0 ? null : i % 10)), new arrow.Int32()),
  });
  const reference = (n: number) => {
    const m = new Map<number, number>();
    for (let i = 0; i < n; i++) if (i % 3 !== 0) m.set(i % 500, (m.get(i % 500) ?? 0) + (i % 10) ** 2);
    return m;
  };

  it.each([
    ['JSON text', udaf('sumSquares', col('x')), 'Utf8'],
    ['a list<float64> stateType', udaf('sumSquaresList', col('x'), { list: 'float64' }), 'List<Float64>'],
  ])('partial states (%s) merge in a final aggregate, and a spilling one gives the same', async (_, agg, stateArrow) => {
    const t = keyed(20_000);
    const opts = { groupBy: [col('k')], aggs: [agg] };
    const partial = new HashAggregateExec({ mode: 'partial', ...opts }, sourceOf(t, 1000));
    expect(partial.schema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual(['k:Int32', `u#state:${stateArrow}`]);
    const states = await collect(partial.execute(0, await makeContext()));
    for (const budget of [1 << 30, 8 << 10]) {
      const ctx = await makeContext({ memoryBudget: budget });
      const final = new HashAggregateExec({ mode: 'final', ...opts }, new SourceExec(partial.schema, [states.flatMap((b) => [b.slice(0, 100), b.slice(100)])]));
      const out = await collect(final.execute(0, ctx));
      const ks = columnValues(out, 'k') as number[];
      const us = columnValues(out, 'u') as number[];
      const want = reference(20_000);
      expect(ks.length).toBe(500);
      ks.forEach((k, i) => expect(us[i]).toBe(want.get(k) ?? null));
      if (budget < 1 << 20) expect(ctx.counters.get('spills')).toBeGreaterThan(0);
    }
  });

  it('single mode over one group at a time, and finish() values checked against returnType', async () => {
    const t = keyed(3000);
    const out = await collect(new HashAggregateExec({ mode: 'single', groupBy: [], aggs: [udaf('sumSquares', col('x'))] }, sourceOf(t, 256)).execute(0, await makeContext()));
    expect(columnValues(out, 'u')).toEqual([[...reference(3000).values()].reduce((s, v) => s + v, 0)]);
    const bad = new HashAggregateExec({ mode: 'single', groupBy: [], aggs: [udaf('joinSorted', col('x'))] }, sourceOf(t, 256));
    await expect(collect(bad.execute(0, await makeContext()))).rejects.toThrow(/UDAF 'joinSorted' from module .*: finish\(\) returned "[^"]*" \(string\) at row 0, expected a value of type float64/);
  });
});

describe('plans with user functions across the network', () => {
  const stage = (exprs: ExprNode[]): Stage => ({
    id: 0, partitions: 1, parents: [], output: { kind: 'result' }, fields: [],
    root: { op: 'aggregate', mode: 'single', groupBy: [], aggs: [udaf('sumSquares', exprs[0])], child: { op: 'project', exprs, child: { op: 'values', id: 'v', partitions: 1, fields: [] } } },
  });

  it('the stage schema accepts udf and udaf nodes and refuses malformed ones', () => {
    const s = stage([udf('twiceAPlusB', [col('a'), col('b')])]);
    expect(decodeStage(JSON.stringify(s))).toMatchObject({ ok: true, stage: s });
    const bad = JSON.parse(JSON.stringify(s));
    bad.root.child.exprs[0].udf = { module: '', export: 'f' };
    expect(decodeStage(JSON.stringify(bad))).toMatchObject({ ok: false });
    bad.root.child.exprs[0] = { kind: 'udf', udf: { module: MOD, export: 'f' }, args: [], returnType: 'int33' };
    expect(decodeStage(JSON.stringify(bad))).toMatchObject({ ok: false });
  });

  it("an executor imports UDF and UDAF modules only under its --udf-path", () => {
    const p: ExecutorPolicy = { executorId: 'e-1', readRoots: [], udfRoots: [resolve(import.meta.dirname, '../fixtures')] };
    expect(() => checkStage(stage([udf('twiceAPlusB', [])]), 0, p)).not.toThrow();
    const other = stage([{ kind: 'udf', udf: { module: '/etc/evil.mjs', export: 'f' }, args: [], returnType: 'float64' }]);
    expect(() => checkStage(other, 0, p)).toThrow(/refuses to import the UDF module '\/etc\/evil\.mjs'/);
    const agg = stage([udf('twiceAPlusB', [])]);
    (agg.root as { aggs: ExprNode[] }).aggs = [{ kind: 'agg', fn: 'udaf', arg: col('a'), udaf: { udf: { module: 'node:fs', export: 'x' }, returnType: 'float64' } }];
    expect(() => checkStage(agg, 0, p)).toThrow(/refuses to import the UDAF module 'node:fs'/);
  });
});
