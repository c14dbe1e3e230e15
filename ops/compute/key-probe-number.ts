// KeyTable's probe paths for one or two number keys (ints up to 32 bits, floats, date32), comparisons inlined.
//
// Numbers compare by value, as rowEquals does: -0 equals 0, NaN equals NaN, and an int32 table
// may be probed with float64 values. The hash is private to these paths (a table with such keys
// MUST always come here): an int32-valued number hashes as its int, any other as its float64
// bits, so equal values hash equal whatever array they come from.
import { fmix32, mixRound, NULL_HASH } from './hash.ts';
import type { KeySlots } from './key-slots.ts';
import { growStore, type KeyInput, type KeyStore } from './key-store.ts';

const F64 = new Float64Array(1);
const W = new Int32Array(F64.buffer);
/** What every NaN hashes as (any fixed word works: equality decides). */
const NAN_WORD = 0x7ff8_0001;

/** A 32-bit word standing for number v: itself when an int32 (-0 as 0), else its float64 bits folded. */
function numberWord(v: number): number {
  if ((v | 0) === v) return v | 0;
  if (v !== v) return NAN_WORD;
  F64[0] = v;
  return W[0] ^ Math.imul(W[1], 0x85ebca6b);
}

/** True when stored number a and input number b are the same key (NaN equals NaN). */
function sameNumber(a: number, b: number): boolean {
  return a === b || (a !== a && b !== b);
}

/**
 * Single number key: ids[i] = group of row i (-1: absent, or null under 'never-match'), adding
 * unseen keys when `add`. Vectorized in passes as probeBytes1 is (hashes, slot guesses,
 * confirmation, then the scalar path for the rest), which overlaps the cache misses of many
 * rows once the table outgrows the cache. `scratch` MUST hold 2n values.
 */
export function probeNumber1(t: KeySlots, s: KeyStore, c: KeyInput, n: number, ids: Int32Array, add: boolean, trackNull: boolean, scratch: Int32Array): void {
  const v = c.vals, bits = c.bits, off = c.off;
  const hs = scratch.subarray(0, n), cand = scratch.subarray(n, 2 * n);
  if (bits === null) {
    for (let i = 0; i < n; i++) { hs[i] = fmix32(numberWord(v[i])) | 0; cand[i] = 0; }
  } else {
    for (let i = 0; i < n; i++) {
      const j = off + i;
      if ((bits[j >> 3] & (1 << (j & 7))) === 0) { hs[i] = NULL_HASH; cand[i] = trackNull ? 0 : -1; } else { hs[i] = fmix32(numberWord(v[i])) | 0; cand[i] = 0; }
    }
  }
  t.resolve(hs, cand, ids, n, add, (g, i) => number1Equals(s, c, g, i, trackNull), (g, i) => {
    const isNull = isNullBit(bits, off + i);
    growStore(s, g);
    s.vals[g] = isNull ? 0 : v[i];
    if (trackNull) s.valid[g] = isNull ? 0 : 1;
  });
}

/** Whether group g's key equals row i's (a null key equals only the null group, under 'group'). */
function number1Equals(s: KeyStore, c: KeyInput, g: number, i: number, trackNull: boolean): boolean {
  const isNull = isNullBit(c.bits, c.off + i);
  if (trackNull && (s.valid[g] === 0) !== isNull) return false;
  return isNull ? trackNull : sameNumber(s.vals[g], c.vals[i]);
}

/** Two number keys (e.g. two int32 columns): as probeNumber1, a null in either column per NullKeys. */
export function probeNumber2(t: KeySlots, s0: KeyStore, s1: KeyStore, c0: KeyInput, c1: KeyInput, n: number, ids: Int32Array, add: boolean, trackNull: boolean, scratch: Int32Array): void {
  const v0 = c0.vals, v1 = c1.vals, b0 = c0.bits, b1 = c1.bits, o0 = c0.off, o1 = c1.off;
  const hs = scratch.subarray(0, n), cand = scratch.subarray(n, 2 * n);
  if (b0 === null && b1 === null) {
    for (let i = 0; i < n; i++) { hs[i] = fmix32(mixRound(numberWord(v0[i]), numberWord(v1[i]))) | 0; cand[i] = 0; }
  } else {
    for (let i = 0; i < n; i++) {
      const null0 = isNullBit(b0, o0 + i), null1 = isNullBit(b1, o1 + i);
      hs[i] = fmix32(mixRound(null0 ? NULL_HASH : numberWord(v0[i]), null1 ? NULL_HASH : numberWord(v1[i]))) | 0;
      cand[i] = (null0 || null1) && !trackNull ? -1 : 0;
    }
  }
  t.resolve(hs, cand, ids, n, add, (g, i) => number2Equals(s0, s1, c0, c1, g, i, trackNull), (g, i) => {
    const null0 = isNullBit(b0, o0 + i), null1 = isNullBit(b1, o1 + i);
    growStore(s0, g);
    growStore(s1, g);
    s0.vals[g] = null0 ? 0 : v0[i];
    s1.vals[g] = null1 ? 0 : v1[i];
    if (trackNull) { s0.valid[g] = null0 ? 0 : 1; s1.valid[g] = null1 ? 0 : 1; }
  });
}

/** True when bit j of validity bitmap `bits` says null (no bitmap: never). */
function isNullBit(bits: Uint8Array | null, j: number): boolean {
  return bits !== null && (bits[j >> 3] & (1 << (j & 7))) === 0;
}

/** Whether group g's two keys equal row i's (nulls per NullKeys, as rowEquals). */
function number2Equals(s0: KeyStore, s1: KeyStore, c0: KeyInput, c1: KeyInput, g: number, i: number, trackNull: boolean): boolean {
  if (!trackNull) return sameNumber(s0.vals[g], c0.vals[i]) && sameNumber(s1.vals[g], c1.vals[i]);
  const null0 = isNullBit(c0.bits, c0.off + i), null1 = isNullBit(c1.bits, c1.off + i);
  return (s0.valid[g] === 0) === null0 && (s1.valid[g] === 0) === null1
    && (null0 || sameNumber(s0.vals[g], c0.vals[i])) && (null1 || sameNumber(s1.vals[g], c1.vals[i]));
}
