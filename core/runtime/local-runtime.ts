// Local runtime: a piscina pool of worker threads, a DAG scheduler and a task scheduler with retries.
import * as arrow from 'apache-arrow';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { InferenceHost } from './inference-host.ts';
import { assertNever, errorFromJSON, InternalError, isRetryable, ResourceError } from '../../ops/errors.ts';
import { toArrowSchema } from '../../ops/types.ts';
import { walkPhys, type PhysNode, type PhysicalPlan, type Stage } from '../physical/phys-node.ts';
import { blocksBytes, decodeBlock, type Block } from './ipc.ts';
import { PROGRESS_BYTES, type CallPayload, type TaskConfig, type TaskGroup, type TaskPayload, type TaskResult } from './task.ts';
import { LOCAL_EXECUTOR } from './events.ts';
import { DEFAULT_TASK_STALL_MS, TaskWatchdog } from './task-watchdog.ts';
import type { JobMetrics, RunHooks, Runtime } from './runtime.ts';

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
}

export type { JobMetrics, TaskProgress } from './runtime.ts';

function workerFilename(): string {
  const here = fileURLToPath(import.meta.url);
  const js = here.replace(/local-runtime\.(ts|js)$/, 'worker.js');
  if (here.endsWith('.js') && existsSync(js)) return js;
  return here.replace(/local-runtime\.(ts|js)$/, 'worker-tsx.mjs');
}

export class LocalRuntime implements Runtime {
  readonly workers: number;
  readonly config: TaskConfig;
  readonly maxTaskAttempts: number;
  private readonly pool: Piscina;
  private readonly inference: InferenceHost | null;
  private nextJob = 0;
  private closed = false;
  /** Tasks handed to the pool and not yet finished: bounded so that a failed job stops promptly. */
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly pending: { payload: TaskPayload; resolve: (r: TaskResult) => void; reject: (e: unknown) => void }[] = [];
  private poolCalls = 0;
  /** Messages sent to the pool so far (all jobs). */
  private messages = 0;
  private pumpScheduled = false;
  /** Moving average of task time as the driver sees it; decides grouping. */
  private avgTaskMs = 10;
  private readonly watchdog: TaskWatchdog;

  constructor(opts: LocalRuntimeOptions = {}) {
    this.workers = Math.max(1, opts.workers ?? availableParallelism());
    this.maxTaskAttempts = opts.maxTaskAttempts ?? 4;
    this.watchdog = new TaskWatchdog(opts.taskStallMs ?? DEFAULT_TASK_STALL_MS);
    this.config = {
      memoryBudget: opts.memoryBudget ?? 256 * 1024 * 1024,
      batchSize: opts.batchSize ?? 65_536,
      spillRoot: opts.spillDir ?? join(tmpdir(), `quiver-spill-${process.pid}`),
    };
    this.inference = opts.inferenceThread === false ? null : new InferenceHost(this.workers);
    this.pool = new Piscina({
      filename: workerFilename(),
      minThreads: this.workers,
      maxThreads: this.workers,
      idleTimeout: 60_000,
      concurrentTasksPerWorker: 1,
    });
  }

