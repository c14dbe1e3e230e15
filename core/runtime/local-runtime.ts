// Local runtime: a piscina pool of worker threads, a DAG scheduler and a task scheduler with retries.
import { existsSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { InferenceHost } from './inference-host.ts';
import { ResourceError } from '../../ops/errors.ts';
import { resourcesFor, stageReads, taskShuffleReads, type Stage } from '../physical/phys-node.ts';
import { BlockStore } from './block-store.ts';
import { blocksBytes, isSpilled, memoryBytes, type Block, type BlockRef } from './ipc.ts';
import { PROGRESS_BYTES, type CallPayload, type TaskConfig, type TaskGroup, type TaskPayload, type TaskResult } from './task.ts';
import { LOCAL_EXECUTOR } from './events.ts';
import { DEFAULT_TASK_STALL_MS, TaskWatchdog } from './task-watchdog.ts';
import { DEFAULT_BATCH_SIZE, type JobHandle, type Launched, type MapOutput, type Outcome, type Runtime, type SchedulingPolicy, type Slot } from './runtime.ts';
import { collectAfterJob } from './gc.ts';

/**
 * The young generation of each worker's heap. Operators allocate a batch's worth of short-lived
 * arrays and views per step; with V8's default (a few MB of semi-space) they were scavenged and
 * promoted over and over. TPC-H SF 1, 2 workers, paired runs against the default: geomean of
 * per-query times 0.76x at 64 MB, 0.71x at 128 MB, 0.75x at 256 MB.
 */
const WORKER_YOUNG_GENERATION_MB = 128;

export interface LocalRuntimeOptions {
  workers?: number;
  memoryBudget?: number;
  batchSize?: number;
  spillDir?: string;
  maxTaskAttempts?: number;
  /**
   * A task that reads and produces no batch for this long is stopped (its worker thread is
   * terminated) and fails with a ResourceError; default 10 minutes (see DEFAULT_TASK_STALL_MS in
   * task-watchdog.ts), 0: never.
   */
  taskStallMs?: number;
  /**
   * Pipelined predict (default true): a predict on onnxruntime or WebGPU runs in the process's
   * inference threads (WebGPU: one, with one model copy, small batches coalesced and several in
   * flight; onnxruntime: one single-threaded session per core) while the worker threads read and
   * decode; false keeps the model in every worker thread.
   */
  inferenceThread?: boolean;
  /**
   * Bytes of shuffle and broadcast output the driver keeps in memory for later stages; past it,
   * the oldest map outputs are written to disk under spillDir as Arrow IPC and read back by the
   * tasks that need them (default 2 x memoryBudget).
   */
  shuffleMemoryBytes?: number;
}

export type { JobMetrics, TaskProgress } from './runtime.ts';

function workerFilename(): string {
  const here = fileURLToPath(import.meta.url);
  const built = here.replace(/local-runtime\.(ts|js)$/, 'worker-entry.cjs');
  if (here.endsWith('.js') && existsSync(built)) return built;
  return here.replace(/local-runtime\.(ts|js)$/, 'worker-tsx.cjs');
}

export class LocalRuntime implements Runtime<LocalOutput> {
  readonly workers: number;
  readonly config: TaskConfig;
  readonly maxTaskAttempts: number;
  private readonly pool: Piscina;
  private readonly inference: InferenceHost | null;
  private closed = false;
  /** Tasks handed to the pool and not yet finished: bounded so that a failed job stops promptly. */
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly pending: { payload: TaskPayload; resolve: (r: TaskResult) => void; reject: (e: unknown) => void }[] = [];
  private poolCalls = 0;
  private sent = 0;
  /** Each job's stage plans as JSON, made once per stage. */
  private readonly stageJson = new WeakMap<JobHandle<LocalOutput>, Map<number, string>>();
  /** Map outputs of running jobs, spilled to disk past shuffleMemoryBytes. */
  private readonly store: BlockStore;
  private pumpScheduled = false;
  /** Spill roots created for runTask (see spillRootReady). */
  private readonly spillRoots = new Map<string, Promise<void>>();
  /** Moving average of task time as the driver sees it; decides grouping. */
  private avgTaskMs = 10;
  private readonly watchdog: TaskWatchdog;

  constructor(opts: LocalRuntimeOptions = {}) {
    this.workers = Math.max(1, opts.workers ?? availableParallelism());
    this.maxTaskAttempts = opts.maxTaskAttempts ?? 4;
    this.watchdog = new TaskWatchdog(opts.taskStallMs ?? DEFAULT_TASK_STALL_MS);
    this.config = {
      memoryBudget: opts.memoryBudget ?? 256 * 1024 * 1024,
      batchSize: opts.batchSize ?? DEFAULT_BATCH_SIZE,
      spillRoot: opts.spillDir ?? join(tmpdir(), `quiver-spill-${process.pid}`),
    };
    this.store = new BlockStore(opts.shuffleMemoryBytes ?? 2 * this.config.memoryBudget, join(this.config.spillRoot, 'shuffle'));
    this.inference = opts.inferenceThread === false ? null : new InferenceHost(this.workers);
    this.pool = new Piscina({
      filename: workerFilename(),
      minThreads: this.workers,
      maxThreads: this.workers,
      idleTimeout: 60_000,
      concurrentTasksPerWorker: 1,
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
  }

  readonly policy: SchedulingPolicy = { speculation: false, taskTimeout: false };

  /** Messages sent to the pool so far (all jobs): fewer than tasks when tiny tasks travel in groups. */
  get messages(): number { return this.sent; }

  async beginJob(): Promise<void> {
    if (this.closed) throw new ResourceError('this Quiver session is closed; create a new one with Quiver.local()');
    await mkdir(this.config.spillRoot, { recursive: true });
  }

  endJob(job: JobHandle<LocalOutput>): void {
    this.stageJson.delete(job);
    this.store.dropPrefix(`j${job.jobId}/`);
    collectAfterJob();
  }

  /** A place among the tasks in flight (bounded, so that a failed job stops dispatching promptly). */
  async acquire(): Promise<Slot> {
    await this.admit();
    return { executor: LOCAL_EXECUTOR };
  }

  /** No copies of stragglers: every worker thread is this process's. */
  tryAcquire(): Slot | null {
    return null;
  }

  release(): void {
    this.leave();
  }

  launch(job: JobHandle<LocalOutput>, stage: Stage, partition: number, attempt: number): Launched<LocalOutput> {
    let json = this.stageJson.get(job);
    if (!json) { json = new Map(); this.stageJson.set(job, json); }
    let stageJson = json.get(stage.id);
    if (stageJson === undefined) { stageJson = JSON.stringify(stage); json.set(stage.id, stageJson); }
    const payload: TaskPayload = {
      jobId: job.jobId, stageJson, partition, attempt, config: this.config,
      shuffle: this.shuffleInputs(job, stage, partition),
      broadcast: this.broadcastInputs(job, stage),
      resources: resourcesFor(stage, partition, job.resources),
    };
    // No per-task AbortSignal: in-flight tasks are bounded, and a failed job stops dispatching.
    const outcome = this.submit(payload).then((r) => this.toOutcome(job, stage, partition, attempt, r), (e): Outcome<LocalOutput> => {
      // close() destroyed the pool under this job: say so once, without retrying.
      if (this.closed) throw new ResourceError('this Quiver session was closed while the job was running; close it only after its jobs finish');
      return { kind: 'failed', error: { code: 'INTERNAL_ERROR', name: 'Error', message: `worker failed: ${(e as Error).message}` }, durationMs: 0, metrics: {} };
    });
    return { outcome, abandon: () => false };
  }

  /** A worker's result as an outcome; a map task's blocks go to the store (spilling older ones past its budget). */
  private toOutcome(job: JobHandle<LocalOutput>, stage: Stage, partition: number, attempt: number, r: TaskResult): Outcome<LocalOutput> {
    if (!r.ok) return { kind: 'failed', error: r.error!, durationMs: r.durationMs, metrics: r.metrics };
    const done = { kind: 'done' as const, rows: r.rows, durationMs: r.durationMs, metrics: r.metrics, bytes: blocksBytes(r.blocks) };
    if (stage.output.kind === 'result') {
      const blocks = r.blocks.filter((b): b is Block => b !== null && !isSpilled(b));
      return { ...done, result: async () => blocks };
    }
    // A cached DataFrame's partition outlives the job (endJob drops only the job's prefix).
    const key = stage.output.kind === 'cache' ? `${cachePrefix(stage.output.cacheId)}p${partition}/j${job.jobId}a${attempt}` : `j${job.jobId}/s${stage.id}/p${partition}/a${attempt}`;
    // What the store spills now (the task counted the files it wrote itself).
    const spilled0 = this.store.spilledBytes + blocksBytes(r.blocks) - memoryBytes(r.blocks);
    this.store.put(key, r.blocks);
    const spilled = this.store.spilledBytes - spilled0;
    const metrics = spilled > 0 ? { ...r.metrics, shuffleSpillBytes: (r.metrics.shuffleSpillBytes ?? 0) + spilled } : r.metrics;
    return { ...done, metrics, output: { executor: LOCAL_EXECUTOR, attempt, rows: r.blocks.map((b) => b?.rows ?? 0), bytes: r.blocks.map((b) => b?.bytes ?? 0), key } };
  }

  async dropCache(cacheId: string): Promise<void> {
    this.store.dropPrefix(cachePrefix(cacheId));
  }

  storage(outputs: LocalOutput[]): { memoryBytes: number; diskBytes: number } {
    return this.store.usage(outputs.map((o) => o.key));
  }

  /**
   * The shuffle blocks task `partition` reads: the reduce partitions each read runs at (one, or a
   * coalesced range, in order), each of every map output in map order.
   */
  private shuffleInputs(job: JobHandle<LocalOutput>, stage: Stage, partition: number): Record<number, BlockRef[]> {
    const out: Record<number, BlockRef[]> = {};
    for (const { id, stage: from, reduces } of taskShuffleReads(job.plan, stage, partition)) {
      out[id] = [];
      for (const reduce of reduces) {
        for (const m of job.outputs.get(from) ?? []) {
          // A spilled block travels as its file name: the worker loads it when the task runs, not while it waits.
          const b = m && m.rows[reduce] ? this.store.peek(m.key, reduce) : null;
          if (b) out[id].push(b);
        }
      }
    }
    return out;
  }

  /** Whole broadcast relations a stage reads. */
  private broadcastInputs(job: JobHandle<LocalOutput>, stage: Stage): Record<number, BlockRef[]> {
    const out: Record<number, BlockRef[]> = {};
    for (const { id, stage: from } of stageReads(job.plan, stage, 'broadcast')) {
      out[id] = [];
      for (const m of job.outputs.get(from) ?? []) {
        for (let i = 0; m && i < m.rows.length; i++) {
          const b = this.store.peek(m.key, i);
          if (b) out[id].push(b);
        }
      }
    }
    return out;
  }

  /**
   * Hands a task to the pool. Tiny tasks are sent in groups (one message for several
   * partitions) so that messaging does not dominate them; a task still succeeds or fails alone.
   */
  private submit(payload: TaskPayload): Promise<TaskResult> {
    return new Promise((resolve, reject) => {
      this.pending.push({ payload, resolve, reject });
      this.schedulePump();
    });
  }

  /**
   * Pumps once the current wave of submissions is in: when a group finishes, its tasks free
   * their in-flight slots and the next tasks submit one microtask at a time; pumping at once
   * would send each of them alone instead of as one group.
   */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => { this.pumpScheduled = false; this.pump(); });
  }

  private pump(): void {
    while (this.poolCalls < this.workers * 2 && this.pending.length > 0) {
      const tiny = this.avgTaskMs < 2;
      // Groups of up to 64: workers x 2 groups run or wait in the pool, the rest queue here.
      const k = tiny ? Math.min(64, this.pending.length) : 1;
      // A group holds tasks of one stage, so the stage and config travel once per message.
      const stageJson = this.pending[0].payload.stageJson;
      const group: typeof this.pending = [];
      for (let i = 0; i < this.pending.length && group.length < k;) {
        if (this.pending[i].payload.stageJson === stageJson) group.push(...this.pending.splice(i, 1));
        else i++;
      }
      this.poolCalls++;
      this.sent++;
      const first = group[0].payload;
      const progress = new SharedArrayBuffer(PROGRESS_BYTES);
      const message: TaskPayload | TaskGroup = group.length === 1 ? { ...first, progress } : {
        jobId: first.jobId, stageJson, config: first.config, progress,
        tasks: group.map(({ payload: p }) => ({ partition: p.partition, attempt: p.attempt, shuffle: p.shuffle, broadcast: p.broadcast, resources: p.resources })),
      };
      const run = this.watchdog.watch(group.map((g) => g.payload), progress);
      // A pipelined predict: the tasks send their images to the process's inference thread.
      const transferList = [];
      const kind = this.inference?.wants(stageJson) ?? null;
      const link = kind ? this.inference!.connect(kind) : null;
      if (link) {
        message.inference = link.port;
        transferList.push(link.port);
      }
      (this.pool.run(message, { signal: run.abort.signal, transferList }) as Promise<TaskResult | TaskResult[]>)
        .then((r) => {
          const rs = Array.isArray(r) ? r : [r];
          // The tasks' own run time as the workers measured it: queueing in a busy pool must
          // not make tiny tasks look big (and send them one message each, which is slower still).
          const ran = rs.reduce((s, x) => s + (x?.durationMs ?? 0), 0) / rs.length;
          this.avgTaskMs = 0.8 * this.avgTaskMs + 0.2 * ran;
          group.forEach((g, i) => g.resolve(rs[i]));
        }, (e) => {
          // Stopped by the watchdog: the stalled task fails with its own error; the others of
          // its group lost their worker and are retried.
          const stalled = run.stalled;
          group.forEach((g, i) => (stalled?.index === i ? g.resolve(stalled.result) : g.reject(e)));
        })
        .finally(() => { link?.release(); this.watchdog.unwatch(run); this.poolCalls--; this.schedulePump(); });
    }
  }

  /** Tasks allowed in flight: deep queues only for tiny tasks, so that a failing job stops soon after its first error. */
  private get maxInFlight(): number {
    return this.workers * (this.avgTaskMs < 2 ? 256 : 4);
  }

  private admit(): Promise<void> | void {
    if (this.inFlight < this.maxInFlight) { this.inFlight++; return; }
    return new Promise((res) => this.waiting.push(() => { this.inFlight++; res(); }));
  }

  private leave(): void {
    this.inFlight--;
    // The limit grows when tasks turn out tiny: admit every waiter it now allows, not just one.
    while (this.waiting.length > 0 && this.inFlight < this.maxInFlight) {
      this.waiting.shift()!(); // increments inFlight
    }
  }

  /**
   * Creates an executor's spill root once, not before every task: an mkdir waits for libuv's
   * file system threads, which a finished job's cleanup (rm of its spill directories) can hold
   * for tens of milliseconds (measured: 24-59 ms before some reduce tasks of the log top-5 job).
   */
  private spillRootReady(dir: string): Promise<void> {
    let p = this.spillRoots.get(dir);
    if (!p) {
      p = mkdir(dir, { recursive: true }).then(() => undefined);
      p.catch(() => this.spillRoots.delete(dir));
      this.spillRoots.set(dir, p);
    }
    return p;
  }

  /**
   * Runs one task attempt on the pool (an executor's tasks, sent by a cluster driver). A worker
   * that dies fails the attempt with an INTERNAL_ERROR result; it never throws.
   */
  async runTask(payload: TaskPayload): Promise<TaskResult> {
    if (this.closed) throw new ResourceError('this runtime is closed');
    await this.spillRootReady(payload.config.spillRoot);
    await this.admit();
    try {
      return await this.submit(payload);
    } catch (e) {
      return { ok: false, error: { code: 'INTERNAL_ERROR', name: 'Error', message: `worker failed: ${(e as Error).message}` }, blocks: [], rows: 0, metrics: {}, durationMs: 0 };
    } finally {
      this.leave();
    }
  }

  /**
   * Calls `ref.export` from `ref.module` on a worker with `args` (SharedArrayBuffers are shared),
   * beside any running job's tasks. Used for work that is not a plan, such as the gradient steps
   * of data-parallel training; the caller retries if it wants to.
   */
  async call<T>(ref: { module: string; export: string }, args: unknown): Promise<T> {
    if (this.closed) throw new ResourceError('this Quiver session is closed; create a new one with Quiver.local()');
    const payload: CallPayload = { call: ref, args };
    return (await this.pool.run(payload)) as T;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watchdog.close();
    await this.pool.destroy();
    this.store.clear();
    rmSync(join(this.config.spillRoot, 'map-output'), { recursive: true, force: true });
    await this.inference?.close();
  }
}

/** Where a cached DataFrame's partitions lie in the driver's block store. */
const cachePrefix = (cacheId: string): string => `cache/${cacheId}/`;

/**
 * A map task's output kept by the driver in its block store: one block per reduce partition
 * (one for a broadcast), shared with the tasks that read them without copying while in memory.
 */
export interface LocalOutput extends MapOutput {
  /** The output's key in the runtime's block store. */
  key: string;
}
