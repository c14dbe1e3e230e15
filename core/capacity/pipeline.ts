// A continuous arrival rate through the job's stages as a pipeline: each stage an M/G/c queue with its own servers, stages in tandem, checked by simulation.
import type { Device, JobShapeFit } from './fit.ts';
import { gammaQuantile, sumDist, type Dist } from './gamma.ts';
import { stageQueue, type QueueMeasures } from './mgc.ts';
import { simulateTandem, type SimResult } from './simulate.ts';

/** A stage as the pipeline sees it: per customer (a batch of records), its service time in ms. */
export interface PipeStage { name: string; device: Device; service: Dist }

export interface TandemAnalysis {
  /** Customers per ms the stages sustain at most with these servers, and the stage that bounds it. */
  capacity: number;
  bottleneck: number;
  stages: QueueMeasures[];
  /** End-to-end time in ms: the mean, and the p99 of the gamma matched to the sum of the stages' times (taken as independent). */
  latency: { mean: number; p99: number };
}

/**
 * The stages of `shape` with a customer of `batch` input records: stage k serves the rows the
 * batch becomes there (rowsPerRecord · batch) in overhead + ms/row · rows, with the fitted cv.
 * A GPU stage is two queues in tandem: its CPU part on worker threads (the task less the model's
 * time) and its model on the GPUs.
 */
export function pipeStages(shape: JobShapeFit, batch: number): PipeStage[] {
  return shape.stages.flatMap((st): PipeStage[] => {
    const rows = st.rowsPerRecord * batch;
    const task = st.overheadMs + st.msPerRow * rows;
    if (!st.gpu) return [{ name: st.name, device: st.device, service: { mean: task, cv: st.cv } }];
    const model = st.gpu.overheadMs + st.gpu.msPerRow * rows;
    return [
      { name: `${st.name} (CPU part)`, device: 'cpu', service: { mean: Math.max(0, task - model), cv: st.cv } },
      { name: `${st.name} (GPU: model)`, device: 'gpu', service: { mean: model, cv: st.gpu.cv } },
    ];
  });
}

/**
 * Stages in tandem at `rate` customers per ms (Poisson arrivals) with `servers[k]` each: the
 * first stage sees Poisson arrivals, each next one the departures of the one before (Whitt's
 * linking equation for their variability). Throughput is bounded by the stage with the least
 * servers / mean service; latency adds the stages' sojourn times.
 */
export function analyzeTandem(stages: readonly PipeStage[], servers: readonly number[], rate: number): TandemAnalysis {
  let cv2 = 1;
  const measures = stages.map((st, k) => {
    const m = stageQueue(rate, st.service, servers[k], cv2);
    cv2 = m.departureCv2;
    return m;
  });
  let bottleneck = 0, capacity = Number.POSITIVE_INFINITY;
  stages.forEach((st, k) => {
    const cap = st.service.mean > 0 ? servers[k] / st.service.mean : Number.POSITIVE_INFINITY;
    if (cap < capacity) { capacity = cap; bottleneck = k; }
  });
  const total = sumDist(measures.map((m) => m.sojourn));
  return { capacity, bottleneck, stages: measures, latency: { mean: total.mean, p99: measures.every((m) => m.stable) ? gammaQuantile(total, 0.99) : Number.POSITIVE_INFINITY } };
}

/** The same stages and servers simulated (seeded): the check of analyzeTandem. Only for a stable system. */
export function simulatePipeline(stages: readonly PipeStage[], servers: readonly number[], rate: number, o: { customers?: number; seed?: number } = {}): SimResult {
  return simulateTandem(stages.map((st, k) => ({ servers: servers[k], service: st.service })), { rate, customers: o.customers, seed: o.seed });
}

export interface SizingGoal {
  /** Utilization no stage may pass (default 0.8: headroom for bursts and for the model's error). */
  maxUtilization: number;
  /** End-to-end p99 in ms to meet, if any. */
  latencyP99?: number;
}

/**
 * The fewest servers per stage for `rate` customers per ms: each stage first gets enough to stay
 * under maxUtilization; then, while the p99 misses its goal, one more server goes to the stage
 * where it cuts the p99 most. Stops when no server helps (service times alone exceed the goal):
 * `meetsLatency` then says false.
 */
export function sizeTandem(stages: readonly PipeStage[], rate: number, goal: SizingGoal): { servers: number[]; analysis: TandemAnalysis; meetsLatency: boolean } {
  const servers = stages.map((st) => Math.max(1, Math.ceil((rate * st.service.mean) / goal.maxUtilization - 1e-9)));
  let analysis = analyzeTandem(stages, servers, rate);
  const target = goal.latencyP99;
  for (let step = 0; target !== undefined && analysis.latency.p99 > target && step < 10_000; step++) {
    let best = -1, bestP99 = analysis.latency.p99;
    for (let k = 0; k < stages.length; k++) {
      servers[k]++;
      const p = analyzeTandem(stages, servers, rate).latency.p99;
      servers[k]--;
      if (p < bestP99 - 1e-9) { bestP99 = p; best = k; }
    }
    if (best < 0) break;
    servers[best]++;
    analysis = analyzeTandem(stages, servers, rate);
  }
  return { servers, analysis, meetsLatency: target === undefined || analysis.latency.p99 <= target };
}

/**
 * `slots` servers shared out to the stages, at least one each: every next server goes to the
 * stage with the most load per server (the bottleneck), so a larger pool only ever adds servers.
 * Null when there are fewer slots than stages.
 */
export function allocate(stages: readonly PipeStage[], slots: number): number[] | null {
  if (slots < stages.length) return null;
  const out = stages.map(() => 1);
  for (let left = slots - stages.length; left > 0; left--) {
    let k = 0;
    for (let j = 1; j < stages.length; j++) if (stages[j].service.mean / out[j] > stages[k].service.mean / out[k]) k = j;
    out[k]++;
  }
  return out;
}
