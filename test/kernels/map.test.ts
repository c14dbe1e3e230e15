// map (one elementwise function) on every backend against the reference, and the reference on hand-computed cases.
import { describe, expect, it } from 'vitest';
import { rng } from '../../examples/data/access-log.ts';
import { mapContract, type MapArgs, type MapOp } from '../../gpu-kernels/map/contract.ts';
import { mapReference } from '../../gpu-kernels/map/cpu.ts';
import { testBackends } from './backends.ts';

const backends = await testBackends();

const OPS: MapOp[] = [
  { op: 'relu' }, { op: 'sigmoid' }, { op: 'tanh' }, { op: 'exp' }, { op: 'log' }, { op: 'abs' },
  { op: 'neg' }, { op: 'sqrt' }, { op: 'square' }, { op: 'affine', a: 2.5, b: -1.25 }, { op: 'affine', a: -1e-3, b: 7 },
];
const EDGES = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 1e-30, -1e-30, 88.7, 89, -103, -104, 3.4e38, -3.4e38, 1e-45, 20, -20, 50, -50];

function values(n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => (r() < 0.5 ? (r() - 0.5) * 20 : (r() - 0.5) * 2 ** (r() * 60 - 30)));
}

describe('map reference', () => {
  const at = (fn: MapOp, xs: number[]) => [...mapReference({ x: Float32Array.from(xs), fn })];
  it('computes each op, with the contract NaN and limit rules', () => {
    expect(at({ op: 'relu' }, [-2, 3, NaN])).toEqual([0, 3, NaN]);
    expect(at({ op: 'sigmoid' }, [0, 1000, -1000, NaN])).toEqual([0.5, 1, 0, NaN]);
    expect(at({ op: 'tanh' }, [0, 1000, -1000])).toEqual([0, 1, -1]);
    expect(at({ op: 'exp' }, [0, 1, 1000])).toEqual([1, Math.fround(Math.E), Infinity]);
    expect(at({ op: 'log' }, [1, 0, -1])).toEqual([0, -Infinity, NaN]);
    expect(at({ op: 'abs' }, [-2.5, 2.5])).toEqual([2.5, 2.5]);
    expect(at({ op: 'neg' }, [2, -0])).toEqual([-2, 0]);
    expect(at({ op: 'sqrt' }, [4, -1])).toEqual([2, NaN]);
    expect(at({ op: 'square' }, [-3, 1e20])).toEqual([9, Infinity]);
    expect(at({ op: 'affine', a: 2, b: 1 }, [3, -0.5])).toEqual([7, 0]);
  });
});

describe.each(backends.map((b) => [b.description, b] as const))('map on %s', (_, backend) => {
  const cases: [string, MapArgs][] = [];
  for (const fn of OPS) {
    const name = fn.op === 'affine' ? `affine(${fn.a}, ${fn.b})` : fn.op;
    cases.push([`${name}: empty`, { x: new Float32Array(0), fn }]);
    cases.push([`${name}: edges`, { x: Float32Array.from(EDGES), fn }]);
    for (const n of [1, 3, 17, 63, 65, 1027]) cases.push([`${name}: ${n} random`, { x: values(n, n), fn }]);
  }
  it.each(cases)('%s', async (_, args) => {
    expect(mapContract.check(args, await backend.map(args), mapReference(args), backend.precision)).toBeNull();
  });
});
