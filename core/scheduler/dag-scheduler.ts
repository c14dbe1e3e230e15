// The DAG scheduler: runs a physical plan's stages as task attempts on a launcher (worker threads or executors) with retries, lineage, speculation, timeouts, events and metrics.
import { setTimeout as sleep } from 'node:timers/promises';
import * as arrow from 'apache-arrow';
import { errorFromJSON, InternalError, isRetryable, ResourceError, type ErrorJSON } from '../../ops/errors.ts';
import { toArrowSchema } from '../../ops/types.ts';
import type { PhysicalPlan, Stage } from '../physical/phys-node.ts';
import { decodeBlock, type Block } from '../runtime/ipc.ts';
import type { JobMetrics, MapOutput, RunHooks, Runtime, Slot } from '../runtime/runtime.ts';
import type { EventListener } from '../runtime/events.ts';
import { CacheRegistry } from './cache-registry.ts';
import { adaptiveJoins, broadcastJoinStage, keyFilteredProbeStage } from './adaptive-join.ts';
import { adaptiveSorts, singlePartitionRangeStage } from './adaptive-sort.ts';
import { coalesceStage } from './coalesce.ts';
import { describeStage, JobRun, parentsReady, type ResultSink } from './job-run.ts';
import { attemptLimitMs, timeoutOptions } from './task-timeouts.ts';
import { TaskState, type Attempt, type Reported } from './task-state.ts';

/**
 * An adaptive join that stays shuffled filters its probe side by the build side's keys when the
 * build side has at most this many rows: every probe task builds a table of them.
 */
const KEY_FILTER_MAX_ROWS = 1 << 17;

/** Times a task may be re-sent because its executor was lost, its input was lost or its output dropped. */
const MAX_RESENDS = 30;

export interface CollectOptions {
  /**
   * collect() refuses a result whose blocks exceed this many bytes in all (the job fails as the
   * limit is passed, before the driver holds more); default: unlimited.
   */
  maxResultBytes?: number;
}

const aborted = (): InternalError => new InternalError('job aborted');

export class DagScheduler<Out extends MapOutput = MapOutput> {
  private nextJob = 0;
  private readonly jobs = new Set<JobRun<Out>>();
  /** Run times of the session's last finished tasks: the timeout's yardstick before a job has its own. */
  private readonly recentMs: number[] = [];
  /** Attempts that timed out, by executor; executors past the limit are excluded for the session. */
  private readonly timeouts = new Map<string, number>();
  private readonly excluded = new Set<string>();
  /** Cached DataFrames: their lineage and where their partitions are kept, across jobs. */
  readonly cache = new CacheRegistry<Out>();
  /** Receives events outside any job's hooks (cacheUpdate); set by the session. */
  onEvent: EventListener | null = null;
  /**
   * Once a stage's shuffle inputs are written, adjacent small reduce partitions are read by one
   * task, each task up to this many bytes (see coalesce.ts); 0: every planned partition is a task.
   */
  coalesceBytes = 0;
  /**
   * An adaptive join (ChooseJoinStrategy's 'adaptive') runs as a broadcast join when its build
   * side's shuffle output is at most this many bytes (see adaptive-join.ts); 0: never.
   */
  adaptiveJoinBytes = 0;
  /**
   * A distributed sort whose input is computed from shuffles holding at most this many bytes
   * (written) sorts in one task: its sample stage is skipped (see adaptive-sort.ts); 0: never.
   */
  adaptiveSortBytes = 0;

  constructor(readonly runtime: Runtime<Out>) {
    runtime.onExecutorLost?.((id) => this.executorLost(id));
  }

  /** Forgets a cached DataFrame and drops its kept partitions wherever they are. */
  async unpersist(cacheId: string): Promise<void> {
    const name = this.cache.get(cacheId)?.name;
    if (name === undefined) return;
    const outputs = this.cache.unpersist(cacheId);
    await this.runtime.dropCache?.(cacheId, outputs);
    this.onEvent?.({ kind: 'cacheUpdate', ts: Date.now(), cacheId, name, partitions: 0, cached: 0, memoryBytes: 0, diskBytes: 0, executors: {}, removed: true });
  }

