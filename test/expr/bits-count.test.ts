// countOnes / countNulls: the SWAR word count, the byte table and the last bits agree with counting bit by bit, aligned in their buffer or not.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countNulls, countOnes } from '../../ops/expr/bits.ts';

const naive = (bits: Uint8Array, n: number): number => {
  let c = 0;
  for (let i = 0; i < n; i++) c += (bits[i >> 3] >> (i & 7)) & 1;
  return c;
};

describe('countOnes and countNulls', () => {
  it('equal a bit-by-bit count for any length and any byte offset in the buffer', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 80 }), fc.integer({ min: 0, max: 3 }), fc.nat(), (raw, shift, pick) => {
      // The bitmap starts `shift` bytes into its buffer: 4-aligned only when shift is 0.
      const buf = new Uint8Array(raw.length + shift);
      buf.set(raw, shift);
      const bits = buf.subarray(shift);
      const n = raw.length ? pick % (raw.length * 8 + 1) : 0;
      expect(countOnes(bits, n)).toBe(naive(bits, n));
      expect(countNulls(bits, n)).toBe(n - naive(bits, n));
    }), { numRuns: 2000 });
  });

  it('counts only the first n bits: set bits past n are not counted', () => {
    const bits = new Uint8Array(16).fill(0xff);
    for (const n of [0, 1, 7, 8, 31, 32, 33, 64, 100, 127, 128]) expect(countOnes(bits, n)).toBe(n);
    expect(countNulls(null, 10)).toBe(0);
  });

  it('counts words with high bits set (the sign bit of an Int32)', () => {
    const bits = new Uint8Array([0x80, 0x00, 0x00, 0x80, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(countOnes(bits, 72)).toBe(2 + 32 + 1);
    expect(countNulls(bits, 72)).toBe(72 - 35);
  });
});
