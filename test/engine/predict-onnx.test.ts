// df.predict with an ONNX model: every backend (wasm, onnxruntime, webgpu) tags as onnxruntime alone does, on IDX, in-memory and shuffled input; labels, metadata and bad models as a user meets them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idxUint8 } from './idx-file.ts';
import { OnnxGraph, float, int, ints } from '../../bench/lib/onnx-graph.ts';
import { Quiver } from '../../core/index.ts';
import type { RuntimeEvent } from '../../core/runtime/events.ts';

const H = 6, W = 6, K = 5, N = 240;
const rnd = (seed: number) => () => { seed = (seed * 1664525 + 1013904223) >>> 0; return seed / 2 ** 32; };
const r = rnd(11);
const images = Uint8Array.from({ length: N * H * W }, () => Math.floor(r() * 256));
const LABELS = ['ant', 'bee', 'cat', 'dog', 'eel'];
const PRE = { scale: 1 / 255, mean: [0.4], std: [0.3] };

/** Conv(1->4, 3x3, pad 1) + BatchNormalization + Relu -> MaxPool 2 -> Flatten -> Gemm(36 -> 5): logits. */
function tinyCnn(o: { labels?: boolean; op?: string; overflow?: boolean } = {}): Uint8Array {
  // Its own generator: every call builds the same weights.
  const w = rnd(5);
  const f32 = (n: number, s: number) => Float32Array.from({ length: n }, () => (w() - 0.5) * s);
  const g = new OnnxGraph({ opset: 13 })
    .input('image', ['N', 1, H, W])
    .output('logits', ['N', K])
    .initializer('w', [4, 1, 3, 3], f32(36, 1.2)).initializer('b', [4], f32(4, 0.2))
    .initializer('gamma', [4], Float32Array.from([1.1, 0.9, 1.3, 0.7])).initializer('beta', [4], f32(4, 0.2))
    .initializer('mean', [4], f32(4, 0.3)).initializer('var', [4], Float32Array.from([0.5, 1.2, 0.8, 2]))
    .initializer('fw', [K, 36], o.overflow ? Float32Array.from({ length: K * 36 }, (_, i) => (i % 2 ? 3e38 : -3e38)) : f32(K * 36, 0.8)).initializer('fb', [K], f32(K, 0.1))
    .node('Conv', ['image', 'w', 'b'], ['c'], { kernel_shape: ints([3, 3]), pads: ints([1, 1, 1, 1]) })
    .node('BatchNormalization', ['c', 'gamma', 'beta', 'mean', 'var'], ['bn'], { epsilon: float(1e-5) })
    .node(o.op ?? 'Relu', ['bn'], ['a'])
    .node('MaxPool', ['a'], ['p'], { kernel_shape: ints([2, 2]), strides: ints([2, 2]) })
    .node('Flatten', ['p'], ['f'], { axis: int(1) })
    .node('Gemm', ['f', 'fw', 'fb'], ['logits'], { transB: int(1) })
    .metadata('quiver.preprocess', JSON.stringify(PRE));
  if (o.labels !== false) g.metadata('quiver.labels', JSON.stringify(LABELS));
  return g.toBytes();
}

/** onnxruntime alone on the same images: softmax(logits) argmax and max, per image. */
async function oracle(bytes: Uint8Array): Promise<{ labelId: number; score: number }[]> {
  const s = await ort.InferenceSession.create(bytes);
  const x = Float32Array.from(images, (v) => (v * PRE.scale - PRE.mean[0]) / PRE.std[0]);
  const out = (await s.run({ image: new ort.Tensor('float32', x, [N, 1, H, W]) })).logits.data as Float32Array;
  await s.release();
  return Array.from({ length: N }, (_, i) => {
    const row = Array.from(out.subarray(i * K, i * K + K));
    const m = Math.max(...row), e = row.map((v) => Math.exp(v - m)), sum = e.reduce((a, b) => a + b, 0);
    const best = row.indexOf(m);
    return { labelId: best, score: e[best] / sum };
  });
}