  /** Reports where a cached DataFrame's partitions are now. */
  private cacheUpdate(cacheId: string): void {
    const sum = this.cache.summary(cacheId);
    if (!sum || !this.onEvent) return;
    const kept = this.cache.get(cacheId)!.outputs.filter((o): o is Out => o !== null);
    const st = this.runtime.storage?.(kept) ?? { memoryBytes: sum.bytes, diskBytes: 0 };
    this.onEvent({ kind: 'cacheUpdate', ts: Date.now(), cacheId, name: sum.name, partitions: sum.partitions, cached: sum.cached, memoryBytes: st.memoryBytes, diskBytes: st.diskBytes, executors: sum.executors });
  }

  /**
   * Fills in the cached partitions still kept (a cache stage runs only the others) and returns
   * the stages the job skips: those only a fully kept cache stage reads (no events: skipped). One of them
   * still runs, from lineage, if a kept partition is lost during the job (ensureParents).
   */
  private useCache(job: JobRun<Out>): Set<number> {
    const full = new Set<number>();
    for (const st of job.plan.stages) {
      if (st.output.kind !== 'cache') continue;
      const kept = this.cache.get(st.output.cacheId)?.outputs ?? [];
      if (kept.length !== st.partitions) continue;
      const outs = job.outputs.get(st.id)!;
      kept.forEach((o, i) => { outs[i] = o; });
      if (outs.every((o) => o !== null)) full.add(st.id);
    }
    const needed = new Set<number>();
    const need = (id: number): void => {
      if (needed.has(id)) return;
      needed.add(id);
      if (!full.has(id)) for (const p of job.plan.stages[id].parents) need(p);
    };
    need(job.plan.resultStage);
    return new Set(job.plan.stages.map((st) => st.id).filter((id) => !needed.has(id)));
  }

  /** Runs every stage and returns the result stage's output as one table, partitions in order. */
  async collect(plan: PhysicalPlan, resources: Record<string, Block>, hooks: RunHooks = {}, o: CollectOptions = {}): Promise<arrow.Table> {
    const parts: Block[][] = [];
    let bytes = 0;
    const limit = o.maxResultBytes ?? Infinity;
    await this.run(plan, resources, hooks, {
      accept: (p, blocks) => {
        bytes += blocks.reduce((n, b) => n + b.bytes, 0);
        if (bytes > limit) {
          throw new ResourceError(`collect(): the result passed maxResultBytes (${limit} bytes) at ${bytes} bytes after ${parts.filter(Boolean).length + 1} of ${plan.stages[plan.resultStage].partitions} partitions; stream it with df.toLocalIterator(), write it with df.write, or raise maxResultBytes`, { retryable: false });
        }
        parts[p] = blocks;
      },
    });
    return toTable(plan, parts);
  }

