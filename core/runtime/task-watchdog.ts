// The local runtime's task watchdog: stops a task whose worker has not bumped its progress count for taskStallMs.
import { errorToJSON, ResourceError } from '../../ops/errors.ts';
import { scannedPath, type Stage } from '../physical/phys-node.ts';
import { Progress, type TaskPayload, type TaskResult } from './task.ts';

/**
 * Default of taskStallMs. Progress is counted per batch, so this only has to exceed the longest
 * healthy time between two batches: one UDF or predict call on one batch, one sort of a run of
 * memoryBudget bytes; minutes at worst. Ten minutes leaves such work alone (false alarms cost a
 * whole job), yet a decoder or UDF that loops forever is stopped and named within the hour a
 * user would wait before killing the process.
 */
export const DEFAULT_TASK_STALL_MS = 10 * 60 * 1000;

/** A message on the pool, as the watchdog sees it. */
export interface Running {
  tasks: TaskPayload[];
  cells: Int32Array;
  abort: AbortController;
  /** Last progress count seen, and since when (ms, performance.now()). */
  count: number;
  since: number;
  /** Set when the watchdog stopped it: the stalled task's result. */
  stalled?: { index: number; result: TaskResult };
}

/**
 * Watches the messages on the pool. A stalled one gets `stalled` (the failed result of the task
 * that stalled) and its AbortController aborted: the pool then terminates its worker thread,
 * since a thread that spins cannot be interrupted any other way.
 */
export class TaskWatchdog {
  private readonly running = new Set<Running>();
  private timer: NodeJS.Timeout | null = null;

  constructor(readonly taskStallMs: number) {}

  /** Starts watching a message of `tasks` (one, or a group) whose worker bumps `progress`. */
  watch(tasks: TaskPayload[], progress: SharedArrayBuffer): Running {
    const run: Running = { tasks, cells: new Int32Array(progress), abort: new AbortController(), count: 0, since: performance.now() };
    this.running.add(run);
    if (this.timer || !(this.taskStallMs > 0)) return run;
    // Checks often enough to stop a stalled task within about 10% of taskStallMs.
    const every = Math.min(5_000, Math.max(10, this.taskStallMs / 10));
    this.timer = setInterval(() => this.check(), every);
    this.timer.unref();
    return run;
  }

  unwatch(run: Running): void {
    this.running.delete(run);
    if (this.running.size === 0) this.close();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Stops each message whose running task has not bumped its progress count for taskStallMs. */
  private check(): void {
    const now = performance.now();
    for (const run of this.running) {
      if (run.stalled) continue;
      const index = Atomics.load(run.cells, Progress.Running) - 1;
      const count = Atomics.load(run.cells, Progress.Count);
      // A message still queued in the pool has not started: it cannot stall yet.
      if (index < 0 || count !== run.count) { run.count = count; run.since = now; continue; }
      if (now - run.since < this.taskStallMs) continue;
      const p = run.tasks[index];
      if (!p) continue;
      const stage = JSON.parse(p.stageJson) as Stage;
      const file = scannedPath(stage, p.partition);
      const error = new ResourceError(
        `stage ${stage.id} task ${p.partition} (attempt ${p.attempt + 1}) made no progress for ${((now - run.since) / 1000).toFixed(1)} s`
        + `${file ? ` while reading ${file}` : ''}, so its worker thread was stopped (taskStallMs is ${this.taskStallMs} ms). `
        + 'A reader or UDF that loops forever does this; if one batch of this task really takes that long, raise taskStallMs',
        // It would stall the same way again.
        { retryable: false });
      run.stalled = { index, result: { ok: false, error: errorToJSON(error), blocks: [], rows: 0, metrics: {}, durationMs: now - run.since } };
      run.abort.abort();
    }
  }
}
