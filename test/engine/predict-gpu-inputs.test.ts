// GPU predict over shuffled and in-memory input runs on the GPU (their batches live in SharedArrayBuffers), and a fallback to the CPU is counted, not silent.
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Quiver } from '../../core/index.ts';
import type { RuntimeEvent } from '../../core/runtime/events.ts';

const FMNIST = process.env.FMNIST_DIR ?? '/usr/share/datasets/fashion-mnist';
const MODEL = resolve(import.meta.dirname, '../../models/fmnist-mlp');
const IMAGES = `${FMNIST}/t10k-images-idx3-ubyte.gz`;

describe('GPU predict (lavapipe, gpu require)', () => {
  let q: Quiver;
  const events: RuntimeEvent[] = [];
  beforeAll(async () => {
    q = await Quiver.local({ workers: 2, ui: 0, quiet: true });
    q.onEvent((e) => events.push(e));
  });
  afterAll(async () => { await q?.close(); });

  /** Runs `count` and returns what the job's tasks reported: attempts, fallbacks, GPU-placed predict time. */
  async function runJob(count: () => Promise<number>) {
    events.length = 0;
    const n = await count();
    const job = q.session.lastJob!;
    const ends = events.filter((e): e is Extract<RuntimeEvent, { kind: 'taskEnd' }> => e.kind === 'taskEnd');
    const placements = events.filter((e): e is Extract<RuntimeEvent, { kind: 'placement' }> => e.kind === 'placement');
    return { n, job, ends, placements, metrics: await (await fetch(`${q.uiUrl}/metrics`)).text().catch(() => '') };
  }

  it('after a repartition (shuffle): every task runs on the GPU at its first attempt', async () => {
    const model = q.model(MODEL);
    const r = await runJob(() => q.read.idx(IMAGES).limit(3000).repartition(3).predict(model, { device: 'gpu' }).select('label').count());
    expect(r.n).toBe(3000);
    expect(r.placements.map((p) => p.device)).toEqual(['gpu']);
    expect(r.job.failedAttempts).toBe(0);
    expect(r.job.counters.predictGpuFallbacks ?? 0).toBe(0);
    expect(r.ends.every((e) => e.ok && e.attempt === 0)).toBe(true);
    expect(r.job.counters.predictRows).toBe(3000);
  });

  it('over createDataFrame input: every task runs on the GPU at its first attempt', async () => {
    const model = q.model(MODEL);
    const table = await q.read.idx(IMAGES).limit(500).collect();
    const r = await runJob(() => q.createDataFrame(table, { partitions: 2 }).predict(model, { device: 'gpu' }).count());
    expect(r.n).toBe(500);
    expect(r.placements.map((p) => p.device)).toEqual(['gpu']);
    expect(r.job.failedAttempts).toBe(0);
    expect(r.job.counters.predictGpuFallbacks ?? 0).toBe(0);
    expect(r.ends.every((e) => e.ok && e.attempt === 0)).toBe(true);
    // The GPU's labels are the CPU's (f32 both; a near-tie may flip a rare one).
    const onGpu = (await q.createDataFrame(table).predict(model, { device: 'gpu' }).select('labelId').toArray()).map((x) => x.labelId);
    const onCpu = (await q.createDataFrame(table).predict(model, { device: 'cpu' }).select('labelId').toArray()).map((x) => x.labelId);
    expect(onGpu.filter((v, i) => v === onCpu[i]).length).toBeGreaterThanOrEqual(498);
  });
});

describe('GPU predict that falls back to the CPU', () => {
  it('says so once per job, counts it in the job and in /metrics, and does not count it as GPU time', async () => {
    // Workers copy the environment when they start: this session's see QUIVER_GPU=off, as a --gpu off executor.
    const saved = process.env.QUIVER_GPU;
    process.env.QUIVER_GPU = 'off';
    const q = await Quiver.local({ workers: 1, ui: 0 });
    if (saved === undefined) delete process.env.QUIVER_GPU; else process.env.QUIVER_GPU = saved;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const model = q.model(MODEL);
      expect(await q.read.idx(IMAGES).limit(200).repartition(2).predict(model, { device: 'gpu' }).count()).toBe(200);
      expect(q.session.lastJob!.counters.predictGpuFallbacks).toBe(2);
      const lines = warn.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('predict task'));
      expect(lines).toEqual([expect.stringMatching(/^quiver: job \d+: 2 predict tasks placed on the GPU ran on the CPU/)]);
      const text = await (await fetch(`${q.uiUrl}/metrics`)).text();
      expect(text).toMatch(/quiver_predict_gpu_fallbacks_total\{job_id="0",stage="\d+",executor="local"\} 2\n/);
      expect(text).not.toContain('quiver_gpu_seconds_total{');
      // The web UI's job and stage pages say so too.
      const { job } = await (await fetch(`${q.uiUrl}/api/apps/live/jobs/0`)).json() as { job: { stageList: { stageId: number; gpuFallbacks: number }[] } };
      const fell = job.stageList.filter((st) => st.gpuFallbacks > 0);
      expect(fell.map((st) => st.gpuFallbacks)).toEqual([2]);
      const { stage } = await (await fetch(`${q.uiUrl}/api/apps/live/jobs/0/stages/${fell[0].stageId}`)).json() as { stage: { gpuFallbacks: number } };
      expect(stage.gpuFallbacks).toBe(2);
    } finally {
      warn.mockRestore();
      await q.close();
    }
  });
});
