// One server shard: its key range of the parameters and Adam's moments, applying pushes (at once, or summed per clock until committed), with a vector clock of what it applied.
import { PlanError } from '../../../ops/errors.ts';
import { encodeShardState, type ShardState } from './checkpoint.ts';
import type { AdamSettings, PushHeader, ShardMode } from './messages.ts';

/** A push whose chunks are arriving: the Adam step it was given (async) and the chunks still missing. */
interface Pending {
  step: number;
  missing: number;
}

export class Shard {
  private readonly pending = new Map<string, Pending>();
  /** Sync mode: the clock being summed, its sum and rows. */
  private open: { clock: number; sum: Float32Array; rows: number } | null = null;
  private committed = -1;

  constructor(private readonly s: ShardState, readonly mode: ShardMode, private readonly adam: AdamSettings) {}

  get shard(): number { return this.s.shard; }
  get from(): number { return this.s.from; }
  get to(): number { return this.s.to; }
  /** Updates applied so far. */
  get version(): number { return this.s.updates; }
  /** Per worker, the last clock whose push this shard holds completely. */
  get clocks(): Record<string, number> { return { ...this.s.clocks }; }
  get params(): Float32Array { return this.s.params; }

  setLr(lr: number): void { this.s.lr = lr; }

  /**
   * Takes one chunk of a push. Async: Adam steps the chunk's keys at once (every chunk of a push
   * uses the step number its first chunk drew, so the push is one step). Sync: the chunk is added
   * to its clock's sum. A chunk outside the shard, or for a clock already committed, is refused.
   */
  push(h: PushHeader, grad: Float32Array): void {
    const n = this.s.to - this.s.from;
    if (grad.length !== h.count || h.offset + h.count > n) throw new PlanError(`push chunk [${h.offset}, ${h.offset + h.count}) with ${grad.length} floats does not fit shard ${this.s.shard}'s ${n} keys`);
    if (h.chunk >= h.chunks) throw new PlanError(`push chunk ${h.chunk} of ${h.chunks}`);
    const key = `${h.worker}/${h.clock}`;
    let p = this.pending.get(key);
    if (this.mode === 'sync') {
      if (h.clock <= this.committed) throw new PlanError(`clock ${h.clock} was already committed on shard ${this.s.shard}: this push came too late`);
      if (this.open && this.open.clock !== h.clock) throw new PlanError(`shard ${this.s.shard} is summing clock ${this.open.clock}, not ${h.clock}: sequential pushes must wait for the commit`);
      this.open ??= { clock: h.clock, sum: new Float32Array(n), rows: 0 };
      const sum = this.open.sum;
      for (let i = 0; i < h.count; i++) sum[h.offset + i] += grad[i];
      if (!p) { p = { step: 0, missing: h.chunks }; this.pending.set(key, p); this.open.rows += h.rows; }
    } else {
      if (!p) { p = { step: ++this.s.step, missing: h.chunks }; this.pending.set(key, p); }
      if (h.rows > 0) this.adamStep(h.offset, grad, 1 / h.rows, p.step);
    }
    if (--p.missing === 0) {
      this.pending.delete(key);
      this.s.clocks[h.worker] = Math.max(this.s.clocks[h.worker] ?? -1, h.clock);
      if (this.mode === 'async') this.s.updates++;
    }
  }

  /** Sync mode: applies clock `clock`'s summed pushes as one Adam step over their rows (none pushed: nothing to apply). */
  commit(clock: number): void {
    if (this.mode !== 'sync') throw new PlanError(`shard ${this.s.shard} applies pushes at once (async); only a sequential shard commits clocks`);
    if (clock <= this.committed) return;
    this.committed = clock;
    const o = this.open;
    this.open = null;
    for (const k of [...this.pending.keys()]) if (k.endsWith(`/${clock}`)) this.pending.delete(k);
    if (!o || o.clock !== clock || o.rows === 0) return;
    this.adamStep(0, o.sum, 1 / o.rows, ++this.s.step);
    this.s.updates++;
  }

  /** Adam on keys [offset, offset + g.length) with gradient g * scale. */
  private adamStep(offset: number, g: Float32Array, scale: number, t: number): void {
    const { beta1: b1, beta2: b2, eps } = this.adam;
    const c1 = 1 - b1 ** t, c2 = 1 - b2 ** t, lr = this.s.lr;
    const w = this.s.params, m1 = this.s.m1, m2 = this.s.m2;
    for (let i = 0; i < g.length; i++) {
      const k = offset + i, x = g[i] * scale;
      m1[k] = b1 * m1[k] + (1 - b1) * x;
      m2[k] = b2 * m2[k] + (1 - b2) * x * x;
      w[k] -= (lr * (m1[k] / c1)) / (Math.sqrt(m2[k] / c2) + eps);
    }
  }

  /** A copy of the parameters' bytes (what a pull serves). */
  paramBytes(): Uint8Array {
    return new Uint8Array(this.s.params.slice().buffer);
  }

  /** The whole state as checkpoint bytes. */
  stateBytes(): Uint8Array {
    return encodeShardState(this.s);
  }
}
