import { mkdtempSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { col, fn, Quiver } from '../../core/index.ts';
import { attachObservability, type Observability } from '../../core/obs/attach.ts';
import { eventLogFiles, readEventLog } from '../../core/obs/event-log.ts';
import { applyEvent, emptyState, replay } from '../../core/obs/state.ts';
import type { RuntimeEvent } from '../../core/runtime/events.ts';

const udf = resolve(import.meta.dirname, '../fixtures/obs/udf.ts');

describe('event log replay', () => {
  let q: Quiver;
  let obs: Observability;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'quiver-replay-'));
    q = await Quiver.local({ workers: 2, shufflePartitions: 3, maxTaskAttempts: 2, singleTaskSortBytes: 0 });
    obs = await attachObservability(q.session, { eventLog: join(dir, 'log') });
  });
  afterAll(async () => {
    await obs.close();
    await q.close();
  });

  it('rebuilds exactly the live state from the log of real jobs (ok, retried, failed)', async () => {
    const rows = Array.from({ length: 200 }, (_, i) => ({ k: i % 7, x: i }));
    const df = q.createDataFrame(rows, { partitions: 4 });
    // A four-stage job (the distributed sort, singleTaskSortBytes 0): partial aggregate; final aggregate with a key sample; again with the range shuffle; sort.
    const sums = await df.groupBy('k').agg(fn.sum(col('x')).alias('s')).orderBy(col('s').desc()).toArray();
    expect(sums).toHaveLength(7);
    // A task that fails once and is retried.
    const marker = join(dir, 'failed-once');
    expect(await df.mapBatches({ module: udf, export: 'failOnce' }, { options: { flaky: 5, marker } }).count()).toBe(200);
    // A job that fails.
    await expect(df.mapBatches({ module: udf, export: 'failOn' }, { options: { bad: 7 } }).collect()).rejects.toThrow(/poisoned/);
    // Deferred events (the local executor's memory samples) land on the next turns.
    await new Promise((r) => setTimeout(r, 50));

    const live = obs.state;
    const replayed = replay(readEventLog(obs.eventLogFile!));
    expect(replayed).toEqual(live);

    // And the state says what happened.
    expect(live.jobs.map((j) => j.status)).toEqual(['succeeded', 'succeeded', 'failed']);
    const [agg, retried, failed] = live.jobs;
    // The two middle stages read 3 small shuffle partitions each, coalesced into one task; the result stage keeps its 3.
    expect(agg.stages.map((s) => [s.status, s.partitions, s.done, s.coalescedFrom])).toEqual([['succeeded', 4, 4, null], ['succeeded', 1, 1, 3], ['succeeded', 1, 1, 3], ['succeeded', 3, 3, null]]);
    expect(agg.stages[1].parents).toEqual([0]);
    expect(agg.stages[2].parents).toEqual([0, 1]);
    expect(agg.stages[3].rows).toBe(7);
    expect(agg.stages.every((s) => s.running === 0 && s.attempts.every((a) => a.status === 'succeeded' && a.executor === 'local'))).toBe(true);
    expect(retried.stages[0].failedAttempts).toBe(1);
    expect(retried.stages[0].attempts.filter((a) => a.status === 'failed').map((a) => a.error)).toEqual(['transient failure']);
    expect(retried.stages[0].done).toBe(4);
    expect(failed.error).toMatch(/poisoned/);
    expect(failed.stages[0].status).toBe('failed');
    const local = live.executors.find((x) => x.id === 'local')!;
    expect(local.workers).toBe(2);
    expect(local.running).toBe(0);
    expect(local.rssBytes).toBeGreaterThan(0);
    expect(local.failed).toBe(1 + 2);
  });

  it('reads a directory of logs, skips a last line cut short, and names the line of a bad one', () => {
    const d = mkdtempSync(join(tmpdir(), 'quiver-replay-bad-'));
    const ev: RuntimeEvent = { kind: 'jobStart', ts: 1, jobId: 0, stages: [{ id: 0, partitions: 1, parents: [], output: 'result' }] };
    writeFileSync(join(d, 'b.jsonl'), JSON.stringify(ev) + '\n{"kind":"jobEnd","ts":2,"jo');
    writeFileSync(join(d, 'a.jsonl'), JSON.stringify(ev) + '\nnot json\n' + JSON.stringify(ev) + '\n');
    writeFileSync(join(d, 'notes.txt'), 'ignored');
    expect(eventLogFiles(d).map((f) => f.slice(d.length + 1))).toEqual(['a.jsonl', 'b.jsonl']);
    expect(readEventLog(join(d, 'b.jsonl'))).toEqual([ev]);
    expect(() => readEventLog(join(d, 'a.jsonl'))).toThrow(/a\.jsonl, line 2: not JSON/);
    appendFileSync(join(d, 'c.jsonl'), '{"ts":1}\n');
    expect(() => readEventLog(join(d, 'c.jsonl'))).toThrow(/line 1: not an event/);
    expect(() => eventLogFiles(join(d, 'missing'))).toThrow(/does not exist/);
  });

  it('shows an adaptive join: the join stage with the probe stage\'s tasks, the skipped probe stage, a filtered probe stage', () => {
    const s = replay([
      { kind: 'jobStart', ts: 1, jobId: 0, stages: [{ id: 0, partitions: 3, parents: [], output: 'shuffle 0 into 4' }, { id: 1, partitions: 2, parents: [], output: 'shuffle 1 into 4' }, { id: 2, partitions: 4, parents: [0, 1], output: 'result' }] },
      { kind: 'stageStart', ts: 2, jobId: 0, stageId: 1, tasks: 2 },
      { kind: 'stageEnd', ts: 3, jobId: 0, stageId: 1, durationMs: 1, rows: 10 },
      { kind: 'stageStart', ts: 4, jobId: 0, stageId: 2, tasks: 3, broadcastJoin: { probeStage: 0, buildBytes: 640 } },
      { kind: 'stageEnd', ts: 5, jobId: 0, stageId: 2, durationMs: 1, rows: 7 },
      { kind: 'jobEnd', ts: 6, jobId: 0, ok: true, durationMs: 5, tasks: 5, failedAttempts: 0 },
      { kind: 'jobStart', ts: 7, jobId: 1, stages: [{ id: 0, partitions: 3, parents: [1], output: 'shuffle 0 into 4' }, { id: 1, partitions: 2, parents: [], output: 'shuffle 1 into 4' }] },
      { kind: 'stageStart', ts: 8, jobId: 1, stageId: 0, tasks: 3, keyFilter: { buildStage: 1, buildRows: 5000 } },
    ]);
    const [a, b] = s.jobs;
    expect(a.stages.map((st) => [st.status, st.partitions, st.broadcastJoin])).toEqual([['skipped', 3, null], ['succeeded', 2, null], ['succeeded', 3, { probeStage: 0, buildBytes: 640 }]]);
    expect(b.stages[0]).toMatchObject({ status: 'running', partitions: 3, keyFilter: { buildStage: 1, buildRows: 5000 }, broadcastJoin: null });
  });

  it('shows a sort found small at run time: its range stage in one partition, the skipped sample stage', () => {
    const s = replay([
      { kind: 'jobStart', ts: 1, jobId: 0, stages: [{ id: 0, partitions: 3, parents: [], output: 'shuffle 0 into 4' }, { id: 1, partitions: 4, parents: [0], output: 'broadcast 0' },
        { id: 2, partitions: 4, parents: [0, 1], output: 'range shuffle 1 into 4' }, { id: 3, partitions: 4, parents: [2], output: 'result' }] },
      { kind: 'stageStart', ts: 2, jobId: 0, stageId: 0, tasks: 3 },
      { kind: 'stageEnd', ts: 3, jobId: 0, stageId: 0, durationMs: 1, rows: 10 },
      { kind: 'stageStart', ts: 4, jobId: 0, stageId: 2, tasks: 4, sortInOneTask: { sampleStage: 1, inputBytes: 2048 } },
      { kind: 'stageEnd', ts: 5, jobId: 0, stageId: 2, durationMs: 1, rows: 10 },
      { kind: 'stageStart', ts: 6, jobId: 0, stageId: 3, tasks: 4 },
      { kind: 'stageEnd', ts: 7, jobId: 0, stageId: 3, durationMs: 1, rows: 10 },
      { kind: 'jobEnd', ts: 8, jobId: 0, ok: true, durationMs: 7, tasks: 11, failedAttempts: 0 },
    ]);
    expect(s.jobs[0].stages.map((st) => [st.status, st.sortInOneTask])).toEqual([['succeeded', null], ['skipped', null], ['succeeded', { sampleStage: 1, inputBytes: 2048 }], ['succeeded', null]]);
  });

  it('keeps going over events of jobs it never saw start (a log cut mid-job) and unknown kinds', () => {
    const s = emptyState();
    applyEvent(s, { kind: 'taskEnd', ts: 5, jobId: 9, stageId: 0, partition: 0, attempt: 0, executor: 'e1', ok: true, durationMs: 3, rows: 1 });
    applyEvent(s, { kind: 'someday', ts: 6 } as unknown as RuntimeEvent);
    expect(s.jobs).toEqual([]);
    expect(s.events).toBe(2);
  });
});
