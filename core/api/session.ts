// Session: owns the runtime and in-memory resources; runs and explains plans for DataFrames.
import { placePredict, releasePlacementDevices } from '../../ops/predict/placement.ts';
import * as arrow from 'apache-arrow';
import { InternalError, PlanError, ResourceError } from '../../ops/errors.ts';
import { log } from '../../gpu-kernels/log.ts';
import { fromArrowSchema, toArrowSchema, type FieldJSON } from '../../ops/types.ts';
import { planSplits } from '../../ops/sources/index.ts';
import { planChildren, withPlanChildren, type LogicalPlan } from '../plan/node.ts';
import { values, type Values } from '../plan/values.ts';
import { optimize } from '../optimizer/optimizer.ts';
import { explainText, planEvents } from '../obs/plan-events.ts';
import { createPhysicalPlan } from '../physical/planner.ts';
import type { PhysicalPlan, WriteSpec } from '../physical/phys-node.ts';
import { decodeBlock, encodeBlock, type Block } from '../runtime/ipc.ts';
import type { EventListener, RuntimeEvent } from '../runtime/events.ts';
import type { JobMetrics, RunHooks, Runtime, TaskProgress } from '../runtime/runtime.ts';
import { DagScheduler } from '../scheduler/dag-scheduler.ts';
import { normalizeTable, tableFromRows } from './ingest.ts';
import { Catalog } from '../sql/catalog.ts';
import { StreamingQueryManager } from '../stream/query-manager.ts';

/**
 * A sort whose input is computed from shuffles that turn out to hold at most this many bytes
 * sorts in one task (with singleTaskSortBytes on): under it, a key sample stage and a range
 * shuffle cost more than one task sorting it all.
 */
const ADAPTIVE_SORT_BYTES = 16 * 2 ** 20;

/** Share of memoryBudget one range partition of a sort is planned to hold (see PhysicalPlannerOptions.sortPartitionBytes). */
const SORT_PARTITION_BUDGET_SHARE = 0.35;

export interface SessionOptions {
  shufflePartitions: number;
  targetSplitBytes: number;
  broadcastThresholdBytes: number;
  /** Adaptive joins (see LocalOptions.adaptiveJoins; default false here). */
  adaptiveJoins?: boolean;
  /** An orderBy estimated at most this many bytes sorts in one task (see LocalOptions.singleTaskSortBytes; default 0 here). */
  singleTaskSortBytes?: number;
  /** No console warning when a permissive read skips bad records (they are still counted and quarantined). */
  quiet?: boolean;
  /** collect() refuses results larger than this (bytes in Arrow buffers); Infinity: no limit. */
  maxResultBytes?: number;
  /** Small shuffle partitions are coalesced into tasks of up to this many bytes (see LocalOptions.coalescePartitionBytes; default 0 here: off). */
  coalescePartitionBytes?: number;
}

export interface IterateOptions {
  /**
   * Result partitions computed ahead of the one being read (default: the worker slots). Memory
   * held is about this many partitions; 1 computes each partition only once the last is read.
   */
  prefetch?: number;
}

export class Session {
  private readonly resources: Record<string, Block> = {};
  private nextResource = 0;
  /** Called as tasks finish (progress bars); null for none. */
  progress: ((p: TaskProgress) => void) | null = null;
  /** Metrics of the last job run by this session. */
  lastJob: JobMetrics | null = null;
  private warnedBadRecords = false;

  /** Called with every runtime event (job, stage, task, executor); see core/runtime/events.ts. */
  readonly listeners = new Set<EventListener>();

  /** Runs jobs' stages as task attempts on the runtime (worker threads or a cluster's executors). */
  readonly scheduler: DagScheduler;

  /** Tables by name, for q.sql and q.table (createOrReplaceTempView, q.registerTable). */
  readonly catalog = new Catalog();

  /** Active streaming queries (df.writeStream...start()); stopped by close(). */
  readonly streams = new StreamingQueryManager();
  private oneRowPlan: LogicalPlan | null = null;

  /** A one-row, one-column relation (SELECT without FROM), registered once. */
  oneRow(): LogicalPlan {
    this.oneRowPlan ??= this.registerTable([{ one: 1 }], [{ name: 'one', type: 'int32', nullable: false }], 1);
    return this.oneRowPlan;
  }

  constructor(readonly runtime: Runtime, readonly options: SessionOptions) {
    this.scheduler = new DagScheduler(runtime);
    this.scheduler.coalesceBytes = options.coalescePartitionBytes ?? 0;
    this.scheduler.adaptiveJoinBytes = options.adaptiveJoins ? Math.max(0, options.broadcastThresholdBytes) : 0;
    this.scheduler.adaptiveSortBytes = (options.singleTaskSortBytes ?? 0) > 0 ? Math.max(options.singleTaskSortBytes!, ADAPTIVE_SORT_BYTES) : 0;
    this.scheduler.onEvent = (e) => this.emit(e);
  }

