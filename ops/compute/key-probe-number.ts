// KeyTable's probe paths for one or two number keys (ints up to 32 bits, floats, date32), comparisons inlined.
//
// Numbers compare by value, as rowEquals does: -0 equals 0, NaN equals NaN, and an int32 table
// may be probed with float64 values. The hash is private to these paths (a table with such keys
// MUST always come here): an int32-valued number hashes as its int, any other as its float64
// bits, so equal values hash equal whatever array they come from.
import { fmix32, mixRound, NULL_HASH } from './hash.ts';
import { GOLDEN, type KeySlots } from './key-slots.ts';
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
  t.guess(hs, cand, n);
  const keys = s.vals, valid = s.valid;
  for (let i = 0; i < n; i++) {
    const g = cand[i];
    if (g >= 0) {
      const j = off + i;
      const isNull = bits !== null && (bits[j >> 3] & (1 << (j & 7))) === 0;
      if (trackNull ? (valid[g] === 0) === isNull && (isNull || sameNumber(keys[g], v[i])) : sameNumber(keys[g], v[i])) { ids[i] = g; continue; }
      ids[i] = -2;
    } else ids[i] = g === -1 ? -1 : -2;
  }
  for (let i = 0; i < n; i++) if (ids[i] === -2) ids[i] = number1Row(t, s, c, i, hs[i], add, trackNull);
}

/** One row of probeNumber1, scalar: walks the chain, inserts when `add`. */
function number1Row(t: KeySlots, s: KeyStore, c: KeyInput, i: number, hash: number, add: boolean, trackNull: boolean): number {
  const j = c.off + i;
  const isNull = c.bits !== null && (c.bits[j >> 3] & (1 << (j & 7))) === 0;
  const x = c.vals[i];
  const slots = t.slots, mask = t.mask, keys = s.vals, valid = s.valid;
  let idx = Math.imul(hash, GOLDEN) >>> t.shift;
  for (;;) {
    const g = slots[2 * idx] - 1;
    if (g < 0) break;
    if (slots[2 * idx + 1] === hash && (trackNull ? (valid[g] === 0) === isNull && (isNull || sameNumber(keys[g], x)) : sameNumber(keys[g], x))) return g;
    idx = (idx + 1) & mask;
  }
  if (!add) return -1;
  const g = t.add(hash, idx);
  growStore(s, g);
  s.vals[g] = isNull ? 0 : x;
  if (trackNull) s.valid[g] = isNull ? 0 : 1;
  return g;
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
  t.guess(hs, cand, n);
  for (let i = 0; i < n; i++) {
    const g = cand[i];
    if (g >= 0) ids[i] = number2Equals(s0, s1, c0, c1, g, i, trackNull) ? g : -2;
    else ids[i] = g === -1 ? -1 : -2;
  }
  for (let i = 0; i < n; i++) {
    if (ids[i] !== -2) continue;
    const hash = hs[i];
    const slots = t.slots, mask = t.mask;
    let idx = Math.imul(hash, GOLDEN) >>> t.shift;
    let found = -1;
    for (;;) {
      const g = slots[2 * idx] - 1;
      if (g < 0) break;
      if (slots[2 * idx + 1] === hash && number2Equals(s0, s1, c0, c1, g, i, trackNull)) { found = g; break; }
      idx = (idx + 1) & mask;
    }
    if (found < 0 && add) {
      found = t.add(hash, idx);
      const null0 = isNullBit(b0, o0 + i), null1 = isNullBit(b1, o1 + i);
      growStore(s0, found);
      growStore(s1, found);
      s0.vals[found] = null0 ? 0 : v0[i];
      s1.vals[found] = null1 ? 0 : v1[i];
      if (trackNull) { s0.valid[found] = null0 ? 0 : 1; s1.valid[found] = null1 ? 0 : 1; }
    }
    ids[i] = found;
  }
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
