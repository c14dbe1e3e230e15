// One worker's share of a data-parallel training step: forward and backward pass of an MLP over a shard, gradients summed into shared memory.
//
// Everything large lives in SharedArrayBuffers the driver owns (images, labels, the index
// permutation, parameters, one gradient region per worker): a step's message carries only
// views and numbers. The matrix products run on the CPU matmul kernel (WebAssembly SIMD).
import { matmulCpu } from '../../gpu-kernels/matmul/cpu.ts';

export interface LayerShape {
  in: number;
  out: number;
}

/** Where each layer's weight [out x in] and bias [out] sit in the flat parameter vector. */
export function paramLayout(layers: readonly LayerShape[]): { w: number; b: number }[] {
  let at = 0;
  return layers.map((l) => {
    const w = at;
    at += l.in * l.out;
    const b = at;
    at += l.out;
    return { w, b };
  });
}

export const paramCount = (layers: readonly LayerShape[]): number => layers.reduce((s, l) => s + l.in * l.out + l.out, 0);

export interface GradStepArgs {
  images: Uint8Array;
  labels: Uint8Array;
  /** Row order of this epoch; the shard is order[from, to). */
  order: Int32Array;
  from: number;
  to: number;
  /** Hidden layers use ReLU; the last layer's logits go through softmax + cross-entropy. */
  layers: LayerShape[];
  scale: number;
  shift: number;
  params: Float32Array;
  /** This worker's gradient region (paramCount floats): overwritten with the shard's summed gradient. */
  grads: Float32Array;
}

export interface GradStepResult {
  /** Summed cross-entropy loss of the shard. */
  loss: number;
  /** Rows whose argmax logit is the label. */
  correct: number;
  rows: number;
}

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
  return t;
}

/** The shard's summed gradient (into args.grads), loss and accuracy. */
export function mlpGradStep(a: GradStepArgs): GradStepResult {
  const m = a.to - a.from;
  const L = a.layers.length;
  const lay = paramLayout(a.layers);
  const d0 = a.layers[0].in;
  a.grads.fill(0);
  if (m <= 0) return { loss: 0, correct: 0, rows: 0 };
  // Forward: acts[0] is the normalized input, acts[i + 1] the output of layer i (logits last).
  const x = new Float32Array(m * d0);
  for (let r = 0; r < m; r++) {
    const src = a.order[a.from + r] * d0;
    for (let p = 0; p < d0; p++) x[r * d0 + p] = a.images[src + p] * a.scale + a.shift;
  }
  const acts: Float32Array[] = [x];
  for (let i = 0; i < L; i++) {
    const l = a.layers[i];
    acts.push(matmulCpu({
      x: acts[i], w: a.params.subarray(lay[i].w, lay[i].w + l.in * l.out), bias: a.params.subarray(lay[i].b, lay[i].b + l.out),
      m, k: l.in, n: l.out, activation: i < L - 1 ? 'relu' : 'none',
    }));
  }
  // Softmax + cross-entropy: dz = p - onehot(y).
  const C = a.layers[L - 1].out;
  const z = acts[L];
  const dz = new Float32Array(m * C);
  let loss = 0, correct = 0;
  for (let r = 0; r < m; r++) {
    const y = a.labels[a.order[a.from + r]];
    let mx = -Infinity, arg = 0;
    for (let c = 0; c < C; c++) if (z[r * C + c] > mx) { mx = z[r * C + c]; arg = c; }
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(z[r * C + c] - mx);
    for (let c = 0; c < C; c++) dz[r * C + c] = Math.exp(z[r * C + c] - mx) / sum - (c === y ? 1 : 0);
    loss += Math.log(sum) + mx - z[r * C + y];
    if (arg === y) correct++;
  }
  // Backward, layer by layer: dW = dY^T X, db = column sums of dY, dX = dY W (then the ReLU mask).
  let dy: Float32Array<ArrayBufferLike> = dz;
  for (let i = L - 1; i >= 0; i--) {
    const l = a.layers[i];
    const xin = acts[i];
    const dW = matmulCpu({ x: transpose(dy, m, l.out), w: transpose(xin, m, l.in), bias: null, m: l.out, k: m, n: l.in, activation: 'none' });
    a.grads.set(dW, lay[i].w);
    for (let r = 0; r < m; r++) for (let c = 0; c < l.out; c++) a.grads[lay[i].b + c] += dy[r * l.out + c];
    if (i === 0) break;
    const w = a.params.subarray(lay[i].w, lay[i].w + l.in * l.out);
    const dx = matmulCpu({ x: dy, w: transpose(w, l.out, l.in), bias: null, m, k: l.out, n: l.in, activation: 'none' });
    for (let t = 0; t < dx.length; t++) if (xin[t] <= 0) dx[t] = 0;
    dy = dx;
  }
  return { loss, correct, rows: m };
}
