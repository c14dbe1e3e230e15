// The committed Fashion-MNIST CNN through Quiver: >= 0.91 test accuracy on every backend, onnxruntime and WebGPU pipelined through the process's inference thread (small batches coalesced), the same tags without it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quiver, col, fn, type RuntimeEvent } from '../../core/index.ts';
import { replay } from '../../core/obs/state.ts';
import { writeFmnistFiles } from '../../examples/lib/fmnist-files.ts';

const FMNIST = process.env.FMNIST_DIR ?? '/usr/share/datasets/fashion-mnist';
const MODEL = resolve(import.meta.dirname, '../../models/fmnist-cnn');
const IMAGES = `${FMNIST}/t10k-images-idx3-ubyte.gz`;

describe('the Fashion-MNIST CNN (ONNX) through predict', () => {
  let q: Quiver;
  // Scan batches of 50 rows: many small requests for the inference thread to coalesce.
  beforeAll(async () => { q = await Quiver.local({ workers: 2, batchSize: 50, ui: false, quiet: true }); });
  afterAll(async () => { await q?.close(); });

  async function accuracy(backend: 'wasm' | 'onnxruntime' | 'webgpu', limit?: number) {
    let df = q.read.idx(IMAGES, { labels: true }).withColumnRenamed('label', 'truth');
    if (limit) df = df.limit(limit);
    const t = await df.predict(q.model(MODEL), { backend, batchSize: 200 })
      .agg(fn.count().alias('n'), fn.sum(col('labelId').eq(col('truth')).cast('int32')).alias('correct')).toArray();
    return { n: Number(t[0].n), acc: Number(t[0].correct) / Number(t[0].n), counters: q.session.lastJob!.counters };
  }

  it('onnxruntime: 10,000 test images, accuracy as the card says, every row through the inference thread, batches coalesced', async () => {
    const r = await accuracy('onnxruntime');
    expect(r.n).toBe(10_000);
    expect(r.acc).toBeGreaterThanOrEqual(0.91);
    expect(r.acc).toBeCloseTo(0.918, 2);
    expect(r.counters.predictPipelinedRows).toBe(10_000);
    expect(r.counters.predictBatchesCoalesced).toBeGreaterThan(0);
  }, 120_000);

  it('webgpu: 10,000 test images at the same accuracy, pipelined', async () => {
    const r = await accuracy('webgpu');
    expect(r.n).toBe(10_000);
    expect(r.acc).toBeGreaterThanOrEqual(0.91);
    expect(r.counters.predictPipelinedRows).toBe(10_000);
    expect(r.counters.predictGpuFallbacks ?? 0).toBe(0);
  }, 180_000);

  it("wasm: 10,000 test images at the same accuracy, in the worker threads", async () => {
    const r = await accuracy('wasm');
    expect(r.n).toBe(10_000);
    expect(r.acc).toBeGreaterThanOrEqual(0.91);
    expect(r.counters.predictPipelinedRows ?? 0).toBe(0);
  }, 180_000);

  it('from PNG files: decode and inference both report their rate, and the stage state (UI) shows them', async () => {
    // 2,000 files in a scratch directory (not the whole set in the shared cache: a fresh clone would write 10,000).
    const { dir } = await writeFmnistFiles({ format: 'png', dir: mkdtempSync(join(tmpdir(), 'quiver-png-')), limit: 2000 });
    const events: RuntimeEvent[] = [];
    const off = q.onEvent((e) => events.push(e));
    try {
      const n = await q.read.images(dir, { size: [28, 28], channels: 1 }).limit(2000).predict(q.model(MODEL), { backend: 'onnxruntime' }).select('labelId').count();
      expect(n).toBe(2000);
    } finally {
      off();
      rmSync(dir, { recursive: true, force: true });
    }
    const job = replay(events).jobs.at(-1)!;
    const decoding = job.stages.find((st) => st.pipeline.decoded > 0)!;
    const inferring = job.stages.find((st) => st.pipeline.inferred > 0)!;
    expect(decoding.pipeline.decoded).toBeGreaterThanOrEqual(2000);
    expect(decoding.pipeline.decodeMs).toBeGreaterThan(0);
    expect(inferring.pipeline.inferred).toBe(2000);
    expect(inferring.pipeline.inferMs).toBeGreaterThan(0);
    expect(inferring.pipeline.inferenceThread).toBe(true);
  }, 120_000);

  it('without the inference thread, onnxruntime runs in each worker and tags the same', async () => {
    const model = q.model(MODEL);
    const want = await q.read.idx(IMAGES).limit(600).predict(model, { backend: 'onnxruntime' }).select('labelId', 'score').toArray();
    const q2 = await Quiver.local({ workers: 2, batchSize: 50, inferenceThread: false, ui: false, quiet: true });
    try {
      const got = await q2.read.idx(IMAGES).limit(600).predict(q2.model(MODEL), { backend: 'onnxruntime' }).select('labelId', 'score').toArray();
      expect(q2.session.lastJob!.counters.predictPipelinedRows ?? 0).toBe(0);
      expect(got.map((x) => x.labelId)).toEqual(want.map((x) => x.labelId));
      got.forEach((x, i) => expect(x.score as number).toBeCloseTo(want[i].score as number, 5));
    } finally {
      await q2.close();
    }
  }, 120_000);
});
