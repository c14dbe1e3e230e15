// Accuracy of an MLP held as a flat parameter vector (the layout of mlp-grad.ts) over u8 rows: overall and per class.
import { matmulCpu } from '../../gpu-kernels/matmul/cpu.ts';
import { paramLayout, type LayerShape } from './mlp-grad.ts';

export interface MlpAccuracy {
  correct: number;
  rows: number;
  /** Per class (label id): rows with that label, and how many of them were predicted right. */
  perClass: { rows: number; correct: number }[];
}

/** Predicts every row (argmax of the last layer's logits; hidden layers ReLU) in blocks of `block` rows and counts the right ones. */
export function mlpAccuracy(layers: readonly LayerShape[], params: Float32Array, images: Uint8Array, labels: Uint8Array, rows: number, scale: number, shift: number, block = 1024): MlpAccuracy {
  const lay = paramLayout(layers);
  const d0 = layers[0].in, C = layers[layers.length - 1].out;
  const perClass = Array.from({ length: C }, () => ({ rows: 0, correct: 0 }));
  let correct = 0;
  for (let at = 0; at < rows; at += block) {
    const m = Math.min(block, rows - at);
    let x: Float32Array<ArrayBufferLike> = new Float32Array(m * d0);
    for (let t = 0; t < m * d0; t++) x[t] = images[at * d0 + t] * scale + shift;
    layers.forEach((l, i) => {
      x = matmulCpu({
        x, w: params.subarray(lay[i].w, lay[i].w + l.in * l.out), bias: params.subarray(lay[i].b, lay[i].b + l.out),
        m, k: l.in, n: l.out, activation: i < layers.length - 1 ? 'relu' : 'none',
      });
    });
    for (let r = 0; r < m; r++) {
      let arg = 0;
      for (let c = 1; c < C; c++) if (x[r * C + c] > x[r * C + arg]) arg = c;
      const y = labels[at + r];
      if (y < C) { perClass[y].rows++; if (arg === y) { perClass[y].correct++; correct++; } }
    }
  }
  return { correct, rows, perClass };
}
