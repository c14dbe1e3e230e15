// normalize: u8 -> f32, y[i] = x[i] * scale + shift (image bytes into the model's input range).
import { close, EPS32, type KernelContract } from '../kernel.ts';

export interface NormalizeArgs {
  /** Any length (images flattened); may be empty. */
  x: Uint8Array;
  scale: number;
  shift: number;
}

/**
 * Contract: y has x.length elements; y[i] = fround(fround(x[i] * scale) + shift) up to one
 * fused multiply-add (|err| <= 2 eps32 * (|x scale| + |shift|)). No NaN unless scale or shift is.
 */
export const normalizeContract: KernelContract<NormalizeArgs, Float32Array> = {
  name: 'normalize',
  check(args, got, want) {
    if (got.length !== want.length) return `length ${got.length}, expected ${want.length}`;
    for (let i = 0; i < want.length; i++) {
      const tol = 2 * EPS32 * (Math.abs(args.x[i] * args.scale) + Math.abs(args.shift));
      if (!close(got[i], want[i], tol)) return `y[${i}] = ${got[i]}, expected ${want[i]} (tolerance ${tol})`;
    }
    return null;
  },
};
