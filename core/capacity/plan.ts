// The capacity planner's answer: fits from event logs, then per job the workers/GPUs a target rate needs, or what a given configuration achieves.
import { PlanError } from '../../ops/errors.ts';
import { predictBatch, type BatchPrediction } from './batch.ts';
import { fitEventLogs, type Device, type JobShapeFit } from './fit.ts';
import type { QueueMeasures } from './mgc.ts';
import { allocate, analyzeTandem, pipeStages, simulatePipeline, sizeTandem, type PipeStage, type TandemAnalysis } from './pipeline.ts';
import type { SimResult } from './simulate.ts';
import { parseCount, parseDuration, parseRate } from './units.ts';

export interface PlanOptions {
  /** Event log directories (or .jsonl files) of real runs: the eventLog option of Quiver.local / Quiver.connect. */
  events: string | readonly string[];
  /** Input records per second to sustain: a number, or text such as "14000/s", "1.2M/day". */
  target?: number | string;
  /** End-to-end p99 to meet at the target: seconds, or text such as "2s", "500ms". */
  latencyP99?: number | string;
  /** Devices the answer may use (default: all measured); runs that used others are left out. */
  devices?: readonly Device[] | string;
  /** What-if: executors, worker threads per executor, GPUs in all (defaults: as in the fitted runs). */
  executors?: number | string;
  workers?: number | string;
  gpus?: number | string;
  /** What-if: CPU cores the worker slots share, all executors together (default: a core per slot); more slots than cores slow each task. */
  cores?: number | string;
  /** What-if: tasks of the shuffle-reading stages (Quiver's shufflePartitions; default 2 per worker slot, as Quiver does). */
  shufflePartitions?: number | string;
  /** Records per pipeline customer (default: the mean input rows of a first-stage task in the runs). */
  batchRecords?: number | string;
  /** Utilization no stage may pass when sizing (default 0.8). */
  maxUtilization?: number;
  /** Simulation: customers (default 100 000) and seed (default 1). */
  customers?: number;
  seed?: number;
}

/** One stage of a pipelined answer: model and simulation side by side. */
export interface StagePlan {
  name: string;
  device: Device;
  /** Servers of this stage: worker threads on 'cpu', GPUs on 'gpu'. */
  servers: number;
  /** Service time of one customer (a batch of `batchRecords` records), ms. */
  serviceMs: number;
  model: { utilization: number; meanQueue: number; p99Ms: number };
  simulated: { utilization: number; meanQueue: number; p99Ms: number } | null;
}

export interface PipelinePlan {
  /** Input records per second asked for, and per customer. */
  target: number;
  batchRecords: number;
  stages: StagePlan[];
  bottleneck: string;
  /** Records per second these servers sustain at most (the bottleneck's bound). */
  capacity: number;
  latencyMs: { model: { mean: number; p99: number }; simulated: { mean: number; p99: number } | null };
  /** Records per second out of the simulation (equals the target when stable). */
  simulatedThroughput: number | null;
  /** Totals: worker threads, executors (at the workers per executor of the runs, or --workers), GPUs. */
  totals: { workers: number; executors: number; gpus: number };
  meetsLatency: boolean;
}

export interface WhatIf {
  executors: number;
  workersPerExecutor: number;
  gpus: number;
  /** CPU cores the slots share (null: a core per slot). */
  cores: number | null;
  /** The batch job as Quiver runs it (stages behind barriers) on executors × workers slots, for the fitted input size. */
  batch: BatchPrediction;
  /** The same job as a pipeline at the target rate, the slots shared out to the stages by load; null without a target or with fewer slots than stages. */
  pipeline: PipelinePlan | null;
  pipelineNote: string | null;
}

export interface JobPlan {
  fit: JobShapeFit;
  /** Servers per stage for the target (null without a target). */
  sizing: PipelinePlan | null;
  whatIf: WhatIf;
}

export interface CapacityPlan { jobs: JobPlan[]; skipped: string[]; assumptions: string[] }

