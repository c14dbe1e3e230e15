// The streaming operators: filter, projection, limit, union and coalesce, and their stream rules.
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { CoalesceBatchesExec } from '../../ops/coalesce-batches-exec.ts';
import { InternalError, PlanError } from '../../ops/errors.ts';
import type { ExprNode } from '../../ops/expr/node.ts';
import { FilterExec } from '../../ops/filter-exec.ts';
import { LimitExec } from '../../ops/limit-exec.ts';
import { ProjectionExec } from '../../ops/projection-exec.ts';
import { UnionExec } from '../../ops/union-exec.ts';
import { col, collect, columnValues, makeContext, SourceExec } from './stream-support.ts';

/** A batch with an int32 column `x` (start, start+1, ...) and a bool column `keep`. */
function batch(start: number, keep: (boolean | null)[]): arrow.RecordBatch {
  return new arrow.Table({
    x: arrow.vectorFromArray(keep.map((_, i) => start + i), new arrow.Int32()),
    keep: arrow.vectorFromArray(keep, new arrow.Bool()),
  }).batches[0];
}

/** `count` batches of `size` rows each, x running 0, 1, 2, ... */
function run(count: number, size: number): arrow.RecordBatch[] {
  return Array.from({ length: count }, (_, k) => batch(k * size, Array(size).fill(true)));
}

const SCHEMA = batch(0, []).schema;

describe('FilterExec', () => {
  it('passes, slices, gathers or skips batches; null counts as false', async () => {
    const all = batch(0, [true, true, true]);
    const none = batch(3, [false, null, false]);
    const runOf = batch(6, [false, true, true, null]);
    const scattered = batch(10, [true, null, true, false, true]);
    const src = new SourceExec(SCHEMA, [[all, none, batch(20, []), runOf, scattered]]);
    const out = await collect(new FilterExec(col('keep'), src).execute(0, await makeContext()));
    expect(out.map((b) => b.numRows)).toEqual([3, 2, 3]);
    expect(out[0]).toBe(all);
    // A contiguous run is a slice: it shares the child's value buffer.
    expect(out[1].getChild('x')!.data[0].values.buffer).toBe(runOf.getChild('x')!.data[0].values.buffer);
    expect(columnValues(out, 'x')).toEqual([0, 1, 2, 7, 8, 10, 12, 14]);
  });

  it('rejects a non-bool predicate and renders one line', () => {
    const src = new SourceExec(SCHEMA, [[]]);
    expect(() => new FilterExec(col('x'), src)).toThrow(PlanError);
    expect(new FilterExec(col('keep'), src).display()).toBe('FilterExec: keep');
  });
});

