// The cluster driver's task launcher: finds executors with free slots over NATS (locality, probation, exclusion), sends task attempts and receives their outcomes.
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorToJSON, InternalError, PlanError, ResourceError, type ErrorJSON } from '../../ops/errors.ts';
import { scannedPath, stageModelPaths, type Stage } from '../physical/phys-node.ts';
import { DRIVER_EXECUTOR, type EventListener } from '../runtime/events.ts';
import type { Block } from '../runtime/ipc.ts';
import { DEFAULT_BATCH_SIZE, type JobHandle, type Launched, type Outcome, type Runtime, type SchedulingPolicy, type Slot, type SpeculationOptions, type TaskTimeoutOptions } from '../runtime/runtime.ts';
import type { TaskConfig } from '../runtime/task.ts';
import { blockId } from '../runtime/block-store.ts';
import { BlockClients, type BlockEndpoint } from './block-transfer.ts';
import { fetchBlock } from './shuffle-fetch.ts';
import { blockToIpc, ipcToBlock, serveBlobs } from './chunks.ts';
import { connectCluster, type ClusterAuth } from './connect.ts';
import { driverStageRows, runOnDriver } from './driver-stage.ts';
import { Membership, type ExecutorInfo } from './membership.ts';
import { decodeWith, MAX_INLINE_PLAN_BYTES, MAX_TASK_BYTES, PROTOCOL_VERSION, subjects, TaskResultMsg, type DriverNews, type TaskRequest } from './protocol.ts';
import { taskInputs, type TaskInputs } from './stage-inputs.ts';
import { driverIdOf, outputKey, sha256 } from './task-host.ts';

export type { SpeculationOptions, TaskTimeoutOptions };

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
  /**
   * A job's last stage runs on the driver when it is one task over at most this many shuffled
   * rows and only computes (a top-k or a global aggregate's merge): it saves a round trip to an
   * executor and the result's fetch (default 16,384; 0: always on an executor).
   */
  driverStageRows?: number;
}

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
  job: JobHandle;
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

/** An attempt sent to an executor, until its result (or loss) settles it. */
interface Attempt {
  job: JobHandle;
  stage: Stage;
  partition: number;
  attempt: number;
  executor: string;
  /** Sent to the executor in the task request only; its result must carry it back. */
  secret: string;
  settle: (o: Outcome) => void;
}

/** What the executors learn of a job: its stage plans' hashes, and the secret that ends it. */
interface JobInfo {
  /** Revealed in the jobDone message; executors drop the job's blocks only for it. */
  readonly secret: string;
  /** SHA-256 of each stage's JSON (executors refuse a plan that does not hash to it). */
  readonly stageSha: Map<number, string>;
  /** `stage/executor` pairs whose task request carried the stage's plan (each executor's first task of a stage carries it). */
  readonly planSent: Set<string>;
}

export class ClusterRuntime implements Runtime {
  /** Revealed only in this driver's goodbye; its id is derived from it, so no one else can say goodbye for it. */
  private readonly byeSecret = randomBytes(32).toString('hex');
  readonly driverId = driverIdOf(this.byeSecret);
  /** Executors given no more tasks this session (their attempts timed out too often). */
  private readonly excluded = new Set<string>();
  /** Results refused because their secret did not match a running attempt (forged or corrupt). */
  rejectedResults = 0;
  private lastRejectLog = 0;
  readonly config: TaskConfig;
  readonly maxTaskAttempts: number;
  private readonly s: ReturnType<typeof subjects>;
  private readonly execs = new Map<string, ExecSlot>();
  private readonly attempts = new Map<string, Attempt>();
  private readonly jobs = new Map<JobHandle, JobInfo>();
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
  /** Direct transfer: connections to executors' block servers, for results and last stages run here. */
  private readonly blockClients = new BlockClients();
  private readonly direct = { endpointOf: (e: string) => this.membership.endpoint(e), clients: this.blockClients };
  private heartbeat!: NodeJS.Timeout;
  private sink: EventListener = () => {};
  private lostListener: (executor: string) => void = () => {};
  /** Listeners for executors leaving or lost, besides the scheduler's (parameter-server training). */
  private readonly goneListeners = new Set<(executor: string, reason: string) => void>();
  private closed = false;
  private rr = 0;
  private sent = 0;
  readonly policy: SchedulingPolicy;

  private constructor(private readonly nc: NatsConnection, private readonly o: ClusterRuntimeOptions) {
    this.s = subjects(o.cluster ?? 'default');
    this.maxTaskAttempts = o.maxTaskAttempts ?? 4;
    this.config = { memoryBudget: o.memoryBudget ?? 256 * 1024 * 1024, batchSize: o.batchSize ?? DEFAULT_BATCH_SIZE, spillRoot: join(tmpdir(), `quiver-driver-${process.pid}`) };
    this.policy = { speculation: o.speculation ? (typeof o.speculation === 'object' ? o.speculation : {}) : false, taskTimeout: o.taskTimeout ?? {} };
  }

