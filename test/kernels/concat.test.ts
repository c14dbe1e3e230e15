// concat (rows of several tensors side by side) on every backend against the reference, and the fold of a full-shape concat into rows.
import { describe, expect, it } from 'vitest';
import { rng } from '../../examples/data/access-log.ts';
import { concatContract, concatFold, type ConcatArgs } from '../../gpu-kernels/concat/contract.ts';
import { concatReference } from '../../gpu-kernels/concat/cpu.ts';
import { cnnBackends } from './cnn-backends.ts';

const backends = await cnnBackends();

function args(outer: number, inners: number[], seed: number): ConcatArgs {
  const r = rng(seed);
  return { xs: inners.map((k) => Float32Array.from({ length: outer * k }, () => r())), outer, inners };
}

describe('concat fold and reference', () => {
  it('folds NCHW along channels into [n, c h w] rows', () => {
    expect(concatFold([[2, 3, 4, 5], [2, 1, 4, 5]], 1)).toEqual({ outer: 2, inners: [60, 20], shape: [2, 4, 4, 5] });
    expect(() => concatFold([[2, 3, 4], [2, 3, 5]], 1)).toThrow(/input 1 has shape \[2, 3, 5\], which differs from \[2, 3, 4\] off axis 1/);
  });
  it('places rows side by side', () => {
    expect([...concatReference({ xs: [Float32Array.from([1, 2, 3, 4]), Float32Array.from([9, 8])], outer: 2, inners: [2, 1] })]).toEqual([1, 2, 9, 3, 4, 8]);
    expect(() => concatReference({ xs: [new Float32Array(3)], outer: 2, inners: [2] })).toThrow(/^concat: x0 has 3 elements, expected 2 x 2/);
  });
});

describe.each(backends.map((b) => [b.description, b] as const))('concat on %s', (_, backend) => {
  const cases: [string, ConcatArgs][] = [
    ['empty outer', args(0, [3, 4], 1)],
    ['one input', args(3, [5], 2)],
    ['three inputs, odd widths', args(4, [3, 1, 7], 3)],
    ['an empty input among others', args(2, [0, 5, 2], 4)],
    ['wide rows (channels of 7x7 maps)', args(3, [16 * 49, 8 * 49], 5)],
  ];
  it.each(cases)('%s', async (_, a) => {
    expect(concatContract.check(a, await backend.concat(a), concatReference(a))).toBeNull();
  });
});
