import { mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { col, fn, Quiver, type RuntimeEvent } from '../../core/index.ts';
import { runQuiver, runQuiverInProcess } from '../obs/run-quiver.ts';

const LINES = 6000;
let q: Quiver;
let events: string;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'planner-cli-'));
  const log = join(dir, 'access.log');
  writeFileSync(log, Array.from({ length: LINES }, (_, i) => `2026-01-01T00:00:${String(i % 60).padStart(2, '0')} u${i % 17} GET /p/${i % 23}`).join('\n') + '\n');
  events = join(dir, 'events');
  // Small splits: several map tasks of one job, as a real log-analytics run has.
  q = await Quiver.local({ workers: 1, eventLog: events, ui: false, quiet: true, targetSplitBytes: 40_000 });
  const top = () => q.read.text(log).select(col('line').split(' ').at(3).alias('path')).groupBy('path').agg(fn.count().alias('hits')).orderBy(col('hits').desc()).limit(3).collect();
  for (let i = 0; i < 2; i++) await top();
}, 60_000);
afterAll(async () => { await q?.close(); });

describe('quiver plan on a real event log', () => {
  it('tasks report the rows they read: the planner\'s unit', () => {
    const file = join(events, readdirSync(events)[0]);
    const ends = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RuntimeEvent)
      .filter((e): e is Extract<RuntimeEvent, { kind: 'taskEnd' }> => e.kind === 'taskEnd' && e.jobId === 0);
    const read = (stageId: number) => ends.filter((e) => e.stageId === stageId).reduce((n, e) => n + (e.metrics?.inputRows ?? 0), 0);
    expect(ends.filter((e) => e.stageId === 0).length).toBeGreaterThan(2);
    expect(read(0)).toBe(LINES);
    // The reduce stage reads the map side's partial counts: 23 paths per map task.
    expect(read(1)).toBe(ends.filter((e) => e.stageId === 0).reduce((n, e) => n + e.rows, 0));
  });

  it('q.plan fits both runs of the job and sizes it for a target', () => {
    const plan = q.plan({ target: '50k/s', latencyP99: '10s' });
    expect(plan.jobs).toHaveLength(1);
    const [job] = plan.jobs;
    expect(job.fit.runs).toBe(2);
    expect(job.fit.records).toBe(LINES);
    expect(job.fit.stages.map((s) => s.name)).toEqual(['Scan > Projection > HashAggregate', 'ShuffleRead > HashAggregate > Sort', 'ShuffleRead > Sort > Limit']);
    expect(job.sizing!.stages.every((s) => s.servers >= 1 && s.model.utilization <= 0.8)).toBe(true);
    expect(job.sizing!.bottleneck).toBe(job.sizing!.stages.reduce((a, b) => (b.serviceMs / b.servers > a.serviceMs / a.servers ? b : a)).name);
    expect(job.whatIf.batch.recordsPerSecond).toBeGreaterThan(0);
  });

  it('prints the plan per stage, the bottleneck and what the target needs', async () => {
    const r = await runQuiver(['plan', '--events', events, '--target', '50k/s', '--latency-p99', '10s', '--workers', '2']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('job: ShuffleRead > Sort > Limit — 2 runs on 1 executor, 1 worker slot; 6,000 input records per run');
    expect(r.out).toMatch(/sizing for 50,000 records\/s/);
    expect(r.out).toMatch(/bottleneck: \S.*; capacity [\d,]+ records\/s/);
    expect(r.out).toMatch(/needs: \d+ worker threads? \(\d+ executors?\)/);
    expect(r.out).toMatch(/what-if: 1 executor × 2 workers\n {2}batch job of 6,000 records/);
    expect(r.out).toContain('assumptions:');
  }, 30_000);

  it('refuses a unit it does not know, and a log without the stages it needs, saying what is missing', async () => {
    const bad = await runQuiverInProcess(['plan', '--events', events, '--target', '50k/fortnight']);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("quiver: target: cannot read '50k/fortnight' as a rate");
    // The same run's log without its jobPlan events: stages cannot be told apart across runs.
    const noPlan = join(mkdtempSync(join(tmpdir(), 'planner-noplan-')), 'events');
    mkdirSync(noPlan);
    const file = readdirSync(events)[0];
    writeFileSync(join(noPlan, file), readFileSync(join(events, file), 'utf8').split('\n').filter((l) => !l.includes('"kind":"jobPlan"')).join('\n'));
    const missing = await runQuiverInProcess(['plan', '--events', noPlan]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/cannot plan from these event logs: events-.*\.jsonl lacks jobPlan events \(job 0 has none\)/);
  });
});
