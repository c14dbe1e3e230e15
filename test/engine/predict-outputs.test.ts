// df.predict(model, { outputs }): named ONNX graph outputs (an embedding) as fixed_size_list<float32> columns, equal to onnxruntime's own on every backend, through the inference thread and in the workers; the errors a user meets.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import * as arrow from 'apache-arrow';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idxUint8 } from './idx-file.ts';
import { OnnxGraph, float, int, ints } from '../../bench/lib/onnx-graph.ts';
import { decodeStage } from '../../core/cluster/stage-schema.ts';
import { lit, PlanError, Quiver } from '../../core/index.ts';
import { buildExec } from '../../core/physical/build-exec.ts';
import type { InferReply, InferRequest } from '../../ops/predict/inference-service.ts';
import { InferenceService } from '../../ops/predict/inference-service.ts';
import { testContext } from '../io/helpers.ts';

const H = 6, W = 6, C = 4, K = 3, N = 40;
const rnd = (seed: number) => () => { seed = (seed * 1664525 + 1013904223) >>> 0; return seed / 2 ** 32; };
const images = (() => { const r = rnd(21); return Uint8Array.from({ length: N * H * W }, () => Math.floor(r() * 256)); })();
const PRE = { scale: 1 / 255, mean: [0.45], std: [0.28] };
const BACKENDS = ['wasm', 'onnxruntime', 'webgpu'] as const;

/**
 * Conv(1->4, 3x3, pad 1) 'conv' -> BatchNormalization 'bn' -> Relu 'act' -> GlobalAveragePool ->
 * Flatten 'embedding' [N, 4] -> Gemm 'logits' [N, 3]. Every named tensor is a graph output, the
 * embedding first: only the metadata makes logits the ranked one. Asking for 'conv' or 'bn'
 * stops the compiler folding the BatchNormalization into the Conv or fusing the Relu into it.
 */
function twoHeaded(o: { rename?: Record<string, string> } = {}): Uint8Array {
  const w = rnd(7);
  const f32 = (n: number, s: number) => Float32Array.from({ length: n }, () => (w() - 0.5) * s);
  const name = (x: string) => o.rename?.[x] ?? x;
  return new OnnxGraph({ opset: 13 })
    .input('image', ['N', 1, H, W])
    .output(name('embedding'), ['N', C])
    .output('logits', ['N', K])
    .output('conv', ['N', C, H, W])
    .output('bn', ['N', C, H, W])
    .initializer('w', [C, 1, 3, 3], f32(C * 9, 1.5)).initializer('b', [C], f32(C, 0.3))
    .initializer('gamma', [C], Float32Array.from([1.2, 0.8, 1.1, 0.9])).initializer('beta', [C], f32(C, 0.4))
    .initializer('mean', [C], f32(C, 0.3)).initializer('var', [C], Float32Array.from([0.6, 1.3, 0.9, 1.7]))
    .initializer('fw', [K, C], f32(K * C, 2)).initializer('fb', [K], f32(K, 0.2))
    .node('Conv', ['image', 'w', 'b'], ['conv'], { kernel_shape: ints([3, 3]), pads: ints([1, 1, 1, 1]) })
    .node('BatchNormalization', ['conv', 'gamma', 'beta', 'mean', 'var'], ['bn'], { epsilon: float(1e-5) })
    .node('Relu', ['bn'], ['act'])
    .node('GlobalAveragePool', ['act'], ['pool'])
    .node('Flatten', ['pool'], [name('embedding')], { axis: int(1) })
    .node('Gemm', [name('embedding'), 'fw', 'fb'], ['logits'], { transB: int(1) })
    .metadata('quiver.output', JSON.stringify({ name: 'logits', kind: 'logits' }))
    .metadata('quiver.labels', JSON.stringify(['red', 'green', 'blue']))
    .metadata('quiver.preprocess', JSON.stringify(PRE))
    .toBytes();
}

/** onnxruntime alone on the same images (normalized here, float input): every graph output, by name. */
async function oracle(bytes: Uint8Array): Promise<Record<string, Float32Array>> {
  const s = await ort.InferenceSession.create(bytes);
  try {
    const x = Float32Array.from(images, (v) => (v * PRE.scale - PRE.mean[0]) / PRE.std[0]);
    const out = await s.run({ image: new ort.Tensor('float32', x, [N, 1, H, W]) });
    return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.data as Float32Array]));
  } finally {
    await s.release();
  }
}

