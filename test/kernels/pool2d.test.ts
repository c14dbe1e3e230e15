// pool2d (max, avg with and without the padding counted, global average) on every backend against the reference, and shape errors.
import { describe, expect, it } from 'vitest';
import { rng } from '../../examples/data/access-log.ts';
import { pool2dContract, type Pool2dArgs } from '../../gpu-kernels/pool2d/contract.ts';
import { pool2dCpu, pool2dReference } from '../../gpu-kernels/pool2d/cpu.ts';
import { cnnBackends } from './cnn-backends.ts';

const backends = await cnnBackends();

function args(mode: 'max' | 'avg', n: number, c: number, h: number, w: number, k: number, seed: number, opts: Partial<Pool2dArgs> = {}): Pool2dArgs {
  const r = rng(seed);
  return { mode, x: Float32Array.from({ length: n * c * h * w }, () => r() * 20 - 10), n, c, h, w, kernel: [k, k], strides: [k, k], pads: [0, 0, 0, 0], countIncludePad: false, ...opts };
}

describe('pool2d shapes and contract', () => {
  it('a pad as large as the kernel, or a wrong x length, throws a RangeError', () => {
    for (const f of [pool2dReference, pool2dCpu]) {
      expect(() => f(args('max', 1, 1, 4, 4, 2, 1, { pads: [2, 0, 0, 0] }))).toThrow(/^pool2d: pads \[2, 0, 0, 0\] must be integers >= 0 and smaller than the kernel/);
      expect(() => f({ ...args('avg', 1, 1, 4, 4, 2, 1), x: new Float32Array(3) })).toThrow(/^pool2d: x has 3 elements/);
    }
  });
  it('max is exact: any difference is reported', () => {
    const a = args('max', 1, 1, 4, 4, 2, 2), want = pool2dReference(a), got = want.slice();
    got[1] = Math.fround(got[1] * (1 + 2 ** -20));
    expect(pool2dContract.check(a, got, want)).toMatch(/^y\[1\]/);
  });
});

describe.each(backends.map((b) => [b.description, b] as const))('pool2d on %s', (_, backend) => {
  const cases: [string, Pool2dArgs][] = [
    ['empty batch', args('max', 0, 3, 4, 4, 2, 1)],
    ['max 2x2 stride 2, odd input (floor)', args('max', 2, 3, 7, 9, 2, 2)],
    ['max 3x3 stride 2 pad 1', args('max', 2, 5, 9, 9, 3, 3, { strides: [2, 2], pads: [1, 1, 1, 1] })],
    ['avg 3x3 stride 1 pad 1, padding not counted', args('avg', 1, 4, 6, 5, 3, 4, { strides: [1, 1], pads: [1, 1, 1, 1] })],
    ['avg 3x3 stride 1 pad 1, padding counted', args('avg', 1, 4, 6, 5, 3, 5, { strides: [1, 1], pads: [1, 1, 1, 1], countIncludePad: true })],
    ['avg asymmetric window 2x3', args('avg', 2, 2, 5, 7, 2, 6, { kernel: [2, 3], strides: [1, 2], pads: [0, 1, 1, 0] })],
    ['global average 7x7 over 33 channels', args('avg', 3, 33, 7, 7, 7, 7)],
    ['global max 1x1', args('max', 2, 3, 1, 1, 1, 8)],
    ['max 2x2 stride 2 over 28x28 (the CPU SIMD path)', args('max', 2, 16, 28, 28, 2, 10)],
    ['max 2x2 stride 2 over 15x13 (odd sizes, a row tail)', args('max', 3, 5, 15, 13, 2, 11)],
  ];
  const special = args('max', 1, 2, 4, 4, 2, 9);
  special.x[0] = NaN;
  special.x[16 + 5] = Infinity;
  special.x[16 + 10] = -Infinity;
  cases.push(['max with NaN and infinities', special]);
  const wide = args('max', 1, 2, 10, 12, 2, 12);
  wide.x[3] = NaN;
  wide.x[120 + 13] = Infinity;
  wide.x[120 + 50] = -Infinity;
  wide.x[120 + 51] = NaN;
  cases.push(['max 2x2 stride 2 with NaN and infinities, rows of 6', wide]);
  const specialAvg = { ...special, mode: 'avg' as const };
  cases.push(['avg with NaN and infinities', specialAvg]);
  it.each(cases)('%s', async (_, a) => {
    const got = await backend.pool2d(a);
    expect(pool2dContract.check(a, got, pool2dReference(a), backend.precision)).toBeNull();
  });
});
