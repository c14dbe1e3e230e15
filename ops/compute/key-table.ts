// KeyTable: an open-addressing hash table from a row's key tuple to a dense group id, keys stored columnar.
//
// Used by hash aggregation (group ids), hash joins (build keys) and countDistinct (value sets).
// Keys live in typed arrays, one store per key column: numbers in an array of the column's own
// type, 64-bit integers as int32 word pairs, utf8/binary as offsets into a byte arena; nothing
// is ever decoded to a JS string. Group ids are dense, in first-seen order, so per-group state
// can live in plain typed arrays indexed by id and `keysAsData()` is a cheap copy-out.
import * as arrow from 'apache-arrow';
import { InternalError } from '../errors.ts';
import { hashRowsWasm } from '../wasm/bytes.ts';
import { bytesView, hashColumns, int64Words, KeyKind, keyKindOf, NULL_HASH, nullBits } from './hash.ts';

/**
 * 'group': null is a key value like any other and all-null tuples form one group (SQL GROUP BY).
 * 'never-match': a row with a null in any key column is never inserted and never found (SQL
 * join equality); insert() and lookup() return -1 for it.
 */
export type NullKeys = 'group' | 'never-match';

const EMPTY = -1;
const GOLDEN = 0x9e3779b1;
// murmur3 constants (as in hash.ts) for the table's own bytes hash in probeBytes1.
const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

type NumArray = Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array | Float32Array | Float64Array;

/** The stored keys of one column. */
interface KeyStore {
  readonly kind: KeyKind;
  readonly type: arrow.DataType;
  /** Number: values; Int64/Uint64: word pairs; Bool: 0/1 bytes. */
  vals: NumArray;
  /** Bytes: offsets[g]..offsets[g+1] into arena. */
  offs: Int32Array;
  arena: Uint8Array;
  arenaLen: number;
  /** 1 where the key is valid; only kept with NullKeys 'group'. */
  valid: Uint8Array;
}

/** One batch's key column, unpacked for the probe loops. */
interface KeyInput {
  kind: KeyKind;
  vals: ArrayLike<number>;
  offs: Int32Array;
  bytes: Uint8Array;
  bits: Uint8Array | null;
  off: number;
}

function numArrayFor(t: arrow.DataType, n: number): NumArray {
  switch (t.typeId) {
    case arrow.Type.Int: {
      const i = t as arrow.Int;
      switch (i.bitWidth) {
        case 8: return i.isSigned ? new Int8Array(n) : new Uint8Array(n);
        case 16: return i.isSigned ? new Int16Array(n) : new Uint16Array(n);
        case 32: return i.isSigned ? new Int32Array(n) : new Uint32Array(n);
      }
      break;
    }
    case arrow.Type.Float: return (t as arrow.Float).precision === arrow.Precision.SINGLE ? new Float32Array(n) : new Float64Array(n);
    case arrow.Type.Date: return new Int32Array(n);
  }
  return new Float64Array(n);
}

function grow<T extends NumArray | Uint8Array | Int32Array>(a: T, need: number): T {
  if (a.length >= need) return a;
  let cap = Math.max(16, a.length);
  while (cap < need) cap *= 2;
  const b = new (a.constructor as new (n: number) => T)(cap);
  b.set(a);
  return b;
}

function unpack(d: arrow.Data, kind: KeyKind): KeyInput {
  const k = keyKindOf(d.type);
  if (k !== kind) throw new InternalError(`KeyTable: key column of type ${String(d.type)} does not match the table's key kind ${KeyKind[kind]}; convert both sides to a common type first`);
  const empty = new Int32Array(0);
  return {
    kind,
    vals: kind === KeyKind.Int64 || kind === KeyKind.Uint64 ? int64Words(d) : kind === KeyKind.Bytes || kind === KeyKind.Null ? empty : d.values,
    offs: kind === KeyKind.Bytes ? (d.valueOffsets as Int32Array) : empty,
    bytes: kind === KeyKind.Bytes ? (d.values as Uint8Array) : new Uint8Array(0),
    bits: nullBits(d),
    off: d.offset,
  };
}

