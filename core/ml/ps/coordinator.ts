// The driver's side of parameter-server training: places shards and workers on executors, hands out clocks and minibatches, commits sequential rounds, checkpoints shards, restores a lost shard and reassigns a lost worker's rows.
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mulberry32 } from '../../../ops/compute/random.ts';
import { errorFromJSON, ResourceError } from '../../../ops/errors.ts';
import type { LayerShape } from '../../../ops/train/mlp-grad.ts';
import { serveBlobs } from '../../cluster/chunks.ts';
import type { ClusterRuntime } from '../../cluster/cluster-runtime.ts';
import { decodeWith, PROTOCOL_VERSION, subjects } from '../../cluster/protocol.ts';
import { decodeShardState, encodeShardState, initialShardState, type ShardState } from './checkpoint.ts';
import { ClockGate } from './clock-gate.ts';
import { keyRanges } from './key-range.ts';
import { StepRequest, type PsControl, type PsControlReply, type ShardPlace, type StartShard, type StepDone, type StepReply } from './messages.ts';
import type { TrainConfig, TrainProgress } from './options.ts';
import { encodePartition, type PartitionData } from './partition-data.ts';
import { pullVector } from './wire.ts';
import { WorkQueue, type Slice } from './work-queue.ts';

/** A held step request is answered 'wait' after this long (the worker asks again), so no request times out. */
const HOLD_MS = 5000;

export interface EpochStats {
  epoch: number;
  /** Mean loss and accuracy over the epoch's pushed steps (training rows). */
  loss: number;
  accuracy: number;
  rows: number;
  seconds: number;
  testAccuracy?: number;
}

export interface ShardRestore {
  shard: number;
  from: string;
  to: string;
  /** The checkpoint's version (updates applied) the shard restarted from. */
  version: number;
  epoch: number;
}

export interface CoordinatorResult {
  params: Float32Array;
  epochs: EpochStats[];
  steps: number;
  droppedSteps: number;
  samples: number;
  /** Seconds of training, without the pauses at epoch ends (checkpoint and evaluation). */
  trainSeconds: number;
  gate: ClockGate;
  restores: ShardRestore[];
  lostWorkers: string[];
  reassignedRows: number;
  workers: string[];
  shards: ShardPlace[];
  checkpoints: number;
  /** Mean milliseconds per step: computing the gradient, pulling, pushing, and waiting for the driver to start the next clock. */
  phases: { computeMs: number; pullMs: number; pushMs: number; waitMs: number };
}

export interface CoordinatorSetup {
  rt: ClusterRuntime;
  cfg: TrainConfig;
  layers: LayerShape[];
  parts: PartitionData[];
  init: Float32Array;
  /** Accuracy of the parameters on the test data (null without test data). */
  evaluate: (params: Float32Array) => number | null;
  onProgress: (p: TrainProgress) => void;
  log: (line: string) => void;
}

