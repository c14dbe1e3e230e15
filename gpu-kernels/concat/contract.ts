// concat: rows of several tensors side by side: each x_i is [outer, inner_i], y is [outer, sum inner_i] (any axis of a row-major tensor, folded).
import type { KernelContract } from '../kernel.ts';

export interface ConcatArgs {
  /** x_i: [outer, inners[i]] row-major. */
  xs: readonly Float32Array[];
  /** The product of the dims before the axis (the batch included). */
  outer: number;
  /** Per input, the product of its dims from the axis on. */
  inners: readonly number[];
}

/**
 * Folds a concat of full shapes along `axis` into outer and inners. Every shape MUST have the
 * same rank and equal dims except along the axis; throws a RangeError naming the first mismatch.
 */
export function concatFold(shapes: readonly (readonly number[])[], axis: number): { outer: number; inners: number[]; shape: number[] } {
  if (shapes.length === 0) throw new RangeError('concat: needs at least one input');
  const r = shapes[0].length;
  if (!Number.isInteger(axis) || axis < 0 || axis >= r) throw new RangeError(`concat: axis ${axis} out of range for rank ${r}`);
  const shape = [...shapes[0]];
  shape[axis] = 0;
  for (const [i, s] of shapes.entries()) {
    if (s.length !== r) throw new RangeError(`concat: input ${i} has rank ${s.length}, expected ${r}`);
    for (let d = 0; d < r; d++) if (d !== axis && s[d] !== shapes[0][d]) throw new RangeError(`concat: input ${i} has shape [${s.join(', ')}], which differs from [${shapes[0].join(', ')}] off axis ${axis}`);
    shape[axis] += s[axis];
  }
  let outer = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d];
  const inners = shapes.map((s) => s.slice(axis).reduce((p, v) => p * v, 1));
  return { outer, inners, shape };
}

/** Contract: y is [outer, sum inners], a copy: bit-exact (NaN payloads aside). */
export const concatContract: KernelContract<ConcatArgs, Float32Array> = {
  name: 'concat',
  check(_a, got, want) {
    if (got.length !== want.length) return `length ${got.length}, expected ${want.length}`;
    for (let i = 0; i < want.length; i++) if (!(got[i] === want[i] || (Number.isNaN(got[i]) && Number.isNaN(want[i])))) return `y[${i}] = ${got[i]}, expected ${want[i]} (a copy is exact)`;
    return null;
  },
};