  /** Registers a cached DataFrame (kept by the first job that computes it); returns its id. */
  persist(name: string): string {
    return this.scheduler.cache.persist(name);
  }

  isCached(cacheId: string): boolean {
    return this.scheduler.cache.isPersisted(cacheId);
  }

  /** Drops a cached DataFrame's partitions everywhere; jobs over it compute it again. */
  unpersist(cacheId: string): Promise<void> {
    return this.scheduler.unpersist(cacheId);
  }

  /** Registers an in-memory table, split into `partitions` IPC blocks shared with workers. */
  registerTable(input: arrow.Table | readonly Record<string, unknown>[], schema?: readonly FieldJSON[], partitions?: number): Values {
    const table = input instanceof arrow.Table ? normalizeTable(input) : tableFromRows(input, schema);
    const fields = schema ?? fromArrowSchema(table.schema);
    const n = Math.max(1, Math.min(partitions ?? this.runtime.workers, Math.max(1, table.numRows)));
    const id = `mem${this.nextResource++}`;
    const per = Math.ceil(table.numRows / n);
    let bytes = 0;
    const arrowSchema = toArrowSchema(fields);
    for (let i = 0; i < n; i++) {
      const part = table.slice(i * per, Math.min(table.numRows, (i + 1) * per));
      const block = encodeBlock(arrowSchema, part.batches.map((b) => new arrow.RecordBatch(arrowSchema, b.data)));
      this.resources[`${id}/${i}`] = block;
      bytes += block.bytes;
    }
    return values(id, fields, n, table.numRows, bytes);
  }

  /** Frees the blocks of a table registered with registerTable; jobs planned over it afterwards fail. */
  dropTable(table: Values): void {
    for (let i = 0; i < table.partitions; i++) delete this.resources[`${table.id}/${i}`];
  }

  private optimizerOptions() {
    return { broadcastThresholdBytes: this.options.broadcastThresholdBytes, adaptiveJoins: this.options.adaptiveJoins ?? false };
  }

  /** `write`: plan a write job (the result stage writes part files; see core/api/writer.ts). */
  async physical(plan: LogicalPlan, write?: WriteSpec): Promise<{ optimized: LogicalPlan; physical: PhysicalPlan }> {
    // A DataFrame unpersisted (or cached by another session) is computed as if never cached.
    const optimized = optimize(uncacheUnknown(plan, (id) => this.isCached(id)), this.optimizerOptions());
    const physical = await createPhysicalPlan(optimized, {
      cachedStages: this.scheduler.cache.lineage,
      shufflePartitions: this.options.shufflePartitions,
      targetSplitBytes: this.options.targetSplitBytes,
      // A partition's sort spills past half the budget; at 0.35 of it, estimates that fall short
      // (and uneven range bounds) still leave room.
      sortPartitionBytes: this.runtime.config.memoryBudget * SORT_PARTITION_BUDGET_SHARE,
      singleTaskSortBytes: this.options.singleTaskSortBytes ?? 0,
      planSplits: (source, target, scan) => planSplits(source as any, target, this.runtime.workers, scan) as any,
      placePredict: (spec) => placePredict({ modelPath: spec.modelPath, sha: spec.modelSha256, kind: spec.modelFormat ?? 'mlp', device: spec.device, backend: spec.backend, workers: this.runtime.workers, batchSize: spec.batchSize }),
      write,
    });
    return { optimized, physical };
  }

  /** Runs a plan; with `write`, the result is one row per file written (WriteFilesExec), not the plan's rows. */
  async execute(plan: LogicalPlan, write?: WriteSpec): Promise<arrow.Table> {
    const { optimized, physical } = await this.physical(plan, write);
    return this.scheduler.collect(physical, this.resources, this.hooks(plan, optimized, physical), { maxResultBytes: this.options.maxResultBytes });
  }

