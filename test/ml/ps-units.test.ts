// Parameter-server parts without processes: key ranges, frames and their refusal of malformed bytes, a shard's Adam against the local trainer's, checkpoints, the consistency gate and the work queue.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeShardState, encodeShardState, initialShardState } from '../../core/ml/ps/checkpoint.ts';
import { ClockGate } from '../../core/ml/ps/clock-gate.ts';
import { keyRanges, shardOf } from '../../core/ml/ps/key-range.ts';
import { PROTOCOL_VERSION } from '../../core/cluster/protocol.ts';
import { DataHeader, PushHeader } from '../../core/ml/ps/messages.ts';
import { stalenessText } from '../../core/ml/ps/progress.ts';
import { Shard } from '../../core/ml/ps/shard.ts';
import { decodeFrame, encodeFrame, floatsOf } from '../../core/ml/ps/wire.ts';
import { WorkQueue } from '../../core/ml/ps/work-queue.ts';
import { recomputedStaleness } from './ps-helpers.ts';

const SECRET = 'ab'.repeat(32);
const TRAIN = '0123456789abcdef';
const push = (o: Partial<PushHeader>): PushHeader => ({ v: PROTOCOL_VERSION, kind: 'push', trainId: TRAIN, secret: SECRET, shard: 0, worker: 'a-00000001', clock: 0, rows: 1, chunk: 0, chunks: 1, offset: 0, count: 0, ...o });
const adam = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

describe('key ranges', () => {
  it('cover the keys contiguously with sizes within one, and shardOf finds the owner', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 16 }), (keys, n) => {
      fc.pre(n <= keys);
      const r = keyRanges(keys, n);
      expect(r[0].from).toBe(0);
      expect(r[n - 1].to).toBe(keys);
      for (let i = 1; i < n; i++) expect(r[i].from).toBe(r[i - 1].to);
      const sizes = r.map((x) => x.to - x.from);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      for (const k of [0, keys - 1, Math.floor(keys / 2)]) expect(r[shardOf(r, k)].from).toBeLessThanOrEqual(k);
    }));
  });
  it('refuses more shards than keys', () => {
    expect(() => keyRanges(3, 4)).toThrow(/4 shards for 3 parameters leaves some shard empty/);
    expect(() => keyRanges(3, 0)).toThrow(/servers must be a whole number >= 1, got 0/);
  });
});

describe('frames', () => {
  it('round-trip a header and an aligned float payload', () => {
    const f = new Float32Array([1, 2.5, -3]);
    const d = decodeFrame(DataHeader, encodeFrame(push({ count: 3 }), new Uint8Array(f.buffer)));
    expect(d.ok).toBe(true);
    if (d.ok) expect([...floatsOf(d.payload)]).toEqual([1, 2.5, -3]);
  });
  it('refuse malformed frames without throwing', () => {
    const bad = [new Uint8Array([0, 0]), new Uint8Array([0, 0, 0, 200, 1]), encodeFrame({ kind: 'push' }), encodeFrame(push({ secret: 'nope' })), encodeFrame({ ...push({}), v: PROTOCOL_VERSION + 1 })];
    const reasons = bad.map((b) => { const d = decodeFrame(DataHeader, b); return d.ok ? 'ok' : d.reason; });
    expect(reasons[0]).toMatch(/no header length/);
    expect(reasons[1]).toMatch(/does not fit a frame/);
    expect(reasons[2]).toMatch(/invalid/);
    expect(reasons[3]).toMatch(/secret is 64 hex digits/);
    expect(reasons[4]).toMatch(new RegExp(`protocol version ${PROTOCOL_VERSION + 1}`));
  });
});

