// The cluster driver's runtime: schedules a plan's tasks on executors over NATS, tracks where outputs lie, retries, recomputes lost output from lineage, speculates.
import { setTimeout as sleep } from 'node:timers/promises';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import * as arrow from 'apache-arrow';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { errorFromJSON, InternalError, isRetryable, PlanError, ResourceError, type ErrorJSON } from '../../ops/errors.ts';
import { toArrowSchema } from '../../ops/types.ts';
import { scannedPath, stageModelPaths, type PhysicalPlan, type Stage } from '../physical/phys-node.ts';
import type { EventListener, RuntimeEvent } from '../runtime/events.ts';
import { decodeBlock, type Block } from '../runtime/ipc.ts';
import { describeStage } from '../runtime/local-runtime.ts';
import type { JobMetrics, RunHooks, Runtime } from '../runtime/runtime.ts';
import type { TaskConfig } from '../runtime/task.ts';
import { blockId } from './block-store.ts';
import { blockToIpc, fetchBlob, ipcToBlock, serveBlobs } from './chunks.ts';
import { connectCluster, type ClusterAuth } from './connect.ts';
import { Membership, type ExecutorInfo } from './membership.ts';
import { decodeWith, MAX_TASK_BYTES, PROTOCOL_VERSION, subjects, TaskResultMsg, type DriverNews, type TaskRequest } from './protocol.ts';
import { parentsReady, taskInputs, type MapStatus } from './stage-inputs.ts';
import { driverIdOf, outputKey, sha256 } from './task-host.ts';
import { attemptLimitMs, timeoutOptions, type TaskTimeoutOptions } from './task-timeouts.ts';

export interface SpeculationOptions {
  /** A task is a straggler when it has run this many times the median of its stage's finished tasks (default 1.5). */
  multiplier?: number;
  /** Only once this fraction of the stage's tasks has finished (default 0.75). */
  quantile?: number;
  /** Nor before it has run this long (default 1000 ms). */
  minMs?: number;
}

export interface ClusterRuntimeOptions extends ClusterAuth {
  memoryBudget?: number;
  batchSize?: number;
  maxTaskAttempts?: number;
  /** An executor silent this long is lost (default 5000 ms). */
  heartbeatTimeoutMs?: number;
  /** Executors to wait for before the session starts (default 1). */
  minExecutors?: number;
  /** How long to wait for them, and for any executor while a job has none (default 60 s). */
  executorWaitMs?: number;
  /** Re-run stragglers on another executor, first result wins (default off, as in Spark). */
  speculation?: boolean | SpeculationOptions;
  /**
   * Attempts that report nothing for too long (learned from the stage's finished tasks) are
   * re-run on another executor, and an executor that times out repeatedly gets no more tasks;
   * `false` turns this off.
   */
  taskTimeout?: false | TaskTimeoutOptions;
  /** Most worker slots one executor's registration may claim (default 64). */
  maxExecutorWorkers?: number;
}

/** Times a task may be re-sent because its executor was lost or did not answer. */
const MAX_RESENDS = 30;

interface ExecSlot {
  info: ExecutorInfo;
  running: number;
  sampledAt?: number;
  /**
   * Has reported a result (with its attempt's secret). Until then it is on probation with one
   * task at a time: an executor that takes tasks and never reports cannot draw a whole stage.
   */
  proven?: boolean;
}

/** Tasks an executor may run at once: its workers and one queued, or one while on probation. */
const capacity = (e: ExecSlot): number => (e.proven ? e.info.workers + 1 : 1);

/**
 * How long a task that reads a file waits while no executor alive declared its directory (one
 * may be restarting) before the job fails saying so (or executorWaitMs, when shorter).
 */
const PATH_WAIT_MS = 10_000;

/** Milliseconds between memory samples of one executor in the event log. */
const METRICS_SAMPLE_MS = 5000;

interface SlotWaiter {
  job: JobRun;
  /** Takes a slot if one suits the task now. */
  take: () => boolean;
  resolve: () => void;
  reject: (e: unknown) => void;
  describe: () => string;
  /** Whether any alive executor could ever run the task (one declared the file it reads); absent: any can. */
  servable?: () => boolean;
  unservable?: () => string;
  /** Since when no alive executor could run it (the job fails after executorWaitMs of that). */
  unservedSince?: number;
}

type Outcome =
  | { kind: 'result'; msg: TaskResultMsg }
  | { kind: 'lost'; reason: string };

interface Attempt {
  job: JobRun;
  task: TaskState;
  attempt: number;
  executor: string;
  started: number;
  speculative: boolean;
  /** Sent to the executor in the task request only; its result must carry it back. */
  secret: string;
}

/** One partition of one stage, over its attempts. */
class TaskState {
  nextAttempt = 0;
  failures = 0;
  resends = 0;
  done = false;
  readonly running = new Map<number, Attempt>();
  readonly failedOn = new Set<string>();
  private readonly queue: { a: Attempt; o: Outcome }[] = [];
  private wake: (() => void) | null = null;
  constructor(readonly stage: Stage, readonly partition: number) {}
  push(a: Attempt, o: Outcome): void {
    this.queue.push({ a, o });
    this.wake?.();
  }
  /** Outcomes that arrived but were not read (the task finished first). */
  takeQueued(): { a: Attempt; o: Outcome }[] {
    return this.queue.splice(0);
  }
  async next(): Promise<{ a: Attempt; o: Outcome }> {
    while (this.queue.length === 0) await new Promise<void>((r) => { this.wake = r; });
    this.wake = null;
    return this.queue.shift()!;
  }
}

