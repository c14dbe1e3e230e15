// Coalesced shuffle partitions on executors: a task reads a range of reduce partitions from both executors, and the groups are the ones computed here.
import { describe, expect, it } from 'vitest';
import { col, fn, type RuntimeEvent } from '../../core/index.ts';
import { useKillableCluster } from './killable-cluster.ts';

const c = useKillableCluster('coalesce', { driverTimeoutMs: 5000, shufflePartitions: 8, coalescePartitionBytes: 2 * 1024 * 1024 });

type Ev<K extends RuntimeEvent['kind']> = Extract<RuntimeEvent, { kind: K }>;
const after = <K extends RuntimeEvent['kind']>(from: number, kind: K): Ev<K>[] => c.events.slice(from).filter((e): e is Ev<K> => e.kind === kind);

describe('coalesced shuffle partitions in a cluster', () => {
  it('reads several reduce partitions per task, from both executors, with every group right', async () => {
    // 200,000 distinct keys: the partial aggregates shrink nothing, so the shuffle is a few MB.
    const n = 200_000;
    const rows = Array.from({ length: n }, (_, i) => ({ k: i, v: i % 7 }));
    const from = c.events.length;
    const got = await c.q.createDataFrame(rows, { partitions: 4 }).groupBy('k').agg(fn.sum('v').alias('s')).filter(col('s').gte(6)).count();
    expect(got).toBe(rows.filter((r) => r.v === 6).length);
    const starts = after(from, 'stageStart').filter((e) => e.coalescedFrom !== undefined);
    expect(starts).toHaveLength(1);
    const { stageId, tasks } = starts[0];
    expect(starts[0].coalescedFrom).toBe(8);
    expect(tasks).toBeGreaterThanOrEqual(2);
    expect(tasks).toBeLessThan(8);
    const ends = after(from, 'taskEnd').filter((e) => e.stageId === stageId && e.ok);
    expect(new Set(ends.map((e) => e.partition))).toEqual(new Set(Array.from({ length: tasks }, (_, i) => i)));
    // Each task read blocks of more than one reduce partition, some of them from the other executor.
    expect(ends.reduce((s, e) => s + (e.metrics?.remoteBlocksRead ?? 0), 0)).toBeGreaterThan(0);
    expect(ends.reduce((s, e) => s + (e.metrics?.inputRows ?? 0), 0)).toBe(n);
  }, 60_000);
});