  /** Runs every stage; the result stage's partitions go to `sink` as they finish. */
  async run(plan: PhysicalPlan, resources: Record<string, Block>, hooks: RunHooks, sink: ResultSink): Promise<void> {
    const rt = this.runtime;
    const job = new JobRun<Out>(this.nextJob++, plan, resources, hooks, sink);
    const t0 = performance.now();
    const messages0 = rt.messages;
    await rt.beginJob(job);
    this.jobs.add(job);
    const done = new Map<number, Promise<void>>();
    const policy = rt.policy;
    const spec = policy.speculation ? setInterval(() => this.speculate(job), 100) : null;
    const timeouts = timeoutOptions(policy.taskTimeout);
    const watch = timeouts ? setInterval(() => this.timeOut(job, timeouts), 250) : null;
    const emit = job.emit;
    emit({ kind: 'jobStart', ts: Date.now(), jobId: job.jobId, stages: plan.stages.map(describeStage) });
    const skip = this.useCache(job);
    // The probe side of an adaptive join waits for its build side; both may be kept cached, then
    // nothing adapts. Results read in order (toLocalIterator) keep their planned partitions.
    const adaptive = this.adaptiveJoinBytes > 0 ? adaptiveJoins(job.plan, !job.sink.admit).filter((a) => !skip.has(a.build) && !skip.has(a.probe)) : [];
    const byProbe = new Map(adaptive.map((a) => [a.probe, a]));
    const bySample = new Map((this.adaptiveSortBytes > 0 ? adaptiveSorts(job.plan) : []).filter((a) => !skip.has(a.sample) && !skip.has(a.range)).map((a) => [a.sample, a]));
    const oneTaskSorts = new Map<number, { sampleStage: number; inputBytes: number }>();
    const broadcastJoins = new Map<number, { probeStage: number; buildBytes: number }>();
    const keyFilters = new Map<number, { buildStage: number; buildRows: number }>();
    const runStage = async (first: Stage): Promise<void> => {
      // A stage rewritten while it waited (an adaptive join's) waits for its new parents too.
      let planned = first;
      for (;;) {
        await Promise.all(planned.parents.map((p) => done.get(p)!));
        if (job.plan.stages[first.id] === planned) break;
        planned = job.plan.stages[first.id];
      }
      const sorted = bySample.get(planned.id);
      if (sorted) {
        const r = singlePartitionRangeStage(job.plan, sorted, (id) => job.outputs.get(id), this.adaptiveSortBytes);
        // Every row goes to the sort's first partition: no bounds are drawn, so this stage is skipped.
        if (r) {
          job.replaceStage(r.stage);
          rt.stageRewritten?.(job, r.stage);
          oneTaskSorts.set(sorted.range, { sampleStage: sorted.sample, inputBytes: r.inputBytes });
          return;
        }
      }
      const a = byProbe.get(planned.id);
      if (a) {
        await done.get(a.build);
        const b = broadcastJoinStage(job.plan, a, job.outputs.get(a.build)!, this.adaptiveJoinBytes);
        // The join broadcasts the build side and runs this stage's operators itself: this stage is skipped.
        if (b) {
          job.replaceStage(b.stage);
          rt.stageRewritten?.(job, b.stage);
          broadcastJoins.set(a.join, { probeStage: a.probe, buildBytes: b.buildBytes });
          return;
        }
        // Still shuffled: the probe rows without a partner go no further than this stage.
        const f = keyFilteredProbeStage(job.plan, a, job.outputs.get(a.build)!, KEY_FILTER_MAX_ROWS);
        if (f) {
          job.replaceStage(f.stage);
          rt.stageRewritten?.(job, f.stage);
          keyFilters.set(a.probe, { buildStage: a.build, buildRows: f.buildRows });
          planned = f.stage;
        }
      }
      const s0 = performance.now();
      // Fewer tasks than planned when the shuffled data is small (sized by the outputs just written).
      const stage = coalesceStage(job.plan, planned, job.outputs, rt.workers, this.coalesceBytes);
      if (stage !== planned) job.replaceStage(stage);
      // Every partition but a cache stage's kept ones.
      const todo = job.outputs.get(stage.id)!.flatMap((o, p) => (o === null ? [p] : []));
      const switched = broadcastJoins.get(stage.id), filtered = keyFilters.get(stage.id), oneTask = oneTaskSorts.get(stage.id);
      emit({ kind: 'stageStart', ts: Date.now(), jobId: job.jobId, stageId: stage.id, tasks: todo.length, ...(stage !== planned ? { coalescedFrom: planned.partitions } : {}),
        ...(switched ? { broadcastJoin: switched } : {}), ...(filtered ? { keyFilter: filtered } : {}), ...(oneTask ? { sortInOneTask: oneTask } : {}) });
      const settled = await Promise.allSettled(todo.map((p) => this.partitionTask(job, stage, p)));
      for (const s of settled) if (s.status === 'rejected') job.fail(s.reason);
      if (job.failure) throw job.failure.error;
      job.stageMs[stage.id] = performance.now() - s0;
      emit({ kind: 'stageEnd', ts: Date.now(), jobId: job.jobId, stageId: stage.id, durationMs: job.stageMs[stage.id], rows: job.stageRows.get(stage.id) ?? 0 });
      if (stage.output.kind === 'cache' && todo.length > 0) this.cacheUpdate(stage.output.cacheId);
    };
    try {
      for (const stage of plan.stages) done.set(stage.id, skip.has(stage.id) ? Promise.resolve() : runStage(stage));
      // Every stage settles before the job does: no attempt of a failed job still runs (or spills) when the caller sees its error.
      const all = await Promise.allSettled(done.values());
      for (const s of all) if (s.status === 'rejected') job.fail(s.reason);
      if (job.failure) throw job.failure.error;
      const durationMs = performance.now() - t0;
      emit({ kind: 'jobEnd', ts: Date.now(), jobId: job.jobId, ok: true, durationMs, tasks: job.tasksLaunched, failedAttempts: job.failedAttempts });
      const metrics: JobMetrics = { jobId: job.jobId, stages: plan.stages.length, tasks: job.tasksLaunched, failedAttempts: job.failedAttempts, durationMs, stageMs: job.stageMs, taskMs: job.taskMs, messages: rt.messages - messages0, counters: job.counters };
      hooks.onMetrics?.(metrics);
    } catch (e) {
      job.fail(e);
      emit({ kind: 'jobEnd', ts: Date.now(), jobId: job.jobId, ok: false, error: (job.failure!.error as Error).message, durationMs: performance.now() - t0, tasks: job.tasksLaunched, failedAttempts: job.failedAttempts });
      throw job.failure!.error;
    } finally {
      if (spec) clearInterval(spec);
      if (watch) clearInterval(watch);
      this.jobs.delete(job);
      rt.endJob(job);
    }
  }

