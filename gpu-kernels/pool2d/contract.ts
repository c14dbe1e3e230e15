// pool2d: max or average pooling over NCHW float32 tensors (ONNX MaxPool / AveragePool / GlobalAveragePool, floor mode).
import { close, EPS16, EPS32, type KernelContract, type Precision } from '../kernel.ts';

export interface Pool2dArgs {
  mode: 'max' | 'avg';
  /** [n, c, h, w] row-major; n may be 0. */
  x: Float32Array;
  n: number;
  c: number;
  h: number;
  w: number;
  kernel: readonly [number, number];
  strides: readonly [number, number];
  /** [top, left, bottom, right]; each MUST be smaller than the kernel along its axis (ONNX), so every window holds an input cell. */
  pads: readonly [number, number, number, number];
  /** avg only: divide by kh kw (true) or by the window's cells inside the input (false). */
  countIncludePad: boolean;
}

export function poolOutShape(a: Pool2dArgs): [number, number] {
  return [
    Math.floor((a.h + a.pads[0] + a.pads[2] - a.kernel[0]) / a.strides[0]) + 1,
    Math.floor((a.w + a.pads[1] + a.pads[3] - a.kernel[1]) / a.strides[1]) + 1,
  ];
}

/**
 * Contract: y is [n, c, oh, ow]. max: exact (the largest input cell of the window; padding
 * never wins; a NaN in the window gives NaN). avg: |y - ref| <= 2 sqrt(kh kw) eps * mean|x| of
 * the window (summation order free); NaN in, NaN out; inf as IEEE. Deterministic.
 */
export const pool2dContract: KernelContract<Pool2dArgs, Float32Array> = {
  name: 'pool2d',
  check(a, got, want, precision: Precision = 'f32') {
    if (got.length !== want.length) return `length ${got.length}, expected ${want.length}`;
    const eps = precision === 'f16' ? EPS16 : EPS32;
    if (a.mode === 'max') {
      for (let i = 0; i < want.length; i++) if (!close(got[i], want[i], precision === 'f16' ? eps * Math.abs(want[i]) : 0)) return `y[${i}] = ${got[i]}, expected ${want[i]} (max is exact)`;
      return null;
    }
    const [oh, ow] = poolOutShape(a), k = a.kernel[0] * a.kernel[1];
    for (let i = 0; i < want.length; i++) {
      const plane = Math.floor(i / (oh * ow)), oy = Math.floor(i / ow) % oh, ox = i % ow;
      let mag = 0, cnt = 0;
      for (let ky = 0; ky < a.kernel[0]; ky++) {
        const iy = oy * a.strides[0] - a.pads[0] + ky;
        if (iy < 0 || iy >= a.h) continue;
        for (let kx = 0; kx < a.kernel[1]; kx++) {
          const ix = ox * a.strides[1] - a.pads[1] + kx;
          if (ix < 0 || ix >= a.w) continue;
          mag += Math.abs(a.x[(plane * a.h + iy) * a.w + ix]);
          cnt++;
        }
      }
      const tol = 2 * Math.sqrt(k) * eps * (mag / Math.max(cnt, 1)) + eps * Math.abs(want[i]);
      if (!close(got[i], want[i], tol)) return `y[${i}] = ${got[i]}, expected ${want[i]} (tolerance ${tol})`;
    }
    return null;
  },
};
