import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { Quiver, fn } from '../../core/index.ts';
import { until } from '../cluster/cluster-helpers.ts';
import { resolve } from 'node:path';
import { renderMetrics } from '../../core/obs/metrics.ts';
import { replay } from '../../core/obs/state.ts';
import type { RuntimeEvent } from '../../core/runtime/events.ts';

/**
 * What `promtool check metrics` says about an exposition: '' when it passes. Lint findings
 * (names, units, counters without _total) count as failures, as errors do. promtool is Debian's
 * prometheus package (scripts/setup.sh installs it); without it this fails, it does not skip.
 */
function promtool(text: string): string {
  const r = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (r.error) throw r.error;
  return `${r.stdout}${r.stderr}`.trim() + (r.status === 0 ? '' : ` (exit ${r.status})`);
}

const FMNIST = process.env.FMNIST_DIR ?? '/usr/share/datasets/fashion-mnist';

/** A job of two stages on two executors: stage 0 ran on the GPU, one attempt failed, stage 1 is still running. */
const EVENTS: RuntimeEvent[] = [
  { kind: 'executorAdded', ts: 1, executor: 'e1', name: 'e1', host: 'h1', workers: 2, gpu: 'NVIDIA H100', paths: [] },
  { kind: 'executorAdded', ts: 1, executor: 'e2', name: 'e2', host: 'h2', workers: 1, gpu: null, paths: [] },
  { kind: 'jobStart', ts: 2, jobId: 0, stages: [{ id: 0, partitions: 2, parents: [], output: 'shuffle 0 into 3' }, { id: 1, partitions: 3, parents: [0], output: 'result' }] },
  { kind: 'placement', ts: 2, jobId: 0, stageId: 0, operator: 'predict m', device: 'gpu', reason: 'asked for gpu' },
  { kind: 'stageStart', ts: 3, jobId: 0, stageId: 0, tasks: 2 },
  { kind: 'taskStart', ts: 3, jobId: 0, stageId: 0, partition: 0, attempt: 0, executor: 'e1' },
  { kind: 'taskStart', ts: 3, jobId: 0, stageId: 0, partition: 1, attempt: 0, executor: 'e2' },
  { kind: 'taskEnd', ts: 10, jobId: 0, stageId: 0, partition: 0, attempt: 0, executor: 'e1', ok: true, durationMs: 7, rows: 100, bytes: 4000, metrics: { predictMs: 5 } },
  { kind: 'taskEnd', ts: 11, jobId: 0, stageId: 0, partition: 1, attempt: 0, executor: 'e2', ok: false, error: 'boom', durationMs: 2000, rows: 0 },
  { kind: 'taskStart', ts: 12, jobId: 0, stageId: 0, partition: 1, attempt: 1, executor: 'e1' },
  { kind: 'taskEnd', ts: 20, jobId: 0, stageId: 0, partition: 1, attempt: 1, executor: 'e1', ok: true, durationMs: 8, rows: 50, bytes: 2000, metrics: { predictMs: 6 } },
  { kind: 'stageEnd', ts: 20, jobId: 0, stageId: 0, durationMs: 17, rows: 150 },
  { kind: 'stageStart', ts: 21, jobId: 0, stageId: 1, tasks: 3 },
  { kind: 'taskStart', ts: 21, jobId: 0, stageId: 1, partition: 0, attempt: 0, executor: 'e1' },
  { kind: 'executorMetrics', ts: 22, executor: 'e1', rssBytes: 123456789 },
];