/** The first row of `rows` whose list differs from `want`'s row of the same index by more than f32 noise, or null. */
function firstMismatch(rows: readonly (Float32Array | null)[], want: Float32Array, ids: readonly number[] = rows.map((_, i) => i)): string | null {
  const d = want.length / N;
  for (const [j, row] of rows.entries()) {
    const i = ids[j];
    if (!row || row.length !== d) return `row ${i}: ${row ? `${row.length} values` : 'null'}, expected ${d}`;
    for (let k = 0; k < d; k++) {
      const e = want[i * d + k];
      if (Math.abs(row[k] - e) > 1e-4 * Math.max(1, Math.abs(e))) return `row ${i}[${k}] = ${row[k]}, expected ${e}`;
    }
  }
  return null;
}

const list = (v: unknown): Float32Array | null => (v === null ? null : (v as arrow.Vector).toArray() as Float32Array);

describe('predict outputs', () => {
  let dir: string, modelFile: string, imagesPath: string;
  let want: Record<string, Float32Array>;
  const sessions: Record<'thread' | 'workers', Quiver> = {} as never;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'quiver-predict-outputs-'));
    modelFile = join(dir, 'two-headed.onnx');
    writeFileSync(modelFile, twoHeaded());
    imagesPath = join(dir, 'x-images-idx3-ubyte');
    writeFileSync(imagesPath, idxUint8([N, H, W], images));
    want = await oracle(twoHeaded());
    const opts = { workers: 2, targetSplitBytes: 15 * H * W, ui: false, quiet: true } as const;
    sessions.thread = await Quiver.local({ ...opts, inferenceThread: true });
    sessions.workers = await Quiver.local({ ...opts, inferenceThread: false });
  });
  afterAll(async () => {
    await sessions.thread?.close();
    await sessions.workers?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const where of ['thread', 'workers'] as const) {
    for (const backend of BACKENDS) {
      it(`backend '${backend}', inferenceThread ${where === 'thread'}: the embedding column is onnxruntime's 'embedding', row for row`, async () => {
        const q = sessions[where];
        const df = q.read.idx(imagesPath).predict(q.model(modelFile), { backend, batchSize: 7, topK: 2, outputs: ['embedding'] });
        expect(df.columns).toEqual(['image', 'labelId', 'label', 'score', 'topIds', 'topScores', 'embedding']);
        expect(df.schema.at(-1)).toEqual({ name: 'embedding', type: { fixedList: 'float32', size: C }, nullable: false });
        const table = await df.collect();
        const type = table.schema.fields.at(-1)!.type as arrow.FixedSizeList;
        expect([type.typeId, type.listSize, type.children[0].type.typeId]).toEqual([arrow.Type.FixedSizeList, C, arrow.Type.Float]);
        expect((type.children[0].type as arrow.Float).precision).toBe(arrow.Precision.SINGLE);
        const emb = Array.from({ length: table.numRows }, (_, i) => list(table.getChild('embedding')!.get(i)));
        expect(emb).toHaveLength(N);
        expect(firstMismatch(emb, want.embedding)).toBeNull();
        // The ranked head still ranks logits (not the embedding, the graph's first output).
        const labels = table.getChild('labelId')!.toArray() as Int32Array;
        for (let i = 0; i < N; i++) {
          const z = Array.from(want.logits.subarray(i * K, i * K + K));
          expect(labels[i], `image ${i}`).toBe(z.indexOf(Math.max(...z)));
        }
        const pipelined = q.session.lastJob!.counters.predictPipelinedRows ?? 0;
        expect(pipelined).toBe(where === 'thread' && backend !== 'wasm' ? N : 0);
      }, 60_000);
    }
  }

  it('tensors the compiler would fold or fuse come back as the graph computes them, on every backend', async () => {
    const q = sessions.thread;
    for (const backend of BACKENDS) {
      const table = await q.read.idx(imagesPath).predict(q.model(modelFile), { backend, batchSize: 16, outputs: ['conv', 'bn', 'embedding'] }).collect();
      for (const name of ['conv', 'bn', 'embedding']) {
        const rows = Array.from({ length: N }, (_, i) => list(table.getChild(name)!.get(i)));
        expect(firstMismatch(rows, want[name]), `${backend} '${name}'`).toBeNull();
      }
      // Before the Relu: a folded or fused program would give no negative values here.
      expect(want.bn.some((v) => v < 0)).toBe(true);
    }
  }, 60_000);

  it('the ranked output may be asked for too: its raw logits', async () => {
    const q = sessions.workers;
    const rows = await q.read.idx(imagesPath).predict(q.model(modelFile), { backend: 'wasm', outputs: ['logits'] }).select('logits').toArray();
    expect(firstMismatch(rows.map((r) => r.logits as Float32Array), want.logits)).toBeNull();
  });

  it('without outputs nothing changes: same columns and plan text as before', async () => {
    const q = sessions.thread;
    const model = q.model(modelFile);
    const df = q.read.idx(imagesPath).predict(model, { backend: 'wasm' });
    expect(df.columns).toEqual(['image', 'labelId', 'label', 'score']);
    expect(df.plan).not.toHaveProperty('spec.outputs');
    expect(await df.explain()).not.toMatch(/outputs=/);
    const text = await q.read.idx(imagesPath).predict(model, { backend: 'wasm', outputs: ['embedding', 'conv'] }).explain();
    expect(text).toMatch(/Predict: model=two-headed .* outputs=\[embedding, conv\]/);
    expect(text).toMatch(/PredictExec: model=two-headed .* outputs=\[embedding, conv\]/);
  });

  for (const backend of BACKENDS) {
    it(`backend '${backend}': onError 'null' nulls the outputs of a row with no image, 'skip' drops them with it`, async () => {
      const q = sessions.thread;
      const n = 20;
      const type = new arrow.FixedSizeList(H * W, new arrow.Field('item', new arrow.Uint8(), false));
      const nullBitmap = new Uint8Array(Math.ceil(n / 8)).fill(0xff);
      for (const i of [3, 11]) nullBitmap[i >> 3] &= ~(1 << (i & 7));
      const child = arrow.makeData({ type: new arrow.Uint8(), length: n * H * W, data: images.slice(0, n * H * W) });
      const data = arrow.makeData({ type, length: n, nullCount: 2, nullBitmap, child });
      const table = new arrow.Table({ id: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => i), new arrow.Int32()), image: arrow.makeVector(data) });
      const df = () => q.createDataFrame(table, { partitions: 2 });
      const model = q.model(modelFile);
      const nulled = df().predict(model, { backend, onError: 'null', outputs: ['embedding'] });
      expect(nulled.schema.at(-1)).toEqual({ name: 'embedding', type: { fixedList: 'float32', size: C }, nullable: true });
      const rows = await nulled.select('id', 'embedding').toArray();
      expect(rows.map((r) => r.id)).toEqual(Array.from({ length: n }, (_, i) => i));
      expect([rows[3].embedding, rows[11].embedding]).toEqual([null, null]);
      const kept = rows.filter((r) => r.embedding !== null);
      expect(kept).toHaveLength(n - 2);
      expect(firstMismatch(kept.map((r) => r.embedding as Float32Array), want.embedding, kept.map((r) => r.id as number))).toBeNull();
      const skipped = await df().predict(model, { backend, onError: 'skip', outputs: ['embedding'] }).select('id', 'embedding').toArray();
      expect(skipped.map((r) => r.id)).toEqual(kept.map((r) => r.id));
      expect(firstMismatch(skipped.map((r) => r.embedding as Float32Array), want.embedding, skipped.map((r) => r.id as number))).toBeNull();
    }, 60_000);
  }

  it('refuses a name that is not a graph output, listing them and the file, before any task runs', () => {
    const q = sessions.thread;
    const df = q.read.idx(imagesPath);
    expect(q.model(modelFile).outputs).toEqual([
      { name: 'embedding', shape: [C] }, { name: 'logits', shape: [K] }, { name: 'conv', shape: [C, H, W] }, { name: 'bn', shape: [C, H, W] },
    ]);
    const ask = () => df.predict(q.model(modelFile), { outputs: ['embedding', 'act'] });
    expect(ask).toThrow(PlanError);
    expect(ask).toThrow(/model 'two-headed' has no graph output 'act'; its outputs are 'embedding' \[N, 4\], 'logits' \[N, 3\], 'conv' \[N, 4, 6, 6\], 'bn' \[N, 4, 6, 6\]/);
    expect(ask).toThrow(modelFile);
    expect(() => df.predict(q.model(modelFile), { outputs: 'embedding' as never })).toThrow(/outputs must be an array of graph output names/);
    expect(() => df.predict(q.model(modelFile), { outputs: ['embedding', 'embedding'] })).toThrow(/outputs names 'embedding' twice/);
  });

  it('refuses a name that is already a column: one predict adds, or an input column', () => {
    const q = sessions.thread;
    const f = join(dir, 'score-named.onnx');
    writeFileSync(f, twoHeaded({ rename: { embedding: 'score' } }));
    expect(() => q.read.idx(imagesPath).predict(q.model(f), { outputs: ['score'] })).toThrow(/the graph output 'score' has the name of a column predict adds itself \(labelId, label, score\)/);
    const withEmbedding = q.read.idx(imagesPath).withColumn('embedding', lit(1));
    expect(() => withEmbedding.predict(q.model(modelFile), { outputs: ['embedding'] })).toThrow(/the input already has a column 'embedding', which predict adds; rename it first/);
  });

  it('refuses outputs of a model.json (MLP) model, which has no graph outputs', () => {
    const q = sessions.thread;
    const mnist = join(dir, 'm-images-idx3-ubyte');
    writeFileSync(mnist, idxUint8([2, 28, 28], new Uint8Array(2 * 784)));
    const mlp = q.model(resolve(import.meta.dirname, '../../models/fmnist-mlp'));
    expect(() => q.read.idx(mnist).predict(mlp, { outputs: ['embedding'] })).toThrow(/outputs names ONNX graph outputs; model '.*' is a model\.json \(MLP\) model/);
  });

  it('the outputs cross the network in the stage plan: its JSON passes the stage schema and runs as the original', async () => {
    const q = sessions.workers;
    const df = q.read.idx(imagesPath).predict(q.model(modelFile), { backend: 'wasm', outputs: ['embedding'] });
    const { physical } = await q.session.physical(df.plan);
    const stage = physical.stages.at(-1)!;
    const d = decodeStage(JSON.stringify(stage));
    expect(d.ok ? d.stage : d.reason).toEqual(JSON.parse(JSON.stringify(stage)));
    if (!d.ok) return;
    const exec = buildExec(d.stage.root);
    const rows: Float32Array[] = [];
    for (let p = 0; p < physical.stages.at(-1)!.partitions; p++) {
      for await (const b of exec.execute(p, await testContext({ partition: p }))) {
        for (let i = 0; i < b.numRows; i++) rows.push(list(b.getChild('embedding')!.get(i))!);
      }
    }
    expect(firstMismatch(rows, want.embedding)).toBeNull();
    const bad = JSON.parse(JSON.stringify(stage));
    const predictNode = (n: { op: string; child?: unknown }): { spec: { outputs: { size: number }[] } } => (n.op === 'predict' ? n : predictNode(n.child as never)) as never;
    predictNode(bad.root).spec.outputs[0].size = 0;
    expect(decodeStage(JSON.stringify(bad))).toMatchObject({ ok: false, reason: expect.stringMatching(/outputs/) });
  });
});

