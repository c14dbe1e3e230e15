// The fast CPU runner's gemm: y = act(x . w^T + b) over rows already in the WebAssembly heap, with simd.wat's dense_rows (weights packed once).
import type { SimdHeap } from '../cpu/module.ts';
import { packBias, packPanels, padded8 } from '../cpu/pack.ts';
import { activateInPlace, clipBounds } from '../eltwise/cpu.ts';
import type { Activation } from './contract.ts';

/** A gemm's weights packed for dense_rows: `consts` holds the panels at float 0 and the bias at `biasAt`. */
export interface PackedGemm {
  readonly k: number;
  readonly n: number;
  readonly n8: number;
  readonly consts: Float32Array;
  readonly biasAt: number;
  readonly act: Activation;
}

export function packGemm(w: Float32Array, bias: Float32Array | null, n: number, k: number, act: Activation): PackedGemm {
  const n8 = padded8(n), biasAt = n8 * k;
  const consts = new Float32Array(biasAt + n8);
  packPanels(w, n, k, consts, 0);
  packBias(bias, n, consts, biasAt);
  return { k, n, n8, consts, biasAt, act };
}

/** Bytes of scratch a run over m rows needs: the [m rounded up to 4] x n8 outputs, and four rows of x for the last partial group. */
export function gemmScratch(p: PackedGemm, m: number): number {
  return 4 * (((m + 3) & ~3) * p.n8 + 4 * p.k);
}

/**
 * m rows of x (row r at x + 4 r k) to y (row r at y + 4 r n), through the scratch: dense_rows
 * writes n8 columns per row, and reads four rows at a time, so the last partial group is run
 * from a copy padded with zero rows.
 */
export function runGemm(heap: SimdHeap, p: PackedGemm, consts: number, x: number, y: number, scratch: number, m: number): void {
  if (m === 0) return;
  const { k, n, n8 } = p, f = heap.fns, act = clipBounds(p.act);
  const full = m >> 2, rest = m & 3, out = scratch, tail = scratch + 4 * ((m + 3) & ~3) * n8;
  if (full > 0) f.dense_rows(x, 4 * k, full, k, consts, consts + 4 * p.biasAt, n8, out, 4 * n8, act.lo, act.hi);
  if (rest > 0) {
    const f32 = heap.f32, t = tail >> 2;
    f32.copyWithin(t, (x >> 2) + 4 * full * k, (x >> 2) + m * k);
    f32.fill(0, t + rest * k, t + 4 * k);
    f.dense_rows(tail, 4 * k, 1, k, consts, consts + 4 * p.biasAt, n8, out + 16 * full * n8, 4 * n8, act.lo, act.hi);
  }
  const f32 = heap.f32, o = out >> 2, y4 = y >> 2;
  if (n8 === n) f32.copyWithin(y4, o, o + m * n);
  else for (let r = 0; r < m; r++) f32.copyWithin(y4 + r * n, o + r * n8, o + r * n8 + n);
  if (act.post) activateInPlace(p.act, f32, y4, y4 + m * n);
}