describe('a shard', () => {
  it('async: a push in two chunks is one Adam step, the same as on the whole vector', () => {
    const p0 = new Float32Array([0.5, -1, 2, 0.25]);
    const g = new Float32Array([4, -2, 6, 8]);
    const whole = new Shard(initialShardState(0, 0, 4, p0, 0.01), 'async', adam);
    whole.push(push({ rows: 2, count: 4 }), g);
    const split = new Shard(initialShardState(0, 0, 4, p0, 0.01), 'async', adam);
    split.push(push({ rows: 2, chunk: 1, chunks: 2, offset: 2, count: 2 }), g.subarray(2));
    expect(split.version).toBe(0);
    split.push(push({ rows: 2, chunk: 0, chunks: 2, offset: 0, count: 2 }), g.subarray(0, 2));
    expect([...split.params]).toEqual([...whole.params]);
    expect(split.version).toBe(1);
    expect(split.clocks).toEqual({ 'a-00000001': 0 });
    // Adam's first step moves each weight by lr against the gradient's sign.
    expect([...whole.params].map((x, i) => Math.round((x - p0[i]) * 1e4) / 1e4)).toEqual([-0.01, 0.01, -0.01, -0.01]);
  });
  it('sync: sums a clock over workers and applies it once on commit; a late push is refused', () => {
    const s = new Shard(initialShardState(0, 0, 2, new Float32Array(2), 0.01), 'sync', adam);
    s.push(push({ worker: 'a-00000001', rows: 1, count: 2 }), new Float32Array([1, -1]));
    s.push(push({ worker: 'b-00000002', rows: 1, count: 2 }), new Float32Array([1, -3]));
    expect(s.version).toBe(0);
    s.commit(0);
    expect(s.version).toBe(1);
    expect([...s.params].map((x) => Math.round(x * 1e4) / 1e4)).toEqual([-0.01, 0.01]);
    expect(() => s.push(push({ clock: 0, count: 2 }), new Float32Array(2))).toThrow(/clock 0 was already committed/);
    expect(() => s.push(push({ clock: 1, offset: 1, count: 2 }), new Float32Array(2))).toThrow(/does not fit shard 0's 2 keys/);
  });
  it('checkpoints round-trip, and a truncated one is a DataError', () => {
    const s = new Shard(initialShardState(3, 10, 13, new Float32Array(20).map((_, i) => i), 0.01), 'async', adam);
    s.push(push({ shard: 3, worker: 'w-0000000a', clock: 7, count: 3 }), new Float32Array([1, 2, 3]));
    const st = decodeShardState(s.stateBytes());
    expect(st).toMatchObject({ shard: 3, from: 10, to: 13, updates: 1, step: 1, clocks: { 'w-0000000a': 7 } });
    expect([...st.params]).toEqual([...s.params]);
    expect(decodeShardState(encodeShardState(st)).m2).toEqual(st.m2);
    expect(() => decodeShardState(s.stateBytes().subarray(0, 60))).toThrow(/payload bytes for keys \[10, 13\)|does not fit/);
  });
});

describe('the consistency gate', () => {
  it('bounded delay: a random schedule never starts a clock more than tau ahead of the oldest open one', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 5 }), fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.boolean()), { maxLength: 200 }), (tau, ops) => {
      const g = new ClockGate('bounded-delay', tau);
      const open = new Map<string, number>();
      for (const [w, end] of ops) {
        const id = `w${w}`;
        if (end && open.has(id)) { g.end(id, open.get(id)!); open.delete(id); } else if (!open.has(id)) {
          const r = g.tryStart(id);
          if (r) open.set(id, r.clock);
        }
      }
      expect(g.maxStaleness).toBeLessThanOrEqual(tau);
      expect(recomputedStaleness(g.records)).toEqual(g.records.map((r) => r.staleness));
    }));
  });
  it('sequential: a worker that ended its round waits for the commit; everyone starts the round at staleness 0', () => {
    const g = new ClockGate('sequential', 0);
    expect(g.tryStart('a')!.clock).toBe(0);
    expect(g.tryStart('b')!.clock).toBe(0);
    g.end('a', 0);
    expect(g.tryStart('a')).toBeNull();
    expect(g.roundEnded()).toBe(false);
    g.end('b', 0);
    expect(g.roundEnded()).toBe(true);
    g.nextRound();
    expect(g.tryStart('a')!.clock).toBe(1);
    expect(g.maxStaleness).toBe(0);
  });
  it('staleness histograms print with a tail bucket', () => {
    expect(stalenessText({ 0: 5, 2: 1, 9: 2, 30: 1 })).toBe('0:5 2:1 9+:3');
  });
});

describe('the work queue', () => {
  it('hands out a partition in minibatches and gives a lost worker\'s rest to another', () => {
    const q = new WorkQueue([250, 100], 100);
    q.startEpoch([0, 1]);
    expect(q.take('a', new Set())).toEqual({ partition: 0, from: 0, to: 100 });
    expect(q.take('b', new Set())).toEqual({ partition: 1, from: 0, to: 100 });
    const running = q.take('a', new Set())!;
    expect(running).toEqual({ partition: 0, from: 100, to: 200 });
    q.giveBack('a', [running]);
    expect(q.reassignedRows).toBe(150);
    expect(q.take('b', new Set())).toEqual({ partition: 0, from: 100, to: 200 });
    expect(q.take('b', new Set())).toEqual({ partition: 0, from: 200, to: 250 });
    expect(q.take('b', new Set())).toBeNull();
    expect(q.drained).toBe(true);
  });
});

describe('floatsOf', () => {
  it('reads an unaligned payload inside a Node Buffer pool (as NATS hands them out)', () => {
    const f = new Float32Array([1.5, -2, 3]);
    const pool = Buffer.alloc(64);
    pool.set(new Uint8Array(f.buffer), 5);
    expect([...floatsOf(pool.subarray(5, 17))]).toEqual([1.5, -2, 3]);
  });
});
