// Job history derived from runtime events alone: the live UI, the progress bars, /metrics and `quiver ui --events` fold the same events through applyEvent.
import { DRIVER_EXECUTOR, LOCAL_EXECUTOR, type RuntimeEvent } from '../runtime/events.ts';
import { applyStreamEvent, type StreamState } from './stream-state.ts';
import { applyTrainEvent, type TrainState } from './train-state.ts';

export type JobStatus = 'running' | 'succeeded' | 'failed';
export type StageStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';
export type TaskStatus = 'running' | 'succeeded' | 'failed';

/** One task attempt (stage x partition x attempt). */
export interface TaskAttempt {
  partition: number;
  attempt: number;
  executor: string;
  locality: string | null;
  speculative: boolean;
  /** Epoch ms of the taskStart event. */
  start: number;
  /** Epoch ms of the taskEnd event (null while running). */
  end: number | null;
  /** Run time as the executor measured it (null while running). */
  durationMs: number | null;
  status: TaskStatus;
  error: string | null;
  rows: number;
  bytes: number | null;
  metrics: Record<string, number> | null;
}

export interface Placement { operator: string; device: 'cpu' | 'gpu'; reason: string }

export interface StageState {
  jobId: number;
  stageId: number;
  /** Tasks the stage runs: its planned partitions, or fewer once coalesced at its start. */
  partitions: number;
  /** The planned partitions, when small ones were coalesced into fewer tasks (else null). */
  coalescedFrom: number | null;
  /** Its shuffled join ran as a broadcast join: the probe stage it took over (skipped) and the build side's bytes (else null). */
  broadcastJoin: { probeStage: number; buildBytes: number } | null;
  /** Its rows were filtered by a join's build side keys before their shuffle: that build stage and its rows (else null). */
  keyFilter: { buildStage: number; buildRows: number } | null;
  /** It range-partitioned a sort's input found small into one partition, its key sample stage skipped: that stage and the input's bytes (else null). */
  sortInOneTask: { sampleStage: number; inputBytes: number } | null;
  parents: number[];
  output: string;
  /** Operator chain ("MemoryScan > Filter > HashAggregate"); from jobPlan, else "Stage N". */
  name: string;
  /** The stage's operator tree as explain prints it (empty without a jobPlan event). */
  operators: string;
  placements: Placement[];
  status: StageStatus;
  /** Epoch ms of the (last) stageStart and of the stageEnd. */
  start: number | null;
  end: number | null;
  durationMs: number | null;
  /** Partitions whose output is done (a partition counts once, however many attempts ran). */
  done: number;
  running: number;
  failedAttempts: number;
  /** Results that arrived for tasks already done or given up (duplicates, late copies); never counted. */
  ignoredResults: number;
  /** Succeeded tasks whose GPU predict fell back to the CPU (the GPU failed for them). */
  gpuFallbacks: number;
  /**
   * The two halves of a pipelined photo-tagging stage, from its succeeded tasks: images decoded
   * and the readers' own time (summed over tasks), images inferred and the model's time.
   */
  pipeline: { decoded: number; decodeMs: number; inferred: number; inferMs: number; inferenceThread: boolean };
  rows: number;
  bytes: number;
  /** Sum of the run times of finished attempts. */
  taskMs: number;
  /** Every attempt, in the order they started. */
  attempts: TaskAttempt[];
  /** Output lost with an executor (recomputed from lineage). */
  lost: { ts: number; executor: string; partitions: number[] }[];
  /** Per partition: its output is done. */
  partitionDone: boolean[];
}

export interface JobState {
  jobId: number;
  status: JobStatus;
  start: number;
  end: number | null;
  durationMs: number | null;
  error: string | null;
  /** Task attempts launched and failed, as the jobEnd event reports them (live counts in the stages). */
  tasks: number | null;
  failedAttempts: number | null;
  stages: StageState[];
  plan: { logical: string; optimized: string; physical: string } | null;
}