  /** An executor is gone: every output it held is lost (recomputed from lineage when read again). */
  private executorLost(id: string): void {
    for (const cacheId of this.cache.lose(id)) this.cacheUpdate(cacheId);
    for (const job of this.jobs) {
      for (const [stageId, outs] of job.outputs) {
        const lost: number[] = [];
        outs.forEach((m, i) => { if (m?.executor === id) { outs[i] = null; lost.push(i); } });
        if (lost.length) job.emit({ kind: 'outputLost', ts: Date.now(), jobId: job.jobId, stageId, partitions: lost, executor: id });
      }
    }
  }

  /** Runs partition `partition` of `stage` until its output is recorded (once, however many ask). */
  private partitionTask(job: JobRun<Out>, stage: Stage, partition: number): Promise<void> {
    const key = `${stage.id}/${partition}`;
    let p = job.inflight.get(key);
    if (!p) {
      p = this.runPartition(job, stage, partition).finally(() => job.inflight.delete(key));
      job.inflight.set(key, p);
    }
    return p;
  }

  /** Recomputes (from lineage) any output of `stage`'s parents that was lost. */
  private async ensureParents(job: JobRun<Out>, stage: Stage): Promise<void> {
    const missing: Promise<void>[] = [];
    for (const pid of stage.parents) {
      const parent = job.plan.stages[pid];
      job.outputs.get(pid)!.forEach((m, i) => { if (!m) missing.push(this.partitionTask(job, parent, i)); });
    }
    await Promise.all(missing);
  }

