import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { predictBatch } from '../../core/capacity/batch.ts';
import { fitEventLogs } from '../../core/capacity/fit.ts';
import { stageSignature } from '../../core/capacity/stage-signature.ts';
import { parseDuration, parseRate } from '../../core/capacity/units.ts';
import { DataError, PlanError } from '../../core/index.ts';
import { synthEvents, twoStageJob, writeLog } from './synthetic-log.ts';

describe('fitting stage costs from event logs', () => {
  it('recovers the per-task overhead, the time per row and the cv of a known law', () => {
    const stages = twoStageJob({ mapTasks: 60 });
    const [fit] = fitEventLogs([writeLog(synthEvents(stages, { runs: 5, seed: 11 }))]);
    expect(fit.runs).toBe(5);
    expect(fit.rowsMeasured).toBe(true);
    const map = fit.stages[0];
    expect(map.taskMs.n).toBe(300);
    expect(map.overheadFitted).toBe(true);
    expect(map.overheadMs).toBeGreaterThan(5 * 0.7);
    expect(map.overheadMs).toBeLessThan(5 * 1.3);
    expect(map.msPerRow).toBeGreaterThan(0.002 * 0.93);
    expect(map.msPerRow).toBeLessThan(0.002 * 1.07);
    expect(map.cv).toBeGreaterThan(0.2 * 0.85);
    expect(map.cv).toBeLessThan(0.2 * 1.15);
    // Records per run: the map stage's input rows; the reduce stage reads 2 x 2000 of them.
    expect(fit.records).toBe(stages[0].rows.reduce((a, b) => a + b, 0));
    expect(fit.stages[1].rowsPerRecord).toBeCloseTo(4000 / fit.records, 6);
  });

  it('counts the slots of executors only: a last stage the cluster driver ran itself is stage time, not a slot', () => {
    const stages = twoStageJob();
    const last = stages.length - 1;
    const events = synthEvents(stages, { runs: 2 }).map((e) => ((e.kind === 'taskStart' || e.kind === 'taskEnd') && e.stageId === last ? { ...e, executor: 'driver' } : e));
    const [fit] = fitEventLogs([writeLog(events)]);
    expect(fit.slots).toBe(1);
    expect(fit.executors).toBe(1);
    expect(fit.stages[last].taskMs.n).toBe(2 * stages[last].rows.length);
  });

  it('puts everything per row when all tasks have one size (the overhead cannot be told apart)', () => {
    const s = twoStageJob();
    s[0].rows = new Array(30).fill(5000);
    const [fit] = fitEventLogs([writeLog(synthEvents(s, { runs: 2 }))]);
    expect(fit.stages[0].overheadFitted).toBe(false);
    expect(fit.stages[0].overheadMs).toBe(0);
    expect(fit.stages[0].msPerRow * 5000).toBeCloseTo(fit.stages[0].taskMs.mean, 0);
  });

  it('matches stages across runs by their operators, not their numbers, and keeps other jobs apart', () => {
    const a = twoStageJob();
    const b = twoStageJob();
    b[0].operators = 'FilterExec: x > 1\n  ScanExec: text [b.log] splits=3';
    const dir = writeLog([...synthEvents(a, { runs: 2 })]);
    writeFileSync(join(dir, 'events-other.jsonl'), synthEvents(b, { runs: 1 }).map((e) => JSON.stringify(e)).join('\n') + '\n');
    writeFileSync(join(dir, 'events-third.jsonl'), synthEvents(twoStageJob({ mapTasks: 10 }), { runs: 1, seed: 5 }).map((e) => JSON.stringify(e)).join('\n') + '\n');
    const fits = fitEventLogs([dir]);
    expect(fits.map((f) => f.runs).sort()).toEqual([1, 3]);
    expect(stageSignature('ScanExec: text [a.log] splits=7\n  ShuffleReadExec: shuffle=3')).toBe(stageSignature('ScanExec: text [a.log] splits=40\n  ShuffleReadExec: shuffle=0'));
    expect(stageSignature('PredictExec: model=m input=x device=gpu backend=webgpu (calibrated: 1200 img/s (batch 64)) batchSize=64'))
      .toBe('PredictExec: model=m input=x device=gpu backend=webgpu batchSize=64');
  });

  it('a stage skipped (its input cached) costs nothing, and the job still plans', () => {
    const s = twoStageJob();
    s.unshift({ ...s[0], name: 'Scan > Cache', operators: 'ScanExec: parquet [c.parquet] splits=4', rows: [1, 1, 1, 1], skipped: true });
    s[1].parents = []; s[2].parents = [1];
    const [fit] = fitEventLogs([writeLog(synthEvents(s, { runs: 2 }))]);
    expect(fit.stages[0].taskMs.n).toBe(0);
    expect(fit.stages[0].overheadMs + fit.stages[0].msPerRow + fit.stages[0].gapMs).toBe(0);
    const p = predictBatch(fit, { slots: 2 });
    expect(Number.isFinite(p.jobMs) && p.jobMs > 0).toBe(true);
    expect(p.stages[0].makespanMs).toBe(0);
  });

  it('refuses a log without the stages it needs, naming what is missing', () => {
    expect(() => fitEventLogs([writeLog(synthEvents(twoStageJob(), { plan: false }))])).toThrow(DataError);
    expect(() => fitEventLogs([writeLog(synthEvents(twoStageJob(), { plan: false }))])).toThrow(/lacks jobPlan events \(job 0 has none\).*each stage's operators/);
    expect(() => fitEventLogs([writeLog(synthEvents(twoStageJob(), { taskEnds: false }))])).toThrow(/lacks taskEnd events \(job 0, stage 0, 1\)/);
    const onlyExecutors = writeLog([{ kind: 'executorAdded', ts: 1, executor: 'e', name: 'e', host: 'h', workers: 2, gpu: null, paths: [] }]);
    expect(() => fitEventLogs([onlyExecutors])).toThrow(/events-test\.jsonl has no jobStart events/);
    expect(() => fitEventLogs([mkdtempSync(join(tmpdir(), 'planner-empty-'))])).toThrow(/no event log files/);
    expect(() => fitEventLogs(['/nonexistent/planner-dir'])).toThrow(/does not exist/);
  });
});

describe('units on the command line', () => {
  it('reads rates and durations with their units', () => {
    expect(parseRate('14000/s')).toBe(14000);
    expect(parseRate('14k/s')).toBe(14000);
    expect(parseRate('1.2M/day')).toBeCloseTo(1.2e6 / 86400, 9);
    expect(parseRate('600 images/min')).toBe(10);
    expect(parseDuration('2s')).toBe(2);
    expect(parseDuration('250ms')).toBe(0.25);
    expect(parseDuration('1.5min')).toBe(90);
  });

  it('refuses unknown units, naming the option and the units it knows', () => {
    expect(() => parseRate('14000/fortnight', '--target')).toThrow(PlanError);
    expect(() => parseRate('14000/fortnight', '--target')).toThrow(/--target: cannot read '14000\/fortnight' as a rate.*units: s, min, h, day/);
    expect(() => parseRate('14000', '--target')).toThrow(/as a rate/);
    expect(() => parseRate('0/s', '--target')).toThrow(/above zero/);
    expect(() => parseDuration('2', '--latency-p99')).toThrow(/--latency-p99: cannot read '2' as a duration/);
    expect(() => parseDuration('2 parsecs')).toThrow(/units: ms, s, min, h, day/);
  });
});
