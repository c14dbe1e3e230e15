import { describe, expect, it } from 'vitest';
import { gammaQuantile, gammaSampler } from '../../core/capacity/gamma.ts';
import { erlangC, stageQueue } from '../../core/capacity/mgc.ts';
import { analyzeTandem, sizeTandem, type PipeStage } from '../../core/capacity/pipeline.ts';
import { simulateTandem } from '../../core/capacity/simulate.ts';
import { summarize } from '../../core/capacity/stats.ts';
import { mulberry32 } from '../../ops/compute/random.ts';

const within = (x: number, want: number, rel: number) => {
  expect(Math.abs(x - want) / want, `${x} vs ${want}`).toBeLessThan(rel);
};

/** Measures averaged over seeds: one sample path of a loaded queue is strongly autocorrelated. */
function overSeeds<T extends Record<string, number>>(f: (seed: number) => T, seeds = 4): T {
  const runs = Array.from({ length: seeds }, (_, i) => f(i + 1));
  return Object.fromEntries(Object.keys(runs[0]).map((k) => [k, runs.reduce((s, r) => s + r[k], 0) / seeds])) as T;
}

describe('closed forms', () => {
  it('M/M/1: Wq = ρ/(μ-λ), Lq = ρ²/(1-ρ), sojourn exponential (p99 = W ln 100)', () => {
    const q = stageQueue(0.7, { mean: 1, cv: 1 }, 1);
    expect(q.meanWait).toBeCloseTo(0.7 / 0.3, 10);
    expect(q.meanQueue).toBeCloseTo(0.49 / 0.3, 10);
    expect(q.sojourn.mean).toBeCloseTo(1 / 0.3, 10);
    expect(q.sojourn.cv).toBeCloseTo(1, 10);
    expect(q.p99).toBeCloseTo(Math.log(100) / 0.3, 6);
  });

  it('M/M/c: Erlang C against its textbook sum', () => {
    const fact = (n: number): number => (n <= 1 ? 1 : n * fact(n - 1));
    for (const [c, a] of [[2, 1.5], [4, 3.2], [10, 7]]) {
      let sum = 0;
      for (let k = 0; k < c; k++) sum += a ** k / fact(k);
      const top = (a ** c / fact(c)) * (c / (c - a));
      expect(erlangC(c, a)).toBeCloseTo(top / (sum + top), 12);
    }
  });

  it('the gamma: exponential quantiles exact, samples with the asked mean and cv', () => {
    expect(gammaQuantile({ mean: 2, cv: 1 }, 0.99)).toBeCloseTo(2 * Math.log(100), 8);
    for (const cv of [0.25, 1, 2]) {
      const draw = gammaSampler({ mean: 3, cv }, mulberry32(9));
      const s = summarize(Array.from({ length: 100_000 }, draw));
      within(s.mean, 3, 0.02);
      within(s.cv, cv, 0.04);
      within(s.p99, gammaQuantile({ mean: 3, cv }, 0.99), 0.05);
    }
  });
});

describe('the simulator against the closed forms', () => {
  it('M/M/1 at ρ = 0.7: mean wait, queue length and utilization within a few %', () => {
    const model = stageQueue(0.7, { mean: 1, cv: 1 }, 1);
    const sim = overSeeds((seed) => {
      const r = simulateTandem([{ servers: 1, service: { mean: 1, cv: 1 } }], { rate: 0.7, seed });
      return { wait: r.stages[0].meanWait, queue: r.stages[0].meanQueue, util: r.stages[0].utilization, p99: r.latency.p99 };
    });
    within(sim.wait, model.meanWait, 0.05);
    within(sim.queue, model.meanQueue, 0.05);
    within(sim.util, 0.7, 0.02);
    within(sim.p99, model.p99, 0.06);
  });

  it('M/M/c (c = 4, ρ = 0.8): Erlang C wait within a few %', () => {
    const model = stageQueue(3.2, { mean: 1, cv: 1 }, 4);
    const sim = overSeeds((seed) => {
      const r = simulateTandem([{ servers: 4, service: { mean: 1, cv: 1 } }], { rate: 3.2, seed });
      return { wait: r.stages[0].meanWait, queue: r.stages[0].meanQueue, throughput: r.throughput };
    });
    within(sim.wait, model.meanWait, 0.05);
    within(sim.queue, model.meanQueue, 0.05);
    within(sim.throughput, 3.2, 0.01);
  });

  it('M/G/1 (gamma service, cv 0.5): Allen–Cunneen is Pollaczek–Khinchine, exact', () => {
    const model = stageQueue(0.8, { mean: 1, cv: 0.5 }, 1);
    expect(model.meanWait).toBeCloseTo((0.8 * (1 + 0.25)) / (2 * 0.2), 10);
    const sim = overSeeds((seed) => ({ wait: simulateTandem([{ servers: 1, service: { mean: 1, cv: 0.5 } }], { rate: 0.8, seed }).stages[0].meanWait }));
    within(sim.wait, model.meanWait, 0.06);
  });
});

describe('stages in tandem', () => {
  const stages: PipeStage[] = [
    { name: 'read', device: 'cpu', service: { mean: 2, cv: 0.5 } },
    { name: 'infer', device: 'gpu', service: { mean: 1, cv: 0.3 } },
    { name: 'write', device: 'cpu', service: { mean: 0.5, cv: 1 } },
  ];

  it('throughput is bounded by the bottleneck stage; an overloaded pipeline delivers that bound', () => {
    const a = analyzeTandem(stages, [3, 1, 1], 0.5);
    expect(a.bottleneck).toBe(1); // infer: 1 server / 1 ms beats read's 3 / 2 ms and write's 1 / 0.5 ms
    expect(a.capacity).toBeCloseTo(1, 10);
    // Asked for 1.3 per ms, the simulation gets out what the bottleneck serves.
    const over = simulateTandem(stages.map((s, k) => ({ servers: [3, 1, 1][k], service: s.service })), { rate: 1.3, customers: 50_000 });
    within(over.throughput, 1, 0.03);
    expect(over.stages[1].utilization).toBeGreaterThan(0.97);
    expect(analyzeTandem(stages, [3, 1, 1], 1.3).latency.p99).toBe(Number.POSITIVE_INFINITY);
  });

  it('the tandem approximation matches the simulated latency within 10 %', () => {
    const servers = [2, 1, 1];
    const a = analyzeTandem(stages, servers, 0.6);
    const sim = overSeeds((seed) => simulateTandem(stages.map((s, k) => ({ servers: servers[k], service: s.service })), { rate: 0.6, seed }).latency);
    within(sim.mean, a.latency.mean, 0.1);
    within(sim.p99, a.latency.p99, 0.1);
  });

  it('sizing: every stage under the utilization cap, and a p99 goal met with the fewest extra servers', () => {
    const s = sizeTandem(stages, 1.5, { maxUtilization: 0.8 });
    expect(s.servers).toEqual([4, 2, 1]);
    expect(s.analysis.stages.every((m) => m.utilization <= 0.8)).toBe(true);
    const tight = sizeTandem(stages, 1.5, { maxUtilization: 0.8, latencyP99: 8 });
    expect(tight.meetsLatency).toBe(true);
    expect(tight.analysis.latency.p99).toBeLessThanOrEqual(8);
    expect(tight.servers.reduce((a, b) => a + b)).toBeGreaterThan(7);
    // Below what service times alone take at p99, no number of servers helps: said, not hidden.
    const impossible = sizeTandem(stages, 1.5, { maxUtilization: 0.8, latencyP99: 1 });
    expect(impossible.meetsLatency).toBe(false);
  });
});