describe('the inference thread with outputs', () => {
  it('splits a coalesced batch back into each request\'s rows of every output, transferred', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quiver-infer-outputs-'));
    const file = join(dir, 'two-headed.onnx');
    writeFileSync(file, twoHeaded());
    const want = await oracle(twoHeaded());
    const q = await Quiver.local({ workers: 1, ui: false, quiet: true });
    const model = q.model(file);
    await q.close();
    const service = new InferenceService(1);
    const { port1, port2 } = new MessageChannel();
    const replies = new Map<number, Extract<InferReply, { ok: true }>>();
    const done = new Promise<void>((ok, fail) => port2.on('message', (m: InferReply) => {
      if (!m.ok) fail(new Error(m.error.message));
      else replies.set(m.id, m);
      if (replies.size === 4) ok();
    }));
    try {
      // Rows 0-3, 4-9, 10-14, 15-20: onnxruntime runs one batch at a time, so the last three queue behind the first and ride together.
      const cuts = [0, 4, 10, 15, 21];
      for (let j = 0; j < 4; j++) {
        const req: InferRequest = {
          id: j, modelPath: model.path, sha256: model.sha256, metaSha256: model.modelJsonSha256, backend: 'onnxruntime', batchSize: 64,
          images: images.slice(cuts[j] * H * W, cuts[j + 1] * H * W), n: cuts[j + 1] - cuts[j], topK: 0, outputs: ['embedding', 'conv'],
        };
        port2.postMessage(req, [req.images.buffer as ArrayBuffer]);
      }
      service.serve(port1);
      await done;
      expect(Math.max(...[...replies.values()].map((r) => r.coalesced))).toBeGreaterThan(1);
      for (let j = 0; j < 4; j++) {
        const r = replies.get(j)!, ids = Array.from({ length: cuts[j + 1] - cuts[j] }, (_, i) => cuts[j] + i);
        for (const name of ['embedding', 'conv']) {
          const a = r.outputs![name], per = a.length / ids.length;
          expect(a.byteLength, `request ${j} '${name}' holds its own rows only`).toBe(a.buffer.byteLength);
          expect(firstMismatch(ids.map((_, i) => a.subarray(i * per, (i + 1) * per)), want[name], ids), `request ${j} '${name}'`).toBeNull();
        }
      }
    } finally {
      port1.close();
      port2.close();
      await service.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
