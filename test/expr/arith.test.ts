import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alias, batchOf, bin, call, col, lit, run, un } from './helpers.ts';

const b = batchOf({
  i: { type: 'int32', values: [7, -7, null, 2147483647, 0] },
  j: { type: 'int32', values: [2, 2, 3, 1, 0] },
  l: { type: 'int64', values: [10, -3, 5, null, 2 ** 40] },
  f: { type: 'float64', values: [0.5, -1.25, 2, null, 0] },
  s: { type: 'int8', values: [100, -100, 1, 2, 3] },
  u: { type: 'uint32', values: [4000000000, 1, 2, 3, 4] },
});

describe('arithmetic', () => {
  it('adds, subtracts and multiplies ints with Spark wrap-around', () => {
    expect(run(bin('add', col('i'), col('j')), b)).toEqual([9, -5, null, -2147483648, 0]);
    expect(run(bin('sub', col('i'), col('j')), b)).toEqual([5, -9, null, 2147483646, 0]);
    expect(run(bin('mul', col('i'), col('j')), b)).toEqual([14, -14, null, 2147483647, 0]);
    expect(run(bin('mul', col('i'), lit(2, 'int32')), b)).toEqual([14, -14, null, -2, 0]);
    expect(run(bin('add', col('s'), col('s')), b)).toEqual([200, -200, 2, 4, 6]);
  });

  it('divides in float64 and yields null on division by zero', () => {
    expect(run(bin('div', col('i'), col('j')), b)).toEqual([3.5, -3.5, null, 2147483647, null]);
    expect(run(bin('div', col('f'), lit(0, 'int32')), b)).toEqual([null, null, null, null, null]);
    expect(run(bin('div', col('f'), lit(0.5, 'float64')), b)).toEqual([1, -2.5, 4, null, 0]);
  });

  it('takes the modulo with the sign of the dividend, null on zero', () => {
    expect(run(bin('mod', col('i'), col('j')), b)).toEqual([1, -1, null, 0, null]);
    expect(run(bin('mod', col('l'), lit(4, 'int32')), b)).toEqual([2, -3, 1, null, 0]);
    expect(run(bin('mod', col('f'), lit(1, 'int32')), b)).toEqual([0.5, -0.25, 0, null, 0]);
  });

  it('computes int64 exactly below 2^53 and stores BigInt64 values', () => {
    expect(run(bin('mul', col('l'), lit(1000, 'int64')), b)).toEqual([10000, -3000, 5000, null, 2 ** 40 * 1000]);
    expect(run(bin('add', col('u'), col('i')), b)).toEqual([4000000007, -6, null, 2147483650, 4]);
    expect(run(bin('add', lit('9007199254740993', 'int64'), lit(0, 'int64')), b)[0]).toBe(9007199254740992);
  });

  it('promotes to float64 with floats and propagates nulls', () => {
    expect(run(bin('add', col('i'), col('f')), b)).toEqual([7.5, -8.25, null, null, 0]);
    expect(run(bin('add', col('i'), lit(null, 'null')), b)).toEqual([null, null, null, null, null]);
    expect(run(bin('mul', col('f'), lit(null, 'float64')), b)).toEqual([null, null, null, null, null]);
  });

  it('negates and applies math functions', () => {
    expect(run(un('negate', col('i')), b)).toEqual([-7, 7, null, -2147483647, 0]);
    expect(run(un('negate', col('s')), b)).toEqual([-100, 100, -1, -2, -3]);
    expect(run(call('abs', col('f')), b)).toEqual([0.5, 1.25, 2, null, 0]);
    expect(run(call('floor', col('f')), b)).toEqual([0, -2, 2, null, 0]);
    expect(run(call('ceil', col('f')), b)).toEqual([1, -1, 2, null, 0]);
    expect(run(call('sqrt', col('j')), b)).toEqual([Math.SQRT2, Math.SQRT2, Math.sqrt(3), 1, 0]);
    expect(run(call('ln', col('j')), b)).toEqual([Math.LN2, Math.LN2, Math.log(3), 0, null]);
    expect(run(call('exp', lit(0, 'int32')), b)).toEqual([1, 1, 1, 1, 1]);
  });

  it('rounds HALF_UP on the decimal form, like Spark', () => {
    const r = batchOf({ x: { type: 'float64', values: [2.5, -2.5, 2.675, 1.005, 0.49999999999999994, 1e300, null] } });
    expect(run(call('round', col('x')), r)).toEqual([3, -3, 3, 1, 0, 1e300, null]);
    expect(run(call('round', col('x'), lit(2, 'int32')), r)).toEqual([2.5, -2.5, 2.68, 1.01, 0.5, 1e300, null]);
    const k = batchOf({ n: { type: 'int32', values: [1234, -1250, 49] } });
    expect(run(call('round', col('n'), lit(-2, 'int32')), k)).toEqual([1200, -1300, 0]);
    expect(run(call('round', col('n')), k)).toEqual([1234, -1250, 49]);
  });

  it('evaluates over sliced batches (offsets not a multiple of 8)', () => {
    const big = batchOf({ a: { type: 'int64', values: Array.from({ length: 40 }, (_, i) => (i % 5 === 0 ? null : i)) } });
    const s = big.slice(3, 20);
    const want = Array.from({ length: 17 }, (_, k) => ((k + 3) % 5 === 0 ? null : (k + 3) * 2));
    expect(run(bin('add', col('a'), col('a')), s)).toEqual(want);
    expect(run(alias(bin('mul', col('a'), lit(2, 'int32')), 'x'), s)).toEqual(want);
  });

  it('a constant operand, on either side, gives what a column of copies of it gives (every op and type, zeros and nulls)', () => {
    const types = ['int32', 'int64', 'float64'] as const;
    fc.assert(fc.property(
      fc.constantFrom(...types), fc.constantFrom(...types), fc.constantFrom('add', 'sub', 'mul', 'div', 'mod'), fc.boolean(),
      fc.array(fc.option(fc.integer({ min: -50, max: 50 }), { nil: null }), { minLength: 1, maxLength: 40 }), fc.constantFrom(0, 3, -2, 0.5),
      (xt, kt, op, left, xs, k) => {
        const kv = kt === 'float64' ? k : Math.trunc(k);
        const batch = batchOf({ x: { type: xt, values: xs.map((v) => (v === null || xt === 'float64' ? v : Math.trunc(v))) }, k: { type: kt, values: xs.map(() => kv) } });
        const constant = lit(kt === 'int64' ? String(kv) : kv, kt);
        const viaConstant = run(left ? bin(op, constant, col('x')) : bin(op, col('x'), constant), batch);
        const viaColumn = run(left ? bin(op, col('k'), col('x')) : bin(op, col('x'), col('k')), batch);
        expect(viaConstant).toEqual(viaColumn);
      }), { numRuns: 300 });
  });
});
