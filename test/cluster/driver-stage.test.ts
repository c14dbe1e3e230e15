// A cluster job's small last stage (a top-k or a global aggregate's merge) runs on the driver: the same rows, one executor round trip fewer; larger ones, and those calling user code, stay on executors.
import { connect } from '@nats-io/transport-node';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { col, fn, Quiver, type RuntimeEvent } from '../../core/index.ts';
import { runOnDriver } from '../../core/cluster/driver-stage.ts';
import type { PhysicalPlan } from '../../core/physical/phys-node.ts';
import { useKillableCluster } from './killable-cluster.ts';

const SLOW = resolve(import.meta.dirname, '../fixtures/cluster/slow.ts');
const CLUSTER = 'driverstage';
// Planned partitions kept (no coalescing): the reduce stage's four tasks spread over both executors.
const c = useKillableCluster(CLUSTER, { driverTimeoutMs: 5000, shufflePartitions: 4, coalescePartitionBytes: 0 });

const rows = Array.from({ length: 6000 }, (_, i) => ({ x: i, k: i % 50 }));
const sums = new Map<number, number>();
for (const r of rows) sums.set(r.k, (sums.get(r.k) ?? 0) + r.x);
const top3 = [...sums].sort((a, b) => b[1] - a[1]).slice(0, 3);

type Ev<K extends RuntimeEvent['kind']> = Extract<RuntimeEvent, { kind: K }>;
const after = <K extends RuntimeEvent['kind']>(events: RuntimeEvent[], from: number, kind: K): Ev<K>[] => events.slice(from).filter((e): e is Ev<K> => e.kind === kind);
/** The executors each stage of the last job ran on, by stage id. */
function placement(events: RuntimeEvent[], from: number): Map<number, Set<string>> {
  const out = new Map<number, Set<string>>();
  for (const e of after(events, from, 'taskStart')) (out.get(e.stageId) ?? out.set(e.stageId, new Set()).get(e.stageId)!).add(e.executor);
  return out;
}
const lastStage = (p: Map<number, Set<string>>) => Math.max(...p.keys());

describe('the last stage on the driver', () => {
  it('runs a top-k and a global aggregate merge on the driver, with the rows computed here', async () => {
    let from = c.events.length;
    const got = await c.q.createDataFrame(rows, { partitions: 6 }).groupBy('k').agg(fn.sum('x').alias('s')).orderBy(col('s').desc()).limit(3).toArray();
    expect(got.map((r) => [r.k, Number(r.s)])).toEqual(top3);
    let p = placement(c.events, from);
    const last = lastStage(p);
    expect([...p.get(last)!]).toEqual(['driver']);
    for (const [stage, on] of p) if (stage !== last) expect(on.has('driver'), `stage ${stage}`).toBe(false);
    const start = after(c.events, from, 'taskStart').find((e) => e.stageId === last)!;
    expect(start.locality).toMatch(/^driver: the last stage, over \d+ shuffled rows$/);
    const end = after(c.events, from, 'taskEnd').find((e) => e.stageId === last)!;
    expect(end.ok).toBe(true);
    // Its inputs came from both executors, over their block ports (TCP), not NATS.
    expect(end.metrics?.remoteBlocksRead).toBeGreaterThanOrEqual(2);
    expect(end.metrics?.directBlocksRead).toBe(end.metrics?.remoteBlocksRead);
    // Executors read each other's blocks over the block ports too.
    const reduce = after(c.events, from, 'taskEnd').filter((e) => e.stageId !== last && (e.metrics?.remoteBlocksRead ?? 0) > 0);
    expect(reduce.length).toBeGreaterThan(0);
    for (const e of reduce) expect(e.metrics?.directBlocksRead, `stage ${e.stageId} task ${e.partition}`).toBe(e.metrics?.remoteBlocksRead);

    from = c.events.length;
    expect(await c.q.createDataFrame(rows, { partitions: 6 }).filter(col('k').lt(10)).count()).toBe(1200);
    p = placement(c.events, from);
    expect([...p.get(lastStage(p))!]).toEqual(['driver']);
  }, 60_000);

  it('leaves a last stage on an executor when it reads more than driverStageRows rows, or calls user code', async () => {
    const q2 = await Quiver.connect({ servers: c.nats.url, cluster: CLUSTER, minExecutors: 2, shufflePartitions: 4, coalescePartitionBytes: 0, driverStageRows: 10, ui: 0, quiet: true });
    const events: RuntimeEvent[] = [];
    q2.onEvent((e) => events.push(e));
    try {
      // Four partial top-3s: 12 rows, over the 10 allowed.
      const got = await q2.createDataFrame(rows, { partitions: 6 }).groupBy('k').agg(fn.sum('x').alias('s')).orderBy(col('s').desc()).limit(3).toArray();
      expect(got.map((r) => [r.k, Number(r.s)])).toEqual(top3);
      const p = placement(events, 0);
      expect(p.get(lastStage(p))!.has('driver')).toBe(false);
    } finally {
      await q2.close();
    }
    const from = c.events.length;
    const got = await c.q.createDataFrame(rows, { partitions: 6 }).groupBy('k').agg(fn.sum('x').alias('s')).orderBy(col('s').desc()).limit(3)
      .mapBatches({ module: SLOW, export: 'sleepy' }, { options: { ms: 1 } }).toArray();
    expect(got.map((r) => [r.k, Number(r.s)])).toEqual(top3);
    const p = placement(c.events, from);
    expect(p.get(lastStage(p))!.has('driver')).toBe(false);
  }, 60_000);

  it('reports an input it cannot fetch as a fetch failure naming the map output, which the scheduler recomputes', async () => {
    const fields = [{ name: 'x', type: 'int64', nullable: true }] as const;
    const plan = {
      resultStage: 1,
      stages: [
        { id: 0, root: { op: 'values', id: 't', partitions: 1, fields }, partitions: 1, output: { kind: 'shuffle', shuffleId: 0, keys: [], partitions: 1 }, parents: [], fields },
        { id: 1, root: { op: 'shuffleRead', shuffleId: 0, fields }, partitions: 1, output: { kind: 'result' }, parents: [0], fields },
      ],
    } as unknown as PhysicalPlan;
    const nc = await connect({ servers: c.nats.url });
    try {
      const o = await runOnDriver({
        nc, driverId: 'driver-test', jobId: 1, plan, stage: plan.stages[1], stageJson: JSON.stringify(plan.stages[1]), attempt: 0,
        outputs: new Map([[0, [{ executor: 'exec-gone', attempt: 0, rows: [5] }]]]),
        config: { memoryBudget: 1 << 20, batchSize: 1024, spillRoot: '/tmp' },
        subjectOf: (e) => `quiver.${CLUSTER}.test.${e}.blocks`,
      });
      expect(o).toMatchObject({ kind: 'fetchFailed', stage: 0, map: 0, executor: 'exec-gone' });
    } finally {
      await nc.close();
    }
  });
});
