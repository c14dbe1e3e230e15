// What the scheduler needs from a runtime: a task launcher over the embedded worker threads or over a cluster's executors (NATS).
import type { ErrorJSON } from '../../ops/errors.ts';
import type { PhysicalPlan, Stage } from '../physical/phys-node.ts';
import type { EventListener, RuntimeEvent } from './events.ts';
import type { Block } from './ipc.ts';
import type { TaskConfig } from './task.ts';

/**
 * Rows per batch unless a session says otherwise (local and cluster mode alike). A Parquet row
 * group as writers cut them (122,880 rows for DuckDB) is then one batch instead of two. TPC-H
 * SF 1, 2 workers, paired 3-round runs against 65,536: geomean of per-query ratios 0.934, 0.956.
 */
export const DEFAULT_BATCH_SIZE = 131_072;

/** A task finished: how far its stage is. */
export interface TaskProgress {
  jobId: number;
  stageId: number;
  stages: number;
  done: number;
  total: number;
  /** Rows the finished tasks of this stage produced so far. */
  rows: number;
}

export interface JobMetrics {
  jobId: number;
  stages: number;
  tasks: number;
  failedAttempts: number;
  durationMs: number;
  /** Wall time of each stage, from its first task's start to its last task's end. */
  stageMs: number[];
  /** Sum of task run times per stage (as measured inside the workers). */
  taskMs: number[];
  /** Messages sent to workers: fewer than tasks when tiny tasks travel in groups. */
  messages: number;
  counters: Record<string, number>;
}

export interface RunHooks {
  onMetrics?: (m: JobMetrics) => void;
  onProgress?: (p: TaskProgress) => void;
  onEvent?: EventListener;
}

/**
 * Where a finished map (shuffle or broadcast) task's output lies. `executor` says whose loss
 * loses it; `rows` counts its rows per reduce partition (one entry for a broadcast).
 */
export interface MapOutput {
  executor: string;
  attempt: number;
  /** Rows of each output block (one per reduce partition for a shuffle). */
  rows: number[];
  /** Bytes of each output block, where the launcher reports them (the scheduler coalesces small reduce partitions by them). */
  bytes?: number[];
}

/** What the scheduler shares with the launcher about one job. */
export interface JobHandle<Out extends MapOutput = MapOutput> {
  readonly jobId: number;
  readonly plan: PhysicalPlan;
  readonly resources: Record<string, Block>;
  /** Per stage, per partition: its map output, null until done (or once lost). */
  readonly outputs: Map<number, (Out | null)[]>;
  /** Set once the job has failed: launchers stop waiting for it. */
  readonly failure: { error: unknown } | null;
  emit(e: RuntimeEvent): void;
}

/** A slot taken for one attempt: given back with `release` once the attempt has an outcome. */
export interface Slot {
  executor: string;
  /** Why there (cluster locality), for the taskStart event. */
  locality?: string;
}

/** What became of an attempt, as its launcher saw it. */
export type Outcome<Out extends MapOutput = MapOutput> =
  | { kind: 'done'; rows: number; durationMs: number; metrics: Record<string, number>; bytes?: number;
      /** A map stage's output. */
      output?: Out;
      /** A result stage's blocks, brought to the driver: null when they could not be (the task runs again). */
      result?: () => Promise<Block[] | null> }
  | { kind: 'failed'; error: ErrorJSON; durationMs: number; metrics: Record<string, number> }
  /** The task could not read an input: that map output is gone and is recomputed; not the task's fault. */
  | { kind: 'fetchFailed'; stage: number; map: number; executor: string; reason: string; durationMs: number; metrics: Record<string, number> }
  /** The executor had forgotten the job and kept nothing: run it again. */
  | { kind: 'dropped'; reason: string; durationMs: number }
  /** The executor was lost, did not take the task, or the attempt was given up on. */
  | { kind: 'lost'; reason: string };

/** One attempt in flight. */
export interface Launched<Out extends MapOutput = MapOutput> {
  /** Settles once; rejects only when the job cannot go on at all (the session closed under it). */
  readonly outcome: Promise<Outcome<Out>>;
  /** Stops waiting for the attempt: its outcome becomes `lost` with `reason`, a later report is ignored. False once it reported. */
  abandon(reason: string): boolean;
}

