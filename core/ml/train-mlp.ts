// Data-parallel MLP training on the engine's worker pool: the driver is the parameter server (Adam), workers compute gradients of their shards.
//
// Each step the batch is cut into one shard per worker; every worker writes its shard's summed
// gradient into its own region of a SharedArrayBuffer; the driver averages the regions (in a
// fixed order, so a run is reproducible), applies Adam and starts the next step. Images,
// labels and parameters are shared memory: nothing big is copied per step.
import { fileURLToPath } from 'node:url';
import type { MlpWeights } from '../../gpu-kernels/mlp/contract.ts';
import { mulberry32 } from '../../ops/compute/random.ts';
import { PlanError } from '../../ops/errors.ts';
import { paramCount, paramLayout, type GradStepArgs, type GradStepResult, type LayerShape } from '../../ops/train/mlp-grad.ts';
import type { Runtime } from '../runtime/runtime.ts';

export interface TrainData {
  /** [rows x features] u8, row-major. */
  images: Uint8Array;
  labels: Uint8Array;
  rows: number;
}

export interface TrainOptions {
  /** Layer widths, input first: e.g. [784, 300, 100, 10]. Hidden layers ReLU, last softmax. */
  sizes: number[];
  scale: number;
  shift: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Multiplies the learning rate after each epoch (1: constant). */
  lrDecay: number;
  seed: number;
  /** Called after each epoch (progress). */
  onEpoch?: (e: { epoch: number; loss: number; trainAccuracy: number; seconds: number; evalAccuracy?: number }) => void;
  /** Evaluated after each epoch when given (e.g. test accuracy), for the progress line. */
  evaluate?: (w: MlpWeights) => Promise<number>;
}

/** The worker function of a step (the built .js when running from dist). */
const GRAD_STEP = {
  module: fileURLToPath(new URL(`../../ops/train/mlp-grad.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url)),
  export: 'mlpGradStep',
};

/** A seeded generator: the same seed gives the same initial weights and batches. */
export const seeded = mulberry32;

function shared(bytes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(bytes);
}

/** Trains and returns the weights (layers with ReLU hidden and softmax last, normalization kept). */
export async function trainMlp(runtime: Runtime, data: TrainData, o: TrainOptions): Promise<MlpWeights> {
  if (o.sizes.length < 2) throw new PlanError('trainMlp: sizes needs at least an input and an output width');
  if (data.images.length !== data.rows * o.sizes[0]) throw new PlanError(`trainMlp: images hold ${data.images.length} bytes, expected ${data.rows} x ${o.sizes[0]}`);
  const layers: LayerShape[] = o.sizes.slice(1).map((out, i) => ({ in: o.sizes[i], out }));
  const P = paramCount(layers);
  const lay = paramLayout(layers);
  const rand = seeded(o.seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  // Shared memory: data once, parameters, one gradient region per worker.
  const images = new Uint8Array(shared(data.images.length)); images.set(data.images);
  const labels = new Uint8Array(shared(data.labels.length)); labels.set(data.labels);
  const order = new Int32Array(shared(4 * data.rows));
  const params = new Float32Array(shared(4 * P));
  // He initialization for ReLU layers; biases start at 0.
  layers.forEach((l, i) => { const s = Math.sqrt(2 / l.in); for (let t = 0; t < l.in * l.out; t++) params[lay[i].w + t] = gauss() * s; });
  const W = runtime.workers;
  const grads = Array.from({ length: W }, () => new Float32Array(shared(4 * P)));
  const m1 = new Float32Array(P), m2 = new Float32Array(P);
  const b1 = 0.9, b2 = 0.999, eps = 1e-8;
  let step = 0, lr = o.learningRate;
  for (let i = 0; i < data.rows; i++) order[i] = i;
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    const t0 = performance.now();
    // Fisher-Yates with the seeded generator.
    for (let i = data.rows - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); const t = order[i]; order[i] = order[j]; order[j] = t; }
    let loss = 0, correct = 0;
    for (let at = 0; at < data.rows; at += o.batchSize) {
      const end = Math.min(data.rows, at + o.batchSize);
      const per = Math.ceil((end - at) / W);
      const shards = Array.from({ length: W }, (_, w) => {
        const args: GradStepArgs = { images, labels, order, from: Math.min(end, at + w * per), to: Math.min(end, at + (w + 1) * per), layers, scale: o.scale, shift: o.shift, params, grads: grads[w] };
        return runtime.call<GradStepResult>(GRAD_STEP, args);
      });
      const results = await Promise.all(shards);
      for (const r of results) { loss += r.loss; correct += r.correct; }
      // Adam on the averaged gradient (regions summed in worker order: reproducible).
      step++;
      const n = end - at;
      const c1 = 1 - b1 ** step, c2 = 1 - b2 ** step;
      for (let t = 0; t < P; t++) {
        let g = 0;
        for (let w = 0; w < W; w++) g += grads[w][t];
        g /= n;
        m1[t] = b1 * m1[t] + (1 - b1) * g;
        m2[t] = b2 * m2[t] + (1 - b2) * g * g;
        params[t] -= (lr * (m1[t] / c1)) / (Math.sqrt(m2[t] / c2) + eps);
      }
    }
    lr *= o.lrDecay;
    const weights = toWeights(params, layers, lay, o);
    const evalAccuracy = o.evaluate ? await o.evaluate(weights) : undefined;
    o.onEpoch?.({ epoch, loss: loss / data.rows, trainAccuracy: correct / data.rows, seconds: (performance.now() - t0) / 1000, evalAccuracy });
  }
  return toWeights(params, layers, lay, o);
}

function toWeights(params: Float32Array, layers: LayerShape[], lay: { w: number; b: number }[], o: TrainOptions): MlpWeights {
  return {
    scale: o.scale, shift: o.shift,
    layers: layers.map((l, i) => ({
      in: l.in, out: l.out, activation: i < layers.length - 1 ? 'relu' : 'softmax',
      w: params.slice(lay[i].w, lay[i].w + l.in * l.out), b: params.slice(lay[i].b, lay[i].b + l.out),
    })),
  };
}
