// PredictExec refuses non-finite scores (an overflow the load-time forward pass could not see) and a plan that pins no model.
import * as arrow from 'apache-arrow';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ExecPlan } from '../../ops/exec-plan.ts';
import { loadModel, saveModel } from '../../ops/model/model.ts';
import { PredictExec } from '../../ops/predict/predict-exec.ts';
import { disposeResidents, setRunnerFactory } from '../../ops/predict/resident.ts';
import { predictOutputFields } from '../../core/plan/predict.ts';
import { toArrowSchema, type FieldJSON } from '../../ops/types.ts';
import { testContext } from '../io/helpers.ts';

const D = 4;
const IMAGE: FieldJSON = { name: 'image', type: { fixedList: 'uint8', size: D }, nullable: false };

function images(n: number): ExecPlan {
  const schema = toArrowSchema([IMAGE]);
  const fl = schema.fields[0].type as arrow.FixedSizeList;
  const child = arrow.makeData({ type: fl.children[0].type, length: n * D, nullCount: 0, data: new Uint8Array(n * D) } as any);
  const col = arrow.makeData({ type: fl, length: n, nullCount: 0, child } as any);
  const batch = new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(schema.fields), length: n, nullCount: 0, children: [col] } as any) as any);
  return { name: 'Images', schema, children: [], display: () => 'Images', async *execute() { yield batch; } };
}

describe('PredictExec output checks', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'quiver-pnf-')), 'm');
  saveModel(dir, {
    name: 'nf', input: { shape: [D], dtype: 'uint8', scale: 1 / 255, shift: 0 },
    layers: [{ name: 'fc', in: D, out: 3, activation: 'softmax', w: new Float32Array(3 * D).fill(0.1), b: new Float32Array(3) }],
    labels: ['a', 'b', 'c'],
  });
  const m = loadModel(dir);
  // A runner that overflows on some input: the scores of row 2 are NaN.
  setRunnerFactory(async () => ({
    description: 'overflowing', runner: {
      run: async (_images, n) => ({ labels: new Int32Array(n), scores: Float32Array.from({ length: n }, (_, i) => (i === 2 ? NaN : 0.5)) }),
      dispose() {},
    },
  }));
  afterAll(async () => { setRunnerFactory(null); await disposeResidents(); });

  const exec = (jsonSha: string) => new PredictExec({
    modelPath: dir, modelName: 'nf', modelSha256: m.sha256, modelJsonSha256: jsonSha, inputCol: 'image', device: 'cpu', reason: 'test', batchSize: 8, topK: 0,
    fields: [IMAGE, ...predictOutputFields(0)],
  }, images(5));
  const drain = async (e: ExecPlan) => { for await (const _ of e.execute(0, await testContext())) { /* drain */ } };

  it('fails with a DataError naming the model instead of returning NaN scores', async () => {
    await expect(drain(exec(m.metaSha256))).rejects.toThrow(new RegExp(`${dir}: predict: model 'nf' gives a non-finite score \\(NaN\\) for an image`));
    await expect(drain(exec(m.metaSha256))).rejects.toMatchObject({ code: 'DATA_ERROR' });
  });

  it('refuses a plan without the model.json hash', async () => {
    await expect(drain(exec(''))).rejects.toThrow(/predict: the plan pins no model/);
  });
});
