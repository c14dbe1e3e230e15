// Data-parallel training on the worker pool: learns a separable task, and the same seed reproduces the same weights.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quiver } from '../../core/index.ts';
import { trainMlp, seeded } from '../../core/ml/train-mlp.ts';
import { mlpReference } from '../../gpu-kernels/mlp/cpu.ts';

const D = 16, C = 4, N = 1200;

/** Class c lights up pixels [4c, 4c + 4) of a noisy 16-pixel image. */
function dataset(seed: number) {
  const r = seeded(seed);
  const images = new Uint8Array(N * D), labels = new Uint8Array(N);
  for (let i = 0; i < N; i++) {
    const c = i % C;
    labels[i] = c;
    for (let p = 0; p < D; p++) images[i * D + p] = Math.floor(r() * 90) + (p >= 4 * c && p < 4 * c + 4 ? 140 : 0);
  }
  return { images, labels, rows: N };
}

describe('trainMlp', () => {
  let q: Quiver;
  beforeAll(async () => { q = await Quiver.local({ workers: 2 }); });
  afterAll(async () => { await q?.close(); });

  const opts = { sizes: [D, 12, C], scale: 1 / 255, shift: 0, epochs: 4, batchSize: 64, learningRate: 0.01, lrDecay: 0.9, seed: 5 };

  it('learns a separable task across two workers, reporting progress each epoch', async () => {
    const epochs: number[] = [];
    const w = await trainMlp(q.session.runtime, dataset(1), { ...opts, onEpoch: (e) => epochs.push(e.trainAccuracy) });
    expect(epochs).toHaveLength(4);
    const test = dataset(2);
    const res = mlpReference({ weights: w, images: test.images, m: N });
    const acc = res.labels.reduce((s, l, i) => s + (l === test.labels[i] ? 1 : 0), 0) / N;
    expect(acc).toBeGreaterThan(0.95);
    expect(w.layers.map((l) => l.activation)).toEqual(['relu', 'softmax']);
  });

  it('is reproducible: the same seed gives the same weights', async () => {
    const a = await trainMlp(q.session.runtime, dataset(1), { ...opts, epochs: 1 });
    const b = await trainMlp(q.session.runtime, dataset(1), { ...opts, epochs: 1 });
    expect(Buffer.from(a.layers[0].w.buffer).equals(Buffer.from(b.layers[0].w.buffer))).toBe(true);
    const c = await trainMlp(q.session.runtime, dataset(1), { ...opts, epochs: 1, seed: 6 });
    expect(Buffer.from(a.layers[0].w.buffer).equals(Buffer.from(c.layers[0].w.buffer))).toBe(false);
  });
});
