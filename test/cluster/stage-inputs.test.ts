// A reduce task is never described with a map output missing: it would read too little and say nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fn, Quiver } from '../../core/index.ts';
import { taskInputs, type MapStatus } from '../../core/cluster/stage-inputs.ts';
import { parentsReady } from '../../core/scheduler/job-run.ts';

describe('task inputs', () => {
  let q: Quiver;
  beforeAll(async () => { q = await Quiver.local({ workers: 1, shufflePartitions: 2 }); });
  afterAll(async () => { await q.close(); });

  it('list every map output, and refuse to describe a task while one is lost', async () => {
    const df = q.createDataFrame(Array.from({ length: 30 }, (_, i) => ({ k: i % 3 })), { partitions: 3 }).groupBy('k').agg(fn.count().alias('n'));
    const { physical } = await q.session.physical(df.plan);
    const [map, reduce] = physical.stages;
    const done = (executor: string): MapStatus => ({ executor, attempt: 0, rows: [5, 5] });
    const outputs = new Map<number, (MapStatus | null)[]>([[map.id, [done('a'), done('b'), done('a')]]]);
    expect(parentsReady(reduce, outputs)).toBe(true);
    const inputs = taskInputs(physical, reduce, 1, outputs, {});
    expect(Object.values(inputs.shuffle)[0].parts).toEqual([{ reduce: 1, from: { a: [[0, 0], [2, 0]], b: [[1, 0]] } }]);

    outputs.get(map.id)![1] = null;
    expect(parentsReady(reduce, outputs)).toBe(false);
    expect(() => taskInputs(physical, reduce, 1, outputs, {})).toThrow(/output of stage 0 task 1 is not known/);
  });
});
