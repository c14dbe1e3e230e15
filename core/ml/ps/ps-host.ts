// The executor's side of parameter-server training: takes a driver's control requests, serves the shards it hosts (pushes and pulls as binary frames) and runs its worker.
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { timingSafeEqual } from 'node:crypto';
import { errorToJSON, PlanError } from '../../../ops/errors.ts';
import { fetchBlob } from '../../cluster/chunks.ts';
import { decodeWith, subjects } from '../../cluster/protocol.ts';
import type { LocalRuntime } from '../../runtime/local-runtime.ts';
import { decodeShardState } from './checkpoint.ts';
import { DataHeader, PsControl, type DataReply, type PsControlReply, type PullHeader, type PushHeader, type StartShard } from './messages.ts';
import { PsWorker } from './ps-worker.ts';
import { Shard } from './shard.ts';
import { decodeFrame, encodeFrame, floatsOf, frameRoom } from './wire.ts';

/** A training this executor takes part in; dropped on stop, or after this long without a message. */
const IDLE_MS = 120_000;
/** A pull's snapshot is kept this long for its later chunks. */
const SNAPSHOT_MS = 30_000;

interface Training {
  secret: string;
  driverId: string;
  shards: Map<number, Shard>;
  worker: PsWorker | null;
  snaps: Map<string, { bytes: Uint8Array; at: number; chunks: number; served: number }>;
  lastSeen: number;
}

export class PsHost {
  private readonly trainings = new Map<string, Training>();
  private readonly subs: Subscription[] = [];
  private readonly s: ReturnType<typeof subjects>;
  private readonly timer: NodeJS.Timeout;
  private snapIds = 0;
  /** Requests refused (malformed, wrong secret, unknown training). */
  rejected = 0;

  constructor(private readonly nc: NatsConnection, private readonly cluster: string, private readonly executorId: string, private readonly runtime: LocalRuntime, private readonly log: (line: string) => void) {
    this.s = subjects(cluster);
    this.subs.push(nc.subscribe(this.s.psControl(executorId), { callback: (err, m) => { if (!err) void this.onControl(m); } }));
    this.subs.push(nc.subscribe(this.s.psShard(executorId), { callback: (err, m) => { if (!err) this.onData(m); } }));
    this.timer = setInterval(() => {
      const now = Date.now();
      for (const [id, t] of this.trainings) {
        for (const [k, s] of t.snaps) if (now - s.at > SNAPSHOT_MS) t.snaps.delete(k);
        if (now - t.lastSeen > IDLE_MS && !t.worker) this.drop(id, `no message for ${IDLE_MS / 1000} s`);
      }
    }, 5000);
    this.timer.unref();
  }

  /** Shards this executor serves now (all trainings). */
  get shardCount(): number {
    let n = 0;
    for (const t of this.trainings.values()) n += t.shards.size;
    return n;
  }

  private drop(trainId: string, why: string): void {
    const t = this.trainings.get(trainId);
    if (!t) return;
    t.worker?.stop();
    this.trainings.delete(trainId);
    this.log(`training ${trainId} dropped (${why})`);
  }

  /** The training a request names, if its secret matches. */
  private training(trainId: string, secret: string): Training | string {
    const t = this.trainings.get(trainId);
    if (!t) return `no training ${trainId} on executor ${this.executorId}`;
    const a = Buffer.from(t.secret), b = Buffer.from(secret);
    if (a.length !== b.length || !timingSafeEqual(a, b)) return `wrong secret for training ${trainId}`;
    t.lastSeen = Date.now();
    return t;
  }

  private async onControl(m: Msg): Promise<void> {
    const reply = (r: PsControlReply) => m.respond(JSON.stringify(r));
    const d = decodeWith(PsControl, m.data);
    if (!d.ok) { this.rejected++; reply({ ok: false, code: 'PLAN_ERROR', error: `rejected a parameter-server request: ${d.reason}` }); return; }
    const c = d.msg;
    try {
      if (c.kind === 'startShard' || c.kind === 'startWorker') {
        let t = this.trainings.get(c.trainId);
        if (!t) {
          t = { secret: c.secret, driverId: c.driverId, shards: new Map(), worker: null, snaps: new Map(), lastSeen: Date.now() };
          this.trainings.set(c.trainId, t);
        }
        const ok = this.training(c.trainId, c.secret);
        if (typeof ok === 'string') throw new PlanError(ok);
        if (c.kind === 'startShard') await this.startShard(t, c);
        else if (!t.worker) {
          const w = new PsWorker(this.nc, this.cluster, this.executorId, this.runtime, c, this.log);
          t.worker = w;
          void w.run().catch((e) => this.log(`training ${c.trainId}: worker failed: ${(e as Error).message}`)).finally(() => {
            if (t.worker === w) t.worker = null;
            this.log(`training ${c.trainId}: worker ended after ${w.steps} steps`);
          });
        }
        reply({ ok: true });
        return;
      }
      const t = this.training(c.trainId, c.secret);
      if (typeof t === 'string') throw new PlanError(t);
      if (c.kind === 'stop') { this.drop(c.trainId, 'the driver stopped it'); reply({ ok: true }); return; }
      const shard = t.shards.get(c.shard);
      if (!shard) throw new PlanError(`executor ${this.executorId} does not serve shard ${c.shard} of training ${c.trainId}`);
      if (c.kind === 'commit') shard.commit(c.clock);
      else shard.setLr(c.lr);
      reply({ ok: true });
    } catch (e) {
      const j = errorToJSON(e);
      reply({ ok: false, code: j.code, error: j.message });
    }
  }