function isNullAt(c: KeyInput, i: number): boolean {
  if (c.kind === KeyKind.Null) return true;
  const b = c.bits;
  if (!b) return false;
  const j = c.off + i;
  return (b[j >> 3] & (1 << (j & 7))) === 0;
}

function sameBytes(x: Uint8Array, xo: number, y: Uint8Array, yo: number, len: number): boolean {
  for (let t = 0; t < len; t++) if (x[xo + t] !== y[yo + t]) return false;
  return true;
}

/**
 * Maps key tuples to dense ids 0..size-1. Every batch passed in MUST have columns whose key
 * kind (see hash.ts KeyKind) matches the types given to the constructor; numbers of different
 * widths (int32 vs float64) mix freely, 64-bit integers only with 64-bit integers.
 */
export class KeyTable {
  private readonly stores: KeyStore[];
  private readonly nullKeys: NullKeys;
  /** Interleaved [group id, hash] per slot; group id EMPTY marks a free slot. */
  private slots: Int32Array;
  private mask: number;
  private shift: number;
  private hashes: Int32Array = new Int32Array(16);
  private hashScratch: Uint32Array = new Uint32Array(0);
  private scratch: Int32Array = new Int32Array(0);
  private count = 0;

  constructor(readonly types: readonly arrow.DataType[], opts: { nullKeys?: NullKeys; capacity?: number } = {}) {
    this.nullKeys = opts.nullKeys ?? 'group';
    this.stores = types.map((type) => {
      const kind = keyKindOf(type);
      return {
        kind, type,
        vals: kind === KeyKind.Number ? numArrayFor(type, 16) : kind === KeyKind.Int64 || kind === KeyKind.Uint64 ? new Int32Array(32) : new Uint8Array(kind === KeyKind.Bool ? 16 : 0),
        offs: new Int32Array(kind === KeyKind.Bytes ? 17 : 0),
        arena: new Uint8Array(kind === KeyKind.Bytes ? 256 : 0),
        arenaLen: 0,
        valid: new Uint8Array(16),
      };
    });
    let cap = 64;
    while (cap < (opts.capacity ?? 0) * 2) cap *= 2;
    this.slots = new Int32Array(cap * 2).fill(EMPTY);
    this.mask = cap - 1;
    this.shift = 32 - Math.log2(cap);
  }

  /** Number of distinct keys so far. */
  get size(): number { return this.count; }

  /** Bytes held by the table (slots, hashes and key stores), for memory budgets. */
  estimatedBytes(): number {
    let n = this.slots.byteLength + this.hashes.byteLength;
    for (const s of this.stores) n += s.vals.byteLength + s.offs.byteLength + s.arena.byteLength + s.valid.byteLength;
    return n;
  }

  /**
   * The group id of every row [0, n) of `cols`, adding unseen keys as new ids (in row order).
   * With NullKeys 'never-match', rows with a null key get -1 and are not added.
   */
  insert(cols: readonly arrow.Data[], n: number, out?: Int32Array): Int32Array {
    return this.probe(cols, n, out, true);
  }

  /** The group id of every row [0, n) of `cols`, or -1 where the key is absent. */
  lookup(cols: readonly arrow.Data[], n: number, out?: Int32Array): Int32Array {
    return this.probe(cols, n, out, false);
  }

