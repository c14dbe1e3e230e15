// argmax and top-k over rows on every backend against the reference (exact), the reference on hand-computed cases, and shape errors.
import { describe, expect, it } from 'vitest';
import { rng } from '../../examples/data/access-log.ts';
import { argmaxContract, type TopkArgs } from '../../gpu-kernels/argmax/contract.ts';
import { argmaxCpu, argmaxReference, topkCpu, topkReference } from '../../gpu-kernels/argmax/cpu.ts';
import { testBackends } from './backends.ts';

const backends = await testBackends();

/** Values with many ties, NaNs, infinities and both zeros, so the order rules are exercised. */
function tricky(m: number, n: number, seed: number): Float32Array {
  const r = rng(seed);
  const pool = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 2, 3.4e38, -3.4e38];
  return Float32Array.from({ length: m * n }, () => (r() < 0.3 ? pool[Math.floor(r() * pool.length)] : Math.floor(r() * 8) - 4));
}

function random(m: number, n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: m * n }, () => r() * 2 - 1);
}

describe('argmax and top-k reference', () => {
  const one = (xs: number[], k = 1) => {
    const r = topkReference({ x: Float32Array.from(xs), m: 1, n: xs.length, k });
    return { index: [...r.index], value: [...r.value] };
  };
  it('ranks descending, ties to the lower column', () => {
    expect(one([1, 3, 3, 2])).toEqual({ index: [1], value: [3] });
    expect(one([1, 3, 3, 2], 3)).toEqual({ index: [1, 2, 3], value: [3, 3, 2] });
    expect(one([5], 1)).toEqual({ index: [0], value: [5] });
  });
  it('ranks NaN above +inf, and -0 equal to 0', () => {
    expect(one([Infinity, NaN, 1], 3)).toEqual({ index: [1, 0, 2], value: [NaN, Infinity, 1] });
    expect(one([NaN, NaN, 0], 2).index).toEqual([0, 1]);
    const z = one([-0, 0], 2);
    expect(z.index).toEqual([0, 1]);
    expect(Object.is(z.value[0], -0)).toBe(true);
    expect(one([0, -0]).index).toEqual([0]);
    expect(one([-Infinity, -1e30]).index).toEqual([1]);
  });
  it('argmax is top-1', () => {
    const x = random(9, 13, 1);
    expect(argmaxReference({ x, m: 9, n: 13 })).toEqual(topkReference({ x, m: 9, n: 13, k: 1 }));
  });
  it('throws a RangeError naming x when its length does not match, and on a bad k', () => {
    for (const f of [argmaxReference, argmaxCpu]) expect(() => f({ x: new Float32Array(5), m: 2, n: 3 })).toThrow(/^argmax: x has 5 elements, expected 6/);
    for (const f of [topkReference, topkCpu]) {
      expect(() => f({ x: new Float32Array(7), m: 2, n: 3, k: 1 })).toThrow(/^topk: x has 7 elements/);
      expect(() => f({ x: new Float32Array(6), m: 2, n: 3, k: 4 })).toThrow(RangeError);
    }
  });
});

describe.each(backends.map((b) => [b.description, b] as const))('argmax and top-k on %s', (_, backend) => {
  const shapes: [number, number][] = [[0, 3], [1, 1], [1, 2], [3, 3], [2, 4], [5, 5], [4, 7], [3, 8], [6, 9], [17, 17], [3, 63], [2, 65], [5, 127], [2, 1000]];
  const cases: [string, TopkArgs][] = [];
  shapes.forEach(([m, n], i) => {
    for (const k of new Set([1, Math.min(2, n), Math.min(5, n), n])) {
      cases.push([`${m}x${n} tricky, k = ${k}`, { x: tricky(m, n, 300 + i), m, n, k }]);
      cases.push([`${m}x${n} random, k = ${k}`, { x: random(m, n, 400 + i), m, n, k }]);
    }
  });
  cases.push(['all NaN', { x: new Float32Array(12).fill(NaN), m: 2, n: 6, k: 3 }]);
  cases.push(['all -inf', { x: new Float32Array(10).fill(-Infinity), m: 2, n: 5, k: 2 }]);
  cases.push(['the best in the last, partial, vector step', { x: Float32Array.from([0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]), m: 1, n: 19, k: 1 }]);
  it.each(cases)('%s', async (_, a) => {
    if (a.k === 1) expect(argmaxContract.check(a, await backend.argmax(a), argmaxReference(a))).toBeNull();
    expect(argmaxContract.check(a, await backend.topk(a), topkReference(a))).toBeNull();
  });
});
