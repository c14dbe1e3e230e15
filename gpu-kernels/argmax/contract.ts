// argmax and top-k over each row of an [m x n] matrix: indices and values.
import type { KernelContract } from '../kernel.ts';

export interface ArgmaxArgs {
  /** [m x n] row-major; m may be 0, n >= 1. */
  x: Float32Array;
  m: number;
  n: number;
}

export interface TopkArgs extends ArgmaxArgs {
  /** 1 <= k <= n. */
  k: number;
}

/** For argmax k = 1. index and value are [m x k], best first. */
export interface Ranked {
  index: Int32Array;
  value: Float32Array;
}

/**
 * Contract (exact, both kernels): order is descending; NaN ranks above +inf (as numpy's
 * argmax); equal values (and NaNs) rank by lower column index first. -0 and 0 are equal.
 * value[i] is x at index[i], bit for bit (NaN as NaN).
 */
export const argmaxContract: KernelContract<ArgmaxArgs | TopkArgs, Ranked> = {
  name: 'argmax',
  check(_a, got, want) {
    if (got.index.length !== want.index.length || got.value.length !== want.value.length) return `lengths ${got.index.length}/${got.value.length}, expected ${want.index.length}/${want.value.length}`;
    for (let i = 0; i < want.index.length; i++) {
      if (got.index[i] !== want.index[i]) return `index[${i}] = ${got.index[i]}, expected ${want.index[i]}`;
      const g = got.value[i], w = want.value[i];
      if (!(g === w || (Number.isNaN(g) && Number.isNaN(w)))) return `value[${i}] = ${g}, expected ${w}`;
    }
    return null;
  },
};