export const ASSUMPTIONS = [
  'Service times: per stage, task time = fixed overhead + ms per input row (least squares over the measured tasks), its spread a gamma distribution fitted by moments (mean, cv).',
  'Batch jobs (what Quiver runs): stages one after another behind barriers, each stage\'s tasks list-scheduled on the worker slots (simulated, averaged over 200 sample paths), plus each stage\'s and the job\'s measured scheduling gaps.',
  'Continuous arrivals (a stream): each stage an M/G/c queue with its own servers fed by the one before (Allen–Cunneen wait, Whitt\'s departure variability); latency is the sum of the stages\' sojourn times, its p99 from a gamma matched to their mean and variance; checked by a seeded simulation of the same stages.',
  'Fails when: tasks slow each other down beyond sharing cores evenly (--cores: memory bandwidth, the network, the driver and NATS on the same cores), arrivals are burstier than Poisson, a stage runs on a device other than the one measured, or input rows per task vary far beyond the measured range.',
];

/** Reads the options, fits the logs, and answers for every job shape found. */
export function planCapacity(o: PlanOptions): CapacityPlan {
  if (!o || o.events === undefined || (Array.isArray(o.events) && o.events.length === 0)) throw new PlanError('plan: give events, the event log directory of a real run (the eventLog option), e.g. { events: "out/events" }');
  return planFits(fitEventLogs(typeof o.events === 'string' ? [o.events] : o.events), o);
}

/** planCapacity over fits already made (the web UI fits its application's state). */
export function planFits(fits: readonly JobShapeFit[], o: Omit<PlanOptions, 'events'>): CapacityPlan {
  const target = o.target === undefined ? undefined : typeof o.target === 'number' ? positive(o.target, 'target') : parseRate(o.target, 'target');
  const p99 = o.latencyP99 === undefined ? undefined : (typeof o.latencyP99 === 'number' ? positive(o.latencyP99, 'latencyP99') : parseDuration(o.latencyP99, 'latencyP99')) * 1000;
  const devices = parseDevices(o.devices);
  const maxUtil = o.maxUtilization ?? 0.8;
  if (!(maxUtil > 0 && maxUtil < 1)) throw new PlanError(`plan: maxUtilization must be above 0 and below 1, got ${o.maxUtilization}`);
  const skipped: string[] = [];
  const kept = fits.filter((f) => {
    const ok = !devices || f.devices.every((d) => devices.includes(d));
    if (!ok) skipped.push(`${f.name}: ran on ${f.devices.join(', ')}, not within --devices ${devices!.join(',')}`);
    return ok;
  });
  if (kept.length === 0) throw new PlanError(`plan: no run in the event logs used only the devices ${devices!.join(', ')}; measured: ${fits.map((f) => `${f.name} on ${f.devices.join('+')}`).join('; ')}. Record a run on those devices or widen --devices`);
  return { jobs: kept.map((f) => planJob(f, o, target, p99, maxUtil)), skipped, assumptions: ASSUMPTIONS };
}

function planJob(fit: JobShapeFit, o: Omit<PlanOptions, 'events'>, target: number | undefined, p99: number | undefined, maxUtil: number): JobPlan {
  const executors = o.executors === undefined ? fit.executors : parseCount(o.executors, 'executors');
  const perExecutor = o.workers === undefined ? Math.max(1, Math.round(fit.slots / fit.executors)) : parseCount(o.workers, 'workers');
  const gpus = o.gpus === undefined ? (fit.devices.includes('gpu') ? 1 : 0) : parseCount(o.gpus, 'gpus', 0);
  const leaves = fit.stages.filter((s) => s.parents.length === 0);
  const batch = o.batchRecords === undefined ? Math.max(1, Math.round(leaves.reduce((n, s) => n + s.rowsPerTask.mean, 0) / leaves.length)) : parseCount(o.batchRecords, 'batchRecords');
  const stages = pipeStages(fit, batch);
  const sim = { customers: o.customers, seed: o.seed };
  const slots = executors * perExecutor;
  const cores = o.cores === undefined ? null : parseCount(o.cores, 'cores');
  const shufflePartitions = o.shufflePartitions === undefined ? undefined : parseCount(o.shufflePartitions, 'shufflePartitions');
  let sizing: PipelinePlan | null = null, pipeline: PipelinePlan | null = null, pipelineNote: string | null = null;
  if (target !== undefined) {
    const rate = target / 1000 / batch; // customers (batches of records) per ms
    const s = sizeTandem(stages, rate, { maxUtilization: maxUtil, latencyP99: p99 });
    sizing = pipelinePlan(stages, s.servers, s.analysis, target, batch, perExecutor, s.meetsLatency, sim);
    const servers = shareOut(stages, slots, gpus);
    if (typeof servers === 'string') pipelineNote = servers;
    else {
      const a = analyzeTandem(stages, servers, rate);
      pipeline = pipelinePlan(stages, servers, a, target, batch, perExecutor, p99 === undefined || a.latency.p99 <= p99, sim);
    }
  }
  const batchJob = predictBatch(fit, { slots, seed: o.seed, cores: cores ?? undefined, shufflePartitions });
  return { fit, sizing, whatIf: { executors, workersPerExecutor: perExecutor, gpus, cores, batch: batchJob, pipeline, pipelineNote } };
}