  /** Loads the shard's state (initial weights or a checkpoint) from the driver, then serves it. */
  private async startShard(t: Training, c: StartShard): Promise<void> {
    const bytes = await fetchBlob(this.nc, this.s.psBlobs(c.driverId), c.state, { timeoutMs: 30_000 });
    const state = decodeShardState(bytes, `state ${c.state} of shard ${c.shard}`);
    if (state.shard !== c.shard || state.from !== c.from || state.to !== c.to) throw new PlanError(`state ${c.state} is for shard ${state.shard} [${state.from}, ${state.to}), not shard ${c.shard} [${c.from}, ${c.to})`);
    t.shards.set(c.shard, new Shard(state, c.mode, c.adam));
    this.log(`training ${c.trainId}: serving shard ${c.shard} (keys [${c.from}, ${c.to}), version ${state.updates})`);
  }

  private onData(m: Msg): void {
    const fail = (code: string, error: string) => m.respond(encodeFrame({ ok: false, code, error } satisfies DataReply));
    const d = decodeFrame(DataHeader, m.data);
    if (!d.ok) { this.rejected++; fail('PLAN_ERROR', `rejected a push/pull frame: ${d.reason}`); return; }
    const h = d.header;
    const t = this.training(h.trainId, h.secret);
    if (typeof t === 'string') { this.rejected++; fail('PLAN_ERROR', t); return; }
    const shard = t.shards.get(h.shard);
    if (!shard) { fail('TRANSPORT_ERROR', `executor ${this.executorId} does not serve shard ${h.shard} of training ${h.trainId}`); return; }
    try {
      if (h.kind === 'push') this.push(shard, h, d.payload, m);
      else this.pull(t, shard, h, m);
    } catch (e) {
      const j = errorToJSON(e);
      fail(j.code, j.message);
    }
  }

  private push(shard: Shard, h: PushHeader, payload: Uint8Array, m: Msg): void {
    shard.push(h, floatsOf(payload));
    m.respond(encodeFrame({ ok: true } satisfies DataReply));
  }

  /** Chunk 0 takes a snapshot (so a pull's chunks are of one version); later chunks are served from it. */
  private pull(t: Training, shard: Shard, h: PullHeader, m: Msg): void {
    const room = frameRoom(this.nc);
    let snap: { bytes: Uint8Array; at: number; chunks: number; served: number } | undefined;
    let id = h.snap;
    if (id === null) {
      const bytes = h.what === 'params' ? shard.paramBytes() : shard.stateBytes();
      snap = { bytes, at: Date.now(), chunks: Math.max(1, Math.ceil(bytes.length / room)), served: 0 };
      id = (this.snapIds++).toString(36);
      if (snap.chunks > 1) t.snaps.set(id, snap);
    } else {
      snap = t.snaps.get(id);
      if (!snap) throw new PlanError(`snapshot ${id} of shard ${h.shard} expired (pulls take it within ${SNAPSHOT_MS / 1000} s)`);
    }
    if (h.chunk >= snap.chunks) throw new PlanError(`snapshot ${id} has ${snap.chunks} chunks, asked for chunk ${h.chunk}`);
    if (++snap.served >= snap.chunks) t.snaps.delete(id);
    const part = snap.bytes.subarray(h.chunk * room, Math.min(snap.bytes.length, (h.chunk + 1) * room));
    m.respond(encodeFrame({ ok: true, snap: id, chunks: snap.chunks, version: shard.version, clocks: shard.clocks } satisfies DataReply, part));
  }

  close(): void {
    clearInterval(this.timer);
    for (const id of [...this.trainings.keys()]) this.drop(id, 'the executor is stopping');
    for (const s of this.subs) s.unsubscribe();
  }
}