export interface ExecutorState {
  id: string;
  name: string;
  host: string | null;
  /** Worker slots (null when unknown: an embedded session's executor before any report). */
  workers: number | null;
  gpu: string | null;
  paths: string[];
  status: 'active' | 'removed';
  added: number | null;
  removed: number | null;
  removedReason: string | null;
  /** Attempts running on it now. */
  running: number;
  succeeded: number;
  failed: number;
  taskMs: number;
  rows: number;
  bytes: number;
  /** Last memory sample. */
  rssBytes: number | null;
  heapUsedBytes: number | null;
  storeBytes: number | null;
}

/** A cached DataFrame (df.cache()) as its last cacheUpdate event showed it: the storage page's row. */
export interface CacheState {
  cacheId: string;
  name: string;
  partitions: number;
  /** Partitions kept now. */
  cached: number;
  memoryBytes: number;
  diskBytes: number;
  /** Partitions kept by each executor. */
  executors: Record<string, number>;
  /** Epoch ms of its last update. */
  updated: number;
}

export interface ObsState {
  /** Jobs by id, in the order they started. */
  jobs: JobState[];
  executors: ExecutorState[];
  /** Cached DataFrames kept now, in the order first cached (unpersisted ones are removed). */
  caches: CacheState[];
  /** Streaming queries' runs, in the order they started. */
  streams: StreamState[];
  /** Parameter-server trainings (q.train), in the order they started. */
  trainings: TrainState[];
  /** Events folded so far. */
  events: number;
  /** Epoch ms of the first and last event (null before any). */
  first: number | null;
  last: number | null;
}

export function emptyState(): ObsState {
  return { jobs: [], executors: [], caches: [], streams: [], trainings: [], events: 0, first: null, last: null };
}

/** The state after `events`, from an empty one. */
export function replay(events: Iterable<RuntimeEvent>): ObsState {
  const s = emptyState();
  for (const e of events) applyEvent(s, e);
  return s;
}

export function findJob(s: ObsState, jobId: number): JobState | undefined {
  // Jobs start in id order within a session: look from the end, where live updates land.
  for (let i = s.jobs.length - 1; i >= 0; i--) if (s.jobs[i].jobId === jobId) return s.jobs[i];
  return undefined;
}

export function findExecutor(s: ObsState, id: string): ExecutorState | undefined {
  return s.executors.find((x) => x.id === id);
}

/**
 * Folds one event into `s` (in place, and returns it). The result depends on the events alone
 * (no clock, no I/O), so a replayed log rebuilds exactly the state the live UI showed. Events
 * that refer to an unknown job or stage (a log that starts mid-job) are counted and skipped.
 */