  /** Task requests sent so far (all jobs). */
  get messages(): number { return this.sent; }

  onExecutorLost(f: (executor: string) => void): void {
    this.lostListener = f;
  }

  /** Calls `f` whenever an executor leaves or is lost (work outside jobs, such as parameter-server training); returns the unsubscribe. */
  watchExecutors(f: (executor: string, reason: string) => void): () => void {
    this.goneListeners.add(f);
    return () => { this.goneListeners.delete(f); };
  }

  /** This driver's NATS connection, for services beside the job loop (parameter-server training). */
  get connection(): NatsConnection { return this.nc; }

  /** The cluster's name (its subjects' prefix). */
  get cluster(): string { return this.o.cluster ?? 'default'; }

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
      for (const job of this.jobs.keys()) {
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
      a.settle({ kind: 'lost', reason: `executor ${id} ${reason}` });
    }
    this.lostListener(id);
    for (const f of this.goneListeners) f(id, reason);
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
    a.settle(this.toOutcome(a, m));
  }

  /** A result message as the scheduler's outcome; a result stage's blocks are fetched only if the scheduler takes them. */
  private toOutcome(a: Attempt, m: TaskResultMsg): Outcome {
    if (m.dropped) return { kind: 'dropped', reason: m.dropped, durationMs: m.durationMs };
    if (m.fetchFailed) return { kind: 'fetchFailed', ...m.fetchFailed, durationMs: m.durationMs, metrics: m.metrics };
    if (!m.ok) return { kind: 'failed', error: (m.error ?? { code: 'INTERNAL_ERROR', name: 'Error', message: 'task failed without an error' }) as ErrorJSON, durationMs: m.durationMs, metrics: m.metrics };
    const done = { kind: 'done' as const, rows: m.rows, durationMs: m.durationMs, metrics: m.metrics, ...(m.outputBytes !== undefined ? { bytes: m.outputBytes } : {}) };
    if (a.stage.output.kind === 'result') return { ...done, result: () => this.fetchResult(a) };
    return { ...done, output: { executor: a.executor, attempt: a.attempt, rows: m.outputRows, ...(m.outputBlockBytes ? { bytes: m.outputBlockBytes } : {}) } };
  }

  release(slot: Slot): void {
    if (slot.executor === DRIVER_EXECUTOR) return;
    const e = this.execs.get(slot.executor);
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
  private waitSlot(job: JobHandle, take: () => boolean, describe: () => string, servable?: () => boolean, unservable?: () => string): Promise<void> {
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

  private async waitFor(cond: () => boolean, timeoutMs: number, message: () => string, job?: JobHandle): Promise<void> {
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
   * An executor with a free slot for task `partition` of `stage`: one that declared the directory
   * of the file it reads (executors read nothing else), not one it already failed on while others exist.
   */
  async acquire(job: JobHandle, stage: Stage, partition: number, failedOn: ReadonlySet<string>): Promise<Slot> {
    if (!failedOn.has(DRIVER_EXECUTOR)) {
      const rows = driverStageRows(job.plan, stage, job.outputs, this.o.driverStageRows ?? 16_384);
      if (rows !== null) return { executor: DRIVER_EXECUTOR, locality: `driver: the last stage, over ${rows} shuffled rows` };
    }
    // The file the task reads and the models it loads: executors read only under their --paths.
    const scanned = scannedPath(stage, partition);
    const need = [...(scanned === null ? [] : [scanned]), ...stageModelPaths(stage)];
    const path = need.length ? need.join(', ') : null;
    let pick: { exec: ExecSlot; locality: string } | null = null;
    const under = (e: ExecSlot, f: string) => e.info.paths.find((p) => f === p || f.startsWith(p.endsWith('/') ? p : `${p}/`));
    const declares = (e: ExecSlot) => (need.length && need.every((f) => under(e, f)) ? under(e, need[0]) : undefined);
    const choose = (): boolean => {
      const all = [...this.execs.values()].filter((e) => e.info.state === 'alive');
      const free = all.filter((e) => e.running < capacity(e));
      const fresh = free.filter((e) => !failedOn.has(e.info.id));
      const pool = fresh.length || all.some((e) => !failedOn.has(e.info.id)) ? fresh : free;
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
    const servable = path === null ? undefined : () => [...this.execs.values()].some((e) => e.info.state === 'alive' && declares(e));
    const unservable = () => `no executor can read ${path}: executors read only under the directories they were started with (quiver executor --paths DIR), and for ${Math.min(this.o.executorWaitMs ?? 60_000, PATH_WAIT_MS)} ms none alive declared one holding it (${this.alive().map((e) => `${e.id}: ${e.paths.join(', ') || 'no --paths'}`).join('; ') || 'no executors'}); start an executor with --paths naming the directory`;
    await this.waitSlot(job, take, () => `no executor was alive for ${this.o.executorWaitMs ?? 60_000} ms to run stage ${stage.id} task ${partition} (executors left or were lost); start executors with \`quiver executor --servers ...\``, servable, unservable);
    return { executor: pick!.exec.info.id, locality: pick!.locality };
  }

  /** A free slot now on an executor not in `avoid` (a straggler's copy), or null. */
  tryAcquire(_job: JobHandle, _stage: Stage, _partition: number, avoid: ReadonlySet<string>): Slot | null {
    const free = [...this.execs.values()].filter((e) => e.info.state === 'alive' && !avoid.has(e.info.id) && e.running < capacity(e));
    if (!free.length) return null;
    const exec = leastLoaded(free, this.rr++);
    exec.running++;
    return { executor: exec.info.id, locality: 'any' };
  }

  /** Sends one attempt to the slot's executor (request/reply is only an acknowledgement); its outcome settles when its result arrives or it is lost. */
  launch(job: JobHandle, stage: Stage, partition: number, attempt: number, slot: Slot): Launched {
    const info = this.jobs.get(job);
    if (!info) throw new InternalError(`invariant violated: job ${job.jobId} was not begun on this driver`);
    if (slot.executor === DRIVER_EXECUTOR) return this.launchHere(job, stage, attempt);
    let settle!: (o: Outcome) => void;
    const outcome = new Promise<Outcome>((r) => { settle = r; });
    const a: Attempt = { job, stage, partition, attempt, executor: slot.executor, secret: randomBytes(32).toString('hex'), settle };
    const key = `${job.jobId}/${stage.id}/${partition}/${attempt}`;
    const req: TaskRequest = {
      v: PROTOCOL_VERSION, kind: 'task', driverId: this.driverId, jobId: job.jobId, stageId: stage.id, stageKey: `j${job.jobId}s${stage.id}`,
      stageSha256: info.stageSha.get(stage.id)!, secret: a.secret, jobHash: sha256(info.secret),
      partition, attempt, memoryBudget: this.config.memoryBudget, batchSize: this.config.batchSize,
      ...withPeers(taskInputs(job.plan, stage, partition, job.outputs, job.resources), slot.executor, (e) => this.membership.endpoint(e)), resourceSha256: {},
      ...(stage.output.kind === 'cache' ? { cache: { id: stage.output.cacheId, hash: sha256(this.cacheSecret(stage.output.cacheId)) } } : {}),
    };
    for (const k of req.resources) req.resourceSha256[k] = this.blobSha(`res/${k}`);
    // The executor's first task of the stage carries its plan, saving a round trip to this
    // driver at the start of every stage (later tasks, and any retry, fetch it if need be).
    const plan = this.blobs.get(`stage/j${job.jobId}s${stage.id}`);
    if (plan && plan.length <= MAX_INLINE_PLAN_BYTES && !info.planSent.has(`${stage.id}/${slot.executor}`)) {
      info.planSent.add(`${stage.id}/${slot.executor}`);
      req.stageJson = new TextDecoder().decode(plan);
    }
    const body = JSON.stringify(req);
    if (body.length > MAX_TASK_BYTES) {
      throw new PlanError(`stage ${stage.id} task ${partition} reads too many map outputs to describe in one request (${body.length} bytes); use fewer, larger input splits (targetSplitBytes) or fewer shuffle partitions`);
    }
    this.attempts.set(key, a);
    this.sent++;
    void (async () => {
      try {
        const reply = (await this.nc.request(this.s.task(slot.executor), body, { timeout: 5000 })).json<{ ok: boolean; error?: string }>();
        if (!reply.ok) throw new Error(reply.error ?? 'refused');
      } catch (e) {
        if (this.attempts.delete(key)) settle({ kind: 'lost', reason: `executor ${slot.executor} did not take the task: ${(e as Error).message}` });
      }
    })();
    return {
      outcome,
      abandon: (reason) => {
        if (!this.attempts.delete(key)) return false;
        settle({ kind: 'lost', reason });
        return true;
      },
    };
  }

  /** Runs the job's last stage on this thread (see driverStageRows); abandoning it only stops waiting for it. */
  private launchHere(job: JobHandle, stage: Stage, attempt: number): Launched {
    let settled = false;
    let settle!: (o: Outcome) => void;
    const outcome = new Promise<Outcome>((r) => { settle = (o) => { if (!settled) { settled = true; r(o); } }; });
    void runOnDriver({
      nc: this.nc, driverId: this.driverId, jobId: job.jobId, plan: job.plan, stage, stageJson: JSON.stringify(stage), attempt,
      outputs: job.outputs, config: this.config, subjectOf: (e) => this.s.execBlocks(e), direct: this.direct,
    }).then(settle, (e) => settle({ kind: 'failed', error: errorToJSON(e), durationMs: 0, metrics: {} }));
    return {
      outcome,
      abandon: (reason) => {
        if (settled) return false;
        settle({ kind: 'lost', reason });
        return true;
      },
    };
  }

  /** Brings a result task's output to the driver; null when its executor cannot serve it (the task re-runs). */
  private async fetchResult(a: Attempt): Promise<Block[] | null> {
    const key = outputKey(this.driverId, a.job.jobId, a.stage.id, a.partition, a.attempt);
    try {
      const bytes = await fetchBlock(a.executor, blockId(key, 0), { nc: this.nc, subjectOf: (e) => this.s.execBlocks(e), direct: this.direct });
      return bytes.length ? [ipcToBlock(bytes)] : [];
    } catch {
      void this.membership.probe(a.executor);
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

  suspect(executor: string): void {
    void this.membership.probe(executor);
  }

  exclude(executor: string, reason: string): void {
    this.excluded.add(executor);
    this.onGone(executor, reason);
  }

  /** Serves the job's stage plans to the executors, by hash. */
  async beginJob(job: JobHandle): Promise<void> {
    if (this.closed) throw new ResourceError('this Quiver session is closed; connect again with Quiver.connect()');
    const info: JobInfo = { secret: randomBytes(32).toString('hex'), stageSha: new Map(), planSent: new Set() };
    this.jobs.set(job, info);
    for (const s of job.plan.stages) this.serveStage(job, s);
  }

  /** Serves the stage's new plan (a new hash: executors fetch it again) before its first task. */
  stageRewritten(job: JobHandle, stage: Stage): void {
    this.serveStage(job, stage);
  }

  private serveStage(job: JobHandle, s: Stage): void {
    const info = this.jobs.get(job);
    if (!info) throw new InternalError(`invariant violated: job ${job.jobId} was not begun on this driver`);
    const bytes = new TextEncoder().encode(JSON.stringify(s));
    this.blobs.set(`stage/j${job.jobId}s${s.id}`, bytes);
    info.stageSha.set(s.id, sha256(bytes));
    for (const k of [...info.planSent]) if (k.startsWith(`${s.id}/`)) info.planSent.delete(k);
  }

  /** The secret that unpersists a cache on the executors: derived from the goodbye secret, never sent before it is used. */
  private cacheSecret(cacheId: string): string {
    return createHmac('sha256', this.byeSecret).update(`cache/${cacheId}`).digest('hex');
  }

  /** Tells every executor to drop a cached DataFrame's blocks (df.unpersist()). */
  async dropCache(cacheId: string): Promise<void> {
    this.news({ v: PROTOCOL_VERSION, kind: 'unpersist', driverId: this.driverId, cacheId, secret: this.cacheSecret(cacheId) });
    if (!this.nc.isClosed()) await this.nc.flush();
  }

  /** Stops serving the job and tells the executors to drop its blocks. */
  endJob(job: JobHandle): void {
    const info = this.jobs.get(job);
    if (!info) return;
    this.jobs.delete(job);
    for (const s of job.plan.stages) this.blobs.delete(`stage/j${job.jobId}s${s.id}`);
    for (const [key, a] of this.attempts) if (a.job === job) { this.attempts.delete(key); a.settle({ kind: 'lost', reason: 'the job ended' }); }
    this.news({ v: PROTOCOL_VERSION, kind: 'jobDone', driverId: this.driverId, jobId: job.jobId, secret: info.secret });
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
    this.blockClients.close();
    this.news({ v: PROTOCOL_VERSION, kind: 'bye', driverId: this.driverId, secret: this.byeSecret });
    for (const s of this.subs) s.unsubscribe();
    await this.nc.drain();
    // The last stages' spill directories (each task removes its own).
    await rm(this.config.spillRoot, { recursive: true, force: true });
  }
}

/**
 * The inputs with the block servers of the executors holding them (other than `executor`, the
 * one the task goes to), for those that announced one.
 */
function withPeers<T extends TaskInputs>(inputs: T, executor: string, endpointOf: (e: string) => BlockEndpoint | undefined): T & { peers?: Record<string, BlockEndpoint> } {
  const peers: Record<string, BlockEndpoint> = {};
  const froms = [...Object.values(inputs.shuffle).flatMap((r) => r.parts.map((p) => p.from)), ...Object.values(inputs.broadcast).map((r) => r.from)];
  for (const from of froms) {
    for (const e of Object.keys(from)) {
      const ep = e === executor ? undefined : endpointOf(e);
      if (ep) peers[e] = ep;
    }
  }
  return Object.keys(peers).length ? { ...inputs, peers } : inputs;
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
