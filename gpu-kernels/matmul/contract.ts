// matmul: y = act(x . w^T + bias), with the bias and activation fused into the product.
import { close, EPS16, EPS32, type KernelContract, type Precision } from '../kernel.ts';

export type Activation = 'none' | 'relu';

export interface MatmulArgs {
  /** [m x k] row-major. m may be 0. */
  x: Float32Array;
  /** [n x k] row-major (torch.nn.Linear layout). */
  w: Float32Array;
  /** [n], or null for no bias. */
  bias: Float32Array | null;
  m: number;
  k: number;
  n: number;
  activation: Activation;
}

/**
 * Contract: y is [m x n]. Summation order is free, so the bound is the usual one for a dot
 * product: |y - ref| <= c * sqrt(k) * eps * (sum_p |x_ip w_jp| + |bias_j|), c = 4, eps = eps32
 * (or eps16 on an f16 path, where inputs are rounded to f16 too: c * eps16 without sqrt(k)).
 * NaN semantics: a NaN input makes every output it feeds NaN, through ReLU too (relu(NaN) =
 * NaN, relu(-0) = -0 or 0); inf - inf gives NaN. Deterministic for a given backend and shape.
 */
export const matmulContract: KernelContract<MatmulArgs, Float32Array> = {
  name: 'matmul',
  check(a, got, want, precision: Precision = 'f32') {
    if (got.length !== want.length) return `length ${got.length}, expected ${want.length}`;
    for (let i = 0; i < a.m; i++) {
      for (let j = 0; j < a.n; j++) {
        let mag = a.bias ? Math.abs(a.bias[j]) : 0;
        for (let p = 0; p < a.k; p++) mag += Math.abs(a.x[i * a.k + p] * a.w[j * a.k + p]);
        const tol = precision === 'f16' ? 4 * EPS16 * mag : 4 * Math.sqrt(Math.max(a.k, 1)) * EPS32 * mag;
        const g = got[i * a.n + j], r = want[i * a.n + j];
        if (!close(g, r, tol) && !(g === 0 && r === 0)) return `y[${i},${j}] = ${g}, expected ${r} (tolerance ${tol})`;
      }
    }
    return null;
  },
};
