// eltwise: y = act(a op b) with numpy broadcasting (add, mul), and a standalone activation y = act(x).
import { close, EPS16, EPS32, type KernelContract, type Precision } from '../kernel.ts';
import type { Activation } from '../program/contract.ts';

export type { Activation };

export interface BinaryArgs {
  op: 'add' | 'mul';
  /** Row-major data of the full shape aShape (the batch included when it has one). */
  a: Float32Array;
  aShape: readonly number[];
  b: Float32Array;
  bShape: readonly number[];
  act: Activation;
}

export interface ActivationArgs {
  x: Float32Array;
  act: Activation;
}

/**
 * numpy broadcasting: shapes aligned from the right, each pair of dims equal or one of them 1
 * (a 0 against a 1 gives 0). Throws a RangeError naming both shapes otherwise.
 */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length), out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1, db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new RangeError(`eltwise: shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast (axis ${i}: ${da} vs ${db})`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/**
 * Bound on |act(u) - act(v)| / |u - v|: ReLU and clip 1, sigmoid 1/4, hardswish 1.5 (its
 * slope (2x + 3) / 6 reaches 1.5 at x = 3).
 */
export function activationSlope(act: Activation): number {
  return act.op === 'hardswish' ? 1.5 : act.op === 'sigmoid' ? 0.25 : 1;
}

/**
 * The error an activation adds on its own, beyond its input's: 8 eps (f16: eps16) of max(1,
 * |x|) (exp on GPUs loses a few ulps; hardswish rounds twice). Used by every kernel with a
 * fused activation.
 */
export function activationTolerance(x: number, precision: Precision = 'f32'): number {
  return 8 * (precision === 'f16' ? EPS16 : EPS32) * Math.max(1, Math.abs(x));
}

/**
 * Contract (binary): y has the broadcast shape; |y - ref| <= 2 eps |a op b| (one rounding on
 * each side) passed through the activation, plus the activation's own tolerance. NaN in, NaN
 * out (ReLU, clip and hardswish keep NaN; sigmoid(NaN) = NaN); inf follows IEEE (inf - inf =
 * NaN, 0 * inf = NaN). Deterministic.
 */
export const binaryContract: KernelContract<BinaryArgs, Float32Array> = {
  name: 'binary',
  check(a, got, want, precision: Precision = 'f32') {
    if (got.length !== want.length) return `length ${got.length}, expected ${want.length}`;
    const eps = precision === 'f16' ? EPS16 : EPS32;
    const slope = activationSlope(a.act);
    for (let i = 0; i < want.length; i++) {
      const tol = slope * 2 * eps * Math.abs(want[i]) + activationTolerance(want[i], precision);
      if (!close(got[i], want[i], tol)) return `y[${i}] = ${got[i]}, expected ${want[i]} (tolerance ${tol})`;
    }
    return null;
  },
};

/** Contract (activation): elementwise, within the activation's own tolerance; NaN stays NaN. */
export const activationContract: KernelContract<ActivationArgs, Float32Array> = {
  name: 'activation',
  check(_a, got, want, precision: Precision = 'f32') {
    if (got.length !== want.length) return `length ${got.length}, expected ${want.length}`;
    for (let i = 0; i < want.length; i++) {
      const tol = activationTolerance(want[i], precision);
      if (!close(got[i], want[i], tol)) return `y[${i}] = ${got[i]}, expected ${want[i]} (tolerance ${tol})`;
    }
    return null;
  },
};
