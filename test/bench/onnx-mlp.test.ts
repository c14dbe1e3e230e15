// The hand-encoded ONNX MLP: onnxruntime-node loads it and agrees with a plain-JS forward pass (labels, scores, top-k).
import { describe, expect, it } from 'vitest';
import { mlpContract } from '../../gpu-kernels/mlp/contract.ts';
import { mlpReference } from '../../gpu-kernels/mlp/cpu.ts';
import { rng } from '../../examples/data/access-log.ts';
import { mlpForward, randomMlp } from '../../bench/lib/mlp.ts';
import { onnxMlp } from '../../bench/lib/onnx-mlp.ts';
import { ortMlpRunner } from '../../bench/lib/ort-mlp.ts';

function randomImages(m: number, inDim: number, seed: number): Uint8Array {
  const r = rng(seed);
  return Uint8Array.from({ length: m * inDim }, () => Math.floor(r() * 256));
}

describe('onnxMlp in onnxruntime-node', () => {
  const cases: { name: string; sizes: number[]; last: 'softmax' | 'none'; m: number }[] = [
    { name: 'Fashion-MNIST shape 784-300-100-10, softmax', sizes: [784, 300, 100, 10], last: 'softmax', m: 257 },
    { name: 'one layer, logits', sizes: [5, 3], last: 'none', m: 7 },
    { name: 'odd sizes, four layers', sizes: [33, 17, 9, 5, 4], last: 'softmax', m: 31 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const weights = randomMlp(c.sizes, 42, c.last);
      // A non-trivial normalisation, so that a dropped Mul or Add would show.
      weights.scale = 2 / 255;
      weights.shift = -1;
      const images = randomImages(c.m, c.sizes[0], 7);
      const runner = await ortMlpRunner(weights, { threads: 1 });
      try {
        const got = await runner.run(images, c.m);
        const want = mlpForward(weights, images, c.m);
        expect(mlpContract.check({ weights, images, m: c.m }, got, want)).toBeNull();
        // Not all rows may be the same class, else a graph that ignored its input would pass.
        expect(new Set(want.labels).size).toBeGreaterThan(1);
      } finally {
        runner.dispose();
      }
    });
  }

  it('gives the labels and scores of Quiver\'s reference (gpu-kernels/mlp/cpu.ts) on the benchmark\'s model', async () => {
    const weights = randomMlp([784, 300, 100, 10], 2024);
    const images = randomImages(200, 784, 11);
    const runner = await ortMlpRunner(weights, { threads: 2 });
    try {
      const got = await runner.run(images, 200);
      const want = mlpReference({ weights, images, m: 200, topK: 2 });
      expect(mlpContract.check({ weights, images, m: 200 }, got, want)).toBeNull();
    } finally {
      runner.dispose();
    }
  });

  it('returns the top k classes, best first, and takes an empty batch', async () => {
    const weights = randomMlp([20, 8, 6], 3);
    const images = randomImages(11, 20, 9);
    const runner = await ortMlpRunner(weights, { threads: 1, maxTopK: 6 });
    try {
      const got = await runner.run(images, 11, 3);
      const want = mlpForward(weights, images, 11);
      expect(got.top!.index.length).toBe(33);
      for (let i = 0; i < 11; i++) {
        expect(got.top!.index[3 * i]).toBe(want.labels[i]);
        expect(got.top!.index[3 * i + 1]).toBe(want.top!.index[2 * i + 1]);
        expect(got.top!.value[3 * i]).toBeGreaterThanOrEqual(got.top!.value[3 * i + 1]);
        expect(got.top!.value[3 * i + 1]).toBeGreaterThanOrEqual(got.top!.value[3 * i + 2]);
      }
      const empty = await runner.run(new Uint8Array(0), 0);
      expect(empty.labels.length).toBe(0);
    } finally {
      runner.dispose();
    }
  });

  it('rejects layers that do not chain, naming the layer', () => {
    const weights = randomMlp([10, 4, 3], 1);
    weights.layers[1] = { ...weights.layers[1], in: 5, w: new Float32Array(15) };
    expect(() => onnxMlp(weights)).toThrow(/layer 1 takes 5 inputs, but layer 0 gives 4/);
  });
});
