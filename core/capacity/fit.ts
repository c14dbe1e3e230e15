// Fitting from event logs: tasks grouped per stage (by operator signature) and device, service time per row, per-task overhead and variability, per job shape.
import { basename } from 'node:path';
import { DataError } from '../../ops/errors.ts';
import { DRIVER_EXECUTOR } from '../runtime/events.ts';
import { eventLogFiles, readEventLog } from '../obs/event-log.ts';
import { replay, type JobState, type ObsState, type StageState, type TaskAttempt } from '../obs/state.ts';
import { stageSignature } from './stage-signature.ts';
import { median, summarize, type Summary } from './stats.ts';

export type Device = 'cpu' | 'gpu';

/** One stage's service time, fitted over every task of it in every run of its job shape. */
export interface StageFit {
  /** Operator chain, e.g. "Scan > Projection > HashAggregate". */
  name: string;
  signature: string;
  /** 'gpu' when the stage's predict was placed on the GPU (placement events), else 'cpu'. */
  device: Device;
  /** Task run times as executors measured them (ms), and input rows per task. */
  taskMs: Summary;
  rowsPerTask: Summary;
  /** Task time ≈ overheadMs + msPerRow · input rows (least squares; overhead 0 when tasks are all one size). */
  overheadMs: number;
  msPerRow: number;
  /** Whether the overhead could be told apart from the per-row time (tasks of different sizes). */
  overheadFitted: boolean;
  /**
   * Coefficient of variation of task time around that line (time / predicted): the spread the
   * model draws from a gamma distribution with this cv (fitted by moments).
   */
  cv: number;
  /**
   * A GPU stage's model time (the predictMs task metric), fitted the same way: the part of each
   * task the GPUs serve; the rest of the task (time less this) is the CPU's. Null on the CPU.
   */
  gpu: { overheadMs: number; msPerRow: number; cv: number } | null;
  /** Tasks per executor (the local worker pool is executor "local"), with their mean time. */
  executors: { executor: string; tasks: number; meanMs: number }[];
}

/** A stage in its job: the fit, and what it does per record of the job's input. */
export interface ShapeStage extends StageFit {
  /** Stage index in the job, and the stages it reads (shuffle parents). */
  index: number;
  parents: number[];
  /** Tasks per job as run, and whether that count is the default 2 tasks per worker of a shuffle read (it scales with workers). */
  tasks: number;
  tasksScaleWithWorkers: boolean;
  /** Input rows of this stage per input record of the job. */
  rowsPerRecord: number;
  /** Stage time beyond its tasks' work spread over the workers (scheduling, shuffle hand-off), median over runs, ms. */
  gapMs: number;
  /** The stage's wall time as measured, median over the runs that ran it, ms (null: skipped in every run). */
  measuredMs: number | null;
}

/** All runs of one job (same stages, same operators), fitted. */
export interface JobShapeFit {
  /** The result stage's chain, as a label. */
  name: string;
  signature: string;
  runs: number;
  files: string[];
  /** Input records per run (rows read by the stages that read no shuffle), median. */
  records: number;
  /** False when the log has no inputRows metrics: rows are then the stages' output rows. */
  rowsMeasured: boolean;
  /** Worker slots that ran the job (sum over its executors). */
  slots: number;
  executors: number;
  stages: ShapeStage[];
  /** Job time beyond its stages' times, median over runs, ms. */
  jobGapMs: number;
  /** Wall time per run, and input records per second (median run). */
  measured: { jobMs: Summary; recordsPerSecond: number };
  devices: Device[];
}

/** Where a run's stage is, with what the fit reads from it. */
interface StageRun { job: JobState; stage: StageState; tasks: TaskAttempt[]; slots: number; file: string; device: Device }

/**
 * Reads the event logs under `paths` (directories or .jsonl files) and fits every job shape that
 * succeeded. A log that lacks what the planner needs (jobs, their plans, task ends) is a
 * DataError naming the file and what is missing, never an empty answer.
 */
export function fitEventLogs(paths: readonly string[]): JobShapeFit[] {
  const files = paths.flatMap((p) => eventLogFiles(p));
  if (files.length === 0) throw new DataError('no event log files (*.jsonl) here; record a run with the eventLog option (Quiver.local({ eventLog: DIR })) and pass DIR', { file: paths.join(', ') });
  return fitStates(files.map((file) => ({ file, state: replay(readEventLog(file)) })), paths.join(', '));
}

/**
 * Fits every job shape that succeeded in these replayed logs (`file` names each in messages;
 * `where` names them all). The web UI fits its application's live state this way.
 */
