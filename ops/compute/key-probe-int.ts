// KeyTable's exact path for one integer key of at most 32 bits: a slot's hash is the key itself, so a probe never reads the stored keys.
//
// probeNumber1 hashes an int32-valued number as fmix32 of the int, and fmix32 is a bijection on
// 32-bit words: two such keys are equal exactly when their hashes are. While every key a table
// holds is a non-null int32 value (KeyTable tracks that), a row whose input is an integer array
// of at most 32 bits (Uint32Array excluded: its values past 2^31 hash as floats) is settled by
// comparing slot hashes alone. That saves the confirmation's read of the key store, a cache miss
// per row once the table outgrows the cache, and the per-row calls of the generic passes. The
// hashes are probeNumber1's, so the two paths can serve one table in turn.
import { fmix32 } from './hash.ts';
import { GOLDEN, type KeySlots } from './key-slots.ts';
import { growStore, type KeyInput, type KeyStore } from './key-store.ts';

/** Whether `c` may take probeInt1: integer values of at most 32 bits, and no null to store as a group. */
export function exactIntInput(c: KeyInput, trackNull: boolean): boolean {
  const v = c.vals;
  const intArray = v instanceof Int32Array || v instanceof Int16Array || v instanceof Uint16Array || v instanceof Int8Array || v instanceof Uint8Array;
  return intArray && (c.bits === null || !trackNull);
}

/**
 * ids[i] = group of row i (-1: absent, or a null key, which only comes here under
 * 'never-match'), adding unseen keys when `add`. The table MUST hold only non-null int32 keys
 * and `c` MUST pass exactIntInput. `scratch` MUST hold n values.
 */
export function probeInt1(t: KeySlots, s: KeyStore, c: KeyInput, n: number, ids: Int32Array, add: boolean, trackNull: boolean, scratch: Int32Array): void {
  const v = c.vals, bits = c.bits, off = c.off;
  const hs = scratch.subarray(0, n);
  for (let i = 0; i < n; i++) hs[i] = fmix32(v[i]) | 0;
  // Each row's home slot: settled there when its hash is there, or (looking up) when the slot is free.
  let slots = t.slots;
  const shift = t.shift;
  let rest = 0;
  for (let i = 0; i < n; i++) {
    const hash = hs[i];
    const idx = Math.imul(hash, GOLDEN) >>> shift;
    const g = slots[2 * idx] - 1;
    const id = g >= 0 && slots[2 * idx + 1] === hash ? g : g < 0 && !add ? -1 : -2;
    ids[i] = id;
    if (id === -2) rest++;
  }
  if (bits !== null) {
    for (let i = 0; i < n; i++) {
      const j = off + i;
      if ((bits[j >> 3] & (1 << (j & 7))) === 0) { if (ids[i] === -2) rest--; ids[i] = -1; }
    }
  }
  // The rest walk on from their home slot, in row order, so new ids stay in first-seen order.
  for (let i = 0; rest > 0 && i < n; i++) {
    if (ids[i] !== -2) continue;
    rest--;
    const hash = hs[i];
    slots = t.slots;
    const mask = t.mask;
    let idx = Math.imul(hash, GOLDEN) >>> t.shift;
    let found = -1;
    for (;;) {
      const g = slots[2 * idx] - 1;
      if (g < 0) break;
      if (slots[2 * idx + 1] === hash) { found = g; break; }
      idx = (idx + 1) & mask;
    }
    if (found < 0 && add) {
      found = t.add(hash, idx);
      growStore(s, found);
      s.vals[found] = v[i];
      if (trackNull) s.valid[found] = 1;
    }
    ids[i] = found;
  }
}