/** A streaming query run twice from its checkpoint (the first run stopped after two batches, the second running), and another that failed. */
const STREAM_EVENTS: RuntimeEvent[] = [
  { kind: 'streamStart', ts: 1, id: 'q1', runId: 'r1', name: 'counts', sink: 'MemorySink[counts]', sources: ['rate 100 rows/s'], trigger: 'processingTime 0 ms' },
  { kind: 'streamProgress', ts: 2, id: 'q1', runId: 'r1', batchId: 0, numInputRows: 100, inputRowsPerSecond: null, processedRowsPerSecond: 500, durationMs: 200, watermarkMs: null, stateRows: 3, lateRowsDropped: 0, outputRows: 3 },
  { kind: 'streamProgress', ts: 3, id: 'q1', runId: 'r1', batchId: 1, numInputRows: 50, inputRowsPerSecond: 50, processedRowsPerSecond: 250, durationMs: 200, watermarkMs: 1_700_000_000_000, stateRows: 4, lateRowsDropped: 1, outputRows: 2 },
  { kind: 'streamEnd', ts: 4, id: 'q1', runId: 'r1', ok: true },
  { kind: 'streamStart', ts: 5, id: 'q1', runId: 'r2', name: 'counts', sink: 'MemorySink[counts]', sources: ['rate 100 rows/s'], trigger: 'processingTime 0 ms' },
  { kind: 'streamProgress', ts: 6, id: 'q1', runId: 'r2', batchId: 2, numInputRows: 25, inputRowsPerSecond: null, processedRowsPerSecond: 100, durationMs: 250, watermarkMs: 1_700_000_001_500, stateRows: 5, lateRowsDropped: 2, outputRows: 1 },
  { kind: 'streamStart', ts: 7, id: 'q2', runId: 'r3', name: null, sink: 'KvSink[b by k]', sources: ['jetstream TAGS durable=d'], trigger: 'availableNow' },
  { kind: 'streamEnd', ts: 8, id: 'q2', runId: 'r3', ok: false, error: 'sink down' },
];

