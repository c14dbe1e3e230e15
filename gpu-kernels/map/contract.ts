// map: one elementwise function over a Float32Array.
import { close, EPS16, EPS32, type KernelContract, type Precision } from '../kernel.ts';

export type MapOp =
  | { op: 'relu' | 'sigmoid' | 'tanh' | 'exp' | 'log' | 'abs' | 'neg' | 'sqrt' | 'square' }
  | { op: 'affine'; a: number; b: number };

export interface MapArgs {
  /** Any length; may be empty. */
  x: Float32Array;
  fn: MapOp;
}

/**
 * Contract: y[i] = fn(x[i]). relu, abs, neg, square, affine: exact f32 (affine up to one fma).
 * exp, log, sqrt, sigmoid, tanh: |y - ref| <= 4 eps * |ref| + 1e-7 (eps32, or eps16 on f16).
 * NaN in gives NaN out (relu too); log of a negative is NaN, of 0 is -inf; exp overflows to
 * +inf; sigmoid and tanh saturate to their limits without NaN.
 */
export const mapContract: KernelContract<MapArgs, Float32Array> = {
  name: 'map',
  check(a, got, want, precision: Precision = 'f32') {
    if (got.length !== want.length) return `length ${got.length}, expected ${want.length}`;
    const eps = precision === 'f16' ? EPS16 : EPS32;
    const approx = ['exp', 'log', 'sqrt', 'sigmoid', 'tanh'].includes(a.fn.op);
    for (let i = 0; i < want.length; i++) {
      const tol = approx ? 4 * eps * Math.abs(want[i]) + 1e-7 : a.fn.op === 'affine' ? 2 * eps * (Math.abs(a.x[i] * a.fn.a) + Math.abs(a.fn.b)) : 0;
      if (!close(got[i], want[i], tol)) return `y[${i}] = ${got[i]} for x = ${a.x[i]}, expected ${want[i]} (tolerance ${tol})`;
    }
    return null;
  },
};
