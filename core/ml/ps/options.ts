// q.train's options, checked and completed with defaults: a mistake is a PlanError that quotes the value and says what is allowed.
import { PlanError } from '../../../ops/errors.ts';
import type { LayerShape } from '../../../ops/train/mlp-grad.ts';
import type { Consistency } from './clock-gate.ts';

export type TrainModel = 'mlp' | 'cnn' | { kind: 'mlp'; hidden?: number[] };
export type TrainOptimizer = 'adam' | { kind: 'adam'; learningRate?: number; lrDecay?: number; beta1?: number; beta2?: number; eps?: number };

export interface TrainProgress {
  epoch: number;
  epochs: number;
  /** Rows trained this epoch, and the epoch's rows. */
  rows: number;
  totalRows: number;
  loss: number;
  accuracy: number;
  stepsPerSecond: number;
  samplesPerSecond: number;
  /** Staleness -> steps started with it, since the start. */
  staleness: Record<number, number>;
  /** Set on the line that ends an epoch, when test data was given. */
  testAccuracy?: number;
  epochEnd: boolean;
}

export interface TrainOptions<TestData = unknown> {
  /** 'mlp': hidden layers 300 and 100 (ReLU), softmax over the classes; or { kind: 'mlp', hidden }. ('cnn' is not trained across executors yet.) */
  model: TrainModel;
  /** Adam (default learning rate 0.001, decay 0.85 per epoch). */
  optimizer?: TrainOptimizer;
  epochs: number;
  /** Rows per worker step. */
  batchSize: number;
  /** Server shards (default 1), placed on executors; parameters are cut by key range. */
  servers?: number;
  /** Default 'sequential'. */
  consistency?: Consistency;
  /** Bounded delay's tau: a clock starts only when every clock before clock - maxDelay has been applied. Required for 'bounded-delay'. */
  maxDelay?: number;
  /** Feature column: fixed-size lists of u8 (default 'image'). */
  features?: string;
  /** Label column: integers 0..classes-1 (default 'label'). */
  label?: string;
  /** Features are normalized as x * scale + shift (default 1/255 and 0). */
  scale?: number;
  shift?: number;
  /** Partitions the rows are cut into (default 4 per worker). */
  partitions?: number;
  /** Executors that run workers (default: every alive executor). */
  executors?: number;
  seed?: number;
  /** Evaluated after each epoch: its accuracy goes to the progress lines, the result and the model card. */
  test?: TestData;
  /** Class names for the model (default '0', '1', ...). */
  labels?: string[];
  /** Saves the model and its card to this directory. */
  saveTo?: string;
  /** Model name in the saved model (default 'ps-mlp'). */
  name?: string;
  /** Milliseconds between shard checkpoints (default 2000); shards are also checkpointed after every epoch. */
  checkpointMs?: number;
  /** Console progress lines (default true), or a callback per line. */
  progress?: boolean | ((p: TrainProgress) => void);
  /** Milliseconds between progress lines within an epoch (default 5000). */
  progressMs?: number;
  /** Injected slowness (benchmarks, tests): worker index -> factor >= 1 (each step sleeps factor - 1 times its compute). */
  slowdown?: Record<number, number>;
}

export interface TrainConfig {
  hidden: number[];
  learningRate: number;
  lrDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  epochs: number;
  batchSize: number;
  servers: number;
  consistency: Consistency;
  /** Infinity for eventual, 0 for sequential. */
  maxDelay: number;
  features: string;
  label: string;
  scale: number;
  shift: number;
  partitions: number | null;
  executors: number | null;
  seed: number;
  checkpointMs: number;
  progressMs: number;
  slowdown: Record<number, number>;
}

const CONSISTENCY: readonly Consistency[] = ['sequential', 'bounded-delay', 'eventual'];

function whole(name: string, x: unknown, min: number): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < min) throw new PlanError(`train: ${name} must be a whole number >= ${min}, got ${JSON.stringify(x)}`);
  return x;
}

function positive(name: string, x: unknown, dflt: number): number {
  if (x === undefined) return dflt;
  if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0) throw new PlanError(`train: ${name} must be a positive number, got ${JSON.stringify(x)}`);
  return x;
}

