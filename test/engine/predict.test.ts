// df.predict: results equal the reference forward pass, device placement shows in explain, bad inputs and models fail clearly.
import { writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quiver, col } from '../../core/index.ts';
import { mlpReference } from '../../gpu-kernels/mlp/cpu.ts';
import { saveModel } from '../../ops/model/model.ts';
import { setCalibrator } from '../../ops/predict/placement.ts';

const D = 12, H = 8, C = 5, N = 300;
const rnd = (seed: number) => () => { seed = (seed * 1664525 + 1013904223) >>> 0; return seed / 2 ** 32; };
const r = rnd(7);
const w1 = Float32Array.from({ length: H * D }, () => (r() - 0.5) * 0.4), b1 = Float32Array.from({ length: H }, () => (r() - 0.5) * 0.1);
const w2 = Float32Array.from({ length: C * H }, () => (r() - 0.5) * 0.8), b2 = Float32Array.from({ length: C }, () => (r() - 0.5) * 0.1);
const images = Uint8Array.from({ length: N * D }, () => (r() < 0.3 ? 0 : Math.floor(r() * 256)));
const labels = Uint8Array.from({ length: N }, (_, i) => i % C);

function idx(code: number, dims: number[], values: Uint8Array): Buffer {
  const b = Buffer.alloc(4 + 4 * dims.length + values.length);
  b[2] = code; b[3] = dims.length;
  dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
  b.set(values, 4 + 4 * dims.length);
  return b;
}

