// KeyTable's probe path for any other key shape (several columns, mixed kinds): vectorized in passes, one column at a time.
import { bytesView, KeyKind } from './hash.ts';
import { GOLDEN, type KeySlots } from './key-slots.ts';
import { copyBytes, isNullAt, reserveStore, sameBytes, sameKeyBytes, type KeyInput, type KeyStore } from './key-store.ts';

/**
 * The group id of rows [0, n) into ids (-1: absent, or a row with a null key when `skipNulls`),
 * adding unseen keys when `add`. `hs` holds each row's hash (hashColumns, as int32); `cand` MUST
 * hold n values.
 *
 * As in probeBytes1, the passes keep the loads of many rows independent: guess each row's group
 * from its first two slots, then confirm the guesses one key column at a time (a tight loop per
 * column kind, in place of a per-row switch over the columns), and walk the chain only for the
 * rows left unsettled: new keys, hash collisions, and keys further down a chain.
 */
export function probeMulti(t: KeySlots, stores: KeyStore[], inputs: KeyInput[], hs: Int32Array, n: number, ids: Int32Array, add: boolean, trackNull: boolean, skipNulls: boolean, cand: Int32Array): void {
  const nc = inputs.length;
  // In chunks, so that the slots and keys a chunk's guesses loaded are still in cache when its rows settle.
  for (let from = 0; from < n; from += CHUNK) {
    const to = Math.min(n, from + CHUNK);
    for (let i = from; i < to; i++) {
      let settled = false;
      if (skipNulls) for (let c = 0; c < nc; c++) if (isNullAt(inputs[c], i)) { settled = true; break; }
      cand[i] = settled ? -1 : 0;
    }
    t.guess(hs.subarray(from, to), cand.subarray(from, to), to - from, !add);
    for (let c = 0; c < nc; c++) confirm(stores[c], inputs[c], cand, from, to, trackNull);
    if (add) reserveUnsettled(t, stores, inputs, cand, from, to);
    for (let i = from; i < to; i++) {
      const g = cand[i];
      ids[i] = g >= 0 || g === -1 ? g : probeRow(t, stores, inputs, i, hs[i], add, trackNull);
    }
  }
}

/** Room for every unsettled row of [from, to) to be a new group (appends then check nothing). */
function reserveUnsettled(t: KeySlots, stores: KeyStore[], inputs: KeyInput[], cand: Int32Array, from: number, to: number): void {
  let rows = 0;
  for (let i = from; i < to; i++) if (cand[i] === -2) rows++;
  if (rows === 0) return;
  for (let c = 0; c < stores.length; c++) {
    const x = inputs[c];
    let bytes = 0;
    if (x.kind === KeyKind.Bytes) for (let i = from; i < to; i++) if (cand[i] === -2) bytes += x.offs[i + 1] - x.offs[i];
    reserveStore(stores[c], t.count + rows, bytes);
  }
}

/** Rows per round of guess, confirm and settle. */
const CHUNK = 4096;

/** Sets cand[i] to -2 for rows i in [from, to) whose key in this column differs from their guessed group's. */
function confirm(s: KeyStore, x: KeyInput, cand: Int32Array, from: number, to: number, trackNull: boolean): void {
  const bits = x.bits, off = x.off, valid = s.valid;
  // Nulls first: a null and a value never match, two nulls do (with 'group'; otherwise the row was settled).
  if (trackNull) {
    for (let i = from; i < to; i++) {
      const g = cand[i];
      if (g < 0) continue;
      const j = off + i;
      const inNull = x.kind === KeyKind.Null || (bits !== null && (bits[j >> 3] & (1 << (j & 7))) === 0);
      if ((valid[g] === 0) !== inNull) cand[i] = -2;
    }
  }
  switch (x.kind) {
    case KeyKind.Number: {
      const sv = s.vals, xv = x.vals;
      for (let i = from; i < to; i++) {
        const g = cand[i];
        if (g < 0 || (trackNull && valid[g] === 0)) continue;
        const a = sv[g], b = xv[i];
        // NaN equals NaN as a key.
        if (a !== b && (a === a || b === b)) cand[i] = -2;
      }
      return;
    }
    case KeyKind.Int64: case KeyKind.Uint64: {
      const sv = s.vals, xv = x.vals;
      for (let i = from; i < to; i++) {
        const g = cand[i];
        if (g < 0 || (trackNull && valid[g] === 0)) continue;
        if (sv[2 * g] !== xv[2 * i] || sv[2 * g + 1] !== xv[2 * i + 1]) cand[i] = -2;
      }
      return;
    }
    case KeyKind.Bool: {
      const sv = s.vals, xv = x.vals as Uint8Array;
      for (let i = from; i < to; i++) {
        const g = cand[i];
        if (g < 0 || (trackNull && valid[g] === 0)) continue;
        const j = off + i;
        if (sv[g] !== ((xv[j >> 3] >> (j & 7)) & 1)) cand[i] = -2;
      }
      return;
    }
    case KeyKind.Bytes: {
      const koffs = s.offs, arena = s.arena, inOffs = x.offs, inBytes = x.bytes;
      const arenaView = bytesView(arena), inView = bytesView(inBytes);
      for (let i = from; i < to; i++) {
        const g = cand[i];
        if (g < 0 || (trackNull && valid[g] === 0)) continue;
        const ko = koffs[g], len = koffs[g + 1] - ko;
        const a = inOffs[i];
        if (inOffs[i + 1] - a !== len || !sameKeyBytes(arena, arenaView, ko, inBytes, inView, a, len)) cand[i] = -2;
      }
      return;
    }
    case KeyKind.Null: return;
  }
}

