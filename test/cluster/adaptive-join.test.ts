// Adaptive joins on executors: the build side's shuffle, found small, is read whole by every task of the probe side's scan, with the rows a join computed here gives.
import { describe, expect, it } from 'vitest';
import { col, fn, type RuntimeEvent } from '../../core/index.ts';
import { useKillableCluster } from './killable-cluster.ts';

const c = useKillableCluster('adaptive', { driverTimeoutMs: 5000, shufflePartitions: 4, broadcastThresholdBytes: 8192 });

type Ev<K extends RuntimeEvent['kind']> = Extract<RuntimeEvent, { kind: K }>;
const after = <K extends RuntimeEvent['kind']>(from: number, kind: K): Ev<K>[] => c.events.slice(from).filter((e): e is Ev<K> => e.kind === kind);

describe('adaptive joins in a cluster', () => {
  it('runs the join as a broadcast of the small side, on both executors, with every row right', async () => {
    const facts = Array.from({ length: 20_000 }, (_, i) => ({ k: i % 4000, tag: `t${i % 7}` }));
    const dims = Array.from({ length: 20_000 }, (_, i) => ({ k: i, w: i % 100 }));
    const from = c.events.length;
    const got = await c.q.createDataFrame(facts, { partitions: 4 })
      .join(c.q.createDataFrame(dims, { partitions: 2 }).filter(col('k').lt(50)), 'k')
      .groupBy('tag').agg(fn.count().alias('n'), fn.sum('w').alias('w')).orderBy('tag').toArray();
    const want = new Map<string, { n: number; w: number }>();
    for (const f of facts) if (f.k < 50) { const g = want.get(f.tag) ?? { n: 0, w: 0 }; g.n++; g.w += f.k % 100; want.set(f.tag, g); }
    expect(got.map((r) => [r.tag, Number(r.n), Number(r.w)])).toEqual([...want].sort().map(([t, g]) => [t, g.n, g.w]));
    const switched = after(from, 'stageStart').filter((e) => e.broadcastJoin);
    expect(switched).toHaveLength(1);
    expect(switched[0].tasks).toBe(4);
    const ends = after(from, 'taskEnd').filter((e) => e.stageId === switched[0].stageId && e.ok);
    expect(new Set(ends.map((e) => e.executor)).size).toBe(2);
    // Every task read the whole build side: the blocks its two map tasks wrote, some on the other executor.
    expect(ends.reduce((s, e) => s + (e.metrics?.remoteBlocksRead ?? 0), 0)).toBeGreaterThan(0);
  }, 60_000);
});