describe('predict', () => {
  let q: Quiver;
  let dir: string, modelDir: string, imagesPath: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'quiver-predict-'));
    modelDir = join(dir, 'model');
    saveModel(modelDir, {
      name: 'tiny', input: { shape: [3, 4], dtype: 'uint8', scale: 1 / 255, shift: 0 },
      layers: [{ name: 'fc1', in: D, out: H, activation: 'relu', w: w1, b: b1 }, { name: 'fc2', in: H, out: C, activation: 'softmax', w: w2, b: b2 }],
      labels: ['zero', 'one', 'two', 'three', 'four'],
    });
    imagesPath = join(dir, 'x-images-idx3-ubyte');
    writeFileSync(imagesPath, idx(8, [N, 3, 4], images));
    writeFileSync(join(dir, 'x-labels-idx1-ubyte'), idx(8, [N], labels));
    // No GPU in this test: 'auto' must say so and use the CPU.
    setCalibrator(async (_p, backend) => (backend === 'wasm' ? { backend, description: 'cpu', imagesPerSecond: 50_000 } : null));
    q = await Quiver.local({ workers: 2, targetSplitBytes: 64 * D });
  });
  afterAll(async () => { setCalibrator(null); await q?.close(); });

  const reference = () => mlpReference({
    weights: { layers: [{ w: w1, b: b1, in: D, out: H, activation: 'relu' }, { w: w2, b: b2, in: H, out: C, activation: 'softmax' }], scale: 1 / 255, shift: 0 },
    images, m: N, topK: 2,
  });

  it('tags every image as the reference forward pass does, in order, with top-k', async () => {
    const model = q.model(modelDir);
    const rows = await q.read.idx(imagesPath, { labels: true }).withColumnRenamed('label', 'truth')
      .predict(model, { device: 'cpu', batchSize: 37, topK: 2 }).toArray();
    const ref = reference();
    const names = ['zero', 'one', 'two', 'three', 'four'];
    expect(rows).toHaveLength(N);
    rows.forEach((row, i) => {
      expect(row.truth).toBe(i % C);
      expect(row.labelId).toBe(ref.labels[i]);
      expect(row.label).toBe(names[ref.labels[i]]);
      expect(row.score).toBeCloseTo(ref.scores[i], 4);
      expect(Array.from(row.topIds as ArrayLike<number>)).toEqual(Array.from(ref.top!.index.subarray(2 * i, 2 * i + 2)));
    });
    expect(q.session.lastJob!.counters.predictRows).toBe(N);
  });

  it('takes images from Arrow IPC and Parquet columns of the same type', async () => {
    const model = q.model(modelDir);
    const src = q.read.idx(imagesPath);
    const want = (await src.predict(model, { device: 'cpu' }).select('labelId', 'score').toArray());
    for (const fmt of ['arrow', 'parquet'] as const) {
      const path = join(dir, `images.${fmt}`);
      await src.write[fmt](path);
      const back = fmt === 'arrow' ? q.read.arrow(path) : q.read.parquet(path);
      expect(back.schema.find((f) => f.name === 'image')!.type).toEqual({ fixedList: 'uint8', size: D });
      const got = await back.predict(model, { device: 'cpu' }).select('labelId', 'score').toArray();
      expect(got).toEqual(want);
    }
  });

  it("explains where predict runs and why ('auto' without a GPU)", async () => {
    const text = await q.read.idx(imagesPath).predict(q.model(modelDir)).explain();
    expect(text).toMatch(/Predict: model=tiny \(sha256 [0-9a-f]{12}\) input=image device=auto batchSize=4096/);
    expect(text).toMatch(/PredictExec: model=tiny .* device=cpu backend=wasm \(auto: cpu 50,000 img\/s x 2 workers = 100,000; no GPU adapter -> wasm\)/);
  });

  it("'auto' picks the GPU when the calibration says it is faster than every CPU worker together", async () => {
    setCalibrator(async (_p, backend) => ({ backend, description: backend === 'wasm' ? 'cpu' : 'webgpu (fake)', imagesPerSecond: backend === 'wasm' ? 10_000 : 90_000 }));
    try {
      const text = await q.read.idx(imagesPath).predict(q.model(modelDir)).explain();
      expect(text).toMatch(/device=gpu backend=webgpu \(auto: cpu 10,000 img\/s x 2 workers = 20,000, webgpu \(fake\) 90,000 img\/s -> webgpu\)/);
    } finally {
      setCalibrator(async (_p, backend) => (backend === 'wasm' ? { backend, description: 'cpu', imagesPerSecond: 50_000 } : null));
    }
  });

  it("'auto' calibrates one backend at a time, on batches of the stage's batch size", async () => {
    let active = 0, most = 0;
    const seen: [string, number][] = [];
    setCalibrator(async (_p, backend, batch) => {
      active++;
      most = Math.max(most, active);
      seen.push([backend, batch]);
      await new Promise((r) => setTimeout(r, 20));
      active--;
      return { backend, description: backend, imagesPerSecond: backend === 'wasm' ? 10_000 : 5_000 };
    });
    try {
      await q.read.idx(imagesPath).predict(q.model(modelDir), { batchSize: 41 }).explain();
      expect(seen.length).toBeGreaterThanOrEqual(2);
      expect(seen.every(([, b]) => b === 41)).toBe(true);
      expect(most).toBe(1);
    } finally {
      setCalibrator(async (_p, backend) => (backend === 'wasm' ? { backend, description: 'cpu', imagesPerSecond: 50_000 } : null));
    }
  });

  it('filters on input columns run before inference', async () => {
    const df = q.read.idx(imagesPath, { labels: true }).withColumnRenamed('label', 'truth').predict(q.model(modelDir), { device: 'cpu' })
      .filter(col('truth').eq(3));
    expect(await df.count()).toBe(N / C);
    expect(q.session.lastJob!.counters.predictRows).toBe(N / C);
  });

  it('fails clearly on an input that does not fit, a clashing column, a bad option', () => {
    const model = q.model(modelDir);
    const wrong = q.createDataFrame([{ image: 'not an image' }]);
    expect(() => wrong.predict(model)).toThrow(/predict: column 'image' has type "utf8"; model 'tiny' takes fixed_size_list<uint8>\[12\]/);
    expect(() => q.read.idx(imagesPath).predict(model, { inputCol: 'pixels' })).toThrow(/no input column 'pixels'; valid columns: image/);
    expect(() => q.read.idx(imagesPath, { labels: true }).predict(model)).toThrow(/already has a column 'label'.*withColumnRenamed\('label', 'true_label'\)/);
    expect(() => q.read.idx(imagesPath).predict(model, { topK: 9 })).toThrow(/topK must be an integer from 0 to 5/);
    expect(() => q.model(join(dir, 'nowhere'))).toThrow(/no model\.json in/);
  });

  it("'gpu' without a GPU fails at plan time with what to do", async () => {
    await expect(q.read.idx(imagesPath).predict(q.model(modelDir), { device: 'gpu' }).count()).rejects.toThrow(/device 'gpu' was asked but this machine has no usable GPU adapter/);
  });
});
