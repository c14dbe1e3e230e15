// df.cache() on a cluster with real processes: executors keep the partitions past the job, a kill -9 loses only its own (recomputed from lineage), unpersist drops them everywhere.
import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { fn, type RuntimeEvent } from '../../core/index.ts';
import { until } from './cluster-helpers.ts';
import { useKillableCluster } from './killable-cluster.ts';

const SLOW = resolve(import.meta.dirname, '../fixtures/cluster/slow.ts');
const CLUSTER = 'cache';

const c = useKillableCluster(CLUSTER, { driverTimeoutMs: 5000, shufflePartitions: 3 });

const N = 8000;
const rows = Array.from({ length: N }, (_, i) => ({ x: i, k: i % 5 }));
const expected = [0, 1, 2, 3, 4].map((k) => `${k}:${rows.filter((r) => r.k === k).reduce((s, r) => s + r.x, 0)}`);

type Ev<K extends RuntimeEvent['kind']> = Extract<RuntimeEvent, { kind: K }>;
const after = <K extends RuntimeEvent['kind']>(from: number, kind: K): Ev<K>[] => c.events.slice(from).filter((e): e is Ev<K> => e.kind === kind);

describe('cache() on a cluster', () => {
  it('keeps partitions on the executors, recomputes exactly those of a killed executor, and unpersist drops them', async () => {
    const cached = c.q.createDataFrame(rows, { partitions: 8 }).mapBatches({ module: SLOW, export: 'sleepy' }, { options: { ms: 30 } }).cache();
    const sums = async () => (await cached.groupBy('k').agg(fn.sum('x').alias('s')).toArray()).map((r) => `${r.k}:${r.s}`).sort();

    let from = c.events.length;
    expect(await sums()).toEqual(expected);
    const first = after(from, 'jobStart')[0];
    const cacheStage = first.stages.find((s) => s.output.startsWith('cache'))!.id;
    const holder = new Map(after(from, 'taskEnd').filter((e) => e.ok && e.stageId === cacheStage && !e.ignored).map((e) => [e.partition, e.executor]));
    expect(holder.size).toBe(8);
    const update = after(from, 'cacheUpdate').at(-1)!;
    expect(update.cached).toBe(8);
    // Both executors keep some, past the job's end (its other outputs are dropped).
    const [a, b] = c.executors;
    const onB = [...holder].filter(([, e]) => e === b.id).map(([p]) => p).sort();
    expect(onB.length).toBeGreaterThan(0);
    expect(onB.length).toBeLessThan(8);
    await until(async () => (await b.state()).outputs === onB.length, 10_000, 'executor b to keep only its cached partitions');

    // Read, not computed: no task of the cache stage.
    from = c.events.length;
    expect(await sums()).toEqual(expected);
    expect(after(from, 'taskStart').filter((e) => e.stageId === cacheStage)).toEqual([]);

    // kill -9 of b: its partitions are lost, and the next job recomputes exactly those.
    await b.kill9();
    await until(() => c.events.some((e) => e.kind === 'cacheUpdate' && e.cached === 8 - onB.length), 20_000, 'the cache to lose b\'s partitions');
    from = c.events.length;
    expect(await sums()).toEqual(expected);
    const rerun = after(from, 'taskEnd').filter((e) => e.ok && e.stageId === cacheStage).map((e) => e.partition).sort();
    expect(rerun).toEqual(onB);
    expect(after(from, 'cacheUpdate').at(-1)).toMatchObject({ cached: 8, executors: { [a.id]: 8 } });

    // unpersist: the executor drops every cached block; the next job computes the input again.
    await until(async () => (await a.state()).outputs === 8, 10_000, 'executor a to keep the 8 cached partitions');
    const plain = await cached.unpersist();
    await until(async () => (await a.state()).outputs === 0, 10_000, 'executor a to drop the cached partitions');
    from = c.events.length;
    expect((await plain.groupBy('k').agg(fn.sum('x').alias('s')).toArray()).map((r) => `${r.k}:${r.s}`).sort()).toEqual(expected);
    expect(after(from, 'jobStart')[0].stages.some((s) => s.output.startsWith('cache'))).toBe(false);
  }, 120_000);
});