describe('predict with an ONNX model', () => {
  let q: Quiver;
  let dir: string, modelFile: string, imagesPath: string;
  let want: { labelId: number; score: number }[];
  const events: RuntimeEvent[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'quiver-predict-onnx-'));
    modelFile = join(dir, 'tiny.onnx');
    writeFileSync(modelFile, tinyCnn());
    imagesPath = join(dir, 'x-images-idx3-ubyte');
    writeFileSync(imagesPath, idxUint8([N, H, W], images));
    want = await oracle(tinyCnn());
    q = await Quiver.local({ workers: 2, targetSplitBytes: 60 * H * W, ui: false, quiet: true });
    q.onEvent((e) => events.push(e));
  });
  afterAll(async () => {
    await q?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads a .onnx file with the labels and preprocessing its metadata declares', () => {
    const m = q.model(modelFile);
    expect(m.format).toBe('onnx');
    expect(m.name).toBe('tiny');
    expect(m.labels).toEqual(LABELS);
    expect(m.numClasses).toBe(K);
    expect(m.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  for (const backend of ['wasm', 'onnxruntime', 'webgpu'] as const) {
    it(`backend '${backend}' tags every image as onnxruntime alone does, in order`, async () => {
      const df = q.read.idx(imagesPath).predict(q.model(modelFile), { backend, batchSize: 17 });
      expect(await df.explain()).toMatch(new RegExp(`PredictExec: model=tiny .* device=${backend === 'webgpu' ? 'gpu' : 'cpu'} backend=${backend} \\(asked for ${backend}: `));
      events.length = 0;
      const rows = await df.select('labelId', 'label', 'score').toArray();
      expect(rows).toHaveLength(N);
      rows.forEach((row, i) => {
        expect(row.labelId, `image ${i}`).toBe(want[i].labelId);
        expect(row.label).toBe(LABELS[want[i].labelId]);
        expect(row.score as number).toBeCloseTo(want[i].score, 4);
      });
      expect(q.session.lastJob!.counters.predictGpuFallbacks ?? 0).toBe(0);
      const placed = events.filter((e): e is Extract<RuntimeEvent, { kind: 'placement' }> => e.kind === 'placement');
      expect(placed.map((p) => p.backend)).toEqual([backend]);
    }, 60_000);
  }

  it('on the GPU over in-memory and shuffled input: first attempts, no fallback, same tags', async () => {
    const model = q.model(modelFile);
    const table = await q.read.idx(imagesPath).collect();
    for (const df of [q.createDataFrame(table, { partitions: 2 }), q.read.idx(imagesPath).repartition(3)]) {
      const rows = await df.predict(model, { device: 'gpu', topK: 2 }).select('labelId', 'topIds').toArray();
      const job = q.session.lastJob!;
      expect(job.failedAttempts).toBe(0);
      expect(job.counters.predictGpuFallbacks ?? 0).toBe(0);
      const got = rows.map((x) => x.labelId as number).sort((a, b) => a - b);
      expect(got).toEqual(want.map((w) => w.labelId).sort((a, b) => a - b));
      for (const x of rows) expect(Array.from(x.topIds as Int32Array)[0]).toBe(x.labelId);
    }
  }, 60_000);

  it("'auto' measures every backend present and says so in explain()", async () => {
    const text = await q.read.idx(imagesPath).predict(q.model(modelFile)).explain();
    expect(text).toMatch(/backend=(wasm|onnxruntime|webgpu) \(auto: cpu [\d,]+ img\/s x 2 workers = [\d,]+, onnxruntime [\d,]+ img\/s x 2 workers = [\d,]+, webgpu \(.*\) [\d,]+ img\/s -> (wasm|onnxruntime|webgpu)\)/);
  }, 60_000);

  it('a model that names no classes adds labelId and score, no label', async () => {
    const f = join(dir, 'nolabels.onnx');
    writeFileSync(f, tinyCnn({ labels: false }));
    const df = q.read.idx(imagesPath).predict(q.model(f), { backend: 'wasm' });
    expect(df.columns).toEqual(['image', 'labelId', 'score']);
    const rows = await df.select('labelId').limit(5).toArray();
    expect(rows.map((x) => x.labelId)).toEqual(want.slice(0, 5).map((w) => w.labelId));
  });

  it('refuses, at q.model(), an op it cannot run, naming it and the node', () => {
    const f = join(dir, 'lrn.onnx');
    writeFileSync(f, tinyCnn({ op: 'LRN' }));
    expect(() => q.model(f)).toThrow(/LRN/);
    expect(() => q.model(f)).toThrow(/lrn_2|node/i);
  });

  it('says how to read images at the model size when the column does not fit', () => {
    const other = join(dir, 'y-images-idx3-ubyte');
    writeFileSync(other, idxUint8([4, 5, 5], new Uint8Array(100)));
    expect(() => q.read.idx(other).predict(q.model(modelFile))).toThrow(/takes fixed_size_list<uint8>\[36\] \(shape \[6,6,1\], HWC\), or a binary column of encoded image files; read images at the model's size, e\.g\. q\.read\.images\(path, \{ size: \[6, 6\], channels: 1 \}\)/);
  });

  it("onError: a null image fails the job by default, is dropped with 'skip', gets null tags with 'null'", async () => {
    const n = 20;
    const type = new arrow.FixedSizeList(H * W, new arrow.Field('item', new arrow.Uint8(), false));
    const nullBitmap = new Uint8Array(Math.ceil(n / 8)).fill(0xff);
    for (const i of [3, 11]) nullBitmap[i >> 3] &= ~(1 << (i & 7));
    const child = arrow.makeData({ type: new arrow.Uint8(), length: n * H * W, data: images.slice(0, n * H * W) });
    const data = arrow.makeData({ type, length: n, nullCount: 2, nullBitmap, child });
    const table = new arrow.Table({ id: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => i), new arrow.Int32()), image: arrow.makeVector(data) });
    const model = q.model(modelFile);
    const df = () => q.createDataFrame(table, { partitions: 2 });
    await expect(df().predict(model, { backend: 'onnxruntime' }).count()).rejects.toThrow(/'image' is null in a row; filter nulls first/);
    const skipped = await df().predict(model, { backend: 'onnxruntime', onError: 'skip' }).select('id', 'labelId').toArray();
    expect(skipped.map((x) => x.id)).toEqual(Array.from({ length: n }, (_, i) => i).filter((i) => i !== 3 && i !== 11));
    skipped.forEach((x) => expect(x.labelId).toBe(want[x.id as number].labelId));
    expect(q.session.lastJob!.counters.predictSkippedRows).toBe(2);
    const nulled = await df().predict(model, { backend: 'onnxruntime', onError: 'null' }).select('id', 'labelId', 'label', 'score').toArray();
    expect(nulled).toHaveLength(n);
    nulled.forEach((x, i) => {
      if (i === 3 || i === 11) expect([x.labelId, x.label, x.score]).toEqual([null, null, null]);
      else expect(x.label).toBe(LABELS[want[i].labelId]);
    });
    expect(q.session.lastJob!.counters.predictNullRows).toBe(2);
  });

  it("onError: a non-finite score fails the job by default; 'skip' and 'null' leave the rows out or null", async () => {
    const f = join(dir, 'overflow.onnx');
    writeFileSync(f, tinyCnn({ overflow: true }));
    const model = q.model(f);
    const df = () => q.read.idx(imagesPath).limit(30);
    await expect(df().predict(model, { backend: 'wasm' }).count()).rejects.toThrow(/non-finite score/);
    expect(await df().predict(model, { backend: 'wasm', onError: 'skip' }).count()).toBe(0);
    const rows = await df().predict(model, { backend: 'wasm', onError: 'null' }).select('labelId', 'score').toArray();
    expect(rows).toHaveLength(30);
    expect(rows.every((x) => x.labelId === null && x.score === null)).toBe(true);
  });

  it('refuses an edit of the model file after q.model() (the job pins its hash)', async () => {
    const f = join(dir, 'pinned.onnx');
    writeFileSync(f, tinyCnn());
    const df = q.read.idx(imagesPath).predict(q.model(f), { backend: 'wasm' });
    writeFileSync(f, tinyCnn({ op: 'Sigmoid' }));
    await expect(df.count()).rejects.toThrow(/the model changed since q\.model\(\) loaded it/);
  });
});
