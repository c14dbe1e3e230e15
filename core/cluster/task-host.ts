// The executor's side of running tasks: takes task requests, gathers inputs (local store, peers, the driver), runs them on its pool, stores output, reports results.
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { errorToJSON, PlanError, TransportError } from '../../ops/errors.ts';
import type { Stage } from '../physical/phys-node.ts';
import { blocksBytes, discardBlocks, type Block, type BlockRef } from '../runtime/ipc.ts';
import type { LocalRuntime } from '../runtime/local-runtime.ts';
import type { TaskPayload } from '../runtime/task.ts';
import { collectAfterJob } from '../runtime/gc.ts';
import { blockId, type BlockStore } from '../runtime/block-store.ts';
import { BlockClients } from './block-transfer.ts';
import { fetchBlob, ipcToBlock } from './chunks.ts';
import { FetchFailed, gatherBlocks, locations, type BlockLocation } from './shuffle-fetch.ts';
import { PauseDetector } from './pause.ts';
import { checkStage, type ExecutorPolicy } from './plan-guard.ts';
import { decodeWith, DriverNews, MAX_TASK_BYTES, PROTOCOL_VERSION, subjects, TaskRequest, type TaskResultMsg } from './protocol.ts';
import { decodeStage } from './stage-schema.ts';

/** SHA-256 in hex. */
export const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

/**
 * A driver's id is derived from the secret it reveals when it says goodbye, so a goodbye proves
 * itself: only the driver knows a secret that hashes to its own id.
 */
export const driverIdOf = (byeSecret: string): string => `driver-${sha256(byeSecret).slice(0, 24)}`;

/** Where a task attempt's output lives in an executor's store. */
export const outputKey = (driverId: string, jobId: number, stageId: number, partition: number, attempt: number) =>
  `${driverId}/${jobId}/${stageId}/${partition}/${attempt}`;

/** Where a cached DataFrame's partition lives in an executor's store: kept past jobDone, dropped by unpersist. */
export const cacheKey = (driverId: string, cacheId: string, partition: number, attempt: number) =>
  `${driverId}/cache/${cacheId}/${partition}/${attempt}`;

/** What an executor keeps for one driver: plans, tables and broadcasts it fetched (dropped when the driver is gone). */
interface DriverState {
  lastSeen: number;
  /** Verified stage plans by key and digest. */
  stages: Map<string, Promise<{ text: string; stage: Stage }>>;
  /** The hash of each job's secret (from its first task): a jobDone must reveal a secret that hashes to it. */
  jobHashes: Map<number, string>;
  resources: Map<string, Promise<Block>>;
  broadcasts: Map<string, Promise<BlockRef[]>>;
  /** Per cached DataFrame kept here, the hash of the secret its unpersist must reveal. */
  cacheHashes: Map<string, string>;
}

export interface TaskHostOptions {
  /** A driver silent this long is gone: its blocks and caches are dropped (default 10 s). */
  driverTimeoutMs?: number;
  log: (line: string) => void;
}

export class TaskHost {
  /** Task attempts accepted and not yet reported. */
  running = 0;
  private readonly drivers = new Map<string, DriverState>();
  /** Drivers that said goodbye: their late tasks neither store output nor report (ids are random per driver). */
  private readonly gone = new Set<string>();
  /**
   * Drivers forgotten after a silence (when, by id): dead, or only stalled. One that speaks again
   * is taken back; what it had here was dropped, and it recomputes that from lineage.
   */
  private readonly silent = new Map<string, number>();
  private readonly s: ReturnType<typeof subjects>;
  private readonly idle: (() => void)[] = [];
  private readonly timer: NodeJS.Timeout;
  /** Connections to peers' block servers. */
  private readonly blockClients = new BlockClients();
  rejected = 0;

  constructor(
    private readonly nc: NatsConnection,
    cluster: string,
    private readonly executorId: string,
    private readonly runtime: LocalRuntime,
    private readonly store: BlockStore,
    private readonly spillRoot: string,
    private readonly o: TaskHostOptions,
    private readonly accepting: () => boolean,
    private readonly policy: ExecutorPolicy,
  ) {
    this.s = subjects(cluster);
    nc.subscribe(this.s.task(executorId), { callback: (err, m) => { if (!err) this.onTask(m); } });
    nc.subscribe(this.s.driverNews, { callback: (err, m) => { if (!err) this.onNews(m.data); } });
    const timeout = o.driverTimeoutMs ?? 10_000;
    const every = Math.max(100, Math.floor(timeout / 4));
    const pauses = new PauseDetector(every);
    this.timer = setInterval(() => {
      const now = Date.now();
      // This executor was paused itself: its drivers' news is unread yet, not missing.
      if (pauses.check(now) > 0) {
        for (const d of this.drivers.values()) d.lastSeen = Math.max(d.lastSeen, now);
        return;
      }
      for (const [id, d] of this.drivers) if (now - d.lastSeen > timeout) this.forget(id, `silent for ${now - d.lastSeen} ms`, false);
    }, every);
    this.timer.unref();
  }