describe('/metrics', () => {
  it('renders latency histograms, rows, bytes, errors, queue depth, busy slots and GPU time per stage and executor', () => {
    const text = renderMetrics([{ id: 'a', state: replay(EVENTS) }]);
    const lines = text.trim().split('\n');
    const has = (l: string) => expect(lines).toContain(l);
    has('# TYPE quiver_task_duration_seconds histogram');
    has('quiver_task_duration_seconds_bucket{job_id="0",stage="0",executor="e1",le="0.005"} 0');
    has('quiver_task_duration_seconds_bucket{job_id="0",stage="0",executor="e1",le="0.01"} 2');
    has('quiver_task_duration_seconds_bucket{job_id="0",stage="0",executor="e1",le="+Inf"} 2');
    has('quiver_task_duration_seconds_sum{job_id="0",stage="0",executor="e1"} 0.015');
    has('quiver_task_duration_seconds_count{job_id="0",stage="0",executor="e1"} 2');
    has('quiver_task_duration_seconds_bucket{job_id="0",stage="0",executor="e2",le="1"} 0');
    has('quiver_task_duration_seconds_bucket{job_id="0",stage="0",executor="e2",le="2.5"} 1');
    has('quiver_task_attempts_total{job_id="0",stage="0",executor="e2",outcome="failed"} 1');
    has('quiver_task_attempts_total{job_id="0",stage="0",executor="e1",outcome="succeeded"} 2');
    has('quiver_task_rows_total{job_id="0",stage="0",executor="e1"} 150');
    has('quiver_task_bytes_total{job_id="0",stage="0",executor="e1"} 6000');
    has('quiver_gpu_seconds_total{job_id="0",stage="0",executor="e1"} 0.011');
    has('quiver_predict_seconds_total{job_id="0",stage="0",executor="e1",device="gpu"} 0.011');
    has('quiver_tasks_queued{job_id="0",stage="1"} 2');
    has('quiver_jobs_running 1');
    has('quiver_stages_running 1');
    has('quiver_jobs_total{status="succeeded"} 0');
    has('quiver_executor_busy_slots{executor="e1"} 1');
    has('quiver_executor_busy_slots{executor="e2"} 0');
    has('quiver_executor_slots{executor="e1"} 2');
    has('quiver_executor_memory_rss_bytes{executor="e1"} 123456789');
    // Every sample line is `name{labels} value`, and each family is declared once.
    for (const l of lines.filter((x) => !x.startsWith('#'))) expect(l).toMatch(/^[a-z_]+(\{([a-z_]+="[^"]*",?)+\})? [-+0-9.eInfNa]+$/);
    const types = lines.filter((l) => l.startsWith('# TYPE')).map((l) => l.split(' ')[2]);
    expect(new Set(types).size).toBe(types.length);
  });

  it('counts a GPU-placed predict attempt that fell back to the CPU as a fallback and as CPU time, not GPU time', () => {
    const text = renderMetrics([{ id: 'a', state: replay([
      { kind: 'jobStart', ts: 1, jobId: 0, stages: [{ id: 0, partitions: 1, parents: [], output: 'result' }] },
      { kind: 'placement', ts: 1, jobId: 0, stageId: 0, operator: 'predict m', device: 'gpu', reason: 'asked for gpu' },
      { kind: 'stageStart', ts: 1, jobId: 0, stageId: 0, tasks: 1 },
      { kind: 'taskStart', ts: 2, jobId: 0, stageId: 0, partition: 0, attempt: 0, executor: 'local' },
      { kind: 'taskEnd', ts: 3, jobId: 0, stageId: 0, partition: 0, attempt: 0, executor: 'local', ok: false, error: 'predict on the GPU failed', durationMs: 1, rows: 0, metrics: {} },
      { kind: 'taskStart', ts: 4, jobId: 0, stageId: 0, partition: 0, attempt: 1, executor: 'local' },
      { kind: 'taskEnd', ts: 9, jobId: 0, stageId: 0, partition: 0, attempt: 1, executor: 'local', ok: true, durationMs: 5, rows: 10, metrics: { predictMs: 4, predictGpuFallbacks: 1 } },
    ]) }]);
    expect(text).toContain('quiver_predict_gpu_fallbacks_total{job_id="0",stage="0",executor="local"} 1\n');
    expect(text).toContain('quiver_predict_seconds_total{job_id="0",stage="0",executor="local",device="cpu"} 0.004\n');
    expect(text).not.toMatch(/^quiver_gpu_seconds_total\{/m);
    expect(text).not.toContain('device="gpu"');
  });

  it('renders streaming queries per query id: counters over their runs, gauges of the latest batch', () => {
    const text = renderMetrics([{ id: 'a', state: replay(STREAM_EVENTS) }]);
    const lines = text.trim().split('\n');
    const has = (l: string) => expect(lines).toContain(l);
    has('quiver_stream_queries_active 1');
    has('quiver_stream_up{query_id="q1",query_name="counts"} 1');
    has('quiver_stream_batches_total{query_id="q1",query_name="counts"} 3');
    has('quiver_stream_input_rows_total{query_id="q1",query_name="counts"} 175');
    has('quiver_stream_output_rows_total{query_id="q1",query_name="counts"} 6');
    has('quiver_stream_late_rows_dropped_total{query_id="q1",query_name="counts"} 3');
    has('quiver_stream_late_rows_dropped_total{query_id="q2",query_name=""} 0');
    has('quiver_stream_processed_rows_per_second{query_id="q1",query_name="counts"} 100');
    has('quiver_stream_batch_duration_seconds{query_id="q1",query_name="counts"} 0.25');
    has('quiver_stream_watermark_seconds{query_id="q1",query_name="counts"} 1700000001.5');
    has('quiver_stream_state_rows{query_id="q1",query_name="counts"} 5');
    has('quiver_stream_up{query_id="q2",query_name=""} 0');
    has('quiver_stream_batches_total{query_id="q2",query_name=""} 0');
    // The latest batch's input rate is unknown (a run's first batch): no sample rather than a made-up one.
    expect(text).not.toMatch(/^quiver_stream_input_rows_per_second\{/m);
    expect(text).not.toMatch(/^quiver_stream_state_rows\{query_id="q2"/m);
    expect(promtool(text)).toBe('');
  });

  it('labels each log with app in a history server, and escapes label values', () => {
    const state = replay([{ kind: 'executorAdded', ts: 1, executor: 'odd "name"\\x', name: 'n', host: 'h', workers: 1, gpu: null, paths: [] }]);
    const text = renderMetrics([{ id: 'log1', state }, { id: 'log2', state }], { appLabel: true });
    expect(text).toContain('quiver_executor_up{app="log1",executor="odd \\"name\\"\\\\x"} 1');
    expect(text).toContain('quiver_jobs_running{app="log2"} 0');
  });

  it('is served by the driver at /metrics, with GPU time from the tasks of a GPU-placed predict', async () => {
    const q = await Quiver.local({ workers: 1, ui: 0, quiet: true });
    try {
      await q.createDataFrame([{ x: 1 }, { x: 2 }]).count();
      const model = q.model(resolve(import.meta.dirname, '../../models/fmnist-mlp'));
      await q.read.idx(`${FMNIST}/t10k-images-idx3-ubyte.gz`).predict(model, { device: 'gpu' }).select('label').count();
      const r = await fetch(`${q.uiUrl}/metrics`);
      expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await r.text();
      expect(text).toContain('quiver_jobs_total{status="succeeded"} 2');
      expect(text).toMatch(/quiver_task_duration_seconds_count\{job_id="0",stage="0",executor="local"\} 1\n/);
      expect(text).toContain('quiver_executor_busy_slots{executor="local"} 0');
      expect(text).toMatch(/quiver_gpu_seconds_total\{job_id="1",stage="0",executor="local"\} [0-9.e-]+\n/);
      expect(Number(/quiver_gpu_seconds_total\{job_id="1"[^}]*\} (\S+)/.exec(text)![1])).toBeGreaterThan(0);
      expect(text).toContain('quiver_predict_gpu_fallbacks_total{job_id="1",stage="0",executor="local"} 0\n');
    } finally {
      await q.close();
    }
  });

  it('is served by the driver for a running streaming query: its input rows, rates, batch duration, watermark and state rows', async () => {
    const q = await Quiver.local({ workers: 1, ui: 0, quiet: true });
    try {
      const query = await q.readStream.rate({ rowsPerSecond: 200 }).withWatermark('timestamp', '1 second')
        .groupBy(fn.window('timestamp', '1 second')).agg(fn.count().alias('n'))
        .writeStream.outputMode('update').format('memory').queryName('per_second').trigger({ processingTime: '100 ms' }).start();
      await until(() => query.recentProgress.length >= 3, 20_000, 'three batches');
      await query.stop();
      const text = await (await fetch(`${q.uiUrl}/metrics`)).text();
      const l = `{query_id="${query.id}",query_name="per_second"}`;
      const p = query.recentProgress;
      const last = p.at(-1)!;
      expect(text).toContain(`quiver_stream_batches_total${l} ${p.length}\n`);
      expect(text).toContain(`quiver_stream_input_rows_total${l} ${p.reduce((n, x) => n + x.numInputRows!, 0)}\n`);
      expect(text).toContain(`quiver_stream_batch_duration_seconds${l} ${last.durationMs.triggerExecution / 1000}\n`);
      expect(text).toContain(`quiver_stream_state_rows${l} ${last.stateOperators[0].numRowsTotal}\n`);
      expect(text).toContain(`quiver_stream_watermark_seconds${l} ${Date.parse(last.eventTime.watermark!) / 1000}\n`);
      expect(Number(new RegExp(`quiver_stream_processed_rows_per_second\\{query_id="${query.id}"[^}]*\\} (\\S+)`).exec(text)?.[1])).toBeCloseTo(last.processedRowsPerSecond!, 6);
      expect(text).toContain(`quiver_stream_up${l} 0\n`);
      expect(promtool(text)).toBe('');
    } finally {
      await q.close();
    }
  });

  it('passes promtool check metrics (errors and lint) for a real session after jobs, and no sample uses the label job', async () => {
    const q = await Quiver.local({ workers: 1, ui: 0, quiet: true });
    try {
      await q.createDataFrame([{ x: 1 }, { x: 2 }]).repartition(2).count();
      const text = await (await fetch(`${q.uiUrl}/metrics`)).text();
      expect(text).toContain('quiver_task_duration_seconds_count{job_id="0",stage="0",executor="local"}');
      // Prometheus owns `job` (the scrape job): a sample's own job label would be renamed exported_job.
      expect(text).not.toMatch(/[{,]job="/);
      expect(promtool(text)).toBe('');
      // Every family with samples (GPU time, failed attempts, queue depth, app labels, streams), replayed.
      expect(promtool(renderMetrics([{ id: 'a', state: replay([...EVENTS, ...STREAM_EVENTS]) }], { appLabel: true }))).toBe('');
    } finally {
      await q.close();
    }
  });
});