  /** Sends one attempt of `task` to `slot` (taken by the caller); its outcome arrives on the task's queue. */
  private start(job: JobRun<Out>, task: TaskState<Out>, slot: Slot, speculative: boolean, locality?: string): void {
    const attempt = task.nextAttempt++;
    job.tasksLaunched++;
    const where = locality ?? slot.locality;
    job.emit({ kind: 'taskStart', ts: Date.now(), jobId: job.jobId, stageId: task.stage.id, partition: task.partition, attempt, executor: slot.executor, ...(where ? { locality: where } : {}), ...(speculative ? { speculative: true } : {}) });
    let launched;
    try {
      launched = this.runtime.launch(job, task.stage, task.partition, attempt, slot);
    } catch (error) {
      launched = { outcome: Promise.reject(error), abandon: () => false };
    }
    const a: Attempt<Out> = { attempt, slot, started: performance.now(), speculative, launched };
    task.running.set(attempt, a);
    launched.outcome.then((o) => this.outcome(job, task, a, o), (error) => this.outcome(job, task, a, { kind: 'fatal', error }));
  }

  /** Hands an attempt's outcome to its task; once the task is done (a copy won, or the job failed), it is only noted. */
  private outcome(job: JobRun<Out>, task: TaskState<Out>, a: Attempt<Out>, o: Reported<Out>): void {
    if (!task.done) { task.push(a, o); return; }
    task.running.delete(a.attempt);
    this.runtime.release(a.slot);
    if (o.kind === 'done' || o.kind === 'failed' || o.kind === 'fetchFailed' || o.kind === 'dropped') {
      job.emit({ kind: 'taskEnd', ts: Date.now(), jobId: job.jobId, stageId: task.stage.id, partition: task.partition, attempt: a.attempt, executor: a.slot.executor, ok: o.kind === 'done', durationMs: o.durationMs, rows: o.kind === 'done' ? o.rows : 0, ignored: 'late' });
    }
  }

