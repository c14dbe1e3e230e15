// predict over a binary column of encoded image files (a stream's message bodies, say): each task decodes them to the model's input, with the same tags as reading the files as images; bad rows follow onError.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeStage } from '../../core/cluster/stage-schema.ts';
import { col, Quiver } from '../../core/index.ts';
import { readFmnistTest, writeFmnistFiles } from '../../examples/lib/fmnist-files.ts';
import { setCalibrator } from '../../ops/predict/placement.ts';
import { tempDir } from '../io/helpers.ts';

const MODEL = resolve(import.meta.dirname, '../../models/fmnist-mlp');
const N = 300;

describe('predict over encoded image bytes', () => {
  let q: Quiver;
  let files: string[];
  let byFiles: [string, number, string][];
  beforeAll(async () => {
    setCalibrator(async (_p, backend) => (backend === 'wasm' ? { backend, description: 'cpu', imagesPerSecond: 50_000 } : null));
    q = await Quiver.local({ workers: 2, ui: false, quiet: true });
    const dir = join(await tempDir('quiver-predict-bytes-'), 'png');
    files = (await writeFmnistFiles({ format: 'png', dir, limit: N })).files;
    byFiles = (await q.read.images(dir, { size: [28, 28], channels: 1 }).predict(q.model(MODEL)).select('path', 'labelId', 'label').toArray())
      .map((r) => [r.path as string, r.labelId as number, r.label as string]);
  }, 120_000);
  afterAll(async () => { setCalibrator(null); await q?.close(); });

  const rows = () => files.map((path, i) => ({ id: i, path, data: readFileSync(path) }));

  it('decodes each row to the model\'s 28x28 gray input and tags it as reading the files does', async () => {
    const df = q.createDataFrame(rows(), { partitions: 3 });
    expect(df.schema.find((f) => f.name === 'data')?.type).toBe('binary');
    const p = df.predict(q.model(MODEL), { inputCol: 'data' });
    expect(await p.explain()).toMatch(/PredictExec: .* input=data .* decode=28x28x1 fit=cover/);
    const got = (await p.orderBy('id').select('path', 'labelId', 'label').toArray()).map((r) => [r.path, r.labelId, r.label]);
    expect(got).toEqual(byFiles);
    // The model is right about most of Fashion-MNIST's test images.
    const truth = readFmnistTest().labels;
    expect(got.filter((r, i) => r[1] === truth[i]).length / N).toBeGreaterThan(0.8);
  });

  it('fails on bytes that are not an image, naming the reason; skip drops the row, null gives it null tags', async () => {
    const bad = rows();
    bad[5] = { ...bad[5]!, data: Buffer.from('not an image at all') };
    bad[9] = { ...bad[9]!, data: bad[9]!.data.subarray(0, 40) };
    const df = q.createDataFrame(bad, { partitions: 2 });
    await expect(df.predict(q.model(MODEL), { inputCol: 'data' }).count()).rejects.toThrow(/predict: 2 of \d+ rows of 'data' in a batch are not images the model can take \(the first: cannot decode the image: .+\); pass onError: 'skip'/);
    const skipped = await df.predict(q.model(MODEL), { inputCol: 'data', onError: 'skip' }).select('id', 'labelId').orderBy('id').toArray();
    expect(skipped.map((r) => r.id)).toEqual(Array.from({ length: N }, (_, i) => i).filter((i) => i !== 5 && i !== 9));
    expect(skipped.map((r) => r.labelId)).toEqual(byFiles.filter((_, i) => i !== 5 && i !== 9).map((r) => r[1]));
    const nulled = await df.predict(q.model(MODEL), { inputCol: 'data', onError: 'null' }).filter(col('labelId').isNull()).select('id').toArray();
    expect(nulled.map((r) => r.id)).toEqual([5, 9]);
  });

  it('sends the decode to executors in the stage plan, checked by the stage schema', async () => {
    const df = q.createDataFrame(rows().slice(0, 4)).predict(q.model(MODEL), { inputCol: 'data', fit: 'contain' });
    const stage = (await q.session.physical(df.plan)).physical.stages.at(-1)!;
    const d = decodeStage(JSON.stringify(stage));
    expect(d.ok ? d.stage : d.reason).toEqual(JSON.parse(JSON.stringify(stage)));
    const predictNode = (n: { op: string; child?: unknown }): { spec: { decode: Record<string, unknown> } } => (n.op === 'predict' ? n : predictNode(n.child as never)) as never;
    expect(predictNode(stage.root as never).spec.decode).toEqual({ height: 28, width: 28, channels: 1, fit: 'contain' });
    for (const [k, v, why] of [['channels', 2, /channels/], ['fit', 'stretch', /fit/], ['height', 5000, /2\^24 values/]] as const) {
      const bad = JSON.parse(JSON.stringify(stage));
      predictNode(bad.root).spec.decode[k] = v;
      if (k === 'height') predictNode(bad.root).spec.decode.width = 5000;
      expect(decodeStage(JSON.stringify(bad)), k).toMatchObject({ ok: false, reason: expect.stringMatching(why) });
    }
  });

  it('refuses fit on a column of pixels, and an unknown fit', () => {
    const pixels = q.read.images(files[0]!, { size: [28, 28], channels: 1 });
    expect(() => pixels.predict(q.model(MODEL), { fit: 'contain' })).toThrow(/fit applies to a binary column of encoded images; 'image' is/);
    const df = q.createDataFrame(rows().slice(0, 2));
    expect(() => df.predict(q.model(MODEL), { inputCol: 'data', fit: 'stretch' as never })).toThrow(/fit must be 'cover', 'contain' or 'fill'/);
  });
});