  /**
   * Runs the dataflow and yields its result's record batches in order, partition by partition:
   * only `prefetch` result partitions are computed ahead of the reader, so memory stays bounded
   * whatever the result's size. Stopping early (break) cancels the partitions not yet started.
   */
  async *iterate(plan: LogicalPlan, o: IterateOptions = {}): AsyncGenerator<arrow.RecordBatch> {
    const { optimized, physical } = await this.physical(plan);
    const resultStage = physical.stages[physical.resultStage];
    const total = resultStage.partitions;
    const schema = toArrowSchema(resultStage.fields);
    const window = Math.max(1, Math.floor(o.prefetch ?? this.runtime.workers));
    const ready = new Map<number, Block[]>();
    const held: { p: number; admit: () => void; refuse: (e: unknown) => void }[] = [];
    let next = 0;
    const end: { settled: { error?: unknown } | null } = { settled: null };
    let wake: (() => void) | null = null;
    const notify = (): void => { const w = wake; wake = null; w?.(); };
    const job = this.scheduler.run(physical, this.resources, this.hooks(plan, optimized, physical), {
      admit: (p) => (p < next + window ? Promise.resolve() : new Promise<void>((admit, refuse) => held.push({ p, admit, refuse }))),
      accept: (p, blocks) => { ready.set(p, blocks); notify(); },
    }).then(() => { end.settled = {}; notify(); }, (error) => { end.settled = { error }; notify(); });
    try {
      while (next < total) {
        while (!ready.has(next)) {
          if (end.settled) throw end.settled.error ?? new InternalError(`invariant violated: the job ended without result partition ${next}`);
          await new Promise<void>((r) => { wake = r; });
        }
        const blocks = ready.get(next)!;
        ready.delete(next);
        next++;
        for (let i = held.length - 1; i >= 0; i--) if (held[i].p < next + window) held.splice(i, 1)[0].admit();
        for (const block of blocks) for (const b of decodeBlock(block)) if (b.numRows > 0) yield new arrow.RecordBatch(schema, b.data);
      }
      await job;
      if (end.settled?.error) throw end.settled.error;
    } finally {
      if (!end.settled) {
        // The reader stopped early: partitions not started are refused, and the job settles before this returns.
        const stop = new ResourceError('toLocalIterator(): the reader stopped before the last partition; the partitions not yet computed were cancelled', { retryable: false });
        for (const h of held.splice(0)) h.refuse(stop);
        await job;
      }
    }
  }

  /** What a job reports to: the session's metrics, progress and listeners (with the job's plans after its start). */
  private hooks(plan: LogicalPlan, optimized: LogicalPlan, physical: PhysicalPlan): RunHooks {
    return {
      onMetrics: (m) => { this.lastJob = m; this.reportJob(m); },
      onProgress: this.progress ?? undefined,
      onEvent: (e) => {
        this.emit(e);
        // The job's plans and placements follow its start: the event log and UI show them from these alone.
        if (e.kind === 'jobStart' && this.listeners.size > 0) for (const p of planEvents(e.jobId, plan, optimized, physical, e.ts)) this.emit(p);
      },
    };
  }

  /** Hands an event to every listener; a listener that throws is reported, never allowed to fail the job. */
  emit(e: RuntimeEvent): void {
    for (const l of this.listeners) {
      try { l(e); } catch (err) { log.error(`quiver: an event listener failed: ${(err as Error).message}`); }
    }
  }

  private reportJob(m: JobMetrics): void {
    const bad = m.counters.badRecords ?? 0;
    const fellBack = m.counters.predictGpuFallbacks ?? 0;
    if (fellBack > 0 && !this.options.quiet) log.warn(`quiver: job ${m.jobId}: ${fellBack} predict task${fellBack === 1 ? '' : 's'} placed on the GPU ran on the CPU (a retry after the GPU attempt failed: its error is in the web UI and event log; or QUIVER_GPU=off); /metrics counts them in quiver_predict_gpu_fallbacks_total`);
    // Once per session: every action over a bad file skips its records again, and saying so each time is noise.
    if (bad > 0 && !this.options.quiet && !this.warnedBadRecords) {
      this.warnedBadRecords = true;
      log.warn(`quiver: job ${m.jobId} skipped ${bad} bad record${bad === 1 ? '' : 's'} (permissive mode); each is written with its reason to the badRecordsPath, one file per split, replaced by each job that reads it (said once per session; each job's count is its badRecords metric)`);
    }
  }

  /** Stops the workers and frees the driver thread's GPU device (opened by predict's calibration). */
  async close(): Promise<void> {
    await this.streams.stopAll();
    await this.runtime.close();
    await releasePlacementDevices();
  }

  async explain(plan: LogicalPlan): Promise<string> {
    const { optimized, physical } = await this.physical(plan);
    return explainText(plan, optimized, physical);
  }
}

/** `plan` without the Cache nodes whose ids `kept` does not know. */
function uncacheUnknown(plan: LogicalPlan, kept: (id: string) => boolean): LogicalPlan {
  const children = planChildren(plan);
  const next = children.map((c) => uncacheUnknown(c, kept));
  if (plan.kind === 'cache' && !kept(plan.id)) return next[0];
  return next.every((c, i) => c === children[i]) ? plan : withPlanChildren(plan, next);
}

export function assertSession(s: unknown): asserts s is Session {
  if (!(s instanceof Session)) throw new PlanError('not a Quiver session');
}