/** Checks the options; returns them completed. */
export function checkTrainOptions(o: TrainOptions): TrainConfig {
  if (!o || typeof o !== 'object') throw new PlanError('train: give options, e.g. q.train(df, { model: \'mlp\', epochs: 10, batchSize: 128 })');
  const known = new Set(['model', 'optimizer', 'epochs', 'batchSize', 'servers', 'consistency', 'maxDelay', 'features', 'label', 'scale', 'shift', 'partitions', 'executors', 'seed', 'test', 'labels', 'saveTo', 'name', 'checkpointMs', 'progress', 'progressMs', 'slowdown']);
  const unknown = Object.keys(o).filter((k) => !known.has(k));
  if (unknown.length) throw new PlanError(`train: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}; valid options are ${[...known].join(', ')}`);
  let hidden: number[];
  if (o.model === 'mlp') hidden = [300, 100];
  else if (o.model === 'cnn') throw new PlanError("train: model 'cnn' is not trained across executors yet (only the MLP is); use model: 'mlp', or train the CNN with the local tools");
  else if (o.model && typeof o.model === 'object' && o.model.kind === 'mlp') {
    hidden = o.model.hidden ?? [300, 100];
    if (!Array.isArray(hidden) || hidden.some((h) => !Number.isInteger(h) || h < 1)) throw new PlanError(`train: model.hidden must be a list of layer widths >= 1, got ${JSON.stringify(o.model.hidden)}`);
  } else throw new PlanError(`train: model must be 'mlp' or { kind: 'mlp', hidden: [...] }, got ${JSON.stringify(o.model)}`);
  const opt = o.optimizer ?? 'adam';
  if (opt !== 'adam' && (typeof opt !== 'object' || opt.kind !== 'adam')) throw new PlanError(`train: optimizer must be 'adam' or { kind: 'adam', learningRate, lrDecay }, got ${JSON.stringify(opt)}`);
  const a = typeof opt === 'object' ? opt : { kind: 'adam' as const };
  const consistency = o.consistency ?? 'sequential';
  if (!CONSISTENCY.includes(consistency)) throw new PlanError(`train: consistency must be one of ${CONSISTENCY.map((c) => `'${c}'`).join(', ')}, got ${JSON.stringify(consistency)}`);
  let maxDelay: number;
  if (consistency === 'bounded-delay') {
    if (o.maxDelay === undefined) throw new PlanError("train: consistency 'bounded-delay' needs maxDelay (tau, the clocks a worker may run ahead of the oldest unapplied one), e.g. maxDelay: 4");
    maxDelay = whole('maxDelay', o.maxDelay, 0);
  } else {
    if (o.maxDelay !== undefined) throw new PlanError(`train: maxDelay applies to consistency 'bounded-delay' only, not '${consistency}'`);
    maxDelay = consistency === 'eventual' ? Infinity : 0;
  }
  const slowdown = o.slowdown ?? {};
  for (const [k, f] of Object.entries(slowdown)) {
    if (!/^\d+$/.test(k) || typeof f !== 'number' || !(f >= 1 && f <= 100)) throw new PlanError(`train: slowdown maps a worker index to a factor in [1, 100], got ${JSON.stringify({ [k]: f })}`);
  }
  const lrDecay = positive('optimizer.lrDecay', a.lrDecay, 0.85);
  if (lrDecay > 1) throw new PlanError(`train: optimizer.lrDecay multiplies the learning rate after each epoch and must be in (0, 1], got ${lrDecay}`);
  return {
    hidden,
    learningRate: positive('optimizer.learningRate', a.learningRate, 0.001), lrDecay,
    beta1: positive('optimizer.beta1', a.beta1, 0.9), beta2: positive('optimizer.beta2', a.beta2, 0.999), eps: positive('optimizer.eps', a.eps, 1e-8),
    epochs: whole('epochs', o.epochs, 1), batchSize: whole('batchSize', o.batchSize, 1),
    servers: o.servers === undefined ? 1 : whole('servers', o.servers, 1),
    consistency, maxDelay,
    features: o.features ?? 'image', label: o.label ?? 'label',
    scale: o.scale ?? 1 / 255, shift: o.shift ?? 0,
    partitions: o.partitions === undefined ? null : whole('partitions', o.partitions, 1),
    executors: o.executors === undefined ? null : whole('executors', o.executors, 1),
    seed: o.seed === undefined ? 1 : whole('seed', o.seed, 0),
    checkpointMs: positive('checkpointMs', o.checkpointMs, 2000),
    progressMs: positive('progressMs', o.progressMs, 5000),
    slowdown,
  };
}

/** The layer shapes of an MLP with these hidden widths. */
export function mlpLayers(features: number, hidden: readonly number[], classes: number): LayerShape[] {
  const sizes = [features, ...hidden, classes];
  return sizes.slice(1).map((out, i) => ({ in: sizes[i], out }));
}
