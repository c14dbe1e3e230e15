// softmax over rows on every backend against the reference, the reference on hand-computed cases, and shape errors.
import { describe, expect, it } from 'vitest';
import { rng } from '../../examples/data/access-log.ts';
import { softmaxContract, type SoftmaxArgs } from '../../gpu-kernels/softmax/contract.ts';
import { softmaxCpu, softmaxReference } from '../../gpu-kernels/softmax/cpu.ts';
import { testBackends } from './backends.ts';

const backends = await testBackends();

function random(m: number, n: number, seed: number, spread = 10): SoftmaxArgs {
  const r = rng(seed);
  return { x: Float32Array.from({ length: m * n }, () => (r() - 0.5) * spread), m, n };
}

describe('softmax reference', () => {
  const row = (xs: number[]) => [...softmaxReference({ x: Float32Array.from(xs), m: 1, n: xs.length })];
  it('computes exp(x - max) / sum on hand-computed rows', () => {
    expect(row([0, Math.log(3)]).map((v) => +v.toFixed(6))).toEqual([0.25, 0.75]);
    expect(row([5])).toEqual([1]);
    expect(row([2, 2, 2, 2])).toEqual([0.25, 0.25, 0.25, 0.25]);
  });
  it('never overflows on large finite inputs, and follows the contract on NaN and inf', () => {
    expect(row([1e30, 0, -1e30])).toEqual([1, 0, 0]);
    expect(row([3.4e38, 3.4e38])).toEqual([0.5, 0.5]);
    expect(row([Infinity, 1, Infinity, 2])).toEqual([0.5, 0, 0.5, 0]);
    expect(row([-Infinity, -Infinity])).toEqual([NaN, NaN]);
    expect(row([-Infinity, 0])).toEqual([0, 1]);
    expect(row([NaN, 1, Infinity])).toEqual([NaN, NaN, NaN]);
  });
  it('throws a RangeError naming x when its length does not match m x n', () => {
    for (const f of [softmaxReference, softmaxCpu]) expect(() => f({ x: new Float32Array(5), m: 2, n: 3 })).toThrow(/^softmax: x has 5 elements, expected 6/);
  });
});

describe.each(backends.map((b) => [b.description, b] as const))('softmax on %s', (_, backend) => {
  const cases: [string, SoftmaxArgs][] = [
    ['empty (m = 0)', { x: new Float32Array(0), m: 0, n: 4 }],
    ...([[1, 1], [1, 3], [3, 17], [17, 63], [5, 65], [2, 127], [100, 10], [2, 4096]] as const).map(([m, n], i): [string, SoftmaxArgs] => [`${m}x${n}`, random(m, n, 20 + i)]),
    ['large finite (1e30)', random(7, 33, 5, 2e30)],
    ['near f32 max', { x: Float32Array.from([3.4e38, -3.4e38, 3.3e38, 0, 3.4e38, 3.4e38]), m: 2, n: 3 }],
    ['NaN, +inf, -inf rows', { x: Float32Array.from([NaN, 0, 1, Infinity, 0, Infinity, -Infinity, -Infinity, -Infinity, -Infinity, 0, 1]), m: 4, n: 3 }],
    ['tiny spread', random(4, 9, 6, 1e-6)],
  ];
  it.each(cases)('%s', async (_, a) => {
    const got = await backend.softmax(a);
    expect(softmaxContract.check(a, got, softmaxReference(a), backend.precision)).toBeNull();
  });
});