  private driver(id: string): DriverState {
    let d = this.drivers.get(id);
    if (!d) {
      d = { lastSeen: Date.now(), stages: new Map(), jobHashes: new Map(), resources: new Map(), broadcasts: new Map(), cacheHashes: new Map() };
      this.drivers.set(id, d);
    }
    return d;
  }

  private onNews(data: Uint8Array): void {
    const d = decodeWith(DriverNews, data);
    if (!d.ok) { this.rejected++; this.o.log(`rejected a driver message: ${d.reason}`); return; }
    const n = d.msg;
    if (n.kind === 'alive') {
      const st = this.drivers.get(n.driverId);
      if (st) st.lastSeen = Date.now();
      else this.revive(n.driverId);
      return;
    }
    if (n.kind === 'bye') {
      // Anyone on the cluster can publish here: only the driver knows the secret behind its id.
      if (driverIdOf(n.secret) !== n.driverId) { this.rejected++; this.o.log(`ignored a goodbye for driver ${n.driverId} that it did not send (its secret does not match the id)`); return; }
      this.forget(n.driverId, 'it closed', true);
      return;
    }
    const st = this.drivers.get(n.driverId);
    if (!st) return;
    if (n.kind === 'unpersist') {
      const hash = st.cacheHashes.get(n.cacheId);
      if (hash === undefined) return;
      if (sha256(n.secret) !== hash) { this.rejected++; this.o.log(`ignored an unpersist for driver ${n.driverId} cache ${n.cacheId} that it did not send (wrong secret)`); return; }
      st.cacheHashes.delete(n.cacheId);
      this.store.dropPrefix(`${n.driverId}/cache/${n.cacheId}/`);
      return;
    }
    const want = st.jobHashes.get(n.jobId);
    if (want === undefined) return;
    if (sha256(n.secret) !== want) { this.rejected++; this.o.log(`ignored a jobDone for driver ${n.driverId} job ${n.jobId} that it did not send (wrong job secret)`); return; }
    st.jobHashes.delete(n.jobId);
    this.store.dropPrefix(`${n.driverId}/${n.jobId}/`);
    for (const k of [...st.broadcasts.keys()]) if (k.startsWith(`${n.jobId}/`)) st.broadcasts.delete(k);
    for (const k of [...st.stages.keys()]) if (k.startsWith(`j${n.jobId}s`)) st.stages.delete(k);
    collectAfterJob();
  }

  /**
   * Drops everything of a driver that is gone: its blocks, plans, tables and broadcasts. A driver
   * that said goodbye (`final`) is refused from then on; a silent one is taken back if it speaks.
   */
  private forget(driverId: string, why: string, final: boolean): void {
    if (final) {
      this.silent.delete(driverId);
      this.gone.add(driverId);
      if (this.gone.size > 10_000) this.gone.delete(this.gone.values().next().value!);
    } else {
      this.silent.set(driverId, Date.now());
      if (this.silent.size > 10_000) this.silent.delete(this.silent.keys().next().value!);
    }
    if (!this.drivers.delete(driverId)) return;
    const n = this.store.dropPrefix(`${driverId}/`);
    this.o.log(`driver ${driverId} is gone (${why}): dropped its state (${n} outputs)`);
  }

  /** A driver forgotten for its silence spoke again (it was stalled, not dead): serve it again. */
  private revive(driverId: string): void {
    const since = this.silent.get(driverId);
    if (since === undefined) return;
    this.silent.delete(driverId);
    this.driver(driverId);
    this.o.log(`driver ${driverId} is back after ${Date.now() - since} ms; the outputs dropped meanwhile are recomputed by the driver as it needs them`);
  }

  /** Drivers this executor holds state for (tests: a dead driver's state is dropped). */
  get driverCount(): number {
    return this.drivers.size;
  }