export function fitStates(logs: readonly { file: string; state: ObsState }[], where: string): JobShapeFit[] {
  const runs = new Map<string, { job: JobState; file: string; state: ObsState }[]>();
  const missing: string[] = [];
  for (const { file, state } of logs) {
    const why = usableJobs(state, file, (job) => {
      const key = shapeKey(job);
      if (!runs.has(key)) runs.set(key, []);
      runs.get(key)!.push({ job, file, state });
    });
    if (why) missing.push(why);
  }
  if (runs.size === 0) {
    throw new DataError(`cannot plan from these event logs: ${missing.join('; ')}. The planner needs, per job, jobStart (its stages), jobPlan (each stage's operators, which identify a stage across runs), stageEnd and taskEnd events (task times and rows); record the job with the eventLog option of this version`, { file: where });
  }
  return [...runs.values()].map(fitShape);
}

/** Calls `use` with each job of `state` the planner can fit from; returns what is missing when none. */
function usableJobs(state: ObsState, file: string, use: (job: JobState) => void): string | null {
  const name = basename(file);
  if (state.jobs.length === 0) return `${name} has no jobStart events (no job ran while it was written)`;
  const lacks = new Set<string>();
  let used = 0;
  for (const job of state.jobs) {
    if (job.status !== 'succeeded') { lacks.add(`a jobEnd with ok: true (job ${job.jobId} ${job.status})`); continue; }
    if (!job.plan || job.stages.some((s) => s.operators === '')) { lacks.add(`jobPlan events (job ${job.jobId} has none)`); continue; }
    const run = job.stages.filter((s) => s.status !== 'skipped');
    const noEnd = run.filter((s) => s.durationMs === null);
    if (noEnd.length) { lacks.add(`stageEnd events (job ${job.jobId}, stage ${noEnd.map((s) => s.stageId).join(', ')})`); continue; }
    const noTasks = run.filter((s) => !s.attempts.some((a) => a.status === 'succeeded'));
    if (noTasks.length) { lacks.add(`taskEnd events (job ${job.jobId}, stage ${noTasks.map((s) => s.stageId).join(', ')})`); continue; }
    use(job);
    used++;
  }
  return used ? null : `${name} lacks ${[...lacks].join(', ')}`;
}

function shapeKey(job: JobState): string {
  return job.stages.map((s) => `${s.parents.join(',')}|${stageSignature(s.operators)}`).join('\n--\n');
}

function deviceOf(st: StageState): Device {
  return st.placements.some((p) => p.device === 'gpu') ? 'gpu' : 'cpu';
}

/**
 * Worker slots of the executors that ran `job`'s tasks (1 per executor whose count is unknown).
 * A cluster driver that ran a small last stage itself is not an executor: its task counts as
 * stage time, not as a slot (counting it made a one-executor fit model two slots).
 */
function slotsOf(state: ObsState, job: JobState): { slots: number; executors: number } {
  const ids = new Set(job.stages.flatMap((s) => s.attempts.map((a) => a.executor)).filter((id) => id !== DRIVER_EXECUTOR));
  let slots = 0;
  for (const id of ids) slots += state.executors.find((x) => x.id === id)?.workers ?? 1;
  return { slots: Math.max(1, slots), executors: ids.size };
}

const inputRows = (a: TaskAttempt): number | null => a.metrics?.inputRows ?? null;