/** One job's state on the driver. */
class JobRun {
  readonly outputs = new Map<number, (MapStatus | null)[]>();
  readonly results: Block[][] = [];
  readonly inflight = new Map<string, Promise<void>>();
  readonly tasks = new Map<string, TaskState>();
  /** Driver-measured run times of finished tasks, per stage (speculation's yardstick). */
  readonly durations = new Map<number, number[]>();
  readonly finished = new Map<number, number>();
  /** Rows of each stage's finished tasks so far (progress). */
  readonly stageRows = new Map<number, number>();
  failure: { error: unknown } | null = null;
  tasksLaunched = 0;
  failedAttempts = 0;
  messages = 0;
  readonly counters: Record<string, number> = {};
  readonly taskMs: number[];
  /** Revealed in the jobDone message; executors drop the job's blocks only for it. */
  readonly secret = randomBytes(32).toString('hex');
  /** SHA-256 of each stage's JSON (executors refuse a plan that does not hash to it). */
  readonly stageSha = new Map<number, string>();
  constructor(readonly jobId: number, readonly plan: PhysicalPlan, readonly resources: Record<string, Block>, readonly hooks: RunHooks, readonly emit: (e: RuntimeEvent) => void) {
    this.taskMs = plan.stages.map(() => 0);
    for (const s of plan.stages) this.outputs.set(s.id, new Array(s.partitions).fill(null));
  }
}

export class ClusterRuntime implements Runtime {
  /** Revealed only in this driver's goodbye; its id is derived from it, so no one else can say goodbye for it. */
  private readonly byeSecret = randomBytes(32).toString('hex');
  readonly driverId = driverIdOf(this.byeSecret);
  /** Attempts that timed out, by executor; executors past the limit are excluded for the session. */
  private readonly timeouts = new Map<string, number>();
  private readonly excluded = new Set<string>();
  /** Results refused because their secret did not match a running attempt (forged or corrupt). */
  rejectedResults = 0;
  /** Run times of the session's last finished tasks: the timeout's yardstick before a job has its own. */
  private readonly recentMs: number[] = [];
  private lastRejectLog = 0;
  readonly config: TaskConfig;
  readonly maxTaskAttempts: number;
  private readonly s: ReturnType<typeof subjects>;
  private readonly execs = new Map<string, ExecSlot>();
  private readonly attempts = new Map<string, Attempt>();
  private readonly jobs = new Set<JobRun>();
  private readonly blobs = new Map<string, Uint8Array>();
  private readonly blobHashes = new Map<string, string>();
  /** Tasks waiting for a slot, in arrival order; each takes one when its executor is free. */
  private slotWaiters: SlotWaiter[] = [];
  private slotTimer: NodeJS.Timeout | null = null;
  /** Since when no executor has been alive (jobs fail after executorWaitMs of that). */
  private noExecutorsSince: number | null = null;
  /** Wakes connect() when executors join. */
  private readonly joinWaiters = new Set<() => void>();
  private readonly subs: Subscription[] = [];
  private membership!: Membership;
  private heartbeat!: NodeJS.Timeout;
  private sink: EventListener = () => {};
  private nextJob = 0;
  private closed = false;
  private rr = 0;

  private constructor(private readonly nc: NatsConnection, private readonly o: ClusterRuntimeOptions) {
    this.s = subjects(o.cluster ?? 'default');
    this.maxTaskAttempts = o.maxTaskAttempts ?? 4;
    this.config = { memoryBudget: o.memoryBudget ?? 256 * 1024 * 1024, batchSize: o.batchSize ?? 65_536, spillRoot: '' };
  }

