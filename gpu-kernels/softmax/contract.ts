// softmax over each row of an [m x n] matrix, computed stably (max subtracted first).
import { close, EPS16, EPS32, type KernelContract, type Precision } from '../kernel.ts';

export interface SoftmaxArgs {
  /** [m x n] row-major; m may be 0, n >= 1. */
  x: Float32Array;
  m: number;
  n: number;
}

/**
 * Contract: y is [m x n], each row sums to 1 within n * eps. |y - ref| <= 8 eps32 + 8 n eps32 y
 * (f16: eps16). A row with a NaN is all NaN; +inf entries share the mass equally (the rest 0)
 * and a row of only -inf is all NaN. Large finite inputs (1e30) never overflow.
 */
export const softmaxContract: KernelContract<SoftmaxArgs, Float32Array> = {
  name: 'softmax',
  check(a, got, want, precision: Precision = 'f32') {
    if (got.length !== want.length) return `length ${got.length}, expected ${want.length}`;
    const eps = precision === 'f16' ? EPS16 : EPS32;
    for (let i = 0; i < want.length; i++) {
      const tol = 8 * eps + 8 * a.n * eps * Math.abs(want[i]);
      if (!close(got[i], want[i], tol)) return `y[${Math.floor(i / a.n)},${i % a.n}] = ${got[i]}, expected ${want[i]} (tolerance ${tol})`;
    }
    return null;
  },
};