/** CPU slots to the CPU stages and GPUs to the GPU stages (each next one to the most loaded per server); a reason instead when that cannot be done. */
function shareOut(stages: PipeStage[], slots: number, gpus: number): number[] | string {
  const out = new Array<number>(stages.length).fill(0);
  for (const [device, n] of [['cpu', slots], ['gpu', gpus]] as const) {
    const idx = stages.map((s, k) => (s.device === device ? k : -1)).filter((k) => k >= 0);
    if (idx.length === 0) continue;
    const a = allocate(idx.map((k) => stages[k]), n);
    if (!a) return `a pipeline needs at least one ${device === 'cpu' ? 'worker' : 'GPU'} per ${device} stage (${idx.length}), got ${n}: as a batch job the stages share them instead`;
    idx.forEach((k, i) => { out[k] = a[i]; });
  }
  return out;
}

function pipelinePlan(stages: PipeStage[], servers: number[], a: TandemAnalysis, target: number, batch: number, perExecutor: number, meetsLatency: boolean, sim: { customers?: number; seed?: number }): PipelinePlan {
  const rate = target / 1000 / batch;
  const stable = a.stages.every((m) => m.stable);
  const s: SimResult | null = stable ? simulatePipeline(stages, servers, rate, sim) : null;
  const workers = servers.reduce((n, c, k) => n + (stages[k].device === 'cpu' ? c : 0), 0);
  const gpus = servers.reduce((n, c, k) => n + (stages[k].device === 'gpu' ? c : 0), 0);
  return {
    target, batchRecords: batch,
    stages: stages.map((st, k) => ({
      name: st.name, device: st.device, servers: servers[k], serviceMs: st.service.mean,
      model: view(a.stages[k]),
      simulated: s ? { utilization: s.stages[k].utilization, meanQueue: s.stages[k].meanQueue, p99Ms: s.stages[k].p99 } : null,
    })),
    bottleneck: stages[a.bottleneck].name,
    capacity: a.capacity * 1000 * batch,
    latencyMs: { model: a.latency, simulated: s ? { mean: s.latency.mean, p99: s.latency.p99 } : null },
    simulatedThroughput: s ? s.throughput * 1000 * batch : null,
    totals: { workers, executors: Math.ceil(workers / perExecutor), gpus },
    meetsLatency,
  };
}

const view = (m: QueueMeasures) => ({ utilization: m.utilization, meanQueue: m.meanQueue, p99Ms: m.p99 });

function positive(n: number, what: string): number {
  if (!(Number.isFinite(n) && n > 0)) throw new PlanError(`plan: ${what} must be a number above zero, got ${n}`);
  return n;
}

function parseDevices(d: PlanOptions['devices']): Device[] | null {
  if (d === undefined) return null;
  const list = typeof d === 'string' ? d.split(',').map((x) => x.trim()).filter(Boolean) : [...d];
  const bad = list.filter((x) => x !== 'cpu' && x !== 'gpu');
  if (bad.length || list.length === 0) throw new PlanError(`devices: unknown device${bad.length === 1 ? '' : 's'} '${bad.join(', ')}'; give a comma-separated list of cpu, gpu`);
  return list as Device[];
}