  /** Connects a driver: joins NATS, serves its blocks, tracks executors, and waits for `minExecutors` of them. */
  static async connect(o: ClusterRuntimeOptions): Promise<ClusterRuntime> {
    const nc = await connectCluster(o, 'quiver-driver', `_INBOX.quiver.${o.cluster ?? 'default'}.driver`);
    const rt = new ClusterRuntime(nc, o);
    rt.subs.push(serveBlobs(nc, rt.s.driverBlocks(rt.driverId), (id) => rt.blob(id)));
    rt.subs.push(nc.subscribe(rt.s.result(rt.driverId), { callback: (err, m) => { if (!err) { m.respond('ok'); rt.onResult(m.data); } } }));
    rt.membership = new Membership(nc, {
      cluster: o.cluster, timeoutMs: o.heartbeatTimeoutMs ?? 5000, maxWorkers: o.maxExecutorWorkers ?? 64,
      onEvent: (e) => {
        if (e.kind === 'joined') rt.onJoined(e.executor);
        else if (e.kind === 'left') rt.onGone(e.id, `left: ${e.reason}`);
        else if (e.kind === 'lost') rt.onGone(e.id, `lost: ${e.why ?? `no heartbeat for ${e.silentMs} ms`}`);
        else if (e.kind === 'heartbeat') rt.onHeartbeat(e.id, e.rssBytes, e.storeBytes);
      },
    });
    rt.news({ v: PROTOCOL_VERSION, kind: 'alive', driverId: rt.driverId });
    rt.heartbeat = setInterval(() => rt.news({ v: PROTOCOL_VERSION, kind: 'alive', driverId: rt.driverId }), 1000);
    const want = o.minExecutors ?? 1;
    try {
      await rt.waitFor(() => rt.alive().length >= want, o.executorWaitMs ?? 60_000,
        () => `waited ${o.executorWaitMs ?? 60_000} ms for ${want} executor${want === 1 ? '' : 's'} and ${rt.alive().length} joined; start them with \`quiver executor --servers ${[o.servers].flat().join(',')}\`${o.cluster ? ` --cluster ${o.cluster}` : ''}`);
    } catch (e) {
      await rt.close();
      throw e;
    }
    return rt;
  }

  /** Events a session receives between jobs too (executors joining and leaving). */
  attach(sink: EventListener): void {
    this.sink = sink;
    // The executors that joined before anyone listened.
    for (const e of this.execs.values()) {
      e.sampledAt = undefined; // its next heartbeat gives a memory sample at once
      const info = e.info;
      this.sink({ kind: 'executorAdded', ts: Date.now(), executor: info.id, name: info.name, host: info.host, workers: info.workers, gpu: info.gpu, paths: info.paths });
    }
  }

  /** Executors taking tasks now. */
  alive(): ExecutorInfo[] {
    return [...this.execs.values()].filter((e) => e.info.state === 'alive').map((e) => e.info);
  }

  get workers(): number {
    return Math.max(1, this.alive().reduce((s, e) => s + e.workers, 0));
  }

  /** Asks an executor to finish its running tasks and take no new ones. */
  async decommission(executorId: string, reason?: string): Promise<void> {
    const r = await this.membership.decommission(executorId, reason);
    if (!r.ok) throw new ResourceError(`executor ${executorId} refused to drain: ${r.error}`);
    const e = this.execs.get(executorId);
    if (e) e.info.state = 'draining';
  }

  private news(n: DriverNews): void {
    if (!this.nc.isClosed()) this.nc.publish(this.s.driverNews, JSON.stringify(n));
  }

  private blob(id: string): Uint8Array | undefined {
    const hit = this.blobs.get(id);
    if (hit) return hit;
    if (id.startsWith('res/')) {
      for (const job of this.jobs) {
        const b = job.resources[id.slice(4)];
        if (b) { const bytes = blockToIpc(b); this.blobs.set(id, bytes); return bytes; }
      }
    }
    return undefined;
  }

  private onJoined(info: ExecutorInfo): void {
    if (this.excluded.has(info.id)) return;
    this.execs.set(info.id, { info, running: 0 });
    this.sink({ kind: 'executorAdded', ts: Date.now(), executor: info.id, name: info.name, host: info.host, workers: info.workers, gpu: info.gpu, paths: info.paths });
    this.wakeSlots();
  }

  /** An executor's memory, from its heartbeats: one sample per METRICS_SAMPLE_MS is enough for the UI and /metrics. */
  private onHeartbeat(id: string, rssBytes: number, storeBytes: number | undefined): void {
    const e = this.execs.get(id);
    const now = Date.now();
    if (!e || now - (e.sampledAt ?? 0) < METRICS_SAMPLE_MS) return;
    e.sampledAt = now;
    this.sink({ kind: 'executorMetrics', ts: now, executor: id, rssBytes, storeBytes });
  }

  /** An executor left or was lost: its running attempts are re-run elsewhere, its outputs recomputed when needed. */
  private onGone(id: string, reason: string): void {
    if (!this.execs.delete(id)) return;
    this.sink({ kind: 'executorRemoved', ts: Date.now(), executor: id, reason });
    for (const [key, a] of this.attempts) {
      if (a.executor !== id) continue;
      this.attempts.delete(key);
      this.outcome(a, { kind: 'lost', reason: `executor ${id} ${reason}` });
    }
    for (const job of this.jobs) {
      for (const [stageId, outs] of job.outputs) {
        const lost: number[] = [];
        outs.forEach((m, i) => { if (m?.executor === id) { outs[i] = null; lost.push(i); } });
        if (lost.length) job.emit({ kind: 'outputLost', ts: Date.now(), jobId: job.jobId, stageId, partitions: lost, executor: id });
      }
    }
    this.wakeSlots();
  }