export function applyEvent(s: ObsState, e: RuntimeEvent): ObsState {
  s.events++;
  s.first ??= e.ts;
  s.last = e.ts;
  switch (e.kind) {
    case 'jobStart': {
      s.jobs.push({
        jobId: e.jobId, status: 'running', start: e.ts, end: null, durationMs: null, error: null, tasks: null, failedAttempts: null, plan: null,
        stages: e.stages.map((st) => ({
          jobId: e.jobId, stageId: st.id, partitions: st.partitions, coalescedFrom: null, broadcastJoin: null, keyFilter: null, sortInOneTask: null, parents: [...st.parents], output: st.output,
          name: `Stage ${st.id}`, operators: '', placements: [], status: 'pending', start: null, end: null, durationMs: null,
          done: 0, running: 0, failedAttempts: 0, ignoredResults: 0, gpuFallbacks: 0, pipeline: { decoded: 0, decodeMs: 0, inferred: 0, inferMs: 0, inferenceThread: false }, rows: 0, bytes: 0, taskMs: 0, attempts: [], lost: [],
          partitionDone: new Array<boolean>(st.partitions).fill(false),
        })),
      });
      return s;
    }
    case 'jobPlan': {
      const job = findJob(s, e.jobId);
      if (!job) return s;
      job.plan = { logical: e.logical, optimized: e.optimized, physical: e.physical };
      for (const p of e.stages) {
        const st = job.stages[p.id];
        if (st) { st.name = p.name; st.operators = p.operators; }
      }
      return s;
    }
    case 'placement': {
      const st = findJob(s, e.jobId)?.stages[e.stageId];
      // The same placement reported twice (two reporters of one plan) shows once.
      if (st && !st.placements.some((p) => p.operator === e.operator && p.device === e.device && p.reason === e.reason)) {
        st.placements.push({ operator: e.operator, device: e.device, reason: e.reason });
      }
      return s;
    }
    case 'jobEnd': {
      const job = findJob(s, e.jobId);
      if (!job) return s;
      job.status = e.ok ? 'succeeded' : 'failed';
      job.end = e.ts;
      job.durationMs = e.durationMs;
      job.error = e.error ?? null;
      job.tasks = e.tasks;
      job.failedAttempts = e.failedAttempts;
      for (const st of job.stages) {
        if (st.status === 'running') st.status = e.ok ? 'succeeded' : 'failed';
        else if (st.status === 'pending') st.status = 'skipped';
      }
      return s;
    }
    case 'stageStart': {
      const st = findJob(s, e.jobId)?.stages[e.stageId];
      if (!st) return s;
      st.status = 'running';
      st.start ??= e.ts;
      st.end = null;
      if (e.broadcastJoin !== undefined) st.broadcastJoin = { ...e.broadcastJoin };
      if (e.keyFilter !== undefined) st.keyFilter = { ...e.keyFilter };
      if (e.sortInOneTask !== undefined) st.sortInOneTask = { ...e.sortInOneTask };
      if (e.coalescedFrom !== undefined || e.broadcastJoin !== undefined) {
        if (e.coalescedFrom !== undefined) st.coalescedFrom = e.coalescedFrom;
        st.partitions = e.tasks;
        st.partitionDone = new Array<boolean>(e.tasks).fill(false);
      }
      return s;
    }
    case 'stageEnd': {
      const st = findJob(s, e.jobId)?.stages[e.stageId];
      if (!st) return s;
      st.status = 'succeeded';
      st.end = e.ts;
      st.durationMs = e.durationMs;
      st.rows = e.rows;
      return s;
    }
    case 'taskStart': {
      const st = findJob(s, e.jobId)?.stages[e.stageId];
      if (!st) return s;
      // A task can start before its stageStart reaches us only in a log cut mid-job; say running.
      if (st.status === 'pending') st.status = 'running';
      st.attempts.push({
        partition: e.partition, attempt: e.attempt, executor: e.executor, locality: e.locality ?? null, speculative: e.speculative ?? false,
        start: e.ts, end: null, durationMs: null, status: 'running', error: null, rows: 0, bytes: null, metrics: null,
      });
      st.running++;
      executor(s, e.executor).running++;
      return s;
    }
    case 'taskEnd': {
      const st = findJob(s, e.jobId)?.stages[e.stageId];
      if (!st) return s;
      if (e.ignored) { st.ignoredResults++; return s; }
      const a = findAttempt(st, e.partition, e.attempt, e.executor);
      const x = executor(s, e.executor);
      if (a && a.status === 'running') {
        st.running--;
        if (x.running > 0) x.running--;
      }
      const att = a ?? pushEnded(st, e);
      att.status = e.ok ? 'succeeded' : 'failed';
      att.end = e.ts;
      att.durationMs = e.durationMs;
      att.error = e.error ?? null;
      att.rows = e.rows;
      att.bytes = e.bytes ?? null;
      att.metrics = e.metrics ?? null;
      st.taskMs += e.durationMs;
      x.taskMs += e.durationMs;
      if (e.ok) {
        x.succeeded++;
        x.rows += e.rows;
        x.bytes += e.bytes ?? 0;
        if (!st.partitionDone[e.partition]) {
          st.partitionDone[e.partition] = true;
          st.done++;
        }
        // Live rows until stageEnd reports the stage's own count.
        if (st.status !== 'succeeded') st.rows += e.rows;
        st.bytes += e.bytes ?? 0;
        if ((e.metrics?.predictGpuFallbacks ?? 0) > 0) st.gpuFallbacks++;
        const m = e.metrics ?? {};
        st.pipeline.decoded += m.imagesDecoded ?? 0;
        st.pipeline.decodeMs += m.imagesDecodeMs ?? 0;
        st.pipeline.inferred += m.predictRows ?? 0;
        st.pipeline.inferMs += m.predictMs ?? 0;
        if ((m.predictPipelinedRows ?? 0) > 0) st.pipeline.inferenceThread = true;
      } else {
        x.failed++;
        st.failedAttempts++;
      }
      return s;
    }
    case 'outputLost': {
      const st = findJob(s, e.jobId)?.stages[e.stageId];
      if (!st) return s;
      st.lost.push({ ts: e.ts, executor: e.executor, partitions: [...e.partitions] });
      for (const p of e.partitions) {
        if (st.partitionDone[p]) { st.partitionDone[p] = false; st.done--; }
      }
      return s;
    }
    case 'executorAdded': {
      const x = executor(s, e.executor);
      Object.assign(x, { name: e.name, host: e.host, workers: e.workers, gpu: e.gpu, paths: [...e.paths], status: 'active', added: e.ts, removed: null, removedReason: null });
      return s;
    }
    case 'executorRemoved': {
      const x = executor(s, e.executor);
      x.status = 'removed';
      x.removed = e.ts;
      x.removedReason = e.reason;
      return s;
    }
    case 'executorMetrics': {
      const x = executor(s, e.executor);
      x.rssBytes = e.rssBytes;
      x.heapUsedBytes = e.heapUsedBytes ?? null;
      x.storeBytes = e.storeBytes ?? null;
      return s;
    }
    case 'cacheUpdate': {
      const at = s.caches.findIndex((c) => c.cacheId === e.cacheId);
      if (e.removed) { if (at >= 0) s.caches.splice(at, 1); return s; }
      const c: CacheState = { cacheId: e.cacheId, name: e.name, partitions: e.partitions, cached: e.cached, memoryBytes: e.memoryBytes, diskBytes: e.diskBytes, executors: { ...e.executors }, updated: e.ts };
      if (at >= 0) s.caches[at] = c; else s.caches.push(c);
      return s;
    }
    case 'streamStart': case 'streamProgress': case 'streamEnd': {
      applyStreamEvent(s.streams, e);
      return s;
    }
    case 'trainStart': case 'trainProgress': case 'trainEnd': {
      applyTrainEvent(s.trainings, e);
      return s;
    }
    default: {
      // A kind this build does not know (a newer writer's log): counted, otherwise skipped.
      return s;
    }
  }
}

