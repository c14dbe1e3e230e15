// mlp: the fused forward pass of a multi-layer perceptron over u8 images, to labels and scores.
import { type KernelContract, type Precision } from '../kernel.ts';
import type { Ranked } from '../argmax/contract.ts';

export interface MlpLayer {
  /** [out x in] row-major (torch.nn.Linear layout). */
  w: Float32Array;
  /** [out] */
  b: Float32Array;
  in: number;
  out: number;
  /** Hidden layers: 'relu'. The last layer: 'softmax' (scores are probabilities) or 'none' (scores are logits). */
  activation: 'relu' | 'none' | 'softmax';
}

/** A model's weights: layers in order (layer i's `in` equals layer i-1's `out`), and input normalization. */
export interface MlpWeights {
  layers: MlpLayer[];
  /** x = u8 * scale + shift before the first layer. */
  scale: number;
  shift: number;
}

export interface MlpArgs {
  weights: MlpWeights;
  /** [m x layers[0].in] u8, row-major. m may be 0. */
  images: Uint8Array;
  m: number;
  /** 0 (default): labels and scores only; k >= 1 also returns the top k classes per row. */
  topK?: number;
}

export interface MlpResult {
  /** [m] the argmax class of each row. */
  labels: Int32Array;
  /** [m] its score (probability after softmax, else the logit). */
  scores: Float32Array;
  /** [m x topK] when topK >= 1. */
  top?: Ranked;
}

/**
 * A model made resident on a backend (weights uploaded or packed once), run over many batches.
 * `dispose()` MUST be called to free device buffers / WebAssembly memory.
 */
export interface MlpRunner {
  run(images: Uint8Array, m: number, topK?: number): Promise<MlpResult>;
  dispose(): void;
}

/**
 * Contract: labels equal the reference's except on rows whose reference top-2 scores are
 * within 1e-4 (relative to the larger) (f16: 1e-2): near ties may go either way. Scores:
 * |score - ref| <= 1e-4 * max(1, |ref|) (f16: 2e-2). Deterministic per backend and batch size.
 */
export const mlpContract: KernelContract<MlpArgs, MlpResult> & { nearTie(ref: MlpResult, i: number, precision: Precision): boolean } = {
  name: 'mlp',
  nearTie(ref, i, precision) {
    if (!ref.top || ref.top.value.length < 2 * (i + 1)) return false;
    const k = ref.top.value.length / ref.labels.length;
    const a = ref.top.value[i * k], b = ref.top.value[i * k + 1];
    return Math.abs(a - b) <= (precision === 'f16' ? 1e-2 : 1e-4) * Math.max(Math.abs(a), Math.abs(b), 1e-30);
  },
  check(a, got, want, precision: Precision = 'f32') {
    if (got.labels.length !== a.m || got.scores.length !== a.m) return `lengths ${got.labels.length}/${got.scores.length}, expected ${a.m}`;
    const stol = precision === 'f16' ? 2e-2 : 1e-4;
    for (let i = 0; i < a.m; i++) {
      if (got.labels[i] !== want.labels[i] && !this.nearTie(want, i, precision)) return `label[${i}] = ${got.labels[i]}, expected ${want.labels[i]}`;
      if (Math.abs(got.scores[i] - want.scores[i]) > stol * Math.max(1, Math.abs(want.scores[i]))) return `score[${i}] = ${got.scores[i]}, expected ${want.scores[i]} (tolerance ${stol})`;
    }
    return null;
  },
};