  /**
   * Runs every stage of a physical plan (a stage when its parents are done) and returns the
   * result stage's output as a Table, partitions in order.
   */
  async run(plan: PhysicalPlan, resources: Record<string, Block>, hooks: RunHooks = {}): Promise<arrow.Table> {
    const { onMetrics, onProgress } = hooks;
    const emit = hooks.onEvent ?? (() => {});
    if (this.closed) throw new ResourceError('this Quiver session is closed; create a new one with Quiver.local()');
    await mkdir(this.config.spillRoot, { recursive: true });
    const jobId = this.nextJob++;
    const t0 = performance.now();
    const messages0 = this.messages;
    const counters: Record<string, number> = {};
    let tasks = 0, failedAttempts = 0;
    // shuffle id -> reduce partition -> blocks (map order); broadcast id -> blocks
    const shuffles = new Map<number, Block[][]>();
    const broadcasts = new Map<number, Block[]>();
    const results: Block[][] = [];
    const done = new Map<number, Promise<void>>();
    const abort = new AbortController();
    const stageMs: number[] = plan.stages.map(() => 0);
    const taskMs: number[] = plan.stages.map(() => 0);
    // The first error stops the job; the job only settles once every task it dispatched has
    // finished, so no task still runs (or writes spill files) when the caller sees the error.
    let failure: { error: unknown } | null = null;
    const stop = (error: unknown): void => {
      if (!failure) failure = { error };
      abort.abort();
    };

    emit({ kind: 'jobStart', ts: Date.now(), jobId, stages: plan.stages.map(describeStage) });
    const runStage = async (stage: Stage): Promise<void> => {
      await Promise.all(stage.parents.map((p) => done.get(p)!));
      const stageJson = JSON.stringify(stage);
      const s0 = performance.now();
      emit({ kind: 'stageStart', ts: Date.now(), jobId, stageId: stage.id, tasks: stage.partitions });
      const out = stage.output;
      const shuffleOut: Block[][][] = [];
      let finished = 0, stageRows = 0;
      const settled = await Promise.allSettled(Array.from({ length: stage.partitions }, async (_, partition) => {
        const payload: TaskPayload = {
          jobId, stageJson, partition, attempt: 0, config: this.config,
          shuffle: inputsFor(stage, partition, shuffles),
          broadcast: broadcastInputs(stage, broadcasts),
          resources: resourcesFor(stage, partition, resources),
        };
        for (let attempt = 0; ; attempt++) {
          if (abort.signal.aborted) throw new InternalError('job aborted');
          payload.attempt = attempt;
          tasks++;
          let r: TaskResult;
          await this.acquire();
          if (abort.signal.aborted) { this.release(); throw new InternalError('job aborted'); }
          emit({ kind: 'taskStart', ts: Date.now(), jobId, stageId: stage.id, partition, attempt, executor: LOCAL_EXECUTOR });
          try {
            // No per-task AbortSignal: in-flight tasks are bounded, and a failed job stops dispatching.
            r = await this.submit(payload);
          } catch (e) {
            if (this.closed) {
              // close() destroyed the pool under this job: say so once, without retrying.
              const err = new ResourceError('this Quiver session was closed while the job was running; close it only after its jobs finish');
              stop(err);
              throw err;
            }
            r = { ok: false, error: { code: 'INTERNAL_ERROR', name: 'Error', message: `worker failed: ${(e as Error).message}` }, blocks: [], rows: 0, metrics: {}, durationMs: 0 };
          } finally {
            this.release();
          }
          for (const [k, v] of Object.entries(r.metrics)) counters[k] = (counters[k] ?? 0) + v;
          taskMs[stage.id] += r.durationMs;
          emit({ kind: 'taskEnd', ts: Date.now(), jobId, stageId: stage.id, partition, attempt, executor: LOCAL_EXECUTOR, ok: r.ok, error: r.ok ? undefined : r.error!.message, durationMs: r.durationMs, rows: r.rows, bytes: blocksBytes(r.blocks), metrics: r.metrics });
          if (r.ok) {
            finished++;
            stageRows += r.rows;
            onProgress?.({ jobId, stageId: stage.id, stages: plan.stages.length, done: finished, total: stage.partitions, rows: stageRows });
            return r;
          }
          failedAttempts++;
          const err = errorFromJSON(r.error!);
          // The user's plan or data, or an error that would recur (a build side over budget): fail now.
          if (!isRetryable(r.error!) || attempt + 1 >= this.maxTaskAttempts) {
            if (isRetryable(r.error!)) err.message = `stage ${stage.id} task ${partition} failed ${attempt + 1} times; last error: ${err.message}`;
            stop(err);
            throw err;
          }
        }
      }));
      for (const s of settled) if (s.status === 'rejected') stop(s.reason);
      if (failure) throw failure.error;
      const taskResults = settled.map((s) => (s as PromiseFulfilledResult<TaskResult>).value);
      stageMs[stage.id] = performance.now() - s0;
      emit({ kind: 'stageEnd', ts: Date.now(), jobId, stageId: stage.id, durationMs: stageMs[stage.id], rows: stageRows });
      if (out.kind === 'shuffle') {
        const byReduce: Block[][] = Array.from({ length: out.partitions }, () => []);
        for (const r of taskResults) r.blocks.forEach((b, i) => { if (b) byReduce[i].push(b); });
        shuffles.set(out.shuffleId, byReduce);
        void shuffleOut;
      } else if (out.kind === 'broadcast') {
        broadcasts.set(out.id, taskResults.flatMap((r) => r.blocks.filter((b): b is Block => b !== null)));
      } else {
        for (const r of taskResults) results.push(r.blocks.filter((b): b is Block => b !== null));
      }
    };

    for (const stage of plan.stages) done.set(stage.id, runStage(stage));
    try {
      await Promise.all(done.values());
    } catch (e) {
      stop(e);
      await Promise.allSettled(done.values());
      emit({ kind: 'jobEnd', ts: Date.now(), jobId, ok: false, error: (failure!.error as Error).message, durationMs: performance.now() - t0, tasks, failedAttempts });
      throw failure!.error;
    }
    const resultStage = plan.stages[plan.resultStage];
    const schema = toArrowSchema(resultStage.fields);
    const batches: arrow.RecordBatch[] = [];
    for (const blocks of results) for (const block of blocks) for (const b of decodeBlock(block)) batches.push(new arrow.RecordBatch(schema, b.data));
    emit({ kind: 'jobEnd', ts: Date.now(), jobId, ok: true, durationMs: performance.now() - t0, tasks, failedAttempts });
    onMetrics?.({ jobId, stages: plan.stages.length, tasks, failedAttempts, durationMs: performance.now() - t0, stageMs, taskMs, messages: this.messages - messages0, counters });
    return batches.length ? new arrow.Table(schema, batches) : new arrow.Table(schema);
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
      this.messages++;
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

  private acquire(): Promise<void> | void {
    if (this.inFlight < this.maxInFlight) { this.inFlight++; return; }
    return new Promise((res) => this.waiting.push(() => { this.inFlight++; res(); }));
  }

  private release(): void {
    this.inFlight--;
    // The limit grows when tasks turn out tiny: admit every waiter it now allows, not just one.
    while (this.waiting.length > 0 && this.inFlight < this.maxInFlight) {
      this.waiting.shift()!(); // increments inFlight
    }
  }

  /**
   * Runs one task attempt on the pool (an executor's tasks, sent by a cluster driver). A worker
   * that dies fails the attempt with an INTERNAL_ERROR result; it never throws.
   */
  async runTask(payload: TaskPayload): Promise<TaskResult> {
    if (this.closed) throw new ResourceError('this runtime is closed');
    await mkdir(payload.config.spillRoot, { recursive: true });
    await this.acquire();
    try {
      return await this.submit(payload);
    } catch (e) {
      return { ok: false, error: { code: 'INTERNAL_ERROR', name: 'Error', message: `worker failed: ${(e as Error).message}` }, blocks: [], rows: 0, metrics: {}, durationMs: 0 };
    } finally {
      this.release();
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
    await this.inference?.close();
  }
}

/** A stage as the jobStart event shows it. */
export function describeStage(s: Stage): { id: number; partitions: number; parents: number[]; output: string } {
  const o = s.output;
  const output = o.kind === 'shuffle' ? `shuffle ${o.shuffleId} into ${o.partitions}` : o.kind === 'broadcast' ? `broadcast ${o.id}` : 'result';
  return { id: s.id, partitions: s.partitions, parents: s.parents, output };
}

export function inputsFor(stage: Stage, partition: number, shuffles: Map<number, Block[][]>): Record<number, Block[]> {
  const out: Record<number, Block[]> = {};
  walkPhys(stage.root, (n) => {
    if (n.op === 'shuffleRead') out[n.shuffleId] = shuffles.get(n.shuffleId)?.[partition] ?? [];
  });
  return out;
}

export function broadcastInputs(stage: Stage, broadcasts: Map<number, Block[]>): Record<number, Block[]> {
  const out: Record<number, Block[]> = {};
  walkPhys(stage.root, (n) => {
    if (n.op === 'broadcast') out[n.id] = broadcasts.get(n.id) ?? [];
  });
  return out;
}

/** The in-memory partitions task `partition` reads: each values node at the partition it maps to (through unions). */
export function resourcesFor(stage: Stage, partition: number, resources: Record<string, Block>): Record<string, Block> {
  const out: Record<string, Block> = {};
  const visit = (n: PhysNode, p: number): void => {
    switch (n.op) {
      case 'values': {
        const key = `${n.id}/${p}`;
        if (resources[key]) out[key] = resources[key];
        return;
      }
      case 'union': {
        let local = p;
        for (let i = 0; i < n.children.length; i++) {
          if (local < n.partitionCounts[i]) return visit(n.children[i], local);
          local -= n.partitionCounts[i];
        }
        return;
      }
      case 'hashJoin': visit(n.left, p); visit(n.right, p); return;
      case 'scan': case 'shuffleRead': case 'broadcast': return;
      case 'filter': case 'project': case 'aggregate': case 'sort': case 'sample': case 'rangePartition': case 'limit': case 'mapBatches': case 'predict': visit(n.child, p); return;
      default: assertNever(n, 'physical node');
    }
  };
  visit(stage.root, partition);
  return out;
}
