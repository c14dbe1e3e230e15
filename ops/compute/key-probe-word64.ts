// KeyTable's probe path for a single 64-bit integer key (int64, uint64, timestamp), compared as lo/hi word pairs inline.
//
// The hash is private to this path (a table with such a key MUST always come here): both words
// mixed, so keys beyond 2^53 do not collide the way their float64 values would. Vectorized in
// passes as probeNumber1 is.
import { fmix32, mixRound, NULL_HASH } from './hash.ts';
import type { KeySlots } from './key-slots.ts';
import { growStore, type KeyInput, type KeyStore } from './key-store.ts';

/**
 * ids[i] = group of row i (-1: absent, or null under 'never-match'); adds unseen keys when
 * `add`. `scratch` MUST hold 2n values.
 */
export function probeWord64(t: KeySlots, s: KeyStore, c: KeyInput, n: number, ids: Int32Array, add: boolean, trackNull: boolean, scratch: Int32Array): void {
  const w = c.vals, bits = c.bits, off = c.off;
  const hs = scratch.subarray(0, n), cand = scratch.subarray(n, 2 * n);
  for (let i = 0; i < n; i++) {
    const j = off + i;
    if (bits !== null && (bits[j >> 3] & (1 << (j & 7))) === 0) { hs[i] = NULL_HASH; cand[i] = trackNull ? 0 : -1; } else { hs[i] = fmix32(mixRound(w[2 * i], w[2 * i + 1])) | 0; cand[i] = 0; }
  }
  t.resolve(hs, cand, ids, n, add, (g, i) => word64Equals(s, c, g, i, trackNull), (g, i) => {
    const j = off + i;
    const isNull = bits !== null && (bits[j >> 3] & (1 << (j & 7))) === 0;
    growStore(s, g);
    s.vals[2 * g] = isNull ? 0 : w[2 * i];
    s.vals[2 * g + 1] = isNull ? 0 : w[2 * i + 1];
    if (trackNull) s.valid[g] = isNull ? 0 : 1;
  });
}

/** Whether group g's key equals row i's (a null key equals only the null group, under 'group'). */
function word64Equals(s: KeyStore, c: KeyInput, g: number, i: number, trackNull: boolean): boolean {
  const j = c.off + i;
  const isNull = c.bits !== null && (c.bits[j >> 3] & (1 << (j & 7))) === 0;
  if (trackNull && (s.valid[g] === 0) !== isNull) return false;
  return isNull ? trackNull : s.vals[2 * g] === c.vals[2 * i] && s.vals[2 * g + 1] === c.vals[2 * i + 1];
}