/**
 * A task launcher: the embedded worker-thread pool (`LocalRuntime`) or a cluster's executors
 * (`ClusterRuntime`). The scheduler (core/scheduler) owns jobs, stages, attempts, retries,
 * lineage, speculation, events and metrics; a launcher only finds slots and runs attempts.
 */
export interface Runtime<Out extends MapOutput = MapOutput> {
  /** Worker slots (in cluster mode: those of the executors alive now). */
  readonly workers: number;
  readonly config: TaskConfig;
  readonly maxTaskAttempts: number;
  /** Messages sent to workers or executors so far (all jobs). */
  readonly messages: number;
  /** Straggler copies and timeouts: what the launcher's executors warrant (the cluster's options; off locally). */
  readonly policy: SchedulingPolicy;
  /** Prepares for a job (spill directories, serving its stage plans). */
  beginJob(job: JobHandle<Out>): Promise<void>;
  /** The job has settled: drop what was kept for it and tell the executors. */
  endJob(job: JobHandle<Out>): void;
  /**
   * A stage's operators changed before any of its tasks started (an adaptive join's switch):
   * tasks launched from now on run `stage`. Launchers that prepare plans at beginJob redo this one.
   */
  stageRewritten?(job: JobHandle<Out>, stage: Stage): void;
  /** Waits for a slot for task `partition` of `stage`; rejects when the job cannot get one (failed, closed, no executor). */
  acquire(job: JobHandle<Out>, stage: Stage, partition: number, failedOn: ReadonlySet<string>): Promise<Slot>;
  /** A free slot now on an executor not in `avoid` (a straggler's copy), or null. */
  tryAcquire(job: JobHandle<Out>, stage: Stage, partition: number, avoid: ReadonlySet<string>): Slot | null;
  release(slot: Slot): void;
  /** Sends attempt `attempt` of the task to the slot; every map output it reads is known. */
  launch(job: JobHandle<Out>, stage: Stage, partition: number, attempt: number, slot: Slot): Launched<Out>;
  /** An executor may be dead (a peer could not reach it): check now rather than wait for its heartbeat. */
  suspect?(executor: string): void;
  /** Gives an executor no more tasks this session (its attempts timed out too often). */
  exclude?(executor: string, reason: string): void;
  /** Tells the scheduler when an executor is gone, with every output it held. */
  onExecutorLost?(f: (executor: string) => void): void;
  /** Drops a cached DataFrame's kept partitions (df.unpersist()), wherever they are. */
  dropCache?(cacheId: string, outputs: Out[]): Promise<void>;
  /** Bytes of these (cached) outputs in memory and spilled to disk, where the launcher knows. */
  storage?(outputs: Out[]): { memoryBytes: number; diskBytes: number };
  /** Calls an exported function of installed code on a worker (embedded sessions only). */
  call<T>(ref: { module: string; export: string }, args: unknown): Promise<T>;
  close(): Promise<void>;
  /** Receives events outside jobs too (cluster executors joining and leaving, late results). */
  attach?(sink: EventListener): void;
}

export interface SpeculationOptions {
  /** A task is a straggler when it has run this many times the median of its stage's finished tasks (default 1.5). */
  multiplier?: number;
  /** Only once this fraction of the stage's tasks has finished (default 0.75). */
  quantile?: number;
  /** Nor before it has run this long (default 1000 ms). */
  minMs?: number;
}

export interface TaskTimeoutOptions {
  /** An attempt times out after this many times the median run time of its stage's finished tasks (default 4). */
  multiplier?: number;
  /** Never before it has run this long (default 30 s): short stages must not time out on noise. */
  minMs?: number;
  /** An executor whose attempts timed out this many times gets no more tasks in this session (default 2). */
  excludeAfter?: number;
  /**
   * Before any task of the job has finished (no run time to learn from), an attempt alone this
   * long gets a copy on another executor, the first result winning (default 4 x minMs).
   */
  copyAfterMs?: number;
}

export interface SchedulingPolicy {
  speculation: false | SpeculationOptions;
  taskTimeout: false | TaskTimeoutOptions;
}