  private async runPartition(job: JobRun<Out>, stage: Stage, partition: number): Promise<void> {
    const rt = this.runtime;
    const task = new TaskState<Out>(stage, partition);
    job.tasks.set(`${stage.id}/${partition}`, task);
    const isResult = stage.output.kind === 'result';
    let admitted = !isResult || !job.sink.admit;
    const taskEnd = (a: Attempt<Out>, ok: boolean, extra: { error?: string; durationMs: number; rows: number; bytes?: number; metrics?: Record<string, number> }) =>
      job.emit({ kind: 'taskEnd', ts: Date.now(), jobId: job.jobId, stageId: stage.id, partition, attempt: a.attempt, executor: a.slot.executor, ok, ...extra });
    const resend = (why: (n: number) => string): void => {
      if (++task.resends > MAX_RESENDS) throw new ResourceError(`stage ${stage.id} task ${partition} ${why(task.resends)}`);
    };
    try {
      for (;;) {
        if (job.failure) throw aborted();
        if (task.running.size === 0) {
          if (!admitted) {
            await Promise.race([job.sink.admit!(partition), job.whenFailed]);
            if (job.failure) throw aborted();
            admitted = true;
          }
          await this.ensureParents(job, stage);
          if (job.failure) throw aborted();
          const slot = await rt.acquire(job, stage, partition, task.failedOn);
          if (job.failure) { rt.release(slot); throw aborted(); }
          // An output this task reads was lost while it waited for a slot: recompute it first.
          if (!parentsReady(stage, job.outputs)) { rt.release(slot); continue; }
          this.start(job, task, slot, false);
        }
        const { a, o } = await task.next();
        task.running.delete(a.attempt);
        rt.release(a.slot);
        switch (o.kind) {
          case 'fatal':
            job.fail(o.error);
            throw o.error;
          case 'lost':
            taskEnd(a, false, { error: o.reason, durationMs: performance.now() - a.started, rows: 0 });
            resend((n) => `was sent ${n} times and its executors were lost or did not answer; last: ${o.reason}`);
            task.failedOn.add(a.slot.executor);
            // Again and again: back off (up to 2 s) rather than spend every resend at once.
            if (task.resends >= 2) await sleep(Math.min(2000, 100 * 2 ** (task.resends - 2)));
            continue;
          case 'dropped':
            // The executor had forgotten this driver (it was silent too long) and kept nothing: run it again.
            taskEnd(a, false, { error: o.reason, durationMs: o.durationMs, rows: 0 });
            resend((n) => `was sent ${n} times and its output was dropped each time; last: ${o.reason}`);
            continue;
          case 'fetchFailed': {
            addCounters(job, stage, o.metrics, o.durationMs);
            taskEnd(a, false, { error: `fetch failed: ${o.reason}`, durationMs: o.durationMs, rows: 0, metrics: o.metrics });
            // Not the task's fault: its input is gone. Forget that output (if still recorded there) and recompute it.
            rt.suspect?.(o.executor);
            const outs = job.outputs.get(o.stage);
            const from = job.plan.stages[o.stage]?.output;
            if (from?.kind === 'cache' && this.cache.forget(from.cacheId, o.map, o.executor)) this.cacheUpdate(from.cacheId);
            if (outs?.[o.map]?.executor === o.executor) {
              outs[o.map] = null;
              job.emit({ kind: 'outputLost', ts: Date.now(), jobId: job.jobId, stageId: o.stage, partitions: [o.map], executor: o.executor });
            }
            resend((n) => `could not fetch its input ${n} times; last: ${o.reason}`);
            continue;
          }
          case 'failed': {
            addCounters(job, stage, o.metrics, o.durationMs);
            taskEnd(a, false, { error: o.error.message, durationMs: o.durationMs, rows: 0, metrics: o.metrics });
            job.failedAttempts++;
            task.failures++;
            task.failedOn.add(a.slot.executor);
            const err = errorFromJSON(o.error as ErrorJSON);
            // The user's plan or data, or an error that would recur (a build side over budget): fail now.
            if (!isRetryable(err)) throw err;
            if (task.failures >= rt.maxTaskAttempts) {
              err.message = `stage ${stage.id} task ${partition} failed ${task.failures} times; last error: ${err.message}`;
              throw err;
            }
            continue;
          }
          case 'done': {
            addCounters(job, stage, o.metrics, o.durationMs);
            const blocks = o.result ? await o.result() : null;
            if (o.result && blocks === null) {
              // The executor cannot serve the result it made: it is lost with it.
              job.emit({ kind: 'outputLost', ts: Date.now(), jobId: job.jobId, stageId: stage.id, partitions: [partition], executor: a.slot.executor });
              resend((n) => `produced a result that could not be fetched ${n} times`);
              continue;
            }
            task.done = true;
            for (const q of task.takeQueued()) this.outcome(job, task, q.a, q.o);
            taskEnd(a, true, { durationMs: o.durationMs, rows: o.rows, ...(o.bytes !== undefined ? { bytes: o.bytes } : {}), metrics: o.metrics });
            if (isResult) job.sink.accept(partition, blocks ?? []);
            else job.outputs.get(stage.id)![partition] = o.output!;
            if (stage.output.kind === 'cache') this.cache.record(stage.output.cacheId, stage.partitions, partition, o.output!, o.bytes ?? 0);
            const took = performance.now() - a.started;
            (job.durations.get(stage.id) ?? job.durations.set(stage.id, []).get(stage.id)!).push(took);
            this.recentMs.push(took);
            if (this.recentMs.length > 256) this.recentMs.shift();
            const n = (job.finished.get(stage.id) ?? 0) + 1;
            job.finished.set(stage.id, n);
            const rows = (job.stageRows.get(stage.id) ?? 0) + o.rows;
            job.stageRows.set(stage.id, rows);
            job.hooks.onProgress?.({ jobId: job.jobId, stageId: stage.id, stages: job.plan.stages.length, done: Math.min(n, stage.partitions), total: stage.partitions, rows });
            // Other attempts (a speculative copy) report later and are only noted (see outcome()).
            return;
          }
        }
      }
    } catch (e) {
      job.fail(e);
      throw e;
    } finally {
      if (!task.done) {
        // Given up with the job: attempts still out are abandoned, their slots freed as they report.
        task.done = true;
        for (const q of task.takeQueued()) this.outcome(job, task, q.a, q.o);
        for (const a of [...task.running.values()]) a.launched.abandon('the job failed');
      }
    }
  }

