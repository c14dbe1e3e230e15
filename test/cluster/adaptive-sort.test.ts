// Adaptive sorts on executors: a sort whose aggregated input turns out small is range-partitioned into one partition by the executors (the rewritten stage served to them), its key sample stage skipped, in the right order.
import { describe, expect, it } from 'vitest';
import { col, fn, type RuntimeEvent } from '../../core/index.ts';
import { useKillableCluster } from './killable-cluster.ts';

const c = useKillableCluster('adaptive-sort', { driverTimeoutMs: 5000, shufflePartitions: 4, singleTaskSortBytes: 1 });

type Ev<K extends RuntimeEvent['kind']> = Extract<RuntimeEvent, { kind: K }>;
const after = <K extends RuntimeEvent['kind']>(from: number, kind: K): Ev<K>[] => c.events.slice(from).filter((e): e is Ev<K> => e.kind === kind);

describe('adaptive sorts in a cluster', () => {
  it('sorts the aggregate in one task on an executor, the sample stage never run, every row in order', async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => ({ k: i % 500, v: (i * 7919) % 10_007 }));
    const from = c.events.length;
    const got = await c.q.createDataFrame(rows, { partitions: 4 }).groupBy('k').agg(fn.sum('v').alias('total')).orderBy(col('total').desc(), 'k').toArray();
    const want = new Map<number, number>();
    for (const r of rows) want.set(r.k, (want.get(r.k) ?? 0) + r.v);
    expect(got.map((r) => [Number(r.k), Number(r.total)])).toEqual([...want].sort((a, b) => b[1] - a[1] || a[0] - b[0]));
    const oneTask = after(from, 'stageStart').filter((e) => e.sortInOneTask);
    expect(oneTask).toHaveLength(1);
    expect(after(from, 'stageStart').some((e) => e.stageId === oneTask[0].sortInOneTask!.sampleStage)).toBe(false);
    // The range stage's tasks ran on the executors (the rewritten plan, not the planned one).
    const ends = after(from, 'taskEnd').filter((e) => e.stageId === oneTask[0].stageId && e.ok);
    expect(ends.length).toBeGreaterThan(0);
    expect(ends.every((e) => e.executor !== 'driver')).toBe(true);
  }, 60_000);
});
