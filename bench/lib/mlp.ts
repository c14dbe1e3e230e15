// randomMlp (seeded He-initialised MlpWeights) and mlpForward, a plain-JS forward pass to check every contender against.
import type { MlpLayer, MlpResult, MlpWeights } from '../../gpu-kernels/mlp/contract.ts';
import { rng } from '../../examples/data/access-log.ts';

/** The benchmark's model: 784-300(relu)-100(relu)-10(softmax) over 28 x 28 images. */
export const FMNIST_MLP_SIZES = [784, 300, 100, 10] as const;

/**
 * Weights for `sizes` (inputs, hidden..., classes): He-normal weights (std sqrt(2 / in), right
 * for ReLU, so activations neither vanish nor blow up over the layers), small random biases,
 * ReLU hidden layers, and `last` on the output. Inputs are normalised to [0, 1].
 */
export function randomMlp(sizes: readonly number[], seed: number, last: MlpLayer['activation'] = 'softmax'): MlpWeights {
  const r = rng(seed);
  // Box-Muller: two uniforms to one standard normal.
  const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const layers: MlpLayer[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const nIn = sizes[i], nOut = sizes[i + 1];
    const std = Math.sqrt(2 / nIn);
    const w = new Float32Array(nOut * nIn).map(() => normal() * std);
    const b = new Float32Array(nOut).map(() => (r() - 0.5) * 0.1);
    layers.push({ w, b, in: nIn, out: nOut, activation: i + 2 === sizes.length ? last : 'relu' });
  }
  return { layers, scale: 1 / 255, shift: 0 };
}

/**
 * The forward pass in float64 (so it is the most exact of all the contenders), with labels
 * (first maximum wins ties), scores and the top 2 of each row (to tell near ties apart).
 */
export function mlpForward(weights: MlpWeights, images: Uint8Array, m: number): MlpResult {
  const inDim = weights.layers[0].in;
  const labels = new Int32Array(m), scores = new Float32Array(m);
  const top = { index: new Int32Array(m * 2), value: new Float32Array(m * 2) };
  for (let row = 0; row < m; row++) {
    let h: Float64Array = Float64Array.from(images.subarray(row * inDim, (row + 1) * inDim), (v) => v * weights.scale + weights.shift);
    for (const l of weights.layers) {
      const z = new Float64Array(l.out);
      for (let j = 0; j < l.out; j++) {
        let s = l.b[j];
        for (let p = 0; p < l.in; p++) s += h[p] * l.w[j * l.in + p];
        z[j] = l.activation === 'relu' ? Math.max(s, 0) : s;
      }
      if (l.activation === 'softmax') {
        const mx = Math.max(...z);
        let sum = 0;
        for (let j = 0; j < z.length; j++) { z[j] = Math.exp(z[j] - mx); sum += z[j]; }
        for (let j = 0; j < z.length; j++) z[j] /= sum;
      }
      h = z;
    }
    let a = 0;
    for (let j = 1; j < h.length; j++) if (h[j] > h[a]) a = j;
    let b = h.length < 2 ? a : a === 0 ? 1 : 0; // one class: its runner-up is itself
    for (let j = 0; j < h.length; j++) if (j !== a && h[j] > h[b]) b = j;
    labels[row] = a;
    scores[row] = h[a];
    top.index[2 * row] = a; top.value[2 * row] = h[a];
    top.index[2 * row + 1] = b; top.value[2 * row + 1] = h[b];
  }
  return { labels, scores, top };
}