/** One row, scalar: walks its chain, inserts when `add`. */
function probeRow(t: KeySlots, stores: KeyStore[], inputs: KeyInput[], i: number, hash: number, add: boolean, trackNull: boolean): number {
  const slots = t.slots, mask = t.mask;
  let idx = Math.imul(hash, GOLDEN) >>> t.shift;
  for (;;) {
    const g = slots[2 * idx] - 1;
    if (g < 0) break;
    if (slots[2 * idx + 1] === hash && rowEquals(stores, g, inputs, i, trackNull)) return g;
    idx = (idx + 1) & mask;
  }
  if (!add) return -1;
  const g = t.add(hash, idx);
  for (let c = 0; c < stores.length; c++) appendRow(stores[c], inputs[c], i, g, trackNull);
  return g;
}

/** Stores row i of `x` as group g's key; room was reserved (reserveUnsettled) for its chunk. */
function appendRow(s: KeyStore, x: KeyInput, i: number, g: number, trackNull: boolean): void {
  const j = x.off + i;
  const isNull = x.kind === KeyKind.Null || (x.bits !== null && (x.bits[j >> 3] & (1 << (j & 7))) === 0);
  if (trackNull) s.valid[g] = isNull ? 0 : 1;
  switch (s.kind) {
    case KeyKind.Number: s.vals[g] = isNull ? 0 : x.vals[i]; return;
    case KeyKind.Int64: case KeyKind.Uint64:
      s.vals[2 * g] = isNull ? 0 : x.vals[2 * i];
      s.vals[2 * g + 1] = isNull ? 0 : x.vals[2 * i + 1];
      return;
    case KeyKind.Bool: s.vals[g] = isNull ? 0 : ((x.vals as Uint8Array)[j >> 3] >> (j & 7)) & 1; return;
    case KeyKind.Bytes: {
      const a = x.offs[i], len = isNull ? 0 : x.offs[i + 1] - a;
      copyBytes(x.bytes, a, len, s.arena, s.arenaLen);
      s.arenaLen += len;
      s.offs[g + 1] = s.arenaLen;
      return;
    }
  }
}

function rowEquals(stores: KeyStore[], g: number, inputs: KeyInput[], i: number, trackNull: boolean): boolean {
  for (let c = 0; c < inputs.length; c++) {
    const s = stores[c];
    const x = inputs[c];
    if (trackNull) {
      const inNull = isNullAt(x, i);
      if ((s.valid[g] === 0) !== inNull) return false;
      if (inNull) continue;
    }
    switch (x.kind) {
      case KeyKind.Number: {
        const a = s.vals[g], b = x.vals[i];
        if (a !== b && (a === a || b === b)) return false;
        break;
      }
      case KeyKind.Int64: case KeyKind.Uint64:
        if (s.vals[2 * g] !== x.vals[2 * i] || s.vals[2 * g + 1] !== x.vals[2 * i + 1]) return false;
        break;
      case KeyKind.Bool: {
        const j = x.off + i;
        if (s.vals[g] !== ((x.vals as Uint8Array)[j >> 3] >> (j & 7) & 1)) return false;
        break;
      }
      case KeyKind.Bytes: {
        const ko = s.offs[g], len = s.offs[g + 1] - ko;
        const a = x.offs[i];
        if (x.offs[i + 1] - a !== len || !sameBytes(s.arena, ko, x.bytes, a, len)) return false;
        break;
      }
      case KeyKind.Null: break;
    }
  }
  return true;
}