function findAttempt(st: StageState, partition: number, attempt: number, executorId: string): TaskAttempt | undefined {
  for (let i = st.attempts.length - 1; i >= 0; i--) {
    const a = st.attempts[i];
    if (a.partition === partition && a.attempt === attempt && a.executor === executorId) return a;
  }
  return undefined;
}

/** An attempt whose taskStart we never saw (a log cut mid-job). */
function pushEnded(st: StageState, e: Extract<RuntimeEvent, { kind: 'taskEnd' }>): TaskAttempt {
  const a: TaskAttempt = {
    partition: e.partition, attempt: e.attempt, executor: e.executor, locality: null, speculative: false,
    start: e.ts - e.durationMs, end: null, durationMs: null, status: 'running', error: null, rows: 0, bytes: null, metrics: null,
  };
  st.attempts.push(a);
  return a;
}

/** The executor `id`, created on first mention: an embedded session's worker threads are never "added". */
function executor(s: ObsState, id: string): ExecutorState {
  let x = findExecutor(s, id);
  if (!x) {
    x = {
      id, name: id === LOCAL_EXECUTOR ? 'local (worker threads of the driver)' : id === DRIVER_EXECUTOR ? 'driver (small last stages)' : id, host: null, workers: null, gpu: null, paths: [],
      status: 'active', added: null, removed: null, removedReason: null,
      running: 0, succeeded: 0, failed: 0, taskMs: 0, rows: 0, bytes: 0, rssBytes: null, heapUsedBytes: null, storeBytes: null,
    };
    s.executors.push(x);
  }
  return x;
}

/** Task attempts of a job's running stages not started yet: the job's queue. */
export function queuedTasks(job: JobState): number {
  let n = 0;
  for (const st of job.stages) if (st.status === 'running') n += Math.max(0, st.partitions - st.done - st.running);
  return n;
}
