// /metrics: Prometheus text exposition (format 0.0.4) computed from derived state: task latency histograms, rows, bytes, errors, queue depth, busy slots, memory, GPU time, streaming queries.
import type { ObsState } from './state.ts';
import type { StreamState } from './stream-state.ts';

/** Upper bounds of the task latency histogram buckets, seconds. */
export const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

type Labels = Record<string, string | number>;

interface Family { name: string; type: 'counter' | 'gauge' | 'histogram'; help: string; samples: string[] }

/**
 * The metrics of every app's state. With `appLabel`, each sample carries app="<id>" (a history
 * server showing several logs); a live driver leaves it out. Counters only grow as events arrive.
 */
export function renderMetrics(apps: readonly { id: string; state: ObsState }[], o: { appLabel?: boolean } = {}): string {
  const fam = new Map<string, Family>();
  const family = (name: string, type: Family['type'], help: string): Family => {
    let f = fam.get(name);
    if (!f) { f = { name, type, help, samples: [] }; fam.set(name, f); }
    return f;
  };
  const sample = (f: Family, labels: Labels, value: number, suffix = ''): void => {
    f.samples.push(`${f.name}${suffix}${labelText(labels)} ${formatValue(value)}`);
  };

  // Declared up front so that HELP and TYPE appear even before the first job.
  const jobs = family('quiver_jobs_total', 'counter', 'Jobs finished, by outcome.');
  const jobsRunning = family('quiver_jobs_running', 'gauge', 'Jobs running now.');
  const stagesRunning = family('quiver_stages_running', 'gauge', 'Stages running now.');
  const queued = family('quiver_tasks_queued', 'gauge', 'Tasks of running stages not started yet (queue depth), per stage.');
  const latency = family('quiver_task_duration_seconds', 'histogram', 'Run time of finished task attempts as their executor measured it, per stage and executor.');
  const attempts = family('quiver_task_attempts_total', 'counter', 'Task attempts finished, by outcome (failed attempts are the errors), per stage and executor.');
  const rows = family('quiver_task_rows_total', 'counter', 'Rows output by succeeded task attempts, per stage and executor.');
  const bytes = family('quiver_task_bytes_total', 'counter', 'Bytes output by succeeded task attempts (where the runtime reports them), per stage and executor.');
  const predict = family('quiver_predict_seconds_total', 'counter', 'Time spent in model inference, per stage, executor and device (where tasks report it).');
  const gpu = family('quiver_gpu_seconds_total', 'counter', 'Time spent in model inference on a GPU, per stage and executor.');
  const fallbacks = family('quiver_predict_gpu_fallbacks_total', 'counter', 'Task attempts of a GPU-placed predict that ran on the CPU (a retry after the GPU attempt failed, or an executor without a GPU), per stage and executor.');
  const busy = family('quiver_executor_busy_slots', 'gauge', 'Task attempts running on the executor now (saturation: compare with quiver_executor_slots).');
  const slots = family('quiver_executor_slots', 'gauge', 'Worker slots of the executor.');
  const up = family('quiver_executor_up', 'gauge', '1 while the executor is part of the cluster, 0 once removed.');
  const rss = family('quiver_executor_memory_rss_bytes', 'gauge', 'Resident memory of the executor at its last sample.');
  const events = family('quiver_events_total', 'counter', 'Runtime events seen.');
  const cacheParts = family('quiver_cache_partitions', 'gauge', 'Partitions of each cached DataFrame kept now.');
  const cacheBytes = family('quiver_cache_bytes', 'gauge', 'Bytes of each cached DataFrame kept now, in memory and on disk.');
  const streamsActive = family('quiver_stream_queries_active', 'gauge', 'Streaming queries running now.');
  const streamUp = family('quiver_stream_up', 'gauge', '1 while the streaming query runs, 0 once stopped or failed (its latest run).');
  const streamBatches = family('quiver_stream_batches_total', 'counter', 'Micro-batches the streaming query committed, over its runs.');
  const streamInput = family('quiver_stream_input_rows_total', 'counter', 'Rows its sources gave the streaming query, over its runs (rows a source could not count left out).');
  const streamLate = family('quiver_stream_late_rows_dropped_total', 'counter', 'Rows the streaming query\'s aggregate dropped as late (event time before the watermark), over its runs.');
  const streamOutput = family('quiver_stream_output_rows_total', 'counter', 'Rows the streaming query\'s sink wrote, over its runs (where the sink can tell).');
  const streamInRate = family('quiver_stream_input_rows_per_second', 'gauge', 'Input rows over the time between the last two batches\' starts (how fast data arrives).');
  const streamRate = family('quiver_stream_processed_rows_per_second', 'gauge', 'Input rows over the last batch\'s own time (how fast it was processed).');
  const streamDuration = family('quiver_stream_batch_duration_seconds', 'gauge', 'Run time of the last micro-batch (trigger execution).');
  const streamWatermark = family('quiver_stream_watermark_seconds', 'gauge', 'The event-time watermark the last batch ran with, in seconds since the epoch.');
  const streamState = family('quiver_stream_state_rows', 'gauge', 'Groups the streaming aggregate holds after the last batch.');

  for (const { id, state } of apps) {
    const app: Labels = o.appLabel ? { app: id } : {};
    const done = { succeeded: 0, failed: 0 };
    let running = 0, stagesNow = 0;
    for (const job of state.jobs) {
      if (job.status === 'running') running++; else done[job.status]++;
      for (const st of job.stages) {
        const sl = { ...app, job_id: job.jobId, stage: st.stageId };
        if (st.status === 'running') {
          stagesNow++;
          sample(queued, sl, Math.max(0, st.partitions - st.done - st.running));
        }
        const gpuStage = st.placements.some((p) => p.device === 'gpu');
        const byExec = new Map<string, { counts: number[]; sum: number; n: number; ok: number; failed: number; rows: number; bytes: number; predictMs: number; cpuPredictMs: number; fallbacks: number }>();
        for (const a of st.attempts) {
          if (a.status === 'running' || a.durationMs === null) continue;
          let x = byExec.get(a.executor);
          if (!x) { x = { counts: new Array(LATENCY_BUCKETS.length).fill(0), sum: 0, n: 0, ok: 0, failed: 0, rows: 0, bytes: 0, predictMs: 0, cpuPredictMs: 0, fallbacks: 0 }; byExec.set(a.executor, x); }
          const s = a.durationMs / 1000;
          for (let b = 0; b < LATENCY_BUCKETS.length; b++) if (s <= LATENCY_BUCKETS[b]) x.counts[b]++;
          x.sum += s; x.n++;
          if (a.status === 'succeeded') { x.ok++; x.rows += a.rows; x.bytes += a.bytes ?? 0; } else x.failed++;
          // An attempt that fell back ran its inference on the CPU whatever the stage's placement.
          const fellBack = (a.metrics?.predictGpuFallbacks ?? 0) > 0;
          x.fallbacks += a.metrics?.predictGpuFallbacks ?? 0;
          if (gpuStage && !fellBack) x.predictMs += a.metrics?.predictMs ?? 0;
          else x.cpuPredictMs += a.metrics?.predictMs ?? 0;
        }
        for (const [executor, x] of [...byExec].sort(([a], [b]) => a.localeCompare(b))) {
          const l = { ...sl, executor };
          LATENCY_BUCKETS.forEach((le, b) => sample(latency, { ...l, le: String(le) }, x.counts[b], '_bucket'));
          sample(latency, { ...l, le: '+Inf' }, x.n, '_bucket');
          sample(latency, l, x.sum, '_sum');
          sample(latency, l, x.n, '_count');
          sample(attempts, { ...l, outcome: 'succeeded' }, x.ok);
          sample(attempts, { ...l, outcome: 'failed' }, x.failed);
          sample(rows, l, x.rows);
          sample(bytes, l, x.bytes);
          if (x.predictMs > 0) {
            sample(predict, { ...l, device: 'gpu' }, x.predictMs / 1000);
            sample(gpu, l, x.predictMs / 1000);
          }
          if (x.cpuPredictMs > 0) sample(predict, { ...l, device: 'cpu' }, x.cpuPredictMs / 1000);
          if (gpuStage) sample(fallbacks, l, x.fallbacks);
        }
      }
    }
    sample(jobs, { ...app, status: 'succeeded' }, done.succeeded);
    sample(jobs, { ...app, status: 'failed' }, done.failed);
    sample(jobsRunning, app, running);
    sample(stagesRunning, app, stagesNow);
    for (const x of state.executors) {
      const l = { ...app, executor: x.id };
      sample(busy, l, x.running);
      if (x.workers !== null) sample(slots, l, x.workers);
      sample(up, l, x.status === 'active' ? 1 : 0);
      if (x.rssBytes !== null) sample(rss, l, x.rssBytes);
    }
    for (const c of state.caches) {
      const l = { ...app, cache: c.cacheId };
      sample(cacheParts, l, c.cached);
      sample(cacheBytes, { ...l, where: 'memory' }, c.memoryBytes);
      sample(cacheBytes, { ...l, where: 'disk' }, c.diskBytes);
    }
    sample(streamsActive, app, state.streams.filter((x) => x.status === 'active').length);
    // One series per query id: a restart from the checkpoint is a new run of the same query.
    const byId = new Map<string, StreamState[]>();
    for (const run of state.streams) byId.set(run.id, [...(byId.get(run.id) ?? []), run]);
    for (const [id, runs] of byId) {
      const latest = runs[runs.length - 1];
      const l = { ...app, query_id: id, query_name: latest.name ?? '' };
      const sum = (f: (r: StreamState) => number) => runs.reduce((n, r) => n + f(r), 0);
      sample(streamUp, l, latest.status === 'active' ? 1 : 0);
      sample(streamBatches, l, sum((r) => r.batches));
      sample(streamInput, l, sum((r) => r.inputRows));
      sample(streamOutput, l, sum((r) => r.outputRows));
      sample(streamLate, l, sum((r) => r.lateRows));
      const b = latest.last;
      if (b === null) continue;
      if (b.inputRowsPerSecond !== null) sample(streamInRate, l, b.inputRowsPerSecond);
      if (b.processedRowsPerSecond !== null) sample(streamRate, l, b.processedRowsPerSecond);
      sample(streamDuration, l, b.durationMs / 1000);
      if (b.watermarkMs !== null) sample(streamWatermark, l, b.watermarkMs / 1000);
      if (b.stateRows !== null) sample(streamState, l, b.stateRows);
    }
    sample(events, app, state.events);
  }

  const out: string[] = [];
  for (const f of fam.values()) {
    out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`, ...f.samples);
  }
  return out.join('\n') + '\n';
}

function labelText(l: Labels): string {
  const keys = Object.keys(l);
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${String(l[k]).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  // 15 digits drop float noise (0.1 + 0.2) and keep milliseconds on seconds since the epoch (13 digits).
  return String(Number.isInteger(v) ? v : Number(v.toPrecision(15)));
}
