import { resolve } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { col, fn, Quiver } from '../../core/index.ts';
import { explainText, planEvents } from '../../core/obs/plan-events.ts';
import { replay } from '../../core/obs/state.ts';
import { readEventLog } from '../../core/obs/event-log.ts';

const FMNIST = process.env.FMNIST_DIR ?? '/usr/share/datasets/fashion-mnist';

describe('plan events', () => {
  let q: Quiver;
  beforeAll(async () => { q = await Quiver.local({ workers: 2, shufflePartitions: 2 }); });
  afterAll(async () => { await q.close(); });

  it("carry explain()'s text and each stage's operator chain", async () => {
    const df = q.createDataFrame(Array.from({ length: 20 }, (_, i) => ({ k: i % 3, x: i })), { partitions: 2 })
      .filter(col('x').gt(2)).groupBy('k').agg(fn.count().alias('n'));
    const { optimized, physical } = await q.session.physical(df.plan);
    const events = planEvents(7, df.plan, optimized, physical, 1000);
    expect(events).toHaveLength(1);
    const [plan] = events;
    if (plan.kind !== 'jobPlan') throw new Error('expected a jobPlan event');
    expect(explainText(df.plan, optimized, physical)).toBe(await df.explain());
    expect(await df.explain()).toContain(`== Physical Plan ==\n${plan.physical}`);
    expect(plan.stages.map((s) => s.name)).toEqual(['MemoryScan > Filter > Projection > HashAggregate', 'ShuffleRead > HashAggregate']);
    expect(plan.stages[0].operators).toMatch(/^HashAggregateExec: mode=partial/);

    // Folded into a job's state: names, operators and plans show up.
    const s = replay([{ kind: 'jobStart', ts: 999, jobId: 7, stages: physical.stages.map((st) => ({ id: st.id, partitions: st.partitions, parents: st.parents, output: 'x' })) }, ...events]);
    expect(s.jobs[0].stages[1].name).toBe('ShuffleRead > HashAggregate');
    expect(s.jobs[0].plan!.logical).toContain('Aggregate: groupBy=[k]');
  });

  it('report where predict runs and why', async () => {
    const model = q.model(resolve(import.meta.dirname, '../../models/fmnist-mlp'));
    const df = q.read.idx(`${FMNIST}/t10k-images-idx3-ubyte.gz`).predict(model, { device: 'cpu' }).select('label');
    const { optimized, physical } = await q.session.physical(df.plan);
    const placements = planEvents(0, df.plan, optimized, physical).filter((e) => e.kind === 'placement');
    expect(placements).toEqual([{ kind: 'placement', ts: expect.any(Number), jobId: 0, stageId: 0, operator: 'predict fmnist-mlp', device: 'cpu', backend: 'wasm', reason: 'asked for cpu' }]);
  });
});

describe('a session with observability options', () => {
  it('logs each job\'s plans right after its start, task output bytes, and serves the job at q.uiUrl', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quiver-obs-'));
    const q = await Quiver.local({ workers: 2, shufflePartitions: 2, eventLog: dir, ui: 0, quiet: true });
    try {
      expect(q.uiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const df = q.createDataFrame(Array.from({ length: 50 }, (_, i) => ({ k: i % 5, x: i })), { partitions: 2 }).groupBy('k').agg(fn.sum('x').alias('s'));
      expect(await df.count()).toBe(5);
      const events = readEventLog(q.eventLogFile!);
      const start = events.findIndex((e) => e.kind === 'jobStart');
      expect(events[start + 1]).toMatchObject({ kind: 'jobPlan', jobId: (events[start] as { jobId: number }).jobId });
      const ends = events.filter((e) => e.kind === 'taskEnd');
      expect(ends.length).toBeGreaterThan(0);
      for (const e of ends) expect(e).toMatchObject({ bytes: expect.any(Number), metrics: expect.any(Object) });
      expect(ends.some((e) => e.kind === 'taskEnd' && e.bytes! > 0)).toBe(true);
      const { jobs } = await (await fetch(`${q.uiUrl}/api/apps/live/jobs`)).json() as { jobs: { jobId: number }[] };
      expect(jobs).toHaveLength(1);
      const job = await (await fetch(`${q.uiUrl}/api/apps/live/jobs/${jobs[0].jobId}`)).text();
      expect(job).toContain('ShuffleRead > HashAggregate');
    } finally {
      await q.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
