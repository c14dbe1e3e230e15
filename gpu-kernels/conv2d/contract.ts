// conv2d: 2-D convolution over NCHW float32 tensors (ONNX Conv semantics), with bias and activation fused.
import { close, EPS16, EPS32, type KernelContract, type Precision } from '../kernel.ts';
import type { Activation } from '../program/contract.ts';
import { activationSlope, activationTolerance } from '../eltwise/contract.ts';

export interface Conv2dArgs {
  /** [n, c, h, w] row-major; n may be 0. */
  x: Float32Array;
  n: number;
  c: number;
  h: number;
  w: number;
  /** [m, c / group, kh, kw] row-major. */
  weight: Float32Array;
  m: number;
  kh: number;
  kw: number;
  /** [m], or null. */
  bias: Float32Array | null;
  /** [sH, sW], >= 1. */
  strides: readonly [number, number];
  /** [top, left, bottom, right], >= 0, zero padding. */
  pads: readonly [number, number, number, number];
  /** [dH, dW], >= 1. */
  dilations: readonly [number, number];
  /** c and m are multiples of group; group = c = m is depthwise. */
  group: number;
  act: Activation;
}

/** Output [n, m, oh, ow]: oh = floor((h + top + bottom - dH (kh - 1) - 1) / sH) + 1 (ONNX floor), >= 1. */
export function convOutShape(a: Conv2dArgs): [number, number] {
  const oh = Math.floor((a.h + a.pads[0] + a.pads[2] - a.dilations[0] * (a.kh - 1) - 1) / a.strides[0]) + 1;
  const ow = Math.floor((a.w + a.pads[1] + a.pads[3] - a.dilations[1] * (a.kw - 1) - 1) / a.strides[1]) + 1;
  return [oh, ow];
}

/**
 * Contract: y is [n, m, oh, ow]. Summation order is free (a GPU tiles it, the CPU path runs a
 * GEMM), so the bound is a dot product's: with mag = conv(|x|, |w|) + |b| and K = (c / group)
 * kh kw terms, |y - ref| <= slope(act) * 4 sqrt(K) eps32 mag + the activation's own tolerance
 * (f16 paths: 4 eps16 mag). NaN in a window makes that output NaN (through every activation);
 * padding is zero and never NaN. Deterministic for a given backend and shape.
 */
export const conv2dContract: KernelContract<Conv2dArgs, Float32Array> = {
  name: 'conv2d',
  check(a, got, want, precision: Precision = 'f32') {
    if (got.length !== want.length) return `length ${got.length}, expected ${want.length}`;
    const k = (a.c / a.group) * a.kh * a.kw, slope = activationSlope(a.act);
    const [oh, ow] = convOutShape(a);
    for (let i = 0; i < want.length; i++) {
      const ox = i % ow, oy = Math.floor(i / ow) % oh, ch = Math.floor(i / (ow * oh)) % a.m, b = Math.floor(i / (ow * oh * a.m));
      const mag = magnitude(a, b, ch, oy, ox);
      const base = precision === 'f16' ? 4 * EPS16 * mag : 4 * Math.sqrt(Math.max(k, 1)) * EPS32 * mag;
      const tol = slope * base + activationTolerance(want[i], precision);
      if (!close(got[i], want[i], tol) && !(got[i] === 0 && want[i] === 0)) return `y[${b},${ch},${oy},${ox}] = ${got[i]}, expected ${want[i]} (tolerance ${tol})`;
    }
    return null;
  },
};

/** sum |x w| over one output's window, plus |bias|: the scale of its rounding error. */
function magnitude(a: Conv2dArgs, b: number, oc: number, oy: number, ox: number): number {
  const cg = a.c / a.group, g = Math.floor(oc / (a.m / a.group));
  let s = a.bias ? Math.abs(a.bias[oc]) : 0;
  for (let ci = 0; ci < cg; ci++) {
    for (let ky = 0; ky < a.kh; ky++) {
      const iy = oy * a.strides[0] - a.pads[0] + ky * a.dilations[0];
      if (iy < 0 || iy >= a.h) continue;
      for (let kx = 0; kx < a.kw; kx++) {
        const ix = ox * a.strides[1] - a.pads[1] + kx * a.dilations[1];
        if (ix < 0 || ix >= a.w) continue;
        s += Math.abs(a.x[((b * a.c + g * cg + ci) * a.h + iy) * a.w + ix] * a.weight[((oc * cg + ci) * a.kh + ky) * a.kw + kx]);
      }
    }
  }
  return s;
}