  private onTask(m: Msg): void {
    const d = decodeWith(TaskRequest, m.data, MAX_TASK_BYTES);
    if (!d.ok) {
      this.rejected++;
      this.o.log(`rejected a task request: ${d.reason}`);
      m.respond(JSON.stringify({ ok: false, error: d.reason }));
      return;
    }
    if (!this.accepting()) { m.respond(JSON.stringify({ ok: false, error: 'draining: this executor takes no new tasks' })); return; }
    if (this.gone.has(d.msg.driverId)) { m.respond(JSON.stringify({ ok: false, error: 'that driver said goodbye: this executor dropped its state' })); return; }
    this.revive(d.msg.driverId);
    this.running++;
    const st = this.driver(d.msg.driverId);
    st.lastSeen = Date.now();
    if (!st.jobHashes.has(d.msg.jobId)) st.jobHashes.set(d.msg.jobId, d.msg.jobHash);
    if (d.msg.cache && !st.cacheHashes.has(d.msg.cache.id)) st.cacheHashes.set(d.msg.cache.id, d.msg.cache.hash);
    m.respond(JSON.stringify({ ok: true }));
    void this.run(d.msg).finally(() => {
      this.running--;
      if (this.running === 0) for (const f of this.idle.splice(0)) f();
    });
  }

  private async run(req: TaskRequest): Promise<void> {
    const t0 = performance.now();
    let msg: TaskResultMsg;
    const base = { v: PROTOCOL_VERSION, kind: 'result', executorId: this.executorId, secret: req.secret, jobId: req.jobId, stageId: req.stageId, partition: req.partition, attempt: req.attempt } as const;
    try {
      // Counted into the task's metrics: broadcasts are fetched once per executor and job.
      const fetched: Record<string, number> = {};
      const payload = await this.inputs(req, fetched);
      // Time to gather the plan and inputs (peers' shuffle blocks, broadcasts, tables) before the task ran.
      fetched.inputWaitMs = performance.now() - t0;
      const r = await this.runtime.runTask(payload);
      // The driver closed while this ran: keep nothing of it.
      if (this.gone.has(req.driverId)) { discardBlocks(r.blocks); return; }
      if (!this.drivers.has(req.driverId)) {
        discardBlocks(r.blocks);
        // Forgotten for a silence: its output was not kept; if the driver is only stalled, it runs the task again.
        await this.deliver(req.driverId, { ...base, ok: false, dropped: `executor ${this.executorId} dropped the output: driver ${req.driverId} was silent for over ${this.o.driverTimeoutMs ?? 10_000} ms`, rows: 0, durationMs: r.durationMs, metrics: {}, outputRows: [] });
        return;
      }
      if (r.ok) this.store.put(req.cache ? cacheKey(req.driverId, req.cache.id, req.partition, req.attempt) : outputKey(req.driverId, req.jobId, req.stageId, req.partition, req.attempt), r.blocks);
      msg = { ...base, ok: r.ok, error: r.error, rows: r.rows, durationMs: r.durationMs, metrics: { ...r.metrics, ...fetched }, outputRows: r.ok ? r.blocks.map((b) => b?.rows ?? 0) : [], outputBytes: r.ok ? blocksBytes(r.blocks) : 0, ...(r.ok ? { outputBlockBytes: r.blocks.map((b) => b?.bytes ?? 0) } : {}) };
    } catch (e) {
      const fetchFailed = e instanceof FetchFailed ? { stage: e.stage, map: e.map, executor: e.executor, reason: e.message } : undefined;
      const error = errorToJSON(e);
      msg = { ...base, ok: false, error: { code: error.code, name: error.name, message: error.message, retryable: error.retryable }, fetchFailed, rows: 0, durationMs: performance.now() - t0, metrics: {}, outputRows: [] };
    }
    await this.deliver(req.driverId, msg);
  }