  /**
   * Gives up on attempts that have gone unreported for longer than their stage's finished tasks
   * say they should take (a silent executor must not stall a job while it keeps heartbeating):
   * each is re-run elsewhere, and an executor that times out `excludeAfter` times gets no more tasks.
   */
  private timeOut(job: JobRun<Out>, o: NonNullable<ReturnType<typeof timeoutOptions>>): void {
    const now = performance.now();
    const all = [...job.durations.values()].flat();
    for (const task of job.tasks.values()) {
      if (task.done) continue;
      const limit = attemptLimitMs(o, job.durations.get(task.stage.id), all, this.recentMs);
      if (limit === null) {
        // Nothing finished yet to learn from: a lone attempt out for long gets a copy on another
        // executor (the first result wins), so one silent executor cannot hold a job's first stage.
        const [a] = task.running.values();
        if (task.running.size === 1 && !a.speculative && now - a.started > o.copyAfterMs && parentsReady(task.stage, job.outputs)) {
          const s = this.runtime.tryAcquire(job, task.stage, task.partition, new Set([a.slot.executor]));
          if (s) this.start(job, task, s, true, `copy: attempt ${a.attempt} on ${a.slot.executor} reported nothing for ${Math.round(now - a.started)} ms and no task has finished to learn a timeout from`);
        }
        continue;
      }
      for (const a of [...task.running.values()]) {
        if (now - a.started <= limit) continue;
        if (!a.launched.abandon(`executor ${a.slot.executor} reported nothing for ${Math.round(now - a.started)} ms (the limit learned from finished tasks is ${Math.round(limit)} ms)`)) continue;
        const n = (this.timeouts.get(a.slot.executor) ?? 0) + 1;
        this.timeouts.set(a.slot.executor, n);
        if (n >= o.excludeAfter && !this.excluded.has(a.slot.executor)) {
          this.excluded.add(a.slot.executor);
          this.runtime.exclude?.(a.slot.executor, `excluded: ${n} of its task attempts reported nothing within the time finished tasks took`);
        }
      }
    }
  }

  /** Launches copies of stragglers on other executors (speculation). */
  private speculate(job: JobRun<Out>): void {
    const so = this.runtime.policy.speculation || {};
    const multiplier = so.multiplier ?? 1.5, quantile = so.quantile ?? 0.75, minMs = so.minMs ?? 1000;
    const now = performance.now();
    for (const task of job.tasks.values()) {
      if (task.done || task.running.size !== 1) continue;
      const [a] = task.running.values();
      if (a.speculative) continue;
      const stage = task.stage;
      const durations = job.durations.get(stage.id) ?? [];
      if (durations.length < Math.max(1, quantile * stage.partitions)) continue;
      const median = [...durations].sort((x, y) => x - y)[durations.length >> 1];
      if (now - a.started < Math.max(minMs, multiplier * median)) continue;
      if (!parentsReady(stage, job.outputs)) continue;
      const s = this.runtime.tryAcquire(job, stage, task.partition, new Set([a.slot.executor]));
      if (s) this.start(job, task, s, true, `speculative: ${s.locality ?? 'any'}`);
    }
  }
}

function addCounters(job: JobRun, stage: Stage, metrics: Record<string, number>, durationMs: number): void {
  for (const [k, v] of Object.entries(metrics)) job.counters[k] = (job.counters[k] ?? 0) + v;
  job.taskMs[stage.id] += durationMs;
}

/** The result stage's partitions, in order, as one table. */
function toTable(plan: PhysicalPlan, parts: Block[][]): arrow.Table {
  const schema = toArrowSchema(plan.stages[plan.resultStage].fields);
  const batches: arrow.RecordBatch[] = [];
  for (const blocks of parts) for (const block of blocks ?? []) for (const b of decodeBlock(block)) batches.push(new arrow.RecordBatch(schema, b.data));
  return batches.length ? new arrow.Table(schema, batches) : new arrow.Table(schema);
}
