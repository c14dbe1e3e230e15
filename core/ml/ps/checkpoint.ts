// A shard's state as bytes (a checked header, then parameters and Adam's two moments as float32): checkpoints, and the initial weights a shard starts from.
import * as v from 'valibot';
import { DataError } from '../../../ops/errors.ts';
import { decodeFrame, encodeFrame, floatsOf } from './wire.ts';

export const CHECKPOINT_FORMAT = 'quiver-ps-shard';

const Count = v.pipe(v.number(), v.integer(), v.minValue(0));
const Header = v.object({
  format: v.literal(CHECKPOINT_FORMAT), formatVersion: v.literal(1),
  shard: Count, from: Count, to: Count,
  /** Updates applied (the shard's version). */
  updates: Count,
  /** Adam's step count (bias correction). */
  step: Count,
  lr: v.pipe(v.number(), v.finite(), v.minValue(0)),
  /** Vector clock: per worker, the last clock this state includes. */
  clocks: v.record(v.string(), v.number()),
});

export interface ShardState {
  shard: number;
  from: number;
  to: number;
  updates: number;
  step: number;
  lr: number;
  clocks: Record<string, number>;
  params: Float32Array;
  m1: Float32Array;
  m2: Float32Array;
}

/** The state's bytes; the arrays MUST each hold to - from floats. */
export function encodeShardState(s: ShardState): Uint8Array {
  const n = s.to - s.from;
  if (s.params.length !== n || s.m1.length !== n || s.m2.length !== n) throw new DataError(`shard ${s.shard} state: arrays of ${s.params.length}/${s.m1.length}/${s.m2.length} floats for ${n} keys`);
  const payload = new Uint8Array(12 * n);
  const f = new Float32Array(payload.buffer);
  f.set(s.params, 0); f.set(s.m1, n); f.set(s.m2, 2 * n);
  const { params: _p, m1: _a, m2: _b, ...head } = s;
  return encodeFrame({ format: CHECKPOINT_FORMAT, formatVersion: 1, ...head }, payload);
}

/** Reads state bytes; a malformed or truncated checkpoint is a DataError saying what is wrong. */
export function decodeShardState(bytes: Uint8Array, what = 'shard checkpoint'): ShardState {
  const d = decodeFrame(Header, bytes);
  if (!d.ok) throw new DataError(`${what}: ${d.reason}`);
  const h = d.header, n = h.to - h.from;
  if (n < 0 || d.payload.length !== 12 * n) throw new DataError(`${what}: ${d.payload.length} payload bytes for keys [${h.from}, ${h.to}), expected ${12 * Math.max(0, n)}`);
  const f = floatsOf(d.payload);
  return { ...h, params: f.slice(0, n), m1: f.slice(n, 2 * n), m2: f.slice(2 * n, 3 * n) };
}

/** A fresh state for keys [from, to) of `params`: Adam's moments at zero. */
export function initialShardState(shard: number, from: number, to: number, params: Float32Array, lr: number): ShardState {
  const n = to - from;
  return { shard, from, to, updates: 0, step: 0, lr, clocks: {}, params: params.slice(from, to), m1: new Float32Array(n), m2: new Float32Array(n) };
}