  /** Reports to the driver until it acknowledges (a NATS restart or a lost message must not lose a result), or it is gone. */
  private async deliver(driverId: string, msg: TaskResultMsg): Promise<void> {
    const body = JSON.stringify(msg);
    // A driver forgotten for its silence gets one try: it is likely dead.
    for (let i = 0; this.drivers.has(driverId) || (i === 0 && this.silent.has(driverId)); i++) {
      try {
        await this.nc.request(this.s.result(driverId), body, { timeout: 5000 });
        return;
      } catch (e) {
        if (i % 10 === 0) this.o.log(`reporting task ${msg.stageId}.${msg.partition} attempt ${msg.attempt} to driver ${driverId}: ${(e as Error).message}; retrying`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  /** The task's payload: its plan, and its inputs gathered from this store, peers and the driver. */
  private async inputs(req: TaskRequest, fetched: Record<string, number>): Promise<TaskPayload> {
    const st = this.drivers.get(req.driverId);
    if (!st) throw new TransportError(`driver ${req.driverId} is gone`);
    const driverBlocks = this.s.driverBlocks(req.driverId);
    // A plan is run only if it is the one the driver hashed (anyone could answer on the driver's
    // subject), fits the stage schema, and touches nothing outside this executor's policy.
    const stageKey = `${req.stageKey}/${req.stageSha256}`;
    let stage = st.stages.get(stageKey);
    if (!stage) {
      const inline = req.stageJson !== undefined ? Promise.resolve(new TextEncoder().encode(req.stageJson)) : undefined;
      stage = (inline ?? fetchBlob(this.nc, driverBlocks, `stage/${req.stageKey}`)).then((b) => {
        if (sha256(b) !== req.stageSha256) {
          throw new TransportError(inline
            ? `the stage plan in the task request for ${req.stageKey} does not hash to its stageSha256`
            : `the stage plan served for ${req.stageKey} is not the one driver ${req.driverId} sent (SHA-256 mismatch); another client answered on the driver's subject`);
        }
        const text = new TextDecoder().decode(b);
        const d = decodeStage(text);
        if (!d.ok) throw new PlanError(`executor ${this.executorId} refused the stage plan of driver ${req.driverId}: ${d.reason}`);
        return { text, stage: d.stage };
      });
      stage.catch(() => st.stages.delete(stageKey));
      st.stages.set(stageKey, stage);
    }
    const t0 = performance.now();
    const verified = await stage;
    fetched.planWaitMs = performance.now() - t0;
    checkStage(verified.stage, req.partition, this.policy);
    const stageJson = verified.text;
    const shuffle: Record<number, BlockRef[]> = {};
    for (const [id, input] of Object.entries(req.shuffle)) {
      // A coalesced task's reduce partitions are fetched at once, kept in order.
      const parts = await Promise.all(input.parts.map((part) => this.gather(req, input.stage, part.from, part.reduce, input.cache, fetched)));
      shuffle[Number(id)] = parts.flat();
    }
    const broadcast: Record<number, BlockRef[]> = {};
    for (const [id, input] of Object.entries(req.broadcast)) {
      // Once per executor and job: every task of this executor shares the fetched relation.
      const key = `${req.jobId}/${id}`;
      let p = st.broadcasts.get(key);
      if (!p) {
        fetched.broadcastFetches = (fetched.broadcastFetches ?? 0) + 1;
        p = this.gather(req, input.stage, input.from, 0);
        p.catch(() => st.broadcasts.delete(key));
        st.broadcasts.set(key, p);
      }
      broadcast[Number(id)] = await p;
    }
    const resources: Record<string, Block> = {};
    for (const key of req.resources) {
      const want = req.resourceSha256[key];
      if (want === undefined) throw new PlanError(`task request names table ${key} without its digest`);
      let p = st.resources.get(`${key}/${want}`);
      if (!p) {
        p = fetchBlob(this.nc, driverBlocks, `res/${key}`).then((b) => {
          if (sha256(b) !== want) throw new TransportError(`the table ${key} served for driver ${req.driverId} is not the one it sent (SHA-256 mismatch)`);
          return ipcToBlock(b);
        });
        p.catch(() => st.resources.delete(`${key}/${want}`));
        st.resources.set(`${key}/${want}`, p);
      }
      resources[key] = await p;
    }
    return {
      jobId: req.jobId, stageJson, partition: req.partition, attempt: req.attempt,
      config: { memoryBudget: req.memoryBudget, batchSize: req.batchSize, spillRoot: join(this.spillRoot, 'tasks') },
      shuffle, broadcast, resources,
    };
  }

  /**
   * Reduce partition `reduce` of every listed map output, in map order: from this executor's
   * store without a copy, from peers as Arrow IPC. Shuffle reads count remoteBlocksRead and
   * remoteBytesRead into `fetched`.
   */
  private gather(req: TaskRequest, stage: number, from: Record<string, [number, number][]>, reduce: number, cache?: string, fetched?: Record<string, number>): Promise<BlockRef[]> {
    const key = (w: BlockLocation) => (cache !== undefined ? cacheKey(req.driverId, cache, w.map, w.attempt) : outputKey(req.driverId, req.jobId, stage, w.map, w.attempt));
    return gatherBlocks(locations(from), {
      nc: this.nc, stage, counters: fetched,
      subjectOf: (executor) => this.s.execBlocks(executor),
      direct: { endpointOf: (executor) => req.peers?.[executor], clients: this.blockClients },
      idOf: (w) => blockId(key(w), reduce),
      local: (w) => {
        if (w.executor !== this.executorId) return undefined;
        // A spilled block stays on disk: the task reads the file.
        const b = this.store.peek(key(w), reduce);
        if (b === undefined) throw new FetchFailed(stage, w.map, w.executor, `output of stage ${stage} task ${w.map} is no longer on this executor`);
        return b;
      },
    });
  }

  /** Resolves when no task is running (graceful decommission waits for this). */
  whenIdle(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  close(): void {
    clearInterval(this.timer);
    this.blockClients.close();
  }
}