  private onResult(data: Uint8Array): void {
    const d = decodeWith(TaskResultMsg, data, MAX_TASK_BYTES);
    if (!d.ok) { console.error(`quiver driver: rejected a task result: ${d.reason}`); return; }
    const m = d.msg;
    const key = `${m.jobId}/${m.stageId}/${m.partition}/${m.attempt}`;
    const a = this.attempts.get(key);
    if (a && a.executor === m.executorId && !sameSecret(a.secret, m.secret)) {
      // Only the executor the attempt was sent to learned its secret: this result is forged.
      // Logged once per 10 s: a flood of forgeries must not become a flood of log lines.
      if (this.rejectedResults++ === 0 || Date.now() - this.lastRejectLog > 10_000) {
        this.lastRejectLog = Date.now();
        console.error(`quiver driver: refused a result for stage ${m.stageId} task ${m.partition} attempt ${m.attempt} in the name of executor ${m.executorId}: it does not carry the attempt's secret (${this.rejectedResults} refused so far)`);
      }
      return;
    }
    if (!a || a.executor !== m.executorId) {
      // A result delivered twice, or from an attempt given up on: acknowledged, never counted.
      this.sink({ kind: 'taskEnd', ts: Date.now(), jobId: m.jobId, stageId: m.stageId, partition: m.partition, attempt: m.attempt, executor: m.executorId, ok: m.ok, durationMs: m.durationMs, rows: m.rows, ignored: 'duplicate' });
      return;
    }
    this.attempts.delete(key);
    const slot = this.execs.get(a.executor);
    if (slot) slot.proven = true;
    this.outcome(a, { kind: 'result', msg: m });
  }

  /** Hands an attempt's outcome to its task; once the task is done (a speculative copy won), it is only noted. */
  private outcome(a: Attempt, o: Outcome): void {
    if (!a.task.done) { a.task.push(a, o); return; }
    a.task.running.delete(a.attempt);
    this.release(a.executor);
    if (o.kind === 'result') {
      const m = o.msg;
      a.job.emit({ kind: 'taskEnd', ts: Date.now(), jobId: m.jobId, stageId: m.stageId, partition: m.partition, attempt: m.attempt, executor: m.executorId, ok: m.ok, durationMs: m.durationMs, rows: m.rows, ignored: 'late' });
    }
  }

  private release(executor: string): void {
    const e = this.execs.get(executor);
    if (e) e.running = Math.max(0, e.running - 1);
    this.wakeSlots();
  }

  /** Hands free slots to waiting tasks, first come first served (a task waiting for its preferred executor lets others pass). */
  private wakeSlots(): void {
    for (const w of [...this.joinWaiters]) w();
    if (this.slotWaiters.length === 0) return;
    const kept: SlotWaiter[] = [];
    let free = this.freeSlots();
    for (const w of this.slotWaiters) {
      if (free > 0 && w.take()) { free--; w.resolve(); } else kept.push(w);
    }
    this.slotWaiters = kept;
  }

  private freeSlots(): number {
    let n = 0;
    for (const e of this.execs.values()) if (e.info.state === 'alive') n += Math.max(0, capacity(e) - e.running);
    return n;
  }

