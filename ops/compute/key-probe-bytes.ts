// KeyTable's probe path for a single utf8/binary key: vectorized in passes, with a table-private bytes hash.
import { hashRowsWasm } from '../wasm/bytes.ts';
import { bytesView, NULL_HASH } from './hash.ts';
import { GOLDEN, type KeySlots } from './key-slots.ts';
import { copyBytes, grow, growStore, sameBytes, sameKeyBytes, type KeyInput, type KeyStore } from './key-store.ts';

/**
 * The group id of rows [0, n) of `c` into ids (-1: absent, or a null key under 'never-match'),
 * adding unseen keys when `add`. Tables with one bytes key MUST always come here, so that all
 * their rows hash the same way: with a murmur3 variant private to this path (it reads the 1-3
 * tail bytes as one overlapping word), not hashBytes. `scratch` MUST hold 2n values.
 *
 * Vectorized in passes, because at tens of thousands of keys the time goes to cache misses
 * on the slots, the key offsets and the arena, not to arithmetic: each pass issues one kind
 * of independent load per row, so the CPU overlaps the misses of many rows. Pass 2 guesses a
 * row's group from its first two slots; a guess is only trusted after its bytes compare
 * equal (a group id never changes meaning, even across a rehash), and every other row takes
 * the scalar path (probeBytesRow), which also inserts.
 */
export function probeBytes1(t: KeySlots, s: KeyStore, c: KeyInput, n: number, ids: Int32Array, add: boolean, trackNull: boolean, scratch: Int32Array): void {
  const inOffs = c.offs, inBytes = c.bytes, bits = c.bits, off = c.off;
  const inView = bytesView(inBytes);
  const hs = scratch.subarray(0, n), cand = scratch.subarray(n, 2 * n);
  // Pass 1: hashes (SIMD-free WebAssembly, the same function as hashRowsJs); -1 in cand settles a null that never matches.
  hashRowsWasm(inOffs, inBytes, n, hs);
  for (let i = 0; i < n; i++) {
    const j = off + i;
    if (bits !== null && (bits[j >> 3] & (1 << (j & 7))) === 0) { hs[i] = NULL_HASH; cand[i] = trackNull ? 0 : -1; } else cand[i] = 0;
  }
  // Pass 2: guesses from the slots.
  t.guess(hs, cand, n, !add);
  // Pass 3: confirm guesses by length, then by bytes; the rest goes the scalar way.
  const koffs = s.offs, valid = s.valid, arena = s.arena, arenaView = bytesView(arena);
  for (let i = 0; i < n; i++) {
    const g = cand[i];
    if (g >= 0) {
      const ko = koffs[g];
      const a = inOffs[i];
      const j = off + i;
      const isNull = bits !== null && (bits[j >> 3] & (1 << (j & 7))) === 0;
      const len = isNull ? 0 : inOffs[i + 1] - a;
      if (koffs[g + 1] - ko === len && (!trackNull || (valid[g] === 0) === isNull)) {
        if (sameKeyBytes(arena, arenaView, ko, inBytes, inView, a, len)) {
          ids[i] = g;
          continue;
        }
      }
    } else if (g === -1) { ids[i] = -1; continue; }
    ids[i] = -2;
  }
  for (let i = 0; i < n; i++) if (ids[i] === -2) ids[i] = probeBytesRow(t, s, c, i, hs[i], add, trackNull);
}

/** One row of probeBytes1, scalar: walks the chain, inserts when `add`. */
function probeBytesRow(t: KeySlots, s: KeyStore, c: KeyInput, i: number, hash: number, add: boolean, trackNull: boolean): number {
  const inBytes = c.bytes;
  const j = c.off + i;
  const isNull = c.bits !== null && (c.bits[j >> 3] & (1 << (j & 7))) === 0;
  const a = c.offs[i], len = isNull ? 0 : c.offs[i + 1] - a;
  const slots = t.slots, mask = t.mask, koffs = s.offs, arena = s.arena;
  let idx = Math.imul(hash, GOLDEN) >>> t.shift;
  for (;;) {
    const g = slots[2 * idx] - 1;
    if (g < 0) break;
    if (slots[2 * idx + 1] === hash) {
      const ko = koffs[g];
      if (koffs[g + 1] - ko === len && (!trackNull || (s.valid[g] === 0) === isNull)) {
        if (sameBytes(arena, ko, inBytes, a, len)) return g;
      }
    }
    idx = (idx + 1) & mask;
  }
  if (!add) return -1;
  const g = t.add(hash, idx);
  growStore(s, g);
  if (s.arenaLen + len > s.arena.length) s.arena = grow(s.arena, s.arenaLen + len);
  copyBytes(inBytes, a, len, s.arena, s.arenaLen);
  s.arenaLen += len;
  s.offs[g + 1] = s.arenaLen;
  if (trackNull) s.valid[g] = isNull ? 0 : 1;
  return g;
}
