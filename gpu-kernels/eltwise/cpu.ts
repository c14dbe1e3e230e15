// eltwise on the CPU: activations (shared by every kernel with a fused one), broadcast add/mul, standalone activation; reference and fast path.
import type { Activation } from '../program/contract.ts';
import { broadcastShape, type ActivationArgs, type BinaryArgs } from './contract.ts';

/** Throws a RangeError unless `act` is one of the contract's activations with finite clip bounds. */
export function checkActivation(kernel: string, act: Activation): void {
  switch (act.op) {
    case 'none': case 'relu': case 'sigmoid': case 'hardswish': return;
    case 'clip':
      if (!(act.min <= act.max)) throw new RangeError(`${kernel}: clip needs min <= max, got ${act.min}..${act.max}`);
      return;
    default: throw new RangeError(`${kernel}: unknown activation ${JSON.stringify(act)}`);
  }
}

/**
 * One activation of one value. NaN stays NaN in every branch: comparisons with NaN are false,
 * so `v < 0 ? 0 : v` returns NaN (Math.max would too, but also orders -0 below 0 for no reason).
 */
export function activate(act: Activation, v: number): number {
  switch (act.op) {
    case 'none': return v;
    case 'relu': return v < 0 ? 0 : v;
    case 'clip': return v < act.min ? act.min : v > act.max ? act.max : v;
    case 'sigmoid': return 1 / (1 + Math.exp(-v));
    case 'hardswish': {
      const r = v + 3;
      return (v * (r < 0 ? 0 : r > 6 ? 6 : r)) / 6;
    }
  }
}

/**
 * The activation as the WebAssembly kernels apply it, min(max(v, lo), hi) (NaN kept): none,
 * ReLU and clip are exactly that; sigmoid and hardswish are not (`post`: run with (-inf, inf),
 * then activateInPlace).
 */
export function clipBounds(act: Activation): { lo: number; hi: number; post: boolean } {
  switch (act.op) {
    case 'relu': return { lo: 0, hi: Infinity, post: false };
    case 'clip': return { lo: act.min, hi: act.max, post: false };
    case 'none': return { lo: -Infinity, hi: Infinity, post: false };
    default: return { lo: -Infinity, hi: Infinity, post: true };
  }
}

/** act over y in place (no-op for 'none'). */
export function activateInPlace(act: Activation, y: Float32Array, from = 0, to = y.length): void {
  switch (act.op) {
    case 'none': return;
    case 'relu':
      for (let i = from; i < to; i++) if (y[i] < 0) y[i] = 0;
      return;
    case 'clip': {
      const lo = act.min, hi = act.max;
      for (let i = from; i < to; i++) { const v = y[i]; y[i] = v < lo ? lo : v > hi ? hi : v; }
      return;
    }
    default:
      for (let i = from; i < to; i++) y[i] = activate(act, y[i]);
  }
}

/** Row-major strides of `shape` aligned to an output of rank r, 0 where the dim broadcasts. */
function broadcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const r = out.length, st = new Array<number>(r).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const o = r - shape.length + i;
    st[o] = shape[i] === 1 && out[o] !== 1 ? 0 : s;
    s *= shape[i];
  }
  return st;
}

function size(shape: readonly number[]): number {
  let s = 1;
  for (const d of shape) s *= d;
  return s;
}

function checkBinary(a: BinaryArgs): number[] {
  if (a.op !== 'add' && a.op !== 'mul') throw new RangeError(`binary: op must be 'add' or 'mul', got ${String(a.op)}`);
  checkActivation('binary', a.act);
  for (const [name, d, s] of [['a', a.a, a.aShape], ['b', a.b, a.bShape]] as const) {
    if (s.some((v) => !Number.isInteger(v) || v < 0)) throw new RangeError(`binary: ${name}Shape [${s.join(', ')}] must hold integers >= 0`);
    if (d.length !== size(s)) throw new RangeError(`binary: ${name} has ${d.length} elements, expected ${size(s)} ([${s.join(', ')}])`);
  }
  return broadcastShape(a.aShape, a.bShape);
}