  /** The distinct keys as one Data per key column, row g holding group g's key (offset 0). */
  keysAsData(): arrow.Data[] {
    const n = this.count;
    return this.stores.map((s) => {
      let nullBitmap: Uint8Array | undefined;
      let nullCount = 0;
      if (s.kind === KeyKind.Null) return arrow.makeData({ type: s.type, length: n, nullCount: n } as any);
      if (this.nullKeys === 'group') {
        for (let g = 0; g < n; g++) if (!s.valid[g]) nullCount++;
        if (nullCount > 0) {
          nullBitmap = new Uint8Array((n + 7) >> 3);
          for (let g = 0; g < n; g++) if (s.valid[g]) nullBitmap[g >> 3] |= 1 << (g & 7);
        }
      }
      const base = { type: s.type, length: n, nullCount, nullBitmap };
      switch (s.kind) {
        case KeyKind.Number: return arrow.makeData({ ...base, data: s.vals.slice(0, n) } as any);
        case KeyKind.Int64: return arrow.makeData({ ...base, data: new BigInt64Array(s.vals.buffer.slice(0, n * 8)) } as any);
        case KeyKind.Uint64: return arrow.makeData({ ...base, data: new BigUint64Array(s.vals.buffer.slice(0, n * 8)) } as any);
        case KeyKind.Bool: {
          const bits = new Uint8Array((n + 7) >> 3);
          for (let g = 0; g < n; g++) if (s.vals[g]) bits[g >> 3] |= 1 << (g & 7);
          return arrow.makeData({ ...base, data: bits } as any);
        }
        case KeyKind.Bytes:
          return arrow.makeData({ ...base, valueOffsets: s.offs.slice(0, n + 1), data: s.arena.slice(0, s.offs[n]) } as any);
      }
      throw new InternalError(`KeyTable: unknown key kind ${s.kind}`);
    });
  }

  private probe(cols: readonly arrow.Data[], n: number, out: Int32Array | undefined, add: boolean): Int32Array {
    if (cols.length !== this.stores.length) throw new InternalError(`KeyTable: expected ${this.stores.length} key columns, got ${cols.length}`);
    const ids = out && out.length >= n ? out : new Int32Array(n);
    if (n === 0) return ids;
    const inputs = cols.map((d, c) => unpack(d, this.stores[c].kind));
    if (inputs.length === 1 && inputs[0].kind === KeyKind.Bytes) {
      this.probeBytes1(inputs[0], n, ids, add);
      return ids;
    }
    if (this.hashScratch.length < n) this.hashScratch = new Uint32Array(Math.max(n, 1024));
    const h = hashColumns(cols, n, this.hashScratch);
    const skipNulls = this.nullKeys === 'never-match' && inputs.some((c) => c.kind === KeyKind.Null || c.bits !== null);
    this.probeGeneric(inputs, h, n, ids, add, skipNulls);
    return ids;
  }

