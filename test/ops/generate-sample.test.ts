// GenerateExec (explode / posexplode over list and fixed-size-list columns) and RandomSampleExec (batch-size independent draws, pass-through).
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { GenerateExec } from '../../ops/generate-exec.ts';
import { RandomSampleExec } from '../../ops/random-sample-exec.ts';
import { collect, col, columnValues, makeContext, sourceOf } from './stream-support.ts';

const lists = () => {
  const id = arrow.vectorFromArray([1, 2, 3, 4, 5], new arrow.Int32());
  const l = arrow.vectorFromArray([[10, 11], null, [], [12], [13, null, 14]], new arrow.List(new arrow.Field('item', new arrow.Int32(), true)));
  return new arrow.Table({ id, l });
};

describe('GenerateExec', () => {
  it('explode: one row per element in order; null and empty lists give none; batches of one row', async () => {
    const e = new GenerateExec({ arg: col('l'), outer: false, posName: null, colName: 'v' }, sourceOf(lists(), 1));
    const out = await collect(e.execute(0, await makeContext()));
    expect(columnValues(out, 'id')).toEqual([1, 1, 4, 5, 5, 5]);
    expect(columnValues(out, 'v')).toEqual([10, 11, 12, 13, null, 14]);
    expect(out[0].schema.fields.map((f) => f.name)).toEqual(['id', 'l', 'v']);
    expect(e.display()).toBe('GenerateExec: explode(l) -> [v]');
  });

  it('posexplode outer: positions per list, a null row for null and empty lists; sliced input', async () => {
    const t = lists();
    const e = new GenerateExec({ arg: col('l'), outer: true, posName: 'p', colName: 'v' }, sourceOf(t, 2));
    const out = await collect(e.execute(0, await makeContext()));
    expect(columnValues(out, 'id')).toEqual([1, 1, 2, 3, 4, 5, 5, 5]);
    expect(columnValues(out, 'p')).toEqual([0, 1, null, null, 0, 0, 1, 2]);
    expect(columnValues(out, 'v')).toEqual([10, 11, null, null, 12, 13, null, 14]);
  });

  it('splits what one input batch gives into batches of ctx.batchSize rows', async () => {
    const e = new GenerateExec({ arg: col('l'), outer: false, posName: null, colName: 'v' }, sourceOf(lists(), 5));
    const out = await collect(e.execute(0, await makeContext({ batchSize: 4 })));
    expect(out.map((b) => b.numRows)).toEqual([4, 2]);
    expect(columnValues(out, 'v')).toEqual([10, 11, 12, 13, null, 14]);
  });

  it('fixed-size lists', async () => {
    const child = arrow.vectorFromArray([1, 2, 3, 4, 5, 6], new arrow.Float32());
    const fsl = arrow.makeVector(arrow.makeData({ type: new arrow.FixedSizeList(3, new arrow.Field('item', new arrow.Float32(), true)), length: 2, nullCount: 0, child: child.data[0] }));
    const t = new arrow.Table({ k: arrow.vectorFromArray(['a', 'b'], new arrow.Utf8()), f: fsl });
    const e = new GenerateExec({ arg: col('f'), outer: false, posName: 'pos', colName: 'x' }, sourceOf(t, 1));
    const out = await collect(e.execute(0, await makeContext()));
    expect(columnValues(out, 'k')).toEqual(['a', 'a', 'a', 'b', 'b', 'b']);
    expect(columnValues(out, 'pos')).toEqual([0, 1, 2, 0, 1, 2]);
    expect(columnValues(out, 'x')).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('RandomSampleExec', () => {
  const big = new arrow.Table({ i: arrow.vectorFromArray(Array.from({ length: 10_000 }, (_, i) => i), new arrow.Int32()) });
  const run = async (batch: number, fraction: number, withReplacement: boolean, seed = 9) =>
    columnValues(await collect(new RandomSampleExec({ fraction, withReplacement, seed }, sourceOf(big, batch)).execute(0, await makeContext())), 'i');

  it('draws the same rows whatever the batch size, and different rows for another seed', async () => {
    const a = await run(10_000, 0.2, false);
    expect(await run(7, 0.2, false)).toEqual(a);
    expect(await run(333, 0.2, false, 10)).not.toEqual(a);
    const r = await run(10_000, 2.5, true);
    expect(await run(64, 2.5, true)).toEqual(r);
    // Sorted by input row: copies are adjacent.
    expect([...r].sort((x, y) => (x as number) - (y as number))).toEqual(r);
  });

  it('passes whole batches through at fraction 1 and yields nothing at 0', async () => {
    const src = sourceOf(big, 1000);
    const out = await collect(new RandomSampleExec({ fraction: 1, withReplacement: false, seed: 1 }, src).execute(0, await makeContext()));
    expect(out.every((b, i) => b === src.partitions[0][i])).toBe(true);
    expect(await run(1000, 0, false)).toEqual([]);
    expect(await run(1000, 0, true)).toEqual([]);
  });
});
