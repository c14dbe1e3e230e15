// matmul (y = act(x . w^T + bias)) on every backend against the reference, the reference on hand-computed cases, and shape errors.
import { describe, expect, it } from 'vitest';
import { rng } from '../../examples/data/access-log.ts';
import { matmulContract, type MatmulArgs } from '../../gpu-kernels/matmul/contract.ts';
import { matmulCpu, matmulReference } from '../../gpu-kernels/matmul/cpu.ts';
import { testBackends } from './backends.ts';

const backends = await testBackends();

function args(m: number, k: number, n: number, seed: number, opts: Partial<MatmulArgs> = {}): MatmulArgs {
  const r = rng(seed);
  const f = (len: number) => Float32Array.from({ length: len }, () => r() * 2 - 1);
  return { x: f(m * k), w: f(n * k), bias: f(n), m, k, n, activation: 'relu', ...opts };
}

describe('matmul reference', () => {
  it('computes act(x . w^T + bias) with w in [out x in] layout', () => {
    const a: MatmulArgs = { x: Float32Array.from([1, 2, 3, 4]), w: Float32Array.from([1, 0, 0, 1, 1, 1]), bias: Float32Array.from([0, 0.5, -10]), m: 2, k: 2, n: 3, activation: 'relu' };
    expect([...matmulReference(a)]).toEqual([1, 2.5, 0, 3, 4.5, 0]);
    expect([...matmulReference({ ...a, activation: 'none', bias: null })]).toEqual([1, 2, 3, 3, 4, 7]);
  });
  it('keeps NaN through ReLU and makes inf - inf NaN', () => {
    const a: MatmulArgs = { x: Float32Array.from([NaN, 1, Infinity, 1]), w: Float32Array.from([1, 1, -1, 0]), bias: null, m: 2, k: 2, n: 2, activation: 'relu' };
    expect([...matmulReference(a)]).toEqual([NaN, NaN, Infinity, 0]);
    const b: MatmulArgs = { x: Float32Array.from([Infinity, Infinity]), w: Float32Array.from([1, -1]), bias: null, m: 1, k: 2, n: 1, activation: 'none' };
    expect([...matmulReference(b)]).toEqual([NaN]);
  });
  it('with k = 0 gives act(bias)', () => {
    expect([...matmulReference({ x: new Float32Array(0), w: new Float32Array(0), bias: Float32Array.from([-1, 2]), m: 2, k: 0, n: 2, activation: 'relu' })]).toEqual([0, 2, 0, 2]);
  });
});

describe('matmul shapes', () => {
  it.each([
    ['x', { x: new Float32Array(5) }],
    ['w', { w: new Float32Array(7) }],
    ['bias', { bias: new Float32Array(2) }],
  ])('a wrong length of %s throws a RangeError naming it', (name, bad) => {
    for (const f of [matmulReference, matmulCpu]) expect(() => f({ ...args(2, 3, 4, 1), ...bad })).toThrow(new RegExp(`^matmul: ${name} has`));
    expect(() => matmulCpu({ ...args(2, 3, 4, 1), ...bad })).toThrow(RangeError);
  });
});

describe.each(backends.map((b) => [b.description, b] as const))('matmul on %s', (_, backend) => {
  const shapes: [number, number, number][] = [
    [0, 5, 3], [1, 1, 1], [1, 3, 17], [3, 17, 1], [4, 8, 8], [5, 16, 9], [17, 63, 65], [65, 127, 9], [63, 65, 127], [130, 300, 100], [5, 4096, 7], [2, 0, 3],
  ];
  const cases: [string, MatmulArgs][] = [];
  shapes.forEach(([m, k, n], i) => {
    cases.push([`${m}x${k}x${n} relu`, args(m, k, n, 100 + i)]);
    cases.push([`${m}x${k}x${n} none, no bias`, args(m, k, n, 200 + i, { activation: 'none', bias: null })]);
  });
  const big = args(6, 9, 11, 7, { activation: 'none' });
  big.x = big.x.map((v) => Math.abs(v) * 1e19);
  big.w = big.w.map((v) => Math.abs(v) * 4e18); // sums near f32's 3.4e38, some overflow to inf
  // f16 paths round inputs to f16 (max 65504), where these are inf: the case is for f32 paths.
  if (backend.precision === 'f32') cases.push(['near f32 overflow', big]);
  const special = args(9, 13, 10, 8);
  special.x[0] = NaN; // row 0 all NaN, through ReLU too
  special.x[13 * 2 + 5] = Infinity; // row 2: inf or NaN where w is 0 or of either sign
  special.w[3 * 13 + 5] = 0;
  special.x[13 * 4 + 1] = -Infinity;
  special.w[7] = NaN; // column 0 NaN in every row
  cases.push(['NaN and inf inputs', special]);
  it.each(cases)('%s', async (_, a) => {
    const got = await backend.matmul(a);
    expect(matmulContract.check(a, got, matmulReference(a), backend.precision)).toBeNull();
  });

  it('matches on seeded random shapes', async () => {
    const r = rng(99);
    for (let t = 0; t < 10; t++) {
      const a = args(Math.floor(r() * 40), 1 + Math.floor(r() * 150), 1 + Math.floor(r() * 40), 1000 + t, { activation: r() < 0.5 ? 'relu' : 'none' });
      expect(matmulContract.check(a, await backend.matmul(a), matmulReference(a), backend.precision), `${a.m}x${a.k}x${a.n}`).toBeNull();
    }
  }, 240_000); // ten shapes: ten shader variants to compile on a WebGPU backend

  it('keeps NaN through ReLU (relu(NaN) is NaN, not 0)', async () => {
    const a: MatmulArgs = { x: Float32Array.from([NaN, 1, 2, 3, 4, 5, 6, 7]), w: Float32Array.from([-1, -1]), bias: Float32Array.from([-5]), m: 4, k: 2, n: 1, activation: 'relu' };
    expect([...(await backend.matmul(a))]).toEqual([NaN, 0, 0, 0]);
  });
});