  /** Waits until `take` gets a slot; fails when the job fails, the session closes, or no executor has been alive for executorWaitMs. */
  private waitSlot(job: JobRun, take: () => boolean, describe: () => string, servable?: () => boolean, unservable?: () => string): Promise<void> {
    if (take()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.slotWaiters.push({ job, take, resolve, reject, describe, servable, unservable });
      this.slotTimer ??= setInterval(() => this.pollSlots(), 100);
    });
  }

  /** Every 100 ms while tasks wait: locality waits run out, failed jobs and a closed session let go, and an empty cluster times out. */
  private pollSlots(): void {
    const now = Date.now();
    if (this.alive().length > 0) this.noExecutorsSince = null;
    else this.noExecutorsSince ??= now;
    const limit = this.o.executorWaitMs ?? 60_000;
    this.slotWaiters = this.slotWaiters.filter((w) => {
      let error: unknown = null;
      if (this.closed) error = new ResourceError('this Quiver session was closed while the job was running; close it only after its jobs finish');
      else if (w.job.failure) error = new InternalError('job aborted');
      else if (this.noExecutorsSince !== null && now - this.noExecutorsSince > limit) error = new ResourceError(w.describe());
      else if (w.servable && !w.servable()) {
        w.unservedSince ??= now;
        if (now - w.unservedSince > Math.min(limit, PATH_WAIT_MS)) error = new PlanError(w.unservable!());
      } else w.unservedSince = undefined;
      if (error) w.reject(error);
      return !error;
    });
    this.wakeSlots();
    if (this.slotWaiters.length === 0 && this.slotTimer) { clearInterval(this.slotTimer); this.slotTimer = null; }
  }

  private async waitFor(cond: () => boolean, timeoutMs: number, message: () => string, job?: JobRun): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!cond()) {
      if (job?.failure) throw new InternalError('job aborted');
      if (this.closed) throw new ResourceError('this Quiver session was closed while the job was running; close it only after its jobs finish');
      if (Date.now() > until) throw new ResourceError(message());
      await new Promise<void>((r) => {
        const t = setTimeout(done, 200);
        function done() { clearTimeout(t); waiters.delete(done); r(); }
        const waiters = this.joinWaiters;
        waiters.add(done);
      });
    }
  }

  /**
   * An executor with a free slot for `task`: one that declared the directory of the file it
   * reads (executors read nothing else), not one it already failed on while others exist.
   */
  private async slot(job: JobRun, task: TaskState, speculative: boolean): Promise<{ exec: ExecSlot; locality: string } | null> {
    // The file the task reads and the models it loads: executors read only under their --paths.
    const scanned = scannedPath(task.stage, task.partition);
    const need = [...(scanned === null ? [] : [scanned]), ...stageModelPaths(task.stage)];
    const path = need.length ? need.join(', ') : null;
    let pick: { exec: ExecSlot; locality: string } | null = null;
    const under = (e: ExecSlot, f: string) => e.info.paths.find((p) => f === p || f.startsWith(p.endsWith('/') ? p : `${p}/`));
    const declares = (e: ExecSlot) => (need.length && need.every((f) => under(e, f)) ? under(e, need[0]) : undefined);
    const choose = (): boolean => {
      const all = [...this.execs.values()].filter((e) => e.info.state === 'alive' && !(speculative && task.running.size > 0 && [...task.running.values()].some((a) => a.executor === e.info.id)));
      const free = all.filter((e) => e.running < capacity(e));
      const fresh = free.filter((e) => !task.failedOn.has(e.info.id));
      const pool = fresh.length || all.some((e) => !task.failedOn.has(e.info.id)) ? fresh : free;
      if (path !== null) {
        // Executors read only under the directories they declared (--paths): a task that reads a
        // file goes to one of those, and waits while they are busy.
        const local = pool.filter(declares);
        if (local.length) { pick = { exec: leastLoaded(local, this.rr++), locality: `local: ${path} is under ${declares(local[0])}` }; return true; }
        return false;
      }
      if (pool.length) { pick = { exec: leastLoaded(pool, this.rr++), locality: 'any' }; return true; }
      return false;
    };
    // The slot is taken as it is chosen: tasks waiting at the same moment must not all see it free.
    const take = (): boolean => {
      if (!choose()) return false;
      pick!.exec.running++;
      return true;
    };
    if (speculative) return take() ? pick : null;
    const servable = path === null ? undefined : () => [...this.execs.values()].some((e) => e.info.state === 'alive' && declares(e));
    const unservable = () => `no executor can read ${path}: executors read only under the directories they were started with (quiver executor --paths DIR), and for ${Math.min(this.o.executorWaitMs ?? 60_000, PATH_WAIT_MS)} ms none alive declared one holding it (${this.alive().map((e) => `${e.id}: ${e.paths.join(', ') || 'no --paths'}`).join('; ') || 'no executors'}); start an executor with --paths naming the directory`;
    await this.waitSlot(job, take, () => `no executor was alive for ${this.o.executorWaitMs ?? 60_000} ms to run stage ${task.stage.id} task ${task.partition} (executors left or were lost); start executors with \`quiver executor --servers ...\``, servable, unservable);
    return pick;
  }

  /** Sends one attempt of `task` to `exec` (whose slot the caller took); its outcome arrives on the task's queue. */
  private async launch(job: JobRun, task: TaskState, exec: ExecSlot, locality: string, speculative: boolean): Promise<void> {
    const stage = task.stage;
    const attempt = task.nextAttempt++;
    const a: Attempt = { job, task, attempt, executor: exec.info.id, started: performance.now(), speculative, secret: randomBytes(32).toString('hex') };
    const key = `${job.jobId}/${stage.id}/${task.partition}/${attempt}`;
    this.attempts.set(key, a);
    task.running.set(attempt, a);
    job.tasksLaunched++;
    job.messages++;
    job.emit({ kind: 'taskStart', ts: Date.now(), jobId: job.jobId, stageId: stage.id, partition: task.partition, attempt, executor: exec.info.id, locality, speculative: speculative || undefined });
    const req: TaskRequest = {
      v: PROTOCOL_VERSION, kind: 'task', driverId: this.driverId, jobId: job.jobId, stageId: stage.id, stageKey: `j${job.jobId}s${stage.id}`,
      stageSha256: job.stageSha.get(stage.id)!, secret: a.secret, jobHash: sha256(job.secret),
      partition: task.partition, attempt, memoryBudget: this.config.memoryBudget, batchSize: this.config.batchSize,
      ...taskInputs(job.plan, stage, task.partition, job.outputs, job.resources), resourceSha256: {},
    };
    for (const key of req.resources) req.resourceSha256[key] = this.blobSha(`res/${key}`);
    const body = JSON.stringify(req);
    if (body.length > MAX_TASK_BYTES) {
      throw new PlanError(`stage ${stage.id} task ${task.partition} reads too many map outputs to describe in one request (${body.length} bytes); use fewer, larger input splits (targetSplitBytes) or fewer shuffle partitions`);
    }
    try {
      const reply = (await this.nc.request(this.s.task(exec.info.id), body, { timeout: 5000 })).json<{ ok: boolean; error?: string }>();
      if (!reply.ok) throw new Error(reply.error ?? 'refused');
    } catch (e) {
      if (this.attempts.delete(key)) this.outcome(a, { kind: 'lost', reason: `executor ${exec.info.id} did not take the task: ${(e as Error).message}` });
    }
  }

  /** Runs partition `partition` of `stage` until its output is recorded (once, however many ask). */
  private partitionTask(job: JobRun, stage: Stage, partition: number): Promise<void> {
    const key = `${stage.id}/${partition}`;
    let p = job.inflight.get(key);
    if (!p) {
      p = this.runPartition(job, stage, partition).finally(() => job.inflight.delete(key));
      job.inflight.set(key, p);
    }
    return p;
  }

  /** Recomputes (from lineage) any output of `stage`'s parents that was lost. */
  private async ensureParents(job: JobRun, stage: Stage): Promise<void> {
    const missing: Promise<void>[] = [];
    for (const pid of stage.parents) {
      const parent = job.plan.stages[pid];
      job.outputs.get(pid)!.forEach((m, i) => { if (!m) missing.push(this.partitionTask(job, parent, i)); });
    }
    await Promise.all(missing);
  }

  private async runPartition(job: JobRun, stage: Stage, partition: number): Promise<void> {
    const task = new TaskState(stage, partition);
    job.tasks.set(`${stage.id}/${partition}`, task);
    try {
      for (;;) {
        if (job.failure) throw new InternalError('job aborted');
        if (task.running.size === 0) {
          await this.ensureParents(job, stage);
          const s = await this.slot(job, task, false);
          // An output this task reads was lost while it waited for a slot: recompute it first.
          if (!parentsReady(stage, job.outputs)) { this.release(s!.exec.info.id); continue; }
          await this.launch(job, task, s!.exec, s!.locality, false);
        }
        const { a, o } = await task.next();
        task.running.delete(a.attempt);
        this.release(a.executor);
        if (o.kind === 'lost') {
          job.emit({ kind: 'taskEnd', ts: Date.now(), jobId: job.jobId, stageId: stage.id, partition, attempt: a.attempt, executor: a.executor, ok: false, error: o.reason, durationMs: performance.now() - a.started, rows: 0 });
          if (++task.resends > MAX_RESENDS) throw new ResourceError(`stage ${stage.id} task ${partition} was sent ${task.resends} times and its executors were lost or did not answer; last: ${o.reason}`);
          task.failedOn.add(a.executor);
          // Again and again: back off (up to 2 s) rather than spend every resend at once.
          if (task.resends >= 2) await sleep(Math.min(2000, 100 * 2 ** (task.resends - 2)));
          continue;
        }
        const m = o.msg;
        if (m.dropped) {
          // The executor had forgotten this driver (it was silent too long) and kept nothing: run it again.
          job.emit({ kind: 'taskEnd', ts: Date.now(), jobId: job.jobId, stageId: stage.id, partition, attempt: a.attempt, executor: a.executor, ok: false, error: m.dropped, durationMs: m.durationMs, rows: 0 });
          if (++task.resends > MAX_RESENDS) throw new ResourceError(`stage ${stage.id} task ${partition} was sent ${task.resends} times and its output was dropped each time; last: ${m.dropped}`);
          continue;
        }
        for (const [k, v] of Object.entries(m.metrics)) job.counters[k] = (job.counters[k] ?? 0) + v;
        job.taskMs[stage.id] += m.durationMs;
        if (m.ok) {
          const fetched = stage.output.kind === 'result' ? await this.fetchResult(job, stage, partition, a) : [];
          if (fetched === null) { task.resends++; continue; }
          task.done = true;
          for (const q of task.takeQueued()) this.outcome(q.a, q.o);
          job.emit({ kind: 'taskEnd', ts: Date.now(), jobId: job.jobId, stageId: stage.id, partition, attempt: a.attempt, executor: a.executor, ok: true, durationMs: m.durationMs, rows: m.rows, bytes: m.outputBytes, metrics: m.metrics });
          if (stage.output.kind === 'result') job.results[partition] = fetched;
          else job.outputs.get(stage.id)![partition] = { executor: a.executor, attempt: a.attempt, rows: m.outputRows };
          const took = performance.now() - a.started;
          (job.durations.get(stage.id) ?? job.durations.set(stage.id, []).get(stage.id)!).push(took);
          this.recentMs.push(took);
          if (this.recentMs.length > 256) this.recentMs.shift();
          const n = (job.finished.get(stage.id) ?? 0) + 1;
          job.finished.set(stage.id, n);
          const rows = (job.stageRows.get(stage.id) ?? 0) + m.rows;
          job.stageRows.set(stage.id, rows);
          job.hooks.onProgress?.({ jobId: job.jobId, stageId: stage.id, stages: job.plan.stages.length, done: Math.min(n, stage.partitions), total: stage.partitions, rows });
          // Other attempts (a speculative copy) report later and are ignored (see outcome()).
          return;
        }
        job.emit({ kind: 'taskEnd', ts: Date.now(), jobId: job.jobId, stageId: stage.id, partition, attempt: a.attempt, executor: a.executor, ok: false, error: m.fetchFailed ? `fetch failed: ${m.fetchFailed.reason}` : m.error?.message, durationMs: m.durationMs, rows: 0, metrics: m.metrics });
        if (m.fetchFailed) {
          // Not the task's fault: its input is gone. Forget that output (if still recorded there) and recompute it.
          const f = m.fetchFailed;
          // A peer that cannot be reached may be dead: ask it now rather than wait for its heartbeat timeout.
          void this.membership.probe(f.executor);
          const outs = job.outputs.get(f.stage);
          if (outs?.[f.map]?.executor === f.executor) {
            outs[f.map] = null;
            job.emit({ kind: 'outputLost', ts: Date.now(), jobId: job.jobId, stageId: f.stage, partitions: [f.map], executor: f.executor });
          }
          if (++task.resends > MAX_RESENDS) throw new ResourceError(`stage ${stage.id} task ${partition} could not fetch its input ${task.resends} times; last: ${f.reason}`);
          continue;
        }
        job.failedAttempts++;
        task.failures++;
        task.failedOn.add(a.executor);
        const err = errorFromJSON((m.error ?? { code: 'INTERNAL_ERROR', name: 'Error', message: 'task failed without an error' }) as ErrorJSON);
        if (!isRetryable(err)) throw err;
        if (task.failures >= this.maxTaskAttempts) {
          err.message = `stage ${stage.id} task ${partition} failed ${task.failures} times; last error: ${err.message}`;
          throw err;
        }
        if (task.running.size > 0) continue;
      }
    } finally {
      // A failed task's attempts still out are given up on: their results will be ignored.
      if (!task.done) {
        for (const a of task.running.values()) if (this.attempts.delete(`${job.jobId}/${stage.id}/${partition}/${a.attempt}`)) this.release(a.executor);
        task.running.clear();
      }
    }
  }

  /** Brings a result task's output to the driver; null when its executor cannot serve it (the task re-runs). */
  private async fetchResult(job: JobRun, stage: Stage, partition: number, a: Attempt): Promise<Block[] | null> {
    const key = outputKey(this.driverId, job.jobId, stage.id, partition, a.attempt);
    try {
      const bytes = await fetchBlob(this.nc, this.s.execBlocks(a.executor), blockId(key, 0), { timeoutMs: 10_000 });
      return bytes.length ? [ipcToBlock(bytes)] : [];
    } catch {
      void this.membership.probe(a.executor);
      job.emit({ kind: 'outputLost', ts: Date.now(), jobId: job.jobId, stageId: stage.id, partitions: [partition], executor: a.executor });
      return null;
    }
  }

  /** SHA-256 of a blob this driver serves (computed once; tables are serialized on first use). */
  private blobSha(id: string): string {
    const bytes = this.blob(id);
    if (!bytes) throw new InternalError(`invariant violated: no blob ${id} to hash`);
    let h = this.blobHashes.get(id);
    if (!h) { h = sha256(bytes); this.blobHashes.set(id, h); }
    return h;
  }

  /**
   * Gives up on attempts that have gone unreported for longer than their stage's finished tasks
   * say they should take (a silent executor must not stall a job while it keeps heartbeating):
   * each is re-run elsewhere, and an executor that times out `excludeAfter` times gets no more tasks.
   */
  private timeOut(job: JobRun, o: NonNullable<ReturnType<typeof timeoutOptions>>): void {
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
          const s = this.slotNow(task);
          if (s) void this.launch(job, task, s.exec, `copy: attempt ${a.attempt} on ${a.executor} reported nothing for ${Math.round(now - a.started)} ms and no task has finished to learn a timeout from`, true);
        }
        continue;
      }
      for (const a of [...task.running.values()]) {
        const key = `${job.jobId}/${task.stage.id}/${task.partition}/${a.attempt}`;
        if (now - a.started <= limit || !this.attempts.delete(key)) continue;
        const n = (this.timeouts.get(a.executor) ?? 0) + 1;
        this.timeouts.set(a.executor, n);
        this.outcome(a, { kind: 'lost', reason: `executor ${a.executor} reported nothing for ${Math.round(now - a.started)} ms (the limit learned from finished tasks is ${Math.round(limit)} ms)` });
        if (n >= o.excludeAfter && !this.excluded.has(a.executor)) {
          this.excluded.add(a.executor);
          this.onGone(a.executor, `excluded: ${n} of its task attempts reported nothing within the time finished tasks took`);
        }
      }
    }
  }

  /** Launches copies of stragglers on other executors (speculation). */
  private speculate(job: JobRun): void {
    const so = typeof this.o.speculation === 'object' ? this.o.speculation : {};
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
      const s = this.slotNow(task);
      if (s) void this.launch(job, task, s.exec, `speculative: ${s.locality}`, true);
    }
  }

  private slotNow(task: TaskState): { exec: ExecSlot; locality: string } | null {
    const busy = new Set([...task.running.values()].map((a) => a.executor));
    const free = [...this.execs.values()].filter((e) => e.info.state === 'alive' && !busy.has(e.info.id) && e.running < capacity(e));
    if (!free.length) return null;
    const exec = leastLoaded(free, this.rr++);
    exec.running++;
    return { exec, locality: 'any' };
  }

  async run(plan: PhysicalPlan, resources: Record<string, Block>, hooks: RunHooks = {}): Promise<arrow.Table> {
    if (this.closed) throw new ResourceError('this Quiver session is closed; connect again with Quiver.connect()');
    const jobId = this.nextJob++;
    const t0 = performance.now();
    const emit = (e: RuntimeEvent) => { hooks.onEvent?.(e); };
    const job = new JobRun(jobId, plan, resources, hooks, emit);
    this.jobs.add(job);
    for (const s of plan.stages) {
      const bytes = new TextEncoder().encode(JSON.stringify(s));
      this.blobs.set(`stage/j${jobId}s${s.id}`, bytes);
      job.stageSha.set(s.id, sha256(bytes));
    }
    const stageMs = plan.stages.map(() => 0);
    const done = new Map<number, Promise<void>>();
    const spec = this.o.speculation ? setInterval(() => this.speculate(job), 100) : null;
    const timeouts = timeoutOptions(this.o.taskTimeout);
    const watch = timeouts ? setInterval(() => this.timeOut(job, timeouts), 250) : null;
    emit({ kind: 'jobStart', ts: Date.now(), jobId, stages: plan.stages.map(describeStage) });
    const runStage = async (stage: Stage): Promise<void> => {
      await Promise.all(stage.parents.map((p) => done.get(p)!));
      const s0 = performance.now();
      emit({ kind: 'stageStart', ts: Date.now(), jobId, stageId: stage.id, tasks: stage.partitions });
      const settled = await Promise.allSettled(Array.from({ length: stage.partitions }, (_, p) => this.partitionTask(job, stage, p)));
      for (const s of settled) if (s.status === 'rejected' && !job.failure) job.failure = { error: s.reason };
      if (job.failure) throw job.failure.error;
      stageMs[stage.id] = performance.now() - s0;
      const rows = (job.outputs.get(stage.id) ?? []).reduce((n, m) => n + (m?.rows.reduce((a, b) => a + b, 0) ?? 0), 0)
        + (stage.output.kind === 'result' ? job.results.reduce((n, bs) => n + (bs ?? []).reduce((a, b) => a + b.rows, 0), 0) : 0);
      emit({ kind: 'stageEnd', ts: Date.now(), jobId, stageId: stage.id, durationMs: stageMs[stage.id], rows });
    };
    try {
      for (const stage of plan.stages) done.set(stage.id, runStage(stage));
      const all = await Promise.allSettled(done.values());
      for (const s of all) if (s.status === 'rejected' && !job.failure) job.failure = { error: s.reason };
      if (job.failure) throw job.failure.error;
      const schema = toArrowSchema(plan.stages[plan.resultStage].fields);
      const batches: arrow.RecordBatch[] = [];
      for (const blocks of job.results) for (const block of blocks ?? []) for (const b of decodeBlock(block)) batches.push(new arrow.RecordBatch(schema, b.data));
      emit({ kind: 'jobEnd', ts: Date.now(), jobId, ok: true, durationMs: performance.now() - t0, tasks: job.tasksLaunched, failedAttempts: job.failedAttempts });
      const metrics: JobMetrics = { jobId, stages: plan.stages.length, tasks: job.tasksLaunched, failedAttempts: job.failedAttempts, durationMs: performance.now() - t0, stageMs, taskMs: job.taskMs, messages: job.messages, counters: job.counters };
      hooks.onMetrics?.(metrics);
      return batches.length ? new arrow.Table(schema, batches) : new arrow.Table(schema);
    } catch (e) {
      job.failure ??= { error: e };
      emit({ kind: 'jobEnd', ts: Date.now(), jobId, ok: false, error: (job.failure.error as Error).message, durationMs: performance.now() - t0, tasks: job.tasksLaunched, failedAttempts: job.failedAttempts });
      throw job.failure.error;
    } finally {
      if (spec) clearInterval(spec);
      if (watch) clearInterval(watch);
      this.jobs.delete(job);
      for (const s of plan.stages) this.blobs.delete(`stage/j${jobId}s${s.id}`);
      for (const [key, a] of this.attempts) if (a.job === job) { this.attempts.delete(key); this.release(a.executor); }
      this.news({ v: PROTOCOL_VERSION, kind: 'jobDone', driverId: this.driverId, jobId, secret: job.secret });
    }
  }

  async call<T>(): Promise<T> {
    throw new PlanError('calls on workers (data-parallel training) run in embedded sessions only: use Quiver.local()');
  }

  /** Leaves the cluster: executors drop this driver's state at once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pollSlots();
    clearInterval(this.heartbeat);
    this.membership?.close();
    this.news({ v: PROTOCOL_VERSION, kind: 'bye', driverId: this.driverId, secret: this.byeSecret });
    for (const s of this.subs) s.unsubscribe();
    await this.nc.drain();
  }
}

/** Compares two secrets in constant time. */
function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a), y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The executor running the fewest tasks per slot (ties taken in turn). */
function leastLoaded(execs: ExecSlot[], turn: number): ExecSlot {
  let best: ExecSlot[] = [];
  let load = Infinity;
  for (const e of execs) {
    const l = e.running / e.info.workers;
    if (l < load) { load = l; best = [e]; } else if (l === load) best.push(e);
  }
  return best[turn % best.length];
}