describe('ProjectionExec', () => {
  it('names outputs by exprName and passes columns by reference', async () => {
    const b = batch(0, [true, false]);
    const exprs: ExprNode[] = [{ kind: 'alias', arg: col('keep'), name: 'k' }, col('x')];
    const p = new ProjectionExec(exprs, new SourceExec(SCHEMA, [[b]]));
    expect(p.schema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual(['k:Bool', 'x:Int32']);
    const [out] = await collect(p.execute(0, await makeContext()));
    expect(out.schema.fields).toEqual(p.schema.fields);
    expect(out.getChild('x')!.data[0]).toBe(b.getChild('x')!.data[0]);
    expect(out.toArray().map((r) => r.toJSON())).toEqual([{ k: true, x: 0 }, { k: false, x: 1 }]);
    expect(p.display()).toBe('ProjectionExec: [keep AS k, x]');
  });

  it('passes batches through untouched when it selects every column in order', async () => {
    const b = batch(0, [true]);
    const out = await collect(new ProjectionExec([col('x'), col('keep')], new SourceExec(SCHEMA, [[b]])).execute(0, await makeContext()));
    expect(out[0]).toBe(b);
  });
});

describe('LimitExec', () => {
  it('skips offset, yields n rows as slices, and stops pulling the child', async () => {
    const src = new SourceExec(SCHEMA, [run(10, 10)], 3);
    const out = await collect(new LimitExec({ n: 17, offset: 12 }, src).execute(0, await makeContext()));
    expect(columnValues(out, 'x')).toEqual(Array.from({ length: 17 }, (_, i) => 12 + i));
    expect(src.pulls).toBe(3);
    expect(src.closed).toBe(1);
    expect(out[0].getChild('x')!.data[0].values.buffer).toBe(src.partitions[0][1].getChild('x')!.data[0].values.buffer);
  });

  it('closes the child as soon as the limit is met, before the consumer pulls again', async () => {
    const src = new SourceExec(SCHEMA, [run(10, 10)], 2);
    const it = new LimitExec({ n: 20, offset: 0 }, src).execute(0, await makeContext())[Symbol.asyncIterator]();
    expect((await it.next()).value.numRows).toBe(10);
    expect(src.closed).toBe(0);
    expect((await it.next()).value.numRows).toBe(10);
    expect(src.closed).toBe(1);
    expect((await it.next()).done).toBe(true);
    expect(src.pulls).toBe(2);
  });

  it('n=0 never pulls; an offset past the end yields nothing; partitions are independent', async () => {
    const zero = new SourceExec(SCHEMA, [run(2, 5)], 0);
    expect(await collect(new LimitExec({ n: 0, offset: 0 }, zero).execute(0, await makeContext()))).toEqual([]);
    const two = new SourceExec(SCHEMA, [run(2, 5), run(1, 5)]);
    const limit = new LimitExec({ n: 3, offset: 9 }, two);
    expect(columnValues(await collect(limit.execute(0, await makeContext())), 'x')).toEqual([9]);
    expect(columnValues(await collect(limit.execute(1, await makeContext())), 'x')).toEqual([]);
    expect(limit.display()).toBe('LimitExec: n=3 offset=9');
    expect(() => new LimitExec({ n: -1, offset: 0 }, two)).toThrow(PlanError);
  });

  it('closes the child when the consumer breaks early', async () => {
    const src = new SourceExec(SCHEMA, [run(5, 2)]);
    for await (const b of new LimitExec({ n: 100, offset: 0 }, src).execute(0, await makeContext())) { void b; break; }
    expect(src.closed).toBe(1);
    expect(src.pulls).toBe(1);
  });
});

describe('UnionExec', () => {
  it('maps partition p to (child i, p - partitions before i) and ORs nullability', async () => {
    const left = new SourceExec(SCHEMA, [[batch(0, [true])], [batch(10, [true])]]);
    const otherNames = new arrow.Schema([new arrow.Field('y', new arrow.Int32(), false), new arrow.Field('flag', new arrow.Bool(), false)]);
    const rightBatches = [0, 1, 2].map((p) => {
      const b = batch(100 + p, [true, false]);
      return new arrow.RecordBatch(otherNames, b.data);
    });
    const right = new SourceExec(otherNames, rightBatches.map((b) => [b]));
    const u = new UnionExec({ partitionCounts: [2, 3] }, [left, right]);
    expect(u.schema.fields.map((f) => [f.name, f.nullable])).toEqual([['x', true], ['keep', true]]);
    const ctx = await makeContext();
    const firsts: unknown[] = [];
    for (let p = 0; p < 5; p++) {
      const out = await collect(u.execute(p, ctx));
      expect(out.every((b) => b.schema.fields[0].name === 'x')).toBe(true);
      firsts.push(columnValues(out, 'x')[0]);
    }
    expect(firsts).toEqual([0, 10, 100, 101, 102]);
    await expect(collect(u.execute(5, ctx))).rejects.toThrow(InternalError);
    expect(u.display()).toBe('UnionExec: partitions=[2, 3]');
  });
});

describe('CoalesceBatchesExec', () => {
  it('concatenates small batches to about targetRows and passes big ones through in order', async () => {
    const big = batch(9, Array(10).fill(true));
    const input = [batch(0, [true, true, true]), batch(3, [true, true, true]), batch(6, [true, true, true]), batch(100, []), big, batch(19, [true, true])];
    const out = await collect(new CoalesceBatchesExec({ targetRows: 5 }, new SourceExec(SCHEMA, [input])).execute(0, await makeContext()));
    expect(out.map((b) => b.numRows)).toEqual([6, 3, 10, 2]);
    expect(out[2]).toBe(big);
    expect(columnValues(out, 'x')).toEqual([...Array.from({ length: 21 }, (_, i) => i)]);
  });
});
