// The committed model: verified on load, and >= 0.88 accurate on the Fashion-MNIST test set through predict().
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quiver, col, fn } from '../../core/index.ts';
import { fmnistFile, requireFmnist } from '../../examples/lib/fmnist.ts';

const MODEL = resolve(import.meta.dirname, '../../models/fmnist-mlp');

describe('models/fmnist-mlp', () => {
  let q: Quiver;
  beforeAll(async () => {
    // scripts/setup.sh (run by npm test) installs dataset-fashion-mnist; a missing dataset fails here, saying how to get it.
    requireFmnist();
    q = await Quiver.local({ workers: 2 });
  });
  afterAll(async () => { await q?.close(); });

  it('loads with its card and scores >= 0.88 on the 10,000 test images', async () => {
    const model = q.model(MODEL);
    expect(model.meta!.layers.map((l) => [l.in, l.out, l.activation])).toEqual([[784, 300, 'relu'], [300, 100, 'relu'], [100, 10, 'softmax']]);
    expect(model.card!.data.files.map((f) => f.sha256)).toHaveLength(4);
    const t = await q.read.idx(fmnistFile('t10k', 'images'), { labels: true }).withColumnRenamed('label', 'truth')
      .predict(model, { device: 'cpu' })
      .agg(fn.count().alias('n'), fn.sum(col('labelId').eq(col('truth')).cast('int32')).alias('correct'))
      .toArray();
    const acc = Number(t[0].correct) / Number(t[0].n);
    expect(Number(t[0].n)).toBe(10_000);
    expect(acc).toBeGreaterThanOrEqual(0.88);
    // What the card says is what predict() gives.
    expect(acc).toBeCloseTo(model.card!.metrics.testAccuracy, 3);
  }, 120_000);
});
