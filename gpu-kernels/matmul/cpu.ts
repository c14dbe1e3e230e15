// matmul on the CPU: the plain-JS reference (f64 sums) and the fast path (WebAssembly SIMD, simd.wat dense).
import { expectLength } from '../kernel.ts';
import { align64 } from '../cpu/module.ts';
import { simdHeap } from '../cpu/heap.ts';
import { packBias, packPanels, padded8 } from '../cpu/pack.ts';
import type { MatmulArgs } from './contract.ts';

/** Rows per call of the dense kernel: a block of x (ROWS * k floats) stays in L2 while every panel passes over it. */
const ROWS = 64;

export function checkMatmul(a: MatmulArgs): void {
  for (const d of ['m', 'k', 'n'] as const) {
    if (!Number.isInteger(a[d]) || a[d] < 0) throw new RangeError(`matmul: ${d} must be an integer >= 0, got ${a[d]}`);
  }
  if (a.activation !== 'none' && a.activation !== 'relu') throw new RangeError(`matmul: activation must be 'none' or 'relu', got ${String(a.activation)}`);
  expectLength('matmul', 'x', a.x, a.m * a.k, `m x k = ${a.m} x ${a.k}`);
  expectLength('matmul', 'w', a.w, a.n * a.k, `n x k = ${a.n} x ${a.k}`);
  if (a.bias) expectLength('matmul', 'bias', a.bias, a.n, `n = ${a.n}`);
}

/** The reference: each output a dot product summed in f64, plus bias, then ReLU (NaN kept), rounded to f32 once. */
export function matmulReference(a: MatmulArgs): Float32Array {
  checkMatmul(a);
  const { x, w, bias, m, k, n } = a;
  const y = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = bias ? bias[j] : 0;
      for (let p = 0; p < k; p++) s += x[i * k + p] * w[j * k + p];
      y[i * n + j] = a.activation === 'relu' && s < 0 ? 0 : s;
    }
  }
  return y;
}

/**
 * The fast path: w packed into panels of 8 columns, x interleaved by groups of four rows
 * (zero rows pad the last group), simd.wat dense over blocks of ROWS rows, outputs copied out
 * without the padding columns.
 */
export function matmulCpu(a: MatmulArgs): Float32Array {
  checkMatmul(a);
  const { x, w, m, k, n } = a;
  const y = new Float32Array(m * n);
  if (m === 0 || n === 0) return y;
  const n8 = padded8(n), g = (m + 3) >> 2;
  const h = simdHeap();
  const wAt = 0, bAt = align64(wAt + 4 * n8 * k), xAt = align64(bAt + 4 * n8), yAt = align64(xAt + 16 * g * k);
  h.reserve(yAt + 16 * g * n8);
  const f32 = h.f32;
  packPanels(w, n, k, f32, wAt >> 2);
  packBias(a.bias, n, f32, bAt >> 2);
  // Interleave: row 4i + r, column p goes to group i at [p][r].
  const x4 = xAt >> 2;
  f32.fill(0, x4 + 4 * (m >> 2) * k, x4 + 4 * g * k);
  for (let i = 0; i < m; i++) {
    const dst = x4 + (i >> 2) * 4 * k + (i & 3), src = i * k;
    for (let p = 0; p < k; p++) f32[dst + 4 * p] = x[src + p];
  }
  const relu = a.activation === 'relu' ? 1 : 0;
  for (let i0 = 0; i0 < g; i0 += ROWS / 4) {
    const gs = Math.min(ROWS / 4, g - i0);
    h.fns.dense(xAt + 16 * k * i0, 16 * k, gs, k, wAt, bAt, n8, yAt + 16 * n8 * i0, 4 * n8, relu, 0);
  }
  const y4 = yAt >> 2;
  for (let i = 0; i < m; i++) y.set(f32.subarray(y4 + i * n8, y4 + i * n8 + n), i * n);
  return y;
}
