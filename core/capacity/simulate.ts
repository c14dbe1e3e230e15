// The discrete-event check of the queueing model: customers through a tandem of FCFS c-server stages on one seeded sample path.
import { mulberry32 } from '../../ops/compute/random.ts';
import { gammaSampler, type Dist } from './gamma.ts';
import { orderOf, serveFcfs } from './fcfs.ts';
import { summarize } from './stats.ts';

export interface SimStage { servers: number; service: Dist }

export interface SimOptions {
  /** Arrivals per unit time, Poisson (exponential gaps) unless `arrivalCv` says otherwise (gamma gaps). */
  rate: number;
  arrivalCv?: number;
  /** Customers simulated (default 100 000); the first `warmup` fraction (default 0.1) is left out of the measures. */
  customers?: number;
  warmup?: number;
  seed?: number;
}

/** One stage on the sample path: busy fraction of its servers, time-average number waiting, mean wait, and the p99 of the time spent in it (wait + service). */
export interface SimStageResult { utilization: number; meanQueue: number; meanWait: number; p99: number }
export interface SimResult {
  /** Customers leaving the last stage per unit time (over the measured window). */
  throughput: number;
  /** Time from arrival to leaving the last stage. */
  latency: { mean: number; p50: number; p99: number };
  stages: SimStageResult[];
}

/**
 * Simulates `stages` in tandem: every customer visits each stage in order, waits for a free server
 * there (FCFS) and is served for a time drawn from the stage's gamma. Measures come from the
 * sample path (time-average queue by Little's law over the measured window), so they are the
 * simulation's own, not the formulas'. Deterministic for a seed; 10^5 customers through a few
 * stages take a few tens of milliseconds.
 */
export function simulateTandem(stages: readonly SimStage[], o: SimOptions): SimResult {
  const n = o.customers ?? 100_000;
  const rng = mulberry32(o.seed ?? 1);
  const gap = gammaSampler({ mean: 1 / o.rate, cv: o.arrivalCv ?? 1 }, rng);
  const arrive = new Float64Array(n);
  for (let i = 0, t = 0; i < n; i++) { t += gap(); arrive[i] = t; }
  const skip = Math.floor(n * (o.warmup ?? 0.1));
  const from = arrive[skip], to = arrive[n - 1];
  // `at[i]`: when customer i reaches the current stage.
  let at = arrive;
  const results: SimStageResult[] = [];
  for (const st of stages) {
    const draw = gammaSampler(st.service, rng);
    const order = orderOf(at);
    const arr = new Float64Array(n), svc = new Float64Array(n);
    for (let j = 0; j < n; j++) { arr[j] = at[order[j]]; svc[j] = draw(); }
    const { start, end } = serveFcfs(arr, svc, st.servers);
    const next = new Float64Array(n);
    const times: number[] = [];
    let busy = 0, waitSum = 0;
    for (let j = 0; j < n; j++) {
      const i = order[j];
      next[i] = end[j];
      if (i < skip) continue;
      const w = start[j] - arr[j];
      times.push(w + svc[j]);
      waitSum += w;
      busy += svc[j];
    }
    const span = to - from;
    results.push({ utilization: busy / (st.servers * span), meanQueue: waitSum / span, meanWait: waitSum / times.length, p99: summarize(times).p99 });
    at = next;
  }
  const lat: number[] = [];
  let lastOut = 0;
  for (let i = skip; i < n; i++) { lat.push(at[i] - arrive[i]); lastOut = Math.max(lastOut, at[i]); }
  const s = summarize(lat);
  return { throughput: (n - skip) / (lastOut - from), latency: { mean: s.mean, p50: s.p50, p99: s.p99 }, stages: results };
}
