// Event logs of made-up runs with known service-time laws, for the capacity planner's tests.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulberry32 } from '../../ops/compute/random.ts';
import { gammaSampler } from '../../core/capacity/gamma.ts';
import type { RuntimeEvent } from '../../core/index.ts';

/** A stage of a made-up job: tasks of `rows` input rows each (a list: sizes vary) taking overheadMs + msPerRow · rows, times a gamma of mean 1 and this cv. */
export interface SynthStage { name: string; operators: string; parents: number[]; rows: number[]; overheadMs: number; msPerRow: number; cv: number; device?: 'cpu' | 'gpu'; skipped?: boolean;
  /** A GPU stage's model time per row (the predictMs metric), part of the task's time. */
  modelMsPerRow?: number }

/** Events of `runs` runs of one job on one executor with `workers` slots (tasks back to back per slot). */
export function synthEvents(stages: SynthStage[], o: { runs?: number; workers?: number; seed?: number; plan?: boolean; taskEnds?: boolean } = {}): RuntimeEvent[] {
  const rng = mulberry32(o.seed ?? 3);
  const workers = o.workers ?? 1;
  const ev: RuntimeEvent[] = [{ kind: 'executorAdded', ts: 0, executor: 'local', name: 'local', host: 'h', workers, gpu: null, paths: [] }];
  let ts = 1;
  for (let jobId = 0; jobId < (o.runs ?? 1); jobId++) {
    const jobStart = ts;
    ev.push({ kind: 'jobStart', ts, jobId, stages: stages.map((s, id) => ({ id, partitions: s.rows.length, parents: s.parents, output: 'x' })) });
    if (o.plan !== false) ev.push({ kind: 'jobPlan', ts, jobId, logical: '', optimized: '', physical: '', stages: stages.map((s, id) => ({ id, name: s.name, operators: s.operators })) });
    stages.forEach((s, stageId) => {
      if (s.device === 'gpu') ev.push({ kind: 'placement', ts, jobId, stageId, operator: 'predict m', device: 'gpu', reason: 'test' });
    });
    stages.forEach((s, stageId) => {
      if (s.skipped) return; // its output was cached: no stage or task events
      const start = ts;
      ev.push({ kind: 'stageStart', ts, jobId, stageId, tasks: s.rows.length });
      const noise = gammaSampler({ mean: 1, cv: s.cv }, rng);
      const free = new Array<number>(workers).fill(ts);
      s.rows.forEach((rows, partition) => {
        const w = free.indexOf(Math.min(...free));
        const durationMs = (s.overheadMs + s.msPerRow * rows) * noise();
        const metrics: Record<string, number> = { inputRows: rows };
        if (s.modelMsPerRow) metrics.predictMs = Math.min(durationMs, s.modelMsPerRow * rows * noise());
        ev.push({ kind: 'taskStart', ts: free[w], jobId, stageId, partition, attempt: 0, executor: 'local' });
        free[w] += durationMs;
        if (o.taskEnds !== false) ev.push({ kind: 'taskEnd', ts: free[w], jobId, stageId, partition, attempt: 0, executor: 'local', ok: true, durationMs, rows, metrics });
      });
      ts = Math.max(...free) + 1;
      ev.push({ kind: 'stageEnd', ts, jobId, stageId, durationMs: ts - start, rows: 0 });
    });
    ts += 2;
    ev.push({ kind: 'jobEnd', ts, jobId, ok: true, durationMs: ts - jobStart, tasks: 0, failedAttempts: 0 });
  }
  return ev;
}

/** Writes `events` as an event log directory (one session file) and returns the directory. */
export function writeLog(events: RuntimeEvent[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'planner-log-'));
  writeFileSync(join(dir, 'events-test.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  return dir;
}

/** A map stage over files and a reduce stage after a shuffle: the shape of the log-analytics job. */
export function twoStageJob(o: { mapTasks?: number; reduceTasks?: number; rows?: number } = {}): SynthStage[] {
  const mapTasks = o.mapTasks ?? 40, reduceTasks = o.reduceTasks ?? 2, rows = o.rows ?? 10_000;
  // Map tasks of varied sizes (the last split of a file is short), so overhead and per-row time separate.
  const mapRows = Array.from({ length: mapTasks }, (_, i) => Math.round(rows * (0.3 + 0.7 * ((i * 37) % 11) / 10)));
  return [
    { name: 'Scan > Projection > HashAggregate', operators: 'HashAggregateExec: mode=partial\n  ScanExec: text [a.log] splits=40', parents: [], rows: mapRows, overheadMs: 5, msPerRow: 0.002, cv: 0.2 },
    { name: 'ShuffleRead > HashAggregate', operators: 'HashAggregateExec: mode=final\n  ShuffleReadExec: shuffle=0', parents: [0], rows: new Array(reduceTasks).fill(2000), overheadMs: 2, msPerRow: 0.001, cv: 0.1 },
  ];
}
