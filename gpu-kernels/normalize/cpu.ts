// normalize on the CPU: the plain-JS reference and the fast path (WebAssembly SIMD, 16 bytes per step).
import { align64 } from '../cpu/module.ts';
import { simdHeap } from '../cpu/heap.ts';
import type { NormalizeArgs } from './contract.ts';

/** The reference: y[i] = fround(fround(x[i] * scale) + shift). */
export function normalizeReference(a: NormalizeArgs): Float32Array {
  const y = new Float32Array(a.x.length);
  for (let i = 0; i < a.x.length; i++) y[i] = Math.fround(Math.fround(a.x[i] * a.scale) + a.shift);
  return y;
}

/**
 * WebAssembly SIMD (simd.wat normalize): widen 16 bytes to four f32x4, multiply and add in f32
 * (scale and shift rounded to f32 first, within the contract's tolerance).
 */
export function normalizeCpu(a: NormalizeArgs): Float32Array {
  const n = a.x.length;
  if (n === 0) return new Float32Array(0);
  const h = simdHeap();
  const outAt = align64(n + 16);
  h.reserve(outAt + 4 * n + 64);
  h.u8.set(a.x, 0);
  h.fns.normalize(0, n, outAt, a.scale, a.shift);
  return h.f32.slice(outAt >> 2, (outAt >> 2) + n);
}
