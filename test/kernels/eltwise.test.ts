// eltwise: broadcast add/mul with a fused activation, and standalone activations, on every backend against the reference.
import { describe, expect, it } from 'vitest';
import { rng } from '../../examples/data/access-log.ts';
import { activationContract, binaryContract, broadcastShape, type ActivationArgs, type BinaryArgs } from '../../gpu-kernels/eltwise/contract.ts';
import { activate, activationCpu, binaryCpu, binaryReference } from '../../gpu-kernels/eltwise/cpu.ts';
import type { Activation } from '../../gpu-kernels/program/contract.ts';
import { cnnBackends } from './cnn-backends.ts';

const backends = await cnnBackends();
const size = (s: number[]) => s.reduce((p, v) => p * v, 1);

function bin(op: 'add' | 'mul', aShape: number[], bShape: number[], seed: number, act: Activation = { op: 'none' }): BinaryArgs {
  const r = rng(seed);
  const f = (s: number[]) => Float32Array.from({ length: size(s) }, () => r() * 8 - 4);
  return { op, a: f(aShape), aShape, b: f(bShape), bShape, act };
}

const acts: Activation[] = [{ op: 'none' }, { op: 'relu' }, { op: 'clip', min: 0, max: 6 }, { op: 'clip', min: -1.5, max: 0.25 }, { op: 'sigmoid' }, { op: 'hardswish' }];

describe('eltwise reference', () => {
  it('broadcasts numpy-style and rejects shapes that do not', () => {
    expect(broadcastShape([2, 3, 1, 5], [3, 4, 1])).toEqual([2, 3, 4, 5]);
    expect(broadcastShape([0, 1], [1, 3])).toEqual([0, 3]);
    expect(() => broadcastShape([2, 3], [4])).toThrow(/shapes \[2, 3\] and \[4\] do not broadcast/);
    expect([...binaryReference(bin('add', [2, 1], [1, 3], 1)).y]).toHaveLength(6);
    const a: BinaryArgs = { op: 'mul', a: Float32Array.from([1, 2]), aShape: [2, 1], b: Float32Array.from([10, 20, 30]), bShape: [3], act: { op: 'none' } };
    expect([...binaryReference(a).y]).toEqual([10, 20, 30, 20, 40, 60]);
  });
  it('activations keep NaN and follow their formulas', () => {
    for (const act of acts) expect(activate(act, NaN)).toBeNaN();
    expect(activate({ op: 'hardswish' }, 1)).toBeCloseTo(4 / 6);
    expect(activate({ op: 'hardswish' }, -3) === 0).toBe(true); // -0
    expect(activate({ op: 'hardswish' }, 4)).toBe(4);
    expect(activate({ op: 'clip', min: 0, max: 6 }, 7)).toBe(6);
    expect(activate({ op: 'sigmoid' }, 0)).toBe(0.5);
  });
  it('the fast path agrees with the reference on the shapes it special-cases and on the general one', () => {
    for (const [a, b] of [[[2, 3, 4, 5], [3, 1, 1]], [[2, 3, 4, 5], [2, 3, 4, 5]], [[1], [2, 3]], [[3, 1, 1], [2, 3, 4, 5]], [[2, 3, 4], [4]], [[2, 1, 4], [3, 1]]]) {
      const args = bin('add', a, b, 3, { op: 'relu' });
      expect(binaryCpu(args)).toEqual(binaryReference(args));
    }
  });
});

describe.each(backends.map((b) => [b.description, b] as const))('eltwise on %s', (_, backend) => {
  const cases: [string, BinaryArgs][] = [
    ['empty', bin('add', [0, 3], [3], 1)],
    ['same shape add, odd size', bin('add', [3, 5, 7], [3, 5, 7], 2)],
    ['per-channel constant [C, 1, 1] mul, relu', bin('mul', [2, 5, 3, 3], [5, 1, 1], 3, { op: 'relu' })],
    ['scalar add, clip', bin('add', [2, 9], [1], 4, { op: 'clip', min: -1, max: 1 })],
    ['both sides broadcast, sigmoid', bin('mul', [2, 1, 4], [3, 1], 5, { op: 'sigmoid' })],
    ['rank 6', bin('add', [2, 1, 3, 1, 2, 2], [2, 1, 4, 1, 2], 6, { op: 'hardswish' })],
  ];
  const special = bin('add', [2, 4], [4], 7);
  special.a.set([NaN, Infinity, -Infinity, 1]);
  special.b.set([1, -Infinity, -Infinity, 2]);
  cases.push(['NaN and inf - inf', special]);
  it.each(cases)('binary %s', async (_, a) => {
    const got = await backend.binary(a);
    expect(binaryContract.check(a, got, binaryReference(a).y, backend.precision)).toBeNull();
  });
  it.each(acts.map((act) => [JSON.stringify(act), act] as const))('activation %s', async (_, act) => {
    const r = rng(11);
    const x = Float32Array.from({ length: 301 }, () => (r() - 0.5) * 20);
    x.set([NaN, Infinity, -Infinity, 0, -0, 100, -100, 3, -3, 6]);
    const a: ActivationArgs = { x, act };
    expect(activationContract.check(a, await backend.activation(a), activationCpu(a), backend.precision)).toBeNull();
  });
});
