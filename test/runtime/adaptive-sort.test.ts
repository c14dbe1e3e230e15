// Adaptive sorts: a distributed sort whose input, computed from shuffles, turns out small sorts in one task with its key sample stage skipped, in the same order; which plans may.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { col, fn, Quiver, type DataFrame } from '../../core/index.ts';
import type { PhysicalPlan, PhysNode, Stage } from '../../core/physical/phys-node.ts';
import type { RuntimeEvent } from '../../core/runtime/events.ts';
import type { MapOutput } from '../../core/runtime/runtime.ts';
import { adaptiveSorts, singlePartitionRangeStage } from '../../core/scheduler/adaptive-sort.ts';

type StageStart = Extract<RuntimeEvent, { kind: 'stageStart' }>;
type JobStart = Extract<RuntimeEvent, { kind: 'jobStart' }>;

// 30,000 rows in 3 partitions, 1,000 groups: estimated at hundreds of KB, over a 1-byte
// singleTaskSortBytes, so planned as a distributed sort (sample stage, range shuffle).
const rows = Array.from({ length: 30_000 }, (_, i) => ({ k: i % 1000, v: (i * 7919) % 10_007, s: `s${i % 13}` }));
const dims = Array.from({ length: 1000 }, (_, i) => ({ k: i, name: `n${i % 17}` }));

describe('adaptive sorts in jobs', () => {
  let q: Quiver;
  let plain: Quiver;
  const events: RuntimeEvent[] = [];
  beforeAll(async () => {
    q = await Quiver.local({ workers: 2, shufflePartitions: 4, singleTaskSortBytes: 1 });
    // singleTaskSortBytes 0: every sort of several partitions is distributed, at run time too.
    plain = await Quiver.local({ workers: 2, shufflePartitions: 4, singleTaskSortBytes: 0 });
    q.session.listeners.add((e) => { events.push(e); });
  });
  afterAll(async () => { await q.close(); await plain.close(); });

  const starts = () => events.filter((e): e is StageStart => e.kind === 'stageStart');
  const planned = () => events.find((e): e is JobStart => e.kind === 'jobStart')!.stages;
  const run = async (job: (s: Quiver) => DataFrame) => {
    events.length = 0;
    const got = await job(q).toArray();
    // The same rows in the same order as the distributed sort's.
    expect(got).toEqual(await job(plain).toArray());
    return got;
  };

  it('sorts an aggregate of a small shuffle in one task: the sample stage never starts, every row in the first partition', async () => {
    const job = (s: Quiver) => s.createDataFrame(rows, { partitions: 3 }).groupBy('k').agg(fn.sum('v').alias('total'), fn.count().alias('n'))
      .orderBy(col('total').desc(), 'k');
    expect(await q.session.explain(job(q).plan)).toContain('SampleExec');
    const got = await run(job);
    expect(got).toHaveLength(1000);
    const totals = got.map((r) => Number(r.total));
    expect(totals).toEqual([...totals].sort((a, b) => b - a));
    const oneTask = starts().filter((e) => e.sortInOneTask);
    expect(oneTask).toHaveLength(1);
    const { sampleStage, inputBytes } = oneTask[0].sortInOneTask!;
    expect(inputBytes).toBeGreaterThan(0);
    expect(planned().find((st) => st.id === sampleStage)!.output).toMatch(/^broadcast/);
    expect(starts().some((e) => e.stageId === sampleStage)).toBe(false);
    // The sort stage's tasks: the first sorted every row, the others had none.
    const sortStage = planned().find((st) => st.parents.includes(oneTask[0].stageId))!;
    const ends = events.filter((e): e is Extract<RuntimeEvent, { kind: 'taskEnd' }> => e.kind === 'taskEnd' && e.stageId === sortStage.id);
    expect(ends.filter((e) => e.rows > 0).map((e) => [e.partition, e.rows])).toEqual([[0, 1000]]);
  });

  it('keeps the distributed sort where a join could add rows under it, or the shuffles are over the threshold', async () => {
    const joined = (s: Quiver) => s.createDataFrame(rows, { partitions: 3 }).groupBy('k').agg(fn.sum('v').alias('total'))
      .join(s.createDataFrame(dims, { partitions: 2 }), 'k').orderBy(col('total').desc(), 'k');
    const got = await run(joined);
    expect(got).toHaveLength(1000);
    expect(starts().some((e) => e.sortInOneTask)).toBe(false);
    // Every planned stage ran, the sample stage among them.
    expect(starts()).toHaveLength(planned().length);
    const small = await Quiver.local({ workers: 2, shufflePartitions: 4, singleTaskSortBytes: 1 });
    try {
      small.session.scheduler.adaptiveSortBytes = 64;
      const ev: RuntimeEvent[] = [];
      small.session.listeners.add((e) => { ev.push(e); });
      const job = (s: Quiver) => s.createDataFrame(rows, { partitions: 3 }).groupBy('k').agg(fn.sum('v').alias('total')).orderBy('total', 'k');
      expect(await job(small).toArray()).toEqual(await job(plain).toArray());
      expect(ev.some((e) => e.kind === 'stageStart' && e.sortInOneTask)).toBe(false);
    } finally {
      await small.close();
    }
  });
});

