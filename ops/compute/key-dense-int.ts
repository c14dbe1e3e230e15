// KeyTable's dense path for one integer key over a small range: a map from key - min to group id, in place of the slots while the keys stay dense.
//
// Group-by keys such as order, part and supplier keys are small integers with few gaps, and a
// split of a table sorted by its key (lineitem by l_orderkey) holds a narrow run of them. While
// the keys a table holds span at most max(2^12, 10 per group) values, each row's group is one
// load from a map indexed by key - min; a new key gets its id there and its hash is recorded
// (KeySlots.addDetached), so that when a batch would widen the range past that, the slots take
// over with every group placed (KeySlots.placeAll) and probeInt1 goes on from there.
import { fmix32 } from './hash.ts';
import type { KeySlots } from './key-slots.ts';
import { growStore, type KeyInput, type KeyStore } from './key-store.ts';

/** Ranges of at most this many keys stay dense whatever the group count (16 KB of map). */
const SMALL_RANGE = 1 << 12;
/** Larger ranges: at most this many keys per group (40 bytes a group, about what the slots take). */
const KEYS_PER_GROUP = 10;
/** Never more than this (256 MB of map). */
const MAX_RANGE = 1 << 26;

/** Keys min .. min + map.length - 1; map[key - min] = group id + 1, 0 where no group has the key. */
export interface DenseMap {
  min: number;
  map: Int32Array;
  /** The smallest and largest key held (lo > hi: none yet). */
  lo: number;
  hi: number;
}

/** Whether keys spanning the map's lo..hi are dense enough for `groups` groups to keep the map (checked after each batch added). */
export function staysDense(m: DenseMap, groups: number): boolean {
  return m.hi - m.lo + 1 <= Math.max(SMALL_RANGE, KEYS_PER_GROUP * groups);
}

export function newDenseMap(): DenseMap {
  return { min: 0, map: new Int32Array(0), lo: Infinity, hi: -Infinity };
}

const INT_MIN = -2147483648, INT_MAX = 2147483647;

/**
 * ids[i] = group of row i, adding unseen keys (when `add`) in row order as probeInt1 would.
 * Returns false, having changed nothing, when adding this batch would widen the keys past the
 * dense limit: the caller then places every group in the slots and probes them instead. The
 * table MUST hold only non-null int32 keys and `c` MUST pass exactIntInput; a null key (only
 * with NullKeys 'never-match') gets -1 and is never added.
 */
export function probeDenseInt(m: DenseMap, t: KeySlots, s: KeyStore, c: KeyInput, n: number, ids: Int32Array, add: boolean, trackNull: boolean): boolean {
  const v = c.vals, bits = c.bits, off = c.off;
  const isNull = (i: number) => bits !== null && (bits[(off + i) >> 3] & (1 << ((off + i) & 7))) === 0;
  if (add) {
    let lo = m.lo, hi = m.hi;
    for (let i = 0; i < n; i++) {
      if (isNull(i)) continue;
      const x = v[i];
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    if (lo <= hi) {
      const range = hi - lo + 1;
      // At most n new groups: a batch that cannot stay dense however many it adds is refused before any work.
      if (range > MAX_RANGE || range > Math.max(SMALL_RANGE, KEYS_PER_GROUP * (t.count + n))) return false;
      if (lo < m.min || hi > m.min + m.map.length - 1) {
        // Room doubles (amortized); keys growing downwards get a quarter of it below them.
        let cap = Math.max(1024, m.map.length);
        while (cap < range) cap *= 2;
        const below = lo < m.lo ? Math.min(cap - range, cap >> 2) : 0;
        // The map covers [base, base + cap): it holds lo..hi and stays inside the int32 values.
        let base = lo - below;
        if (base + cap - 1 > INT_MAX) base = INT_MAX - cap + 1;
        if (base < INT_MIN) base = INT_MIN;
        const grown = new Int32Array(cap);
        if (m.lo <= m.hi) grown.set(m.map.subarray(m.lo - m.min, m.hi - m.min + 1), m.lo - base);
        m.map = grown;
        m.min = base;
      }
      m.lo = lo;
      m.hi = hi;
    }
  }
  const map = m.map, min = m.min | 0, last = (m.min + map.length - 1) | 0;
  for (let i = 0; i < n; i++) {
    const x = v[i];
    let g = x >= min && x <= last ? map[(x - min) | 0] - 1 : -1;
    if (g < 0 && add && !isNull(i)) {
      g = t.addDetached(fmix32(x) | 0);
      growStore(s, g);
      s.vals[g] = x;
      if (trackNull) s.valid[g] = 1;
      map[(x - min) | 0] = g + 1;
    }
    ids[i] = g;
  }
  if (bits !== null) for (let i = 0; i < n; i++) if (isNull(i)) ids[i] = -1;
  return true;
}
