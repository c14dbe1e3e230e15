// q.train across executors: checks the data, initializes the MLP, runs the coordinator, evaluates, and saves the model with its card.
import { randomUUID } from 'node:crypto';
import type { MlpWeights } from '../../../gpu-kernels/mlp/contract.ts';
import { mulberry32 } from '../../../ops/compute/random.ts';
import { PlanError } from '../../../ops/errors.ts';
import { mlpAccuracy } from '../../../ops/train/mlp-eval.ts';
import { paramCount, paramLayout, type LayerShape } from '../../../ops/train/mlp-grad.ts';
import type { ClusterRuntime } from '../../cluster/cluster-runtime.ts';
import type { RuntimeEvent } from '../../runtime/events.ts';
import type { ClockRecord, Consistency } from './clock-gate.ts';
import { Coordinator, type CoordinatorResult } from './coordinator.ts';
import { saveTrainedModel } from './model-card.ts';
import { mlpLayers, type TrainConfig, type TrainOptions, type TrainProgress } from './options.ts';
import { progressLine } from './progress.ts';
import { trainEndEvent, trainProgressEvent, trainStartEvent } from './train-events.ts';
import { dataSha256, partitionRows, type TrainRows } from './training-data.ts';

/** What q.train returns: the coordinator's record of the run (its steps, clocks, recoveries and placements), and the trained model with its figures. */
export interface TrainResult extends Pick<CoordinatorResult, 'epochs' | 'steps' | 'droppedSteps' | 'samples' | 'trainSeconds' | 'restores' | 'lostWorkers' | 'reassignedRows' | 'workers' | 'shards' | 'checkpoints' | 'phases'> {
  weights: MlpWeights;
  consistency: Consistency;
  /** Infinity for eventual consistency, 0 for sequential. */
  maxDelay: number;
  /** Accuracy on the test data after the last epoch (null without test data). */
  testAccuracy: number | null;
  perClass: Record<string, number>;
  stepsPerSecond: number;
  samplesPerSecond: number;
  samplesPerSecondPerExecutor: number;
  staleness: { histogram: Record<number, number>; max: number };
  /** Every clock: its worker, logical start and end times, and staleness (to check the bound from). */
  clocks: ClockRecord[];
  dataSha256: string;
  savedTo: string | null;
}

/** He-normal weights for ReLU layers (seeded), biases 0, in mlp-grad's flat layout. */
export function initialParams(layers: readonly LayerShape[], seed: number): Float32Array {
  const rand = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const params = new Float32Array(paramCount(layers));
  const lay = paramLayout(layers);
  layers.forEach((l, i) => { const s = Math.sqrt(2 / l.in); for (let t = 0; t < l.in * l.out; t++) params[lay[i].w + t] = gauss() * s; });
  return params;
}

function toWeights(params: Float32Array, layers: readonly LayerShape[], cfg: TrainConfig): MlpWeights {
  const lay = paramLayout(layers);
  return {
    scale: cfg.scale, shift: cfg.shift,
    layers: layers.map((l, i) => ({
      in: l.in, out: l.out, activation: i < layers.length - 1 ? 'relu' : 'softmax',
      w: params.slice(lay[i].w, lay[i].w + l.in * l.out), b: params.slice(lay[i].b, lay[i].b + l.out),
    })),
  };
}

export async function trainAcrossExecutors(rt: ClusterRuntime, train: TrainRows, test: TrainRows | null, cfg: TrainConfig, o: TrainOptions, quiet: boolean, emit: (e: RuntimeEvent) => void = () => {}): Promise<TrainResult> {
  if (train.rows === 0) throw new PlanError('train: the DataFrame has no rows to train on');
  if (test && test.features !== train.features) throw new PlanError(`train: test rows have ${test.features} features, the training rows ${train.features}`);
  let classes = 2;
  for (let i = 0; i < train.rows; i++) classes = Math.max(classes, train.labels[i] + 1);
  if (o.labels && o.labels.length < classes) throw new PlanError(`train: labels names ${o.labels.length} classes, the data has labels up to ${classes - 1}`);
  classes = Math.max(classes, o.labels?.length ?? 0);
  const layers = mlpLayers(train.features, cfg.hidden, classes);
  const workers = cfg.executors ?? rt.alive().length;
  const parts = partitionRows(train, cfg.partitions ?? Math.max(1, 4 * workers));
  const progress = o.progress === false ? null : typeof o.progress === 'function' ? o.progress : quiet ? null : (p: TrainProgress) => console.log(progressLine(p));
  // Events for the event log and the web UI's training page, whatever the console shows.
  const id = randomUUID();
  const coordinator = new Coordinator({
    rt, cfg, layers, parts, init: initialParams(layers, cfg.seed),
    evaluate: (params) => (test ? mlpAccuracy(layers, params, test.images, test.labels, test.rows, cfg.scale, cfg.shift).correct / Math.max(1, test.rows) : null),
    onProgress: (p) => { emit(trainProgressEvent(id, p)); progress?.(p); },
    log: (line) => { if (!quiet) console.error(`quiver driver: ${line}`); },
  });
  emit(trainStartEvent(id, cfg, workers, train.rows));
  try {
    return await finish(await coordinator.run());
  } catch (error) {
    emit(trainEndEvent(id, { error }));
    throw error;
  }

  /** The trained model: evaluated, saved where asked, and reported. */
  async function finish(r: Awaited<ReturnType<Coordinator['run']>>): Promise<TrainResult> {
    const weights = toWeights(r.params, layers, cfg);
    const names = o.labels ?? Array.from({ length: classes }, (_, i) => String(i));
    let testAccuracy: number | null = null;
    const perClass: Record<string, number> = {};
    if (test) {
      const a = mlpAccuracy(layers, r.params, test.images, test.labels, test.rows, cfg.scale, cfg.shift);
      testAccuracy = a.correct / Math.max(1, test.rows);
      a.perClass.forEach((c, i) => { if (c.rows) perClass[names[i]] = c.correct / c.rows; });
    }
    const sha = dataSha256(train);
    const stepsPerSecond = r.steps / r.trainSeconds, samplesPerSecond = r.samples / r.trainSeconds;
    if (o.saveTo) {
      saveTrainedModel({
        dir: o.saveTo, name: o.name ?? 'ps-mlp', weights, labels: names, inputShape: train.features === 784 ? [28, 28] : [train.features], cfg,
        data: { sha256: sha, trainRows: train.rows, testRows: test?.rows ?? 0 }, testAccuracy, perClass, trainSeconds: r.trainSeconds,
        executors: r.workers.length, stepsPerSecond, maxStaleness: r.gate.maxStaleness,
      });
    }
    emit(trainEndEvent(id, { testAccuracy, steps: r.steps, trainSeconds: r.trainSeconds }));
    return {
      weights, consistency: cfg.consistency, maxDelay: cfg.maxDelay, epochs: r.epochs, testAccuracy, perClass,
      steps: r.steps, droppedSteps: r.droppedSteps, samples: r.samples, trainSeconds: r.trainSeconds,
      stepsPerSecond, samplesPerSecond, samplesPerSecondPerExecutor: samplesPerSecond / r.workers.length,
      staleness: { histogram: Object.fromEntries(r.gate.histogram), max: r.gate.maxStaleness }, clocks: r.gate.records,
      restores: r.restores, lostWorkers: r.lostWorkers, reassignedRows: r.reassignedRows, workers: r.workers, shards: r.shards,
      checkpoints: r.checkpoints, phases: r.phases, dataSha256: sha, savedTo: o.saveTo ?? null,
    };
  }
}