describe('adaptiveSorts and singlePartitionRangeStage', () => {
  const fields = [{ name: 'k', type: 'int64' as const, nullable: false }, { name: 't', type: 'int64' as const, nullable: true }];
  const keys = [{ kind: 'column' as const, name: 't' }];
  const read: PhysNode = { op: 'shuffleRead', shuffleId: 0, fields };
  const agg: PhysNode = { op: 'aggregate', mode: 'final', groupBy: [{ kind: 'column', name: 'k' }], aggs: [], child: read };
  const plan = (child: PhysNode): PhysicalPlan => {
    const stages: Stage[] = [
      { id: 0, root: { op: 'values', id: 'x', partitions: 2, fields }, partitions: 2, output: { kind: 'shuffle', shuffleId: 0, keys: [], partitions: 4 }, parents: [], fields },
      { id: 1, root: { op: 'sample', keys, rows: 60, child }, partitions: 4, output: { kind: 'broadcast', id: 0 }, parents: [0], fields },
      { id: 2, root: { op: 'rangePartition', keys, partitions: 4, sample: { op: 'broadcast', id: 0, fields }, child }, partitions: 4,
        output: { kind: 'shuffle', shuffleId: 1, keys, partitions: 4, range: true }, parents: [0, 1], fields },
      { id: 3, root: { op: 'sort', keys, fetch: null, child: { op: 'shuffleRead', shuffleId: 1, fields } }, partitions: 4, output: { kind: 'result' }, parents: [2], fields },
    ];
    return { stages, resultStage: 3 };
  };
  const outputs = (bytes: number[]): MapOutput[] => bytes.map((b) => ({ rows: [1, 1, 1, 1], bytes: [b, 0, 0, 0] }) as unknown as MapOutput);

  it('finds a sort over shuffles through operators that add no rows, not over a join', () => {
    expect(adaptiveSorts(plan(agg))).toEqual([{ sample: 1, range: 2 }]);
    const join: PhysNode = { op: 'hashJoin', how: 'inner', leftKeys: keys, rightKeys: keys, using: false, buildSide: 'right', broadcast: false, outputFields: fields, left: read, right: read };
    expect(adaptiveSorts(plan(join))).toEqual([]);
  });

  it('sends every row to partition 0 with no sample read when the shuffles hold at most the threshold; null over it or unknown', () => {
    const p = plan(agg);
    const r = singlePartitionRangeStage(p, { sample: 1, range: 2 }, (id) => (id === 0 ? outputs([100, 200]) : undefined), 300)!;
    expect(r.inputBytes).toBe(300);
    expect(r.stage.parents).toEqual([0]);
    expect(r.stage.root).toEqual({ op: 'project', exprs: [{ kind: 'column', name: 'k' }, { kind: 'column', name: 't' }, { kind: 'alias', name: '__range_partition', arg: { kind: 'literal', value: 0, type: 'int32' } }], child: agg });
    expect(singlePartitionRangeStage(p, { sample: 1, range: 2 }, () => outputs([100, 201]), 300)).toBeNull();
    expect(singlePartitionRangeStage(p, { sample: 1, range: 2 }, () => [null], 300)).toBeNull();
  });
});
