// A parameter-server worker inside an executor: asks its driver for steps, pulls the weights from the shards, computes the minibatch's gradient on the executor's pool, pushes it back.
import type { NatsConnection } from '@nats-io/transport-node';
import { fileURLToPath } from 'node:url';
import { paramCount, type GradStepArgs, type GradStepResult } from '../../../ops/train/mlp-grad.ts';
import { fetchBlob } from '../../cluster/chunks.ts';
import { decodeWith, PROTOCOL_VERSION, subjects } from '../../cluster/protocol.ts';
import type { LocalRuntime } from '../../runtime/local-runtime.ts';
import { StepReply, type StartWorker, type StepDone, type StepRequest } from './messages.ts';
import { decodePartition, epochOrder, type PartitionData } from './partition-data.ts';
import { floatsOf, pullVector, pushVector } from './wire.ts';

/** The pool function of a gradient step (the built .js when running from dist). */
const GRAD_STEP = {
  module: fileURLToPath(new URL(`../../../ops/train/mlp-grad.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url)),
  export: 'mlpGradStep',
};

/** Step requests in a row that may fail before the worker decides its driver is gone. */
const MAX_DRIVER_FAILURES = 20;

type Run = Extract<StepReply, { kind: 'run' }>;


export class PsWorker {
  private stopped = false;
  private readonly s: ReturnType<typeof subjects>;
  private readonly params: Float32Array;
  /** Two sets of per-thread gradient buffers: one being pushed while the next step computes into the other. */
  private readonly grads: Float32Array[][];
  private readonly partitions = new Map<number, Promise<PartitionData>>();
  private readonly orders = new Map<number, { epoch: number; order: Int32Array }>();
  /** Steps run (for logs and tests). */
  steps = 0;

  constructor(
    private readonly nc: NatsConnection,
    cluster: string,
    private readonly executorId: string,
    private readonly runtime: LocalRuntime,
    private readonly cfg: StartWorker,
    private readonly log: (line: string) => void,
  ) {
    this.s = subjects(cluster);
    const P = paramCount(cfg.layers);
    this.params = new Float32Array(new SharedArrayBuffer(4 * P));
    this.grads = [0, 1].map(() => Array.from({ length: runtime.workers }, () => new Float32Array(new SharedArrayBuffer(4 * P))));
  }

  stop(): void { this.stopped = true; }

  /** The loop: until the driver says finished, refuses, or cannot be reached for a while. */
  async run(): Promise<void> {
    let done: StepDone | null = null;
    // Pipelined: the previous step's push (and its report), running while this step computes.
    let pushing: Promise<void> = Promise.resolve();
    let failures = 0, buf = 0;
    try {
      while (!this.stopped) {
        const req: StepRequest = { v: PROTOCOL_VERSION, kind: 'step', trainId: this.cfg.trainId, secret: this.cfg.secret, worker: this.executorId, done, next: true };
        let reply: StepReply;
        try {
          reply = await this.ask(req, 30_000);
          failures = 0;
          done = null;
        } catch (e) {
          if (++failures >= MAX_DRIVER_FAILURES) { this.log(`training ${this.cfg.trainId}: driver ${this.cfg.driverId} unreachable (${(e as Error).message}); worker stops`); return; }
          await new Promise((r) => setTimeout(r, 250));
          continue;
        }
        if (reply.kind === 'finished') return;
        if (reply.kind === 'refused') { this.log(`training ${this.cfg.trainId}: driver refused this worker: ${reply.error}`); return; }
        if (reply.kind === 'wait') continue;
        const c = await this.compute(reply, this.grads[buf]);
        this.steps++;
        if ('failed' in c) { done = c.failed; continue; }
        if (!this.cfg.pipeline) { done = await this.push(reply, c.done, this.grads[buf][0]); continue; }
        // At most one push in flight: its gradient buffer is the one the next step computes into.
        await pushing;
        const g = this.grads[buf][0];
        pushing = this.push(reply, c.done, g).then((d) => this.report(d));
        buf ^= 1;
      }
    } finally {
      await pushing;
    }
  }

  private async ask(req: StepRequest, timeoutMs: number): Promise<StepReply> {
    const m = await this.nc.request(this.s.psSteps(this.cfg.driverId), JSON.stringify(req), { timeout: timeoutMs });
    const d = decodeWith(StepReply, m.data);
    if (!d.ok) throw new Error(`malformed step reply: ${d.reason}`);
    return d.msg;
  }

  /** Reports a pipelined step's push to the driver (a few tries: a lost report would hold its clock open until the worker is lost). */
  private async report(done: StepDone): Promise<void> {
    const req: StepRequest = { v: PROTOCOL_VERSION, kind: 'step', trainId: this.cfg.trainId, secret: this.cfg.secret, worker: this.executorId, done, next: false };
    for (let i = 0; i < 5; i++) {
      try { await this.ask(req, 10_000); return; } catch { await new Promise((r) => setTimeout(r, 250)); }
    }
  }

  private partition(p: number): Promise<PartitionData> {
    let d = this.partitions.get(p);
    if (!d) {
      d = fetchBlob(this.nc, this.s.psBlobs(this.cfg.driverId), `${this.cfg.trainId}/part/${p}`, { timeoutMs: 30_000 }).then((b) => decodePartition(b, `partition ${p}`));
      d.catch(() => this.partitions.delete(p));
      this.partitions.set(p, d);
    }
    return d;
  }

  private order(data: PartitionData, epoch: number): Int32Array {
    const hit = this.orders.get(data.partition);
    if (hit && hit.epoch === epoch) return hit.order;
    const order = epochOrder(data.rows, this.cfg.seed, epoch, data.partition);
    this.orders.set(data.partition, { epoch, order });
    return order;
  }

  /** Pulls the weights and computes the step's summed gradient into grads[0]; a shard that cannot be reached drops the step (reported, never thrown). */
  private async compute(run: Run, grads: Float32Array[]): Promise<{ done: StepDone } | { failed: StepDone }> {
    const base = { clock: run.clock, rows: 0, loss: 0, correct: 0, computeMs: 0 };
    let data: PartitionData;
    try {
      data = await this.partition(run.partition);
    } catch (e) {
      this.log(`training ${this.cfg.trainId}: fetching partition ${run.partition}: ${(e as Error).message}`);
      return { failed: { ...base, pushed: false } };
    }
    let place = run.shards[0];
    const tPull = performance.now();
    try {
      await Promise.all(run.shards.map(async (sh) => {
        const got = await pullVector(this.nc, this.s.psShard(sh.executor), { ...this.head(), kind: 'pull', shard: sh.shard, what: 'params' }).catch((e) => { place = sh; throw e; });
        const f = floatsOf(got.bytes);
        if (f.length !== sh.to - sh.from) throw new Error(`shard ${sh.shard} sent ${f.length} parameters for keys [${sh.from}, ${sh.to})`);
        this.params.set(f, sh.from);
      }));
    } catch (e) {
      this.log(`training ${this.cfg.trainId}: pull failed: ${(e as Error).message}`);
      return { failed: { ...base, pushed: false, unreachable: place.executor } };
    }
    const t0 = performance.now();
    const order = this.order(data, run.epoch);
    const W = grads.length, n = run.to - run.from, per = Math.ceil(n / W);
    const results = await Promise.all(grads.map((g, w) => {
      const args: GradStepArgs = {
        images: data.images, labels: data.labels, order, from: Math.min(run.to, run.from + w * per), to: Math.min(run.to, run.from + (w + 1) * per),
        layers: this.cfg.layers, scale: this.cfg.scale, shift: this.cfg.shift, params: this.params, grads: g,
      };
      return this.runtime.call<GradStepResult>(GRAD_STEP, args);
    }));
    const g = grads[0];
    for (let w = 1; w < W; w++) { const o = grads[w]; for (let i = 0; i < g.length; i++) g[i] += o[i]; }
    const computeMs = performance.now() - t0;
    if (this.cfg.slowdown > 1) await new Promise((r) => setTimeout(r, (this.cfg.slowdown - 1) * computeMs));
    return { done: { ...base, rows: n, loss: results.reduce((s, r) => s + r.loss, 0), correct: results.reduce((s, r) => s + r.correct, 0), computeMs, pullMs: t0 - tPull, pushed: false } };
  }

  private head() {
    return { v: PROTOCOL_VERSION, trainId: this.cfg.trainId, secret: this.cfg.secret } as const;
  }

  /** Pushes the gradient `g` to every shard; the step's report says whether all took it. */
  private async push(run: Run, done: StepDone, g: Float32Array): Promise<StepDone> {
    let place = run.shards[0];
    const t0 = performance.now();
    try {
      await Promise.all(run.shards.map((sh) =>
        pushVector(this.nc, this.s.psShard(sh.executor), { ...this.head(), kind: 'push', shard: sh.shard, worker: this.executorId, clock: run.clock, rows: done.rows }, g.subarray(sh.from, sh.to))
          .catch((e) => { place = sh; throw e; })));
    } catch (e) {
      this.log(`training ${this.cfg.trainId}: push of clock ${run.clock} failed: ${(e as Error).message}`);
      return { ...done, pushed: false, unreachable: place.executor };
    }
    return { ...done, pushed: true, pushMs: performance.now() - t0 };
  }
}
