// image-to-tensor: uint8 images [n, h, w, c] (HWC, as decoders give them) to float32 [n, c, h, w], normalized per channel.
import { close, EPS32, type KernelContract, type Precision } from '../kernel.ts';

export interface ImageToTensorArgs {
  /** [n, h, w, c] bytes; n may be 0. */
  x: Uint8Array;
  n: number;
  h: number;
  w: number;
  c: number;
  /** y = (x * scale - mean[ch]) / std[ch] */
  scale: number;
  /** Length c. */
  mean: readonly number[];
  /** Length c; every entry MUST be non-zero and finite. */
  std: readonly number[];
}

/**
 * Contract: y is [n, c, h, w]; |y - ref| <= 4 eps32 (|x scale| + |mean|) / |std| (a GPU may
 * multiply by 1 / std instead of dividing). No NaN can arise from valid arguments. Deterministic.
 */
export const imageToTensorContract: KernelContract<ImageToTensorArgs, Float32Array> = {
  name: 'image-to-tensor',
  check(a, got, want, _precision: Precision = 'f32') {
    if (got.length !== want.length) return `length ${got.length}, expected ${want.length}`;
    const hw = a.h * a.w;
    for (let i = 0; i < want.length; i++) {
      const ch = Math.floor(i / hw) % a.c;
      const tol = (4 * EPS32 * (255 * Math.abs(a.scale) + Math.abs(a.mean[ch]))) / Math.abs(a.std[ch]);
      if (!close(got[i], want[i], tol)) return `y[${i}] = ${got[i]}, expected ${want[i]} (tolerance ${tol})`;
    }
    return null;
  },
};