function fitShape(runs: { job: JobState; file: string; state: ObsState }[]): JobShapeFit {
  const first = runs[0].job;
  const shape = runs.map((r) => ({ ...r, ...slotsOf(r.state, r.job) }));
  const ok = (st: StageState) => st.attempts.filter((a) => a.status === 'succeeded' && a.durationMs !== null);
  const rowsMeasured = shape.every((r) => r.job.stages.every((s) => ok(s).every((a) => inputRows(a) !== null)));
  const rowsOf = (st: StageState, a: TaskAttempt): number => (rowsMeasured ? inputRows(a)! : a.rows);
  const leaves = first.stages.filter((s) => s.parents.length === 0).map((s) => s.stageId);
  const recordsPerRun = shape.map((r) => leaves.reduce((n, id) => n + ok(r.job.stages[id]).reduce((m, a) => m + rowsOf(r.job.stages[id], a), 0), 0));
  const records = median(recordsPerRun);
  const stages: ShapeStage[] = first.stages.map((st0, index) => {
    const sr: StageRun[] = shape.map((r) => ({ job: r.job, stage: r.job.stages[index], tasks: ok(r.job.stages[index]), slots: r.slots, file: r.file, device: deviceOf(r.job.stages[index]) }));
    const fit = fitStage(st0, sr, rowsOf);
    const perRecord = sr.map((x, i) => (recordsPerRun[i] > 0 ? x.tasks.reduce((n, a) => n + rowsOf(x.stage, a), 0) / recordsPerRun[i] : 0));
    // A stage skipped in a run (its output cached) has no end: no gap there.
    const gaps = sr.map((x) => (x.stage.durationMs === null ? 0 : Math.max(0, x.stage.durationMs - x.tasks.reduce((n, a) => n + a.durationMs!, 0) / x.slots)));
    const last = sr[sr.length - 1];
    // Quiver's default shuffle partitions are 2 per worker: such a stage has more tasks on more workers.
    const scales = st0.parents.length > 0 && sr.every((x) => x.stage.partitions === 2 * x.slots);
    const walls = sr.map((x) => x.stage.durationMs).filter((d): d is number => d !== null);
    return { ...fit, index, parents: [...st0.parents], tasks: last.stage.partitions, tasksScaleWithWorkers: scales, rowsPerRecord: median(perRecord), gapMs: median(gaps), measuredMs: walls.length ? median(walls) : null };
  });
  const jobMs = shape.map((r) => r.job.durationMs!);
  const jobGaps = shape.map((r) => Math.max(0, r.job.durationMs! - r.job.stages.reduce((n, s) => n + (s.durationMs ?? 0), 0)));
  const m = summarize(jobMs);
  return {
    name: first.stages[first.stages.length - 1].name,
    signature: shapeKey(first),
    runs: runs.length,
    files: [...new Set(runs.map((r) => r.file))],
    records,
    rowsMeasured,
    slots: median(shape.map((r) => r.slots)),
    executors: median(shape.map((r) => r.executors)),
    stages,
    jobGapMs: median(jobGaps),
    measured: { jobMs: m, recordsPerSecond: records / (m.p50 / 1000) },
    devices: [...new Set(stages.map((s) => s.device))],
  };
}

/** Least-squares task time = a + b · rows over every run's tasks of a stage; the cv of time around the line. */
function fitStage(st0: StageState, runs: StageRun[], rowsOf: (st: StageState, a: TaskAttempt) => number): StageFit {
  const d: number[] = [], r: number[] = [], model: number[] = [];
  const byExec = new Map<string, { tasks: number; ms: number }>();
  for (const x of runs) {
    for (const a of x.tasks) {
      d.push(a.durationMs!);
      r.push(rowsOf(x.stage, a));
      model.push(a.metrics?.predictMs ?? 0);
      const e = byExec.get(a.executor) ?? { tasks: 0, ms: 0 };
      e.tasks++; e.ms += a.durationMs!;
      byExec.set(a.executor, e);
    }
  }
  const { a, b, fitted } = line(r, d);
  const device: Device = runs.some((x) => x.device === 'gpu') ? 'gpu' : 'cpu';
  const g = device === 'gpu' && model.some((m) => m > 0) ? line(r, model) : null;
  return {
    name: st0.name,
    signature: stageSignature(st0.operators),
    device,
    taskMs: summarize(d),
    rowsPerTask: summarize(r),
    overheadMs: a,
    msPerRow: b,
    overheadFitted: fitted,
    cv: spread(r, d, a, b),
    gpu: g ? { overheadMs: g.a, msPerRow: g.b, cv: spread(r, model, g.a, g.b) } : null,
    executors: [...byExec].map(([executor, e]) => ({ executor, tasks: e.tasks, meanMs: e.ms / e.tasks })),
  };
}

/** The cv of y around the line a + b x (y over the line's value): the spread drawn from a gamma. */
function spread(x: number[], y: number[], a: number, b: number): number {
  return summarize(y.map((t, i) => { const p = a + b * x[i]; return p > 0 ? t / p : 1; })).cv;
}

/**
 * y ≈ a + b x with a, b >= 0. When the x are nearly all equal (cv under 5%: one task size) the
 * intercept cannot be told apart from the slope: it is then 0, everything per row.
 */
function line(x: number[], y: number[]): { a: number; b: number; fitted: boolean } {
  if (x.length === 0) return { a: 0, b: 0, fitted: false }; // a stage never run (skipped: cached) costs nothing
  const sx = summarize(x), sy = summarize(y);
  const through0 = (): { a: number; b: number; fitted: boolean } => {
    const xx = x.reduce((s, v) => s + v * v, 0);
    return xx > 0 ? { a: 0, b: x.reduce((s, v, i) => s + v * y[i], 0) / xx, fitted: false } : { a: sy.mean, b: 0, fitted: false };
  };
  if (x.length < 3 || sx.cv < 0.05) return through0();
  let sxy = 0, sxx = 0;
  for (let i = 0; i < x.length; i++) { sxy += (x[i] - sx.mean) * (y[i] - sy.mean); sxx += (x[i] - sx.mean) ** 2; }
  const b = sxy / sxx, a = sy.mean - b * sx.mean;
  if (b < 0) return { a: sy.mean, b: 0, fitted: true };
  if (a < 0) return through0();
  return { a, b, fitted: true };
}
