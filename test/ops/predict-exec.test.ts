// PredictExec on its own: a GPU failure fails the task with a clear error, and the retried attempt runs on the CPU.
import * as arrow from 'apache-arrow';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GpuError } from '../../gpu-kernels/device/errors.ts';
import { createCpuMlp } from '../../gpu-kernels/mlp/cpu.ts';
import type { ExecPlan } from '../../ops/exec-plan.ts';
import { loadModel, saveModel } from '../../ops/model/model.ts';
import { PredictExec } from '../../ops/predict/predict-exec.ts';
import { disposeResidents, setRunnerFactory } from '../../ops/predict/resident.ts';
import { predictOutputFields } from '../../core/plan/predict.ts';
import { fromArrowSchema, toArrowSchema, type FieldJSON } from '../../ops/types.ts';
import { testContext } from '../io/helpers.ts';

const D = 4;
const IMAGE: FieldJSON = { name: 'image', type: { fixedList: 'uint8', size: D }, nullable: false };

/** A child operator yielding one batch of n images. */
function images(n: number): ExecPlan {
  const schema = toArrowSchema([IMAGE]);
  const fl = schema.fields[0].type as arrow.FixedSizeList;
  const child = arrow.makeData({ type: fl.children[0].type, length: n * D, nullCount: 0, data: Uint8Array.from({ length: n * D }, (_, i) => (i * 37) % 256) } as any);
  const col = arrow.makeData({ type: fl, length: n, nullCount: 0, child } as any);
  const batch = new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(schema.fields), length: n, nullCount: 0, children: [col] } as any) as any);
  return { name: 'Images', schema, children: [], display: () => 'Images', async *execute() { yield batch; } };
}

describe('PredictExec', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'quiver-pe-')), 'm');
  saveModel(dir, {
    name: 'm', input: { shape: [D], dtype: 'uint8', scale: 1 / 255, shift: 0 },
    layers: [{ name: 'fc', in: D, out: 3, activation: 'softmax', w: Float32Array.from({ length: 3 * D }, (_, i) => Math.sin(i)), b: new Float32Array(3) }],
    labels: ['a', 'b', 'c'],
  });
  const sha = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')).weights.sha256 as string;
  const jsonSha = loadModel(dir).metaSha256;
  const devicesUsed: string[] = [];
  setRunnerFactory(async (model, backend) => {
    devicesUsed.push(backend === 'webgpu' ? 'gpu' : 'cpu');
    if (model.kind !== 'mlp') throw new Error('an MLP model is expected');
    if (backend === 'webgpu') {
      return { description: 'fake gpu', runner: { run: async () => { throw new GpuError('device-lost', 'GPU device lost (unknown): the adapter went away'); }, dispose() {} } };
    }
    return { description: 'cpu', runner: createCpuMlp(model.weights, { threads: 1 }) };
  });
  afterAll(async () => { setRunnerFactory(null); await disposeResidents(); });

  const exec = () => new PredictExec({
    modelPath: dir, modelName: 'm', modelSha256: sha, modelJsonSha256: jsonSha, inputCol: 'image', device: 'gpu', reason: 'test', batchSize: 8, topK: 0,
    fields: [IMAGE, ...predictOutputFields(0)],
  }, images(20));

  it('fails a GPU attempt with a ResourceError that says the task goes to the CPU', async () => {
    const ctx = await testContext({ attempt: 0 });
    const run = async () => { for await (const _ of exec().execute(0, ctx)) { /* drain */ } };
    await expect(run()).rejects.toThrow(/predict on the GPU failed \(device-lost\): GPU device lost .*; the task is retried on the CPU/);
    await expect(run()).rejects.toMatchObject({ code: 'RESOURCE_ERROR' });
  });

  it('runs the retried attempt on the CPU, in batches of batchSize', async () => {
    const ctx = await testContext({ attempt: 1 });
    const out: arrow.RecordBatch[] = [];
    for await (const b of exec().execute(0, ctx)) out.push(b);
    expect(out.map((b) => b.numRows)).toEqual([8, 8, 4]);
    expect(fromArrowSchema(out[0].schema).map((f) => f.name)).toEqual(['image', 'labelId', 'label', 'score']);
    expect(ctx.counters.get('predictGpuFallbacks')).toBe(1);
    expect(ctx.counters.get('predictRows')).toBe(20);
    expect(devicesUsed).toContain('cpu');
  });
});
