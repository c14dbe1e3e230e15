// normalize (u8 -> f32, x * scale + shift) on every backend against the reference, and the reference on hand-computed cases.
import { describe, expect, it } from 'vitest';
import { rng } from '../../examples/data/access-log.ts';
import { normalizeContract, type NormalizeArgs } from '../../gpu-kernels/normalize/contract.ts';
import { normalizeReference } from '../../gpu-kernels/normalize/cpu.ts';
import { testBackends } from './backends.ts';

const backends = await testBackends();

function bytes(n: number, seed: number): Uint8Array {
  const r = rng(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
}

describe('normalize reference', () => {
  it('computes fround(fround(x * scale) + shift)', () => {
    expect([...normalizeReference({ x: Uint8Array.from([0, 1, 255]), scale: 2, shift: -1 })]).toEqual([-1, 1, 509]);
    expect([...normalizeReference({ x: Uint8Array.from([0, 255, 51]), scale: 1 / 255, shift: 0 })]).toEqual([0, 1, Math.fround(0.2)]);
    expect([...normalizeReference({ x: Uint8Array.from([255]), scale: 1e38, shift: 0 })]).toEqual([Infinity]);
    expect(normalizeReference({ x: new Uint8Array(0), scale: 1, shift: 0 }).length).toBe(0);
  });
});

describe.each(backends.map((b) => [b.description, b] as const))('normalize on %s', (_, backend) => {
  const cases: [string, NormalizeArgs][] = [
    ['empty', { x: new Uint8Array(0), scale: 1 / 255, shift: 0 }],
    ...[1, 3, 15, 16, 17, 63, 65, 127, 784 * 3 + 5, 100_003].map((n, i): [string, NormalizeArgs] => [`${n} bytes`, { x: bytes(n, 10 + i), scale: 1 / 255, shift: -0.5 }]),
    ['every byte, odd scale and shift', { x: Uint8Array.from({ length: 256 }, (_, i) => i), scale: 0.0123457, shift: 3.1e-3 }],
    ['negative scale', { x: bytes(33, 3), scale: -7.25, shift: 100 }],
    ['near f32 overflow', { x: bytes(40, 4), scale: 1.3e36, shift: 1e38 }],
    ['overflow to inf', { x: Uint8Array.from([0, 1, 255, 254]), scale: 1e38, shift: 1e38 }],
    ['NaN scale', { x: bytes(21, 5), scale: NaN, shift: 0 }],
    ['NaN shift', { x: bytes(21, 6), scale: 1, shift: NaN }],
  ];
  it.each(cases)('%s', async (_, args) => {
    const got = await backend.normalize(args);
    expect(normalizeContract.check(args, got, normalizeReference(args), backend.precision)).toBeNull();
  });

  it('does not depend on where the bytes sit in their buffer (offset views)', async () => {
    const all = bytes(200, 7);
    for (const off of [1, 3, 17]) {
      const args = { x: all.subarray(off, off + 101), scale: 0.5, shift: 1 };
      expect(normalizeContract.check(args, await backend.normalize(args), normalizeReference(args), backend.precision)).toBeNull();
    }
  });
});