export class Coordinator {
  private readonly trainId = randomBytes(8).toString('hex');
  private readonly secret = randomBytes(32).toString('hex');
  private readonly nc: NatsConnection;
  private readonly s: ReturnType<typeof subjects>;
  private readonly gate: ClockGate;
  private readonly queue: WorkQueue;
  private readonly cfg: TrainConfig;
  private workers: string[] = [];
  private readonly workerSet = new Set<string>();
  private readonly held = new Map<string, { m: Msg; at: number }>();
  /** Slices being trained, by clock. */
  private readonly running = new Map<number, Slice>();
  private readonly holds = new Map<string, Set<number>>();
  private shards: ShardPlace[] = [];
  private readonly blobs = new Map<string, Uint8Array>();
  private readonly subs: Subscription[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private pauses = 0;
  private epoch = 0;
  private finishing = false;
  private over = false;
  private lr: number;
  private settle!: { resolve: () => void; reject: (e: unknown) => void };
  private finalParams: Float32Array | null = null;
  private readonly epochs: EpochStats[] = [];
  private acc = { loss: 0, correct: 0, rows: 0, start: 0 };
  private steps = 0;
  private dropped = 0;
  private samples = 0;
  private trainStart = 0;
  private pausedMs = 0;
  private checkpointing = false;
  private checkpoints = 0;
  private readonly restores: ShardRestore[] = [];
  private readonly lostWorkers: string[] = [];
  private readonly totalRows: number;
  /** Per pushed step, summed: milliseconds computing, pulling, pushing; and waiting for a clock (from asking to being granted). */
  private readonly phase = { computeMs: 0, pullMs: 0, pushMs: 0, waitMs: 0, waits: 0 };
  private readonly askedAt = new Map<string, number>();

  constructor(private readonly o: CoordinatorSetup) {
    this.cfg = o.cfg;
    this.nc = o.rt.connection;
    this.s = subjects(o.rt.cluster);
    this.gate = new ClockGate(o.cfg.consistency, o.cfg.maxDelay);
    this.queue = new WorkQueue(o.parts.map((p) => p.rows), o.cfg.batchSize);
    this.lr = o.cfg.learningRate;
    this.totalRows = o.parts.reduce((s, p) => s + p.rows, 0);
  }

  private stateKey(shard: number): string { return `${this.trainId}/state/${shard}`; }

  async run(): Promise<CoordinatorResult> {
    const { rt, cfg } = this.o;
    const alive = rt.alive();
    if (alive.length === 0) throw new ResourceError('train: no executor is alive to run workers and server shards; start executors with `quiver executor --servers ...` (Quiver.connect waits for minExecutors of them)');
    if (cfg.executors !== null && cfg.executors > alive.length) throw new ResourceError(`train: executors: ${cfg.executors} asked for, ${alive.length} alive (${alive.map((e) => e.id).join(', ')}); start more or ask for fewer`);
    this.workers = alive.slice(0, cfg.executors ?? alive.length).map((e) => e.id);
    for (const w of this.workers) { this.workerSet.add(w); this.holds.set(w, new Set()); }
    this.shards = keyRanges(this.o.init.length, cfg.servers).map((r, i) => ({ ...r, executor: alive[i % alive.length].id }));
    for (const p of this.o.parts) this.blobs.set(`${this.trainId}/part/${p.partition}`, encodePartition(p));
    for (const sh of this.shards) this.blobs.set(this.stateKey(sh.shard), encodeShardState(initialShardState(sh.shard, sh.from, sh.to, this.o.init, this.lr)));
    const done = new Promise<void>((resolve, reject) => { this.settle = { resolve, reject }; });
    done.catch(() => {});
    this.subs.push(serveBlobs(this.nc, this.s.psBlobs(rt.driverId), (id) => this.blobs.get(id)));
    this.subs.push(this.nc.subscribe(this.s.psSteps(rt.driverId), { callback: (err, m) => { if (!err) this.onStep(m); } }));
    const unwatch = rt.watchExecutors((id, reason) => this.onGone(id, reason));
    try {
      await Promise.all(this.shards.map((sh) => this.control(sh.executor, this.startShard(sh))));
      this.o.log(`training ${this.trainId}: ${this.shards.length} server shard(s) on ${[...new Set(this.shards.map((s) => s.executor))].join(', ')}; workers ${this.workers.join(', ')}; ${cfg.consistency}${cfg.consistency === 'bounded-delay' ? ` (tau ${cfg.maxDelay})` : ''}`);
      this.startEpoch(1);
      this.trainStart = performance.now();
      await Promise.all(this.workers.map((w, i) => this.control(w, {
        v: PROTOCOL_VERSION, kind: 'startWorker', trainId: this.trainId, secret: this.secret, driverId: rt.driverId,
        layers: this.o.layers, scale: cfg.scale, shift: cfg.shift, seed: cfg.seed, slowdown: cfg.slowdown[i] ?? 1,
        // Sequential rounds need each push applied before the next step; relaxed consistency lets a worker push one step while it computes the next.
        pipeline: cfg.consistency !== 'sequential',
      })));
      this.timers.push(setInterval(() => void this.checkpoint(), cfg.checkpointMs));
      this.timers.push(setInterval(() => this.emitProgress(false), cfg.progressMs));
      this.timers.push(setInterval(() => this.sweepHeld(), 1000));
      await done;
      return {
        params: this.finalParams!, epochs: this.epochs, steps: this.steps, droppedSteps: this.dropped, samples: this.samples,
        trainSeconds: this.trainSeconds(), gate: this.gate, restores: this.restores, lostWorkers: this.lostWorkers,
        reassignedRows: this.queue.reassignedRows, workers: this.workers, shards: this.shards, checkpoints: this.checkpoints,
        phases: {
          computeMs: this.phase.computeMs / Math.max(1, this.steps), pullMs: this.phase.pullMs / Math.max(1, this.steps),
          pushMs: this.phase.pushMs / Math.max(1, this.steps), waitMs: this.phase.waitMs / Math.max(1, this.phase.waits),
        },
      };
    } finally {
      this.over = true;
      for (const t of this.timers) clearInterval(t);
      unwatch();
      for (const h of this.held.values()) h.m.respond(JSON.stringify({ kind: 'finished' } satisfies StepReply));
      this.held.clear();
      const involved = new Set([...this.workers, ...this.shards.map((s) => s.executor)]);
      await Promise.all([...involved].filter((e) => rt.alive().some((a) => a.id === e)).map((e) =>
        this.control(e, { v: PROTOCOL_VERSION, kind: 'stop', trainId: this.trainId, secret: this.secret }, 2000).catch(() => {})));
      for (const s of this.subs) s.unsubscribe();
    }
  }

  private trainSeconds(): number {
    return Math.max(1e-9, (performance.now() - this.trainStart - this.pausedMs) / 1000);
  }

  private startShard(sh: ShardPlace): StartShard {
    const { cfg, rt } = this.o;
    return {
      v: PROTOCOL_VERSION, kind: 'startShard', trainId: this.trainId, secret: this.secret, driverId: rt.driverId,
      shard: sh.shard, from: sh.from, to: sh.to, mode: cfg.consistency === 'sequential' ? 'sync' : 'async',
      adam: { lr: this.lr, beta1: cfg.beta1, beta2: cfg.beta2, eps: cfg.eps }, state: this.stateKey(sh.shard),
    };
  }

  /** A control request to one executor; a refusal is the executor's error, a silence a TransportError. */
  private async control(executor: string, msg: PsControl, timeoutMs = 30_000): Promise<void> {
    const m = await this.nc.request(this.s.psControl(executor), JSON.stringify(msg), { timeout: timeoutMs });
    const r = m.json<PsControlReply>();
    if (!r.ok) throw errorFromJSON({ code: r.code as never, name: 'Error', message: `executor ${executor} refused ${msg.kind}: ${r.error}` });
  }

  private startEpoch(epoch: number): void {
    this.epoch = epoch;
    const order = Array.from({ length: this.o.parts.length }, (_, i) => i);
    const rand = mulberry32(this.cfg.seed * 7919 + epoch);
    for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
    this.queue.startEpoch(order);
    this.acc = { loss: 0, correct: 0, rows: 0, start: performance.now() };
  }

  private onStep(m: Msg): void {
    const refuse = (error: string) => m.respond(JSON.stringify({ kind: 'refused', error } satisfies StepReply));
    const d = decodeWith(StepRequest, m.data);
    if (!d.ok) { refuse(`malformed step request: ${d.reason}`); return; }
    const r = d.msg;
    const a = Buffer.from(r.secret), b = Buffer.from(this.secret);
    if (r.trainId !== this.trainId || a.length !== b.length || !timingSafeEqual(a, b)) { refuse(`not a worker of training ${this.trainId} (wrong training or secret)`); return; }
    if (!this.workerSet.has(r.worker)) { refuse(`executor ${r.worker} is no longer a worker of training ${this.trainId} (it was declared lost)`); return; }
    if (r.done) this.ended(r.worker, r.done);
    if (!r.next) {
      m.respond(JSON.stringify({ kind: 'wait' } satisfies StepReply));
      this.pump();
      return;
    }
    if (!this.askedAt.has(r.worker)) this.askedAt.set(r.worker, performance.now());
    this.held.get(r.worker)?.m.respond(JSON.stringify({ kind: 'wait' } satisfies StepReply));
    this.held.set(r.worker, { m, at: Date.now() });
    this.pump();
  }

  private ended(worker: string, done: StepDone): void {
    // A report delivered twice, or for a clock given up on when the worker was thought lost.
    if (!this.gate.running(worker).includes(done.clock)) return;
    this.gate.end(worker, done.clock, !done.pushed);
    this.running.delete(done.clock);
    if (done.pushed) {
      this.steps++; this.samples += done.rows;
      this.phase.computeMs += done.computeMs; this.phase.pullMs += done.pullMs ?? 0; this.phase.pushMs += done.pushMs ?? 0;
      this.acc.loss += done.loss; this.acc.correct += done.correct; this.acc.rows += done.rows;
    } else this.dropped++;
    if (done.unreachable) this.o.rt.suspect(done.unreachable);
  }

  /** Hands out what the consistency model and the queue allow; commits a finished sequential round; ends an epoch. */
  private pump(): void {
    if (this.over) return;
    if (this.finishing) {
      for (const h of this.held.values()) h.m.respond(JSON.stringify({ kind: 'finished' } satisfies StepReply));
      this.held.clear();
      return;
    }
    if (this.pauses > 0) return;
    if (this.gate.roundEnded()) { void this.commitRound(); return; }
    if (this.queue.drained && this.gate.inFlight === 0) { void this.endEpoch(); return; }
    for (const [w, h] of this.held) {
      if (!this.queue.hasWork(w)) continue;
      const rec = this.gate.tryStart(w);
      if (!rec) continue;
      const slice = this.queue.take(w, this.holds.get(w)!)!;
      this.running.set(rec.clock, slice);
      this.holds.get(w)!.add(slice.partition);
      this.held.delete(w);
      const asked = this.askedAt.get(w);
      if (asked !== undefined) { this.phase.waitMs += performance.now() - asked; this.phase.waits++; this.askedAt.delete(w); }
      h.m.respond(JSON.stringify({ kind: 'run', clock: rec.clock, epoch: this.epoch, partition: slice.partition, from: slice.from, to: slice.to, shards: this.shards } satisfies StepReply));
    }
  }

  /** Runs `f` with handing out paused; its time does not count as training time. */
  private async paused(f: () => Promise<void>, counts = true): Promise<void> {
    this.pauses++;
    const t0 = performance.now();
    try {
      await f();
    } catch (e) {
      this.fail(e);
    } finally {
      if (counts) this.pausedMs += performance.now() - t0;
      this.pauses--;
      this.pump();
    }
  }

  private fail(e: unknown): void {
    if (this.over) return;
    this.over = true;
    this.settle.reject(e);
  }

  /** Sequential: every shard applies the round's summed pushes; then the next round opens. */
  private commitRound(): Promise<void> {
    return this.paused(async () => {
      const clock = this.gate.currentRound;
      // A shard that cannot commit is lost (or being restored): its round's pushes are lost with it.
      await Promise.all(this.shards.map((sh) => this.control(sh.executor, { v: PROTOCOL_VERSION, kind: 'commit', trainId: this.trainId, secret: this.secret, shard: sh.shard, clock }, 5000)
        .catch((e) => { this.o.log(`training ${this.trainId}: commit of clock ${clock} on shard ${sh.shard}: ${(e as Error).message}`); this.o.rt.suspect(sh.executor); })));
      this.gate.nextRound();
    }, false);
  }

  /** Pulls every shard's state: stored as its restore point; returns the states (throws if a shard is unreachable). */
  private async checkpointAll(): Promise<ShardState[]> {
    const head = { v: PROTOCOL_VERSION, trainId: this.trainId, secret: this.secret } as const;
    const states = await Promise.all(this.shards.map(async (sh) => {
      const got = await pullVector(this.nc, this.s.psShard(sh.executor), { ...head, kind: 'pull', shard: sh.shard, what: 'state' }, { timeoutMs: 5000 });
      const st = decodeShardState(got.bytes, `checkpoint of shard ${sh.shard}`);
      return { sh, st, bytes: got.bytes };
    }));
    for (const { sh, bytes } of states) this.blobs.set(this.stateKey(sh.shard), bytes);
    this.checkpoints++;
    return states.map((x) => x.st);
  }

  /** The periodic checkpoint (skipped while one runs or while handing out is paused). */
  private async checkpoint(): Promise<void> {
    if (this.checkpointing || this.pauses > 0 || this.over) return;
    this.checkpointing = true;
    try { await this.checkpointAll(); } catch { /* a lost shard: restored from the previous checkpoint */ } finally { this.checkpointing = false; }
  }

  private endEpoch(): Promise<void> {
    return this.paused(async () => {
      let states: ShardState[] | null = null;
      for (let t0 = Date.now(); states === null;) {
        try { states = await this.checkpointAll(); } catch (e) {
          if (Date.now() - t0 > 60_000) throw new ResourceError(`train: could not checkpoint the shards at the end of epoch ${this.epoch} for 60 s: ${(e as Error).message}`, { cause: e });
          // A shard is being restored (or about to be found lost): wait for it.
          await new Promise((r) => setTimeout(r, 300));
          if (this.over) return;
        }
      }
      const params = new Float32Array(this.o.init.length);
      for (const st of states) params.set(st.params, st.from);
      const testAccuracy = this.o.evaluate(params);
      const stats: EpochStats = {
        epoch: this.epoch, loss: this.acc.loss / Math.max(1, this.acc.rows), accuracy: this.acc.correct / Math.max(1, this.acc.rows),
        rows: this.acc.rows, seconds: (performance.now() - this.acc.start) / 1000, ...(testAccuracy === null ? {} : { testAccuracy }),
      };
      this.epochs.push(stats);
      this.emitProgress(true, testAccuracy ?? undefined);
      if (this.epoch >= this.cfg.epochs) {
        this.finalParams = params;
        this.finishing = true;
        this.settle.resolve();
        return;
      }
      this.lr *= this.cfg.lrDecay;
      await Promise.all(this.shards.map((sh) => this.control(sh.executor, { v: PROTOCOL_VERSION, kind: 'setLr', trainId: this.trainId, secret: this.secret, shard: sh.shard, lr: this.lr }, 5000).catch(() => {})));
      this.startEpoch(this.epoch + 1);
    });
  }

  private emitProgress(epochEnd: boolean, testAccuracy?: number): void {
    if (this.over || this.trainStart === 0) return;
    const secs = this.trainSeconds();
    this.o.onProgress({
      epoch: this.epoch, epochs: this.cfg.epochs, rows: this.acc.rows, totalRows: this.totalRows,
      loss: this.acc.loss / Math.max(1, this.acc.rows), accuracy: this.acc.correct / Math.max(1, this.acc.rows),
      stepsPerSecond: this.steps / secs, samplesPerSecond: this.samples / secs,
      staleness: Object.fromEntries([...this.gate.histogram.entries()].sort((a, b) => a[0] - b[0])),
      epochEnd, ...(testAccuracy === undefined ? {} : { testAccuracy }),
    });
  }

  /** Held requests are answered 'wait' before they could time out; the worker asks again. */
  private sweepHeld(): void {
    const now = Date.now();
    for (const [w, h] of this.held) {
      if (now - h.at < HOLD_MS) continue;
      this.held.delete(w);
      h.m.respond(JSON.stringify({ kind: 'wait' } satisfies StepReply));
    }
  }

  /** An executor left or was lost: its worker's rows go back to the queue, its shards are restored elsewhere from their checkpoints. */
  private onGone(id: string, reason: string): void {
    if (this.over) return;
    if (this.workerSet.delete(id)) {
      this.lostWorkers.push(id);
      const slices: Slice[] = [];
      for (const clock of this.gate.running(id)) {
        this.gate.end(id, clock, true);
        this.dropped++;
        const s = this.running.get(clock);
        if (s) slices.push(s);
        this.running.delete(clock);
      }
      this.queue.giveBack(id, slices);
      this.held.delete(id);
      this.o.log(`training ${this.trainId}: worker ${id} ${reason}; its unfinished rows go to the other workers`);
      if (this.workerSet.size === 0) { this.fail(new ResourceError(`train: every worker executor was lost (${this.lostWorkers.join(', ')}); training stopped in epoch ${this.epoch}`)); return; }
    }
    for (const sh of this.shards) if (sh.executor === id) void this.restore(sh, reason);
    this.pump();
  }

  private restore(sh: ShardPlace, reason: string): Promise<void> {
    const lost = sh.executor;
    return this.paused(async () => {
      const state = decodeShardState(this.blobs.get(this.stateKey(sh.shard))!, `checkpoint of shard ${sh.shard}`);
      for (let attempt = 1; ; attempt++) {
        const alive = this.o.rt.alive().filter((e) => e.id !== lost);
        if (alive.length === 0) throw new ResourceError(`train: server shard ${sh.shard} was lost with executor ${lost} (${reason}) and no executor is alive to restore it on`);
        const load = (e: string) => this.shards.filter((s) => s.executor === e).length;
        const target = alive.map((e) => e.id).sort((a, b) => load(a) - load(b))[0];
        try {
          await this.control(target, { ...this.startShard(sh), adam: { lr: state.lr, beta1: this.cfg.beta1, beta2: this.cfg.beta2, eps: this.cfg.eps } });
          await this.control(target, { v: PROTOCOL_VERSION, kind: 'setLr', trainId: this.trainId, secret: this.secret, shard: sh.shard, lr: this.lr });
          sh.executor = target;
          break;
        } catch (e) {
          if (attempt >= 3) throw new ResourceError(`train: could not restore server shard ${sh.shard} (lost with ${lost}): ${(e as Error).message}`, { cause: e });
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      this.restores.push({ shard: sh.shard, from: lost, to: sh.executor, version: state.updates, epoch: this.epoch });
      this.o.log(`training ${this.trainId}: server shard ${sh.shard} lost with ${lost} (${reason}); restored on ${sh.executor} from its checkpoint at version ${state.updates}`);
    }, false);
  }
}
