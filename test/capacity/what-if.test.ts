import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { predictBatch } from '../../core/capacity/batch.ts';
import { fitEventLogs, type JobShapeFit } from '../../core/capacity/fit.ts';
import { allocate, analyzeTandem, pipeStages } from '../../core/capacity/pipeline.ts';
import { planCapacity } from '../../core/capacity/plan.ts';
import { synthEvents, twoStageJob, writeLog } from './synthetic-log.ts';

const dir = writeLog(synthEvents(twoStageJob(), { runs: 3, workers: 1, seed: 4 }));
const template = fitEventLogs([dir])[0];

/** The template job with other per-stage laws. */
function shape(laws: { overheadMs: number; msPerRow: number; cv: number; tasks: number; scales: boolean }[]): JobShapeFit {
  return {
    ...template,
    stages: laws.map((l, i) => ({ ...template.stages[Math.min(i, 1)], index: i, parents: i ? [i - 1] : [], overheadMs: l.overheadMs, msPerRow: l.msPerRow, cv: l.cv, tasks: l.tasks, tasksScaleWithWorkers: l.scales })),
  };
}

const law = fc.record({
  overheadMs: fc.double({ min: 0, max: 50, noNaN: true }),
  msPerRow: fc.double({ min: 1e-5, max: 0.01, noNaN: true }),
  cv: fc.double({ min: 0, max: 1.5, noNaN: true }),
  tasks: fc.integer({ min: 1, max: 64 }),
  scales: fc.boolean(),
});

describe('what-if', () => {
  it('predicts the measured run back on the configuration it was measured on', () => {
    const p = predictBatch(template, { slots: template.slots });
    expect(Math.abs(p.jobMs - template.measured.jobMs.p50) / template.measured.jobMs.p50).toBeLessThan(0.1);
  });

  it('more workers never predict less throughput (batch job, task counts as set)', () => {
    fc.assert(fc.property(fc.array(law, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 24 }), fc.integer({ min: 1, max: 8 }), fc.option(fc.integer({ min: 1, max: 8 })), (laws, slots, more, cores) => {
      const s = shape(laws);
      const a = predictBatch(s, { slots, shufflePartitions: 8, replications: 20, cores: cores ?? undefined });
      const b = predictBatch(s, { slots: slots + more, shufflePartitions: 8, replications: 20, cores: cores ?? undefined });
      expect(b.recordsPerSecond).toBeGreaterThanOrEqual(a.recordsPerSecond * (1 - 1e-12));
    }), { numRuns: 60 });
  });

  it('more workers never predict less throughput with Quiver\'s default shuffle partitions, on the measured job', () => {
    let prev = 0;
    for (const slots of [1, 2, 3, 4, 6, 8, 12, 16]) {
      const r = predictBatch(template, { slots }).recordsPerSecond;
      expect(r).toBeGreaterThanOrEqual(prev);
      prev = r;
    }
  });

  it('slots beyond the cores share them: no faster than as many slots as cores', () => {
    const free = predictBatch(template, { slots: 4, shufflePartitions: 8 }).recordsPerSecond;
    const shared = predictBatch(template, { slots: 4, cores: 2, shufflePartitions: 8 }).recordsPerSecond;
    const two = predictBatch(template, { slots: 2, shufflePartitions: 8 }).recordsPerSecond;
    expect(shared).toBeLessThan(free * 0.7);
    expect(shared).toBeLessThanOrEqual(two * 1.05);
  });

  it('a larger pool never lowers the pipeline\'s capacity nor raises its latency', () => {
    fc.assert(fc.property(fc.array(law, { minLength: 1, maxLength: 4 }), fc.integer({ min: 4, max: 40 }), (laws, slots) => {
      const stages = pipeStages(shape(laws), 1000);
      const a = allocate(stages, slots)!, b = allocate(stages, slots + 1)!;
      expect(b.every((n, k) => n >= a[k])).toBe(true);
      const rate = analyzeTandem(stages, a, 1).capacity * 0.7;
      const x = analyzeTandem(stages, a, rate), y = analyzeTandem(stages, b, rate);
      expect(y.capacity).toBeGreaterThanOrEqual(x.capacity);
      expect(y.latency.mean).toBeLessThanOrEqual(x.latency.mean * (1 + 1e-9));
    }), { numRuns: 100 });
  });

  it('a GPU stage is its CPU part on workers and its model on the GPUs', () => {
    const rows = Array.from({ length: 40 }, (_, i) => 1000 + 100 * (i % 7));
    const gpuLog = writeLog(synthEvents([{ name: 'Scan > Predict > WriteFiles', operators: 'PredictExec: model=m device=gpu\n  ScanExec: idx [x] splits=40', parents: [], rows, overheadMs: 2, msPerRow: 0.05, cv: 0.2, device: 'gpu', modelMsPerRow: 0.02 }], { runs: 2 }));
    const [fit] = fitEventLogs([gpuLog]);
    expect(fit.devices).toEqual(['gpu']);
    expect(fit.stages[0].gpu!.msPerRow).toBeGreaterThan(0.02 * 0.9);
    expect(fit.stages[0].gpu!.msPerRow).toBeLessThan(0.02 * 1.1);
    const stages = pipeStages(fit, 1000);
    expect(stages.map((s) => s.device)).toEqual(['cpu', 'gpu']);
    // 20k records/s = 20 batches of 1000 per second: the model's 20 ms each fill 0.4 GPUs, the CPU part's ~32 ms 0.64 workers.
    const plan = planCapacity({ events: gpuLog, target: '20k/s', batchRecords: 1000, gpus: 1, workers: 2 });
    const sizing = plan.jobs[0].sizing!;
    expect(sizing.totals.gpus).toBe(1);
    expect(sizing.totals.workers).toBe(1);
    const big = planCapacity({ events: gpuLog, target: '100k/s', batchRecords: 1000 }).jobs[0].sizing!;
    expect(big.totals.gpus).toBe(3); // 100 x 20 ms = 2 GPUs busy, under 0.8 each: 3
    expect(() => planCapacity({ events: gpuLog, devices: 'cpu' })).toThrow(/measured: Scan > Predict > WriteFiles on gpu/);
  });

  it('q.plan\'s answer: executors × workers, GPUs, the target and the batch job', () => {
    const plan = planCapacity({ events: dir, target: '2M/s', executors: 3, workers: 4 });
    const [job] = plan.jobs;
    expect(job.whatIf.batch.slots).toBe(12);
    expect(job.whatIf.pipeline!.stages.reduce((n, s) => n + s.servers, 0)).toBe(12);
    expect(job.sizing!.target).toBe(2e6);
    expect(job.sizing!.stages.every((s) => s.model.utilization <= 0.8)).toBe(true);
    // At the 4 workers per executor asked for.
    expect(job.sizing!.totals.executors).toBe(Math.ceil(job.sizing!.totals.workers / 4));
    expect(() => planCapacity({ events: dir, devices: 'gpu' })).toThrow(/no run in the event logs used only the devices gpu; measured: .* on cpu/);
    expect(() => planCapacity({ events: dir, devices: 'tpu' })).toThrow(/unknown device 'tpu'/);
    expect(() => planCapacity({ events: dir, workers: 0 })).toThrow(/workers: expected a whole number of at least 1, got '0'/);
  });
});