/** The reference: index arithmetic over the broadcast shape, one f64 op rounded to f32, then act. */
export function binaryReference(a: BinaryArgs): { y: Float32Array; shape: number[] } {
  const shape = checkBinary(a);
  const y = new Float32Array(size(shape));
  const sa = broadcastStrides(a.aShape, shape), sb = broadcastStrides(a.bShape, shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < y.length; i++) {
    let ia = 0, ib = 0, rem = i;
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d] = rem % shape[d];
      rem = Math.floor(rem / shape[d]);
      ia += idx[d] * sa[d];
      ib += idx[d] * sb[d];
    }
    const v = Math.fround(a.op === 'add' ? a.a[ia] + a.b[ib] : a.a[ia] * a.b[ib]);
    y[i] = activate(a.act, v);
  }
  return { y, shape };
}

/**
 * Splits a broadcast into [outer, mid, inner] runs: the fast path handles the shapes a CNN
 * makes (same shape; [N, C, H, W] with [C, 1, 1] or [1, C, 1, 1]; a scalar) with a loop over
 * contiguous runs, and falls back to the reference's indexing otherwise.
 */
export function binaryCpu(a: BinaryArgs): { y: Float32Array; shape: number[] } {
  const shape = checkBinary(a);
  const n = size(shape);
  const sameA = a.a.length === n, sameB = a.b.length === n;
  if (!(sameA && sameB) && !(sameA && a.b.length === 1) && !(sameB && a.a.length === 1) && !channelBias(a, shape)) return binaryReference(a);
  const y = new Float32Array(n);
  const add = a.op === 'add';
  if (sameA && sameB) {
    const x = a.a, z = a.b;
    if (add) for (let i = 0; i < n; i++) y[i] = x[i] + z[i];
    else for (let i = 0; i < n; i++) y[i] = x[i] * z[i];
  } else if (a.a.length === 1 || a.b.length === 1) {
    const full = sameA && a.b.length === 1 ? a.a : a.b, s = (sameA && a.b.length === 1 ? a.b : a.a)[0];
    if (add) for (let i = 0; i < n; i++) y[i] = full[i] + s;
    else for (let i = 0; i < n; i++) y[i] = full[i] * s;
  } else {
    // One operand full, the other [C] over runs of `inner`, repeating every C * inner.
    const full = sameA ? a.a : a.b, small = sameA ? a.b : a.a;
    const c = small.length, inner = channelInner(sameA ? a.bShape : a.aShape, shape);
    for (let base = 0; base < n; base += c * inner) {
      for (let ch = 0; ch < c; ch++) {
        const s = small[ch], o = base + ch * inner;
        if (add) for (let i = o; i < o + inner; i++) y[i] = full[i] + s;
        else for (let i = o; i < o + inner; i++) y[i] = full[i] * s;
      }
    }
  }
  activateInPlace(a.act, y);
  return { y, shape };
}

/** The product of the output dims right of the small operand's one non-1 dim; -1 when it has not exactly one. */
function channelInner(small: readonly number[], out: readonly number[]): number {
  const r = out.length;
  let axis = -1;
  for (let i = 0; i < small.length; i++) {
    if (small[i] !== 1) {
      if (axis >= 0) return -1;
      axis = r - small.length + i;
    }
  }
  if (axis < 0) return -1;
  return size(out.slice(axis + 1));
}

function channelBias(a: BinaryArgs, shape: number[]): boolean {
  const n = size(shape);
  if (a.a.length === n) return channelInner(a.bShape, shape) >= 0;
  if (a.b.length === n) return channelInner(a.aShape, shape) >= 0;
  return false;
}

/** Standalone activation: the reference and the fast path are the same loop. */
export function activationCpu(a: ActivationArgs): Float32Array {
  checkActivation('activation', a.act);
  const y = Float32Array.from(a.x);
  activateInPlace(a.act, y);
  return y;
}
