// What the driver sends a worker for one task attempt, and what comes back.
import type { ErrorJSON } from '../../ops/errors.ts';
import type { MessagePort } from 'node:worker_threads';
import type { Block, BlockRef } from './ipc.ts';

export interface TaskConfig {
  memoryBudget: number;
  batchSize: number;
  /** Parent directory for per-task spill directories. */
  spillRoot: string;
}

export interface TaskPayload {
  jobId: number;
  /** JSON of the Stage (parsed once per worker and cached by this string). */
  stageJson: string;
  partition: number;
  attempt: number;
  config: TaskConfig;
  /** Shuffle blocks for this task's partition, by shuffle id, in map-task order. */
  shuffle: Record<number, BlockRef[]>;
  /** Whole broadcast relations, by id. */
  broadcast: Record<number, BlockRef[]>;
  /** In-memory table partitions by resource id. */
  resources: Record<string, Block>;
  /** Progress cells the worker bumps (see Progress); set by the local runtime's pool. */
  progress?: SharedArrayBuffer;
  /** A port to the process's inference thread, for a stage with a pipelined predict (set by the pool; closed by the worker after the task). */
  inference?: MessagePort;
}

/**
 * Int32 cells of the SharedArrayBuffer a worker shares with the local runtime's watchdog. The
 * worker MUST bump `Count` at least once per batch it reads or produces: a task whose count
 * stands still for taskStallMs is stopped as stalled.
 */
export enum Progress {
  /** Bumped when a task starts, per batch read (operators read ctx.signal per batch) and per batch produced. */
  Count = 0,
  /** 1 + the index in its group (TaskGroup.tasks) of the task running now; 0 until one starts. */
  Running = 1,
}
/** Bytes of a progress buffer. */
export const PROGRESS_BYTES = 8;

export interface TaskResult {
  ok: boolean;
  error?: ErrorJSON;
  /**
   * Output blocks. For a shuffle stage: one entry per reduce partition (null when empty).
   * For broadcast and result stages: one entry (null when empty). Only a shuffle map task's
   * blocks may be files (its output outgrew half its memoryBudget); whoever receives them owns them.
   */
  blocks: (BlockRef | null)[];
  rows: number;
  metrics: Record<string, number>;
  durationMs: number;
}

/**
 * A function call on a worker (e.g. one gradient step of data-parallel training): the worker
 * imports `module` (an absolute path of installed code, never code sent over the wire) and
 * calls `export` with `args` (structured-cloned; SharedArrayBuffers are shared, not copied).
 */
export interface CallPayload {
  call: { module: string; export: string };
  args: unknown;
}

/** Several tiny tasks of one stage in one message: the stage and config are sent once. */
export interface TaskGroup {
  jobId: number;
  stageJson: string;
  config: TaskConfig;
  tasks: Pick<TaskPayload, 'partition' | 'attempt' | 'shuffle' | 'broadcast' | 'resources'>[];
  progress?: SharedArrayBuffer;
  /** As TaskPayload's: one port for the whole group. */
  inference?: MessagePort;
}
