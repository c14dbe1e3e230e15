// What the UI's JSON API returns: summaries of jobs, a job without its task attempts, a stage with them, executors, streaming queries, trainings; all computed from the derived state.
import { queuedTasks, type CacheState, type ExecutorState, type JobState, type ObsState, type StageState } from '../state.ts';
import type { StreamState } from '../stream-state.ts';
import type { TrainState } from '../train-state.ts';

export interface AppSummary { id: string; name: string; live: boolean; jobs: number; running: number; failed: number; first: number | null; last: number | null }

export interface JobSummary {
  jobId: number;
  status: JobState['status'];
  start: number;
  end: number | null;
  durationMs: number | null;
  error: string | null;
  description: string;
  stages: { total: number; succeeded: number; failed: number; running: number };
  tasks: { total: number; done: number; running: number; failedAttempts: number };
  /** Rows the job's last stage produced. */
  rows: number;
  devices: ('cpu' | 'gpu')[];
}

export type StageSummary = Omit<StageState, 'attempts' | 'partitionDone'> & { attemptCount: number };

export interface JobDetail extends JobSummary {
  stageList: StageSummary[];
  plan: JobState['plan'];
  placements: { stageId: number; operator: string; device: 'cpu' | 'gpu'; reason: string }[];
  queued: number;
}

export interface StageDetail extends StageSummary {
  attempts: StageState['attempts'];
  /** Run times of succeeded attempts: min, 25th, median, 75th percentile, max (ms); null before any. */
  quantiles: [number, number, number, number, number] | null;
}

export function appSummary(id: string, name: string, live: boolean, s: ObsState): AppSummary {
  return {
    id, name, live, jobs: s.jobs.length,
    running: s.jobs.filter((j) => j.status === 'running').length,
    failed: s.jobs.filter((j) => j.status === 'failed').length,
    first: s.first, last: s.last,
  };
}

export function jobSummary(j: JobState): JobSummary {
  // Without a jobPlan event (a runtime that does not report plans), the stages' outputs.
  const description = j.plan ? outline(j.plan.logical) : `${j.stages.length} stage${j.stages.length === 1 ? '' : 's'}: ${j.stages.map((s) => s.output).join(', ')}`;
  let total = 0, done = 0, running = 0, failedAttempts = 0;
  for (const s of j.stages) {
    if (s.status !== 'skipped') total += s.partitions;
    done += s.done; running += s.running; failedAttempts += s.failedAttempts;
  }
  const last = j.stages[j.stages.length - 1];
  return {
    jobId: j.jobId, status: j.status, start: j.start, end: j.end, durationMs: j.durationMs, error: j.error,
    description,
    stages: {
      total: j.stages.length,
      succeeded: j.stages.filter((s) => s.status === 'succeeded').length,
      failed: j.stages.filter((s) => s.status === 'failed').length,
      running: j.stages.filter((s) => s.status === 'running').length,
    },
    tasks: { total, done, running, failedAttempts },
    rows: last ? last.rows : 0,
    devices: [...new Set(j.stages.flatMap((s) => s.placements.map((p) => p.device)))],
  };
}

export function stageSummary(s: StageState): StageSummary {
  const { attempts, partitionDone, ...rest } = s;
  void partitionDone;
  return { ...rest, attemptCount: attempts.length };
}

export function jobDetail(j: JobState): JobDetail {
  return {
    ...jobSummary(j),
    stageList: j.stages.map(stageSummary),
    plan: j.plan,
    placements: j.stages.flatMap((s) => s.placements.map((p) => ({ stageId: s.stageId, ...p }))),
    queued: queuedTasks(j),
  };
}

export function stageDetail(s: StageState): StageDetail {
  const ms = s.attempts.filter((a) => a.status === 'succeeded' && a.durationMs !== null).map((a) => a.durationMs!).sort((a, b) => a - b);
  const q = (p: number): number => ms[Math.min(ms.length - 1, Math.floor(p * (ms.length - 1) + 0.5))];
  return { ...stageSummary(s), attempts: s.attempts, quantiles: ms.length ? [ms[0], q(0.25), q(0.5), q(0.75), ms[ms.length - 1]] : null };
}

export function executorsView(s: ObsState): ExecutorState[] {
  return s.executors;
}

/** The storage page: cached DataFrames kept now. */
export function storageView(s: ObsState): CacheState[] {
  return s.caches;
}

/** The streaming page: active runs first, then finished ones, each group newest first. */
export function streamsView(s: ObsState): StreamState[] {
  const newest = (a: StreamState, b: StreamState) => b.start - a.start;
  return [...s.streams.filter((x) => x.status === 'active').sort(newest), ...s.streams.filter((x) => x.status !== 'active').sort(newest)];
}

/** The training page: running trainings first, then finished ones, each group newest first. */
export function trainingsView(s: ObsState): TrainState[] {
  const newest = (a: TrainState, b: TrainState) => b.start - a.start;
  return [...s.trainings.filter((x) => x.status === 'running').sort(newest), ...s.trainings.filter((x) => x.status !== 'running').sort(newest)];
}

/** "Project: label <- Scan: idx [...]": a plan's root and its (first) source. */
function outline(plan: string): string {
  const lines = plan.split('\n').map((l) => l.trim()).filter(Boolean);
  if (lines.length <= 1) return lines[0] ?? '';
  return `${lines[0]} <- ${lines[lines.length - 1]}`;
}