  /**
   * The hot path: a single utf8/binary key (e.g. GROUP BY path). Tables with one bytes key
   * MUST always come here, so that all their rows hash the same way: with a murmur3 variant
   * private to this table (it reads the 1-3 tail bytes as one overlapping word), not hashBytes.
   *
   * Vectorized in passes, because at tens of thousands of keys the time goes to cache misses
   * on the slots, the key offsets and the arena, not to arithmetic: each pass issues one kind
   * of independent load per row, so the CPU overlaps the misses of many rows. Pass 2 guesses a
   * row's group from its first two slots; a guess is only trusted after its bytes compare
   * equal (a group id never changes meaning, even across a rehash), and every other row takes
   * the scalar path (probeBytesRow), which also inserts.
   */
  private probeBytes1(c: KeyInput, n: number, ids: Int32Array, add: boolean): void {
    const s = this.stores[0];
    const inOffs = c.offs, inBytes = c.bytes, bits = c.bits, off = c.off;
    const inView = bytesView(inBytes);
    const trackNull = this.nullKeys === 'group';
    if (this.scratch.length < 2 * n) this.scratch = new Int32Array(Math.max(2 * n, 2048));
    const hs = this.scratch.subarray(0, n), cand = this.scratch.subarray(n, 2 * n);
    // Pass 1: hashes (SIMD-free WebAssembly, the same function as hashRowsJs); -1 in cand marks a null key.
    hashRowsWasm(inOffs, inBytes, n, hs);
    for (let i = 0; i < n; i++) {
      const j = off + i;
      if (bits !== null && (bits[j >> 3] & (1 << (j & 7))) === 0) { hs[i] = NULL_HASH; cand[i] = -1; } else cand[i] = 0;
    }
    // Pass 2: the group in each row's first slot when its hash matches, else -2 (scalar path).
    // Two slots: with linear probing at load <= 1/2, a quarter of the keys sit one slot on.
    const slots = this.slots, shift = this.shift, mask = this.mask;
    for (let i = 0; i < n; i++) {
      const hash = hs[i];
      const idx = Math.imul(hash, GOLDEN) >>> shift;
      const g = slots[2 * idx];
      let guess = g !== EMPTY && slots[2 * idx + 1] === hash ? g : -2;
      if (guess === -2 && g !== EMPTY) {
        const idx2 = (idx + 1) & mask;
        const g2 = slots[2 * idx2];
        if (g2 !== EMPTY && slots[2 * idx2 + 1] === hash) guess = g2;
      }
      cand[i] = cand[i] === -1 && !trackNull ? -1 : guess;
    }
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
          let t = 0;
          const stop4 = len & ~3;
          while (t < stop4 && arenaView.getInt32(ko + t, true) === inView.getInt32(a + t, true)) t += 4;
          if (t >= stop4) {
            // The last 1-3 bytes: one overlapping word when the key has 4+ bytes.
            if (t === len || (len >= 4 ? arenaView.getInt32(ko + len - 4, true) === inView.getInt32(a + len - 4, true) : sameBytes(arena, ko + t, inBytes, a + t, len - t))) {
              ids[i] = g;
              continue;
            }
          }
        }
      } else if (g === -1) { ids[i] = -1; continue; }
      ids[i] = -2;
    }
    for (let i = 0; i < n; i++) if (ids[i] === -2) ids[i] = this.probeBytesRow(c, inView, i, hs[i], add);
  }

  /** One row of probeBytes1, scalar: walks the chain, inserts when `add`. */
  private probeBytesRow(c: KeyInput, inView: DataView, i: number, hash: number, add: boolean): number {
    const s = this.stores[0];
    const inBytes = c.bytes;
    const j = c.off + i;
    const isNull = c.bits !== null && (c.bits[j >> 3] & (1 << (j & 7))) === 0;
    const a = c.offs[i], len = isNull ? 0 : c.offs[i + 1] - a;
    const trackNull = this.nullKeys === 'group';
    const slots = this.slots, mask = this.mask, koffs = s.offs, arena = s.arena;
    let idx = Math.imul(hash, GOLDEN) >>> this.shift;
    for (;;) {
      const g = slots[2 * idx];
      if (g === EMPTY) break;
      if (slots[2 * idx + 1] === hash) {
        const ko = koffs[g];
        if (koffs[g + 1] - ko === len && (!trackNull || (s.valid[g] === 0) === isNull)) {
          let t = 0;
          while (t < len && arena[ko + t] === inBytes[a + t]) t++;
          if (t === len) return g;
        }
      }
      idx = (idx + 1) & mask;
    }
    if (!add) return -1;
    const g = this.newGroup(hash, idx);
    if (s.arenaLen + len > s.arena.length) s.arena = grow(s.arena, s.arenaLen + len);
    s.arena.set(inBytes.subarray(a, a + len), s.arenaLen);
    s.arenaLen += len;
    s.offs[g + 1] = s.arenaLen;
    if (trackNull) s.valid[g] = isNull ? 0 : 1;
    void inView;
    return g;
  }

  private probeGeneric(inputs: KeyInput[], h: Uint32Array, n: number, ids: Int32Array, add: boolean, skipNulls: boolean): void {
    const stores = this.stores;
    const nc = inputs.length;
    const trackNull = this.nullKeys === 'group';
    for (let i = 0; i < n; i++) {
      if (skipNulls) {
        let anyNull = false;
        for (let c = 0; c < nc; c++) if (isNullAt(inputs[c], i)) { anyNull = true; break; }
        if (anyNull) { ids[i] = -1; continue; }
      }
      const hash = h[i] | 0;
      let idx = Math.imul(hash, GOLDEN) >>> this.shift;
      let found = -1;
      for (;;) {
        const g = this.slots[2 * idx];
        if (g === EMPTY) break;
        if (this.slots[2 * idx + 1] === hash && this.rowEquals(g, inputs, i, trackNull)) { found = g; break; }
        idx = (idx + 1) & this.mask;
      }
      if (found < 0 && add) {
        found = this.newGroup(hash, idx);
        for (let c = 0; c < nc; c++) this.appendKey(stores[c], inputs[c], i, found, trackNull);
      }
      ids[i] = found;
    }
    void stores;
  }

  private rowEquals(g: number, inputs: KeyInput[], i: number, trackNull: boolean): boolean {
    for (let c = 0; c < inputs.length; c++) {
      const s = this.stores[c];
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
          if (x.offs[i + 1] - a !== len) return false;
          const arena = s.arena, bytes = x.bytes;
          for (let t = 0; t < len; t++) if (arena[ko + t] !== bytes[a + t]) return false;
          break;
        }
        case KeyKind.Null: break;
      }
    }
    return true;
  }

  private appendKey(s: KeyStore, x: KeyInput, i: number, g: number, trackNull: boolean): void {
    const isNull = isNullAt(x, i);
    if (trackNull) s.valid[g] = isNull ? 0 : 1;
    switch (s.kind) {
      case KeyKind.Number: s.vals[g] = isNull ? 0 : x.vals[i]; break;
      case KeyKind.Int64: case KeyKind.Uint64:
        s.vals[2 * g] = isNull ? 0 : x.vals[2 * i];
        s.vals[2 * g + 1] = isNull ? 0 : x.vals[2 * i + 1];
        break;
      case KeyKind.Bool: { const j = x.off + i; s.vals[g] = isNull ? 0 : ((x.vals as Uint8Array)[j >> 3] >> (j & 7)) & 1; break; }
      case KeyKind.Bytes: {
        const a = x.offs[i], len = isNull ? 0 : x.offs[i + 1] - a;
        if (s.arenaLen + len > s.arena.length) s.arena = grow(s.arena, s.arenaLen + len);
        s.arena.set(x.bytes.subarray(a, a + len), s.arenaLen);
        s.arenaLen += len;
        s.offs[g + 1] = s.arenaLen;
        break;
      }
      case KeyKind.Null: break;
    }
  }

  /** Claims slot `idx` for a new group; grows the stores and, past half full, the slots. */
  private newGroup(hash: number, idx: number): number {
    const g = this.count++;
    this.slots[2 * idx] = g;
    this.slots[2 * idx + 1] = hash;
    if (g >= this.hashes.length) this.hashes = grow(this.hashes, g + 1);
    this.hashes[g] = hash;
    for (const s of this.stores) {
      if (g >= s.valid.length) s.valid = grow(s.valid, g + 1);
      switch (s.kind) {
        case KeyKind.Number: case KeyKind.Bool: s.vals = grow(s.vals, g + 1); break;
        case KeyKind.Int64: case KeyKind.Uint64: s.vals = grow(s.vals, 2 * g + 2); break;
        case KeyKind.Bytes: s.offs = grow(s.offs, g + 2); break;
      }
    }
    if (this.count * 2 > this.mask + 1) this.rehash();
    return g;
  }

  private rehash(): void {
    const cap = (this.mask + 1) * 2;
    const slots = new Int32Array(cap * 2).fill(EMPTY);
    const mask = cap - 1;
    const shift = 32 - Math.log2(cap);
    for (let g = 0; g < this.count; g++) {
      const hash = this.hashes[g];
      let idx = Math.imul(hash, GOLDEN) >>> shift;
      while (slots[2 * idx] !== EMPTY) idx = (idx + 1) & mask;
      slots[2 * idx] = g;
      slots[2 * idx + 1] = hash;
    }
    this.slots = slots;
    this.mask = mask;
    this.shift = shift;
  }
}
