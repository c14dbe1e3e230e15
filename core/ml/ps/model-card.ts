// Saves a parameter-server training's result as a model directory with its card: data hash, code commit, consistency, delay, accuracy.
import { execFileSync } from 'node:child_process';
import type { MlpWeights } from '../../../gpu-kernels/mlp/contract.ts';
import { saveModel, type ModelCard } from '../../../ops/model/model.ts';
import type { TrainConfig } from './options.ts';

/** HEAD's commit of the checkout in the working directory ('-dirty' with uncommitted changes), or 'unknown' without git or a checkout. */
export function codeCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return head + (dirty ? '-dirty' : '');
  } catch {
    return 'unknown';
  }
}

export interface SaveTrainedOptions {
  dir: string;
  name: string;
  weights: MlpWeights;
  labels: string[];
  inputShape: number[];
  cfg: TrainConfig;
  data: { sha256: string; trainRows: number; testRows: number };
  testAccuracy: number | null;
  perClass: Record<string, number>;
  trainSeconds: number;
  executors: number;
  stepsPerSecond: number;
  maxStaleness: number;
}

export function saveTrainedModel(o: SaveTrainedOptions): ModelCard {
  const { cfg } = o;
  const card: ModelCard = {
    model: o.name,
    date: new Date().toISOString(),
    code: { commit: codeCommit(), command: 'q.train (parameter servers across executors)' },
    data: { name: 'DataFrame rows', files: [], trainRows: o.data.trainRows, testRows: o.data.testRows, sha256: o.data.sha256 },
    hyperParameters: {
      epochs: cfg.epochs, batchSize: cfg.batchSize, learningRate: cfg.learningRate, lrDecay: cfg.lrDecay, seed: cfg.seed, optimizer: 'adam',
      architecture: [o.weights.layers[0].in, ...o.weights.layers.map((l) => l.out)].join('-'), init: 'he-normal',
      consistency: cfg.consistency, maxDelay: Number.isFinite(cfg.maxDelay) ? cfg.maxDelay : 'unbounded',
      servers: cfg.servers, executors: o.executors, maxStalenessSeen: o.maxStaleness, stepsPerSecond: Number(o.stepsPerSecond.toFixed(2)),
    },
    metrics: { testAccuracy: o.testAccuracy ?? Number.NaN, perClass: o.perClass, trainSeconds: o.trainSeconds },
  };
  saveModel(o.dir, {
    name: o.name,
    input: { shape: o.inputShape, dtype: 'uint8', scale: o.weights.scale, shift: o.weights.shift },
    layers: o.weights.layers.map((l, i) => ({ name: `fc${i + 1}`, in: l.in, out: l.out, activation: l.activation, w: l.w, b: l.b })),
    labels: o.labels,
    card,
  });
  return card;
}
