// JoinHashTable: the build side of a hash join, its key table and its rows grouped by key (CSR).
import * as arrow from 'apache-arrow';
import { int64Words, KeyKind, keyKindOf, nullBits, wordsToNumber } from '../compute/hash.ts';
import { KeyTable } from '../compute/key-table.ts';
import { InternalError } from '../errors.ts';
import { denseGroups, isDense, keyRange, probeDense, type DenseRange } from './dense-keys.ts';
import { bitmapCandidates, int32Column, keyBitmap, wantsBitmap } from './key-bitmap.ts';

/**
 * How one key pair is made to hash and compare alike on both sides: equal key kinds pass
 * through ('native'; int32 and float64 already compare by value), otherwise both go to float64
 * (int64 against int32 or float: exact up to 2^53).
 */
export function alignKeyPair(build: arrow.DataType, probe: arrow.DataType): 'native' | 'float64' {
  return keyKindOf(build) === keyKindOf(probe) ? 'native' : 'float64';
}

/** One key column, aligned as alignKeyPair decided. */
export function alignKey(d: arrow.Data, how: 'native' | 'float64'): arrow.Data {
  if (how === 'native') return d;
  const isF64 = d.typeId === arrow.Type.Float && (d.type as arrow.Float).precision === arrow.Precision.DOUBLE;
  return isF64 ? d : toFloat64Data(d);
}

/** Build rows whose keys size the table (see the constructor). */
const SAMPLE_ROWS = 4096;

/**
 * Build rows indexed by key; keys with a null never match (SQL equality). One integer key
 * over a small range is indexed by key - min (dense-keys.ts); other keys go through a KeyTable,
 * behind a bitmap of the keys when they are one integer key over a sparse range (key-bitmap.ts).
 */
export class JoinHashTable {
  /** The hashed index; null when the keys are dense. */
  private readonly table: KeyTable | null;
  private readonly dense: DenseRange | null;
  /** Hashed one-integer keys: a bit per key of their range, tested before the table. */
  private readonly bitmap: { range: DenseRange; bits: Uint32Array } | null;
  /** Build rows ordered by group (each group's rows in build order): rows[start[g] .. start[g+1]). */
  private readonly rows: Int32Array;
  private readonly start: Int32Array;

  /**
   * `keys` are the (aligned) build key columns, `n` build rows; `opts.dense: false` hashes even
   * dense keys, `opts.bitmap: false` probes a hashed table without the key bitmap.
   */
  constructor(keys: readonly arrow.Data[], n: number, opts: { dense?: boolean; bitmap?: boolean } = {}) {
    const range = keyRange(keys, n);
    this.dense = opts.dense !== false && range && isDense(range, n) ? range : null;
    this.bitmap = !this.dense && range && opts.bitmap !== false && wantsBitmap(range, n) ? { range, bits: keyBitmap(keys[0], n, range) } : null;
    if (this.dense) {
      this.table = null;
      ({ start: this.start, rows: this.rows } = denseGroups(keys[0], n, this.dense));
      return;
    }
    // Keys that reach the KeyTable are sparse, or over the budget as a dense index: no dense map there either.
    const table = new KeyTable(keys.map((k) => k.type), { nullKeys: 'never-match', dense: false });
    this.table = table;
    const gid = new Int32Array(n);
    // Sized from the first rows' share of distinct keys: a table sized for n rows whose keys repeat
    // (lineitem's order keys, 4 rows each) is mostly empty, and each of its pages costs a fault
    // and its random probes miss the cache.
    const head = Math.min(n, SAMPLE_ROWS);
    table.insert(keys, head, gid);
    if (head < n) {
      table.reserve(Math.ceil((n * table.size) / head));
      table.insert(keys.map((k) => k.slice(head, n - head)), n - head, gid.subarray(head));
    }
    const groups = table.size;
    const start = new Int32Array(groups + 1);
    for (let i = 0; i < n; i++) if (gid[i] >= 0) start[gid[i] + 1]++;
    for (let g = 0; g < groups; g++) start[g + 1] += start[g];
    const fill = start.slice(0, groups);
    const rows = new Int32Array(start[groups]);
    for (let i = 0; i < n; i++) { const g = gid[i]; if (g >= 0) rows[fill[g]++] = i; }
    this.rows = rows;
    this.start = start;
  }

  /** Whether the keys are indexed densely (key - min) rather than hashed. */
  get isDense(): boolean { return this.dense !== null; }
  /** Whether a hashed table tests a bitmap of its keys first. */
  get hasBitmap(): boolean { return this.bitmap !== null; }

  /** Bytes held by the table (keys, slots and row lists). */
  estimatedBytes(): number {
    return (this.table?.estimatedBytes() ?? 0) + (this.bitmap?.bits.byteLength ?? 0) + this.rows.byteLength + this.start.byteLength;
  }

  /** The group of each probe row (-1: no build row has that key, or the key has a null). */
  probe(keys: readonly arrow.Data[], n: number): Int32Array {
    if (this.dense) return probeDense(keys[0], n, this.dense, this.start, new Int32Array(n));
    if (!this.bitmap) return this.table!.lookup(keys, n);
    const ids = new Int32Array(n).fill(-1);
    const c = bitmapCandidates(keys[0], n, this.bitmap.range, this.bitmap.bits);
    if (c.rows.length === 0) return ids;
    const found = this.table!.lookup([int32Column(c.keys)], c.keys.length);
    for (let t = 0; t < c.rows.length; t++) ids[c.rows[t]] = found[t];
    return ids;
  }

  /** Group starts: group g's build rows are rowList()[starts[g] .. starts[g + 1]). */
  groupStarts(): Int32Array { return this.start; }

  /** First index into rowList() of group g's build rows. */
  groupStart(g: number): number { return this.start[g]; }
  /** One past the last index into rowList() of group g's build rows. */
  groupEnd(g: number): number { return this.start[g + 1]; }
  /** Build row numbers grouped by key. */
  rowList(): Int32Array { return this.rows; }
}

/**
 * A float64 copy of a numeric column (ints of any width, floats, 64-bit ints exact up to
 * 2^53), for comparing keys of different numeric types by value.
 */
export function toFloat64Data(d: arrow.Data): arrow.Data {
  const kind = keyKindOf(d.type);
  const n = d.length;
  const out = new Float64Array(n);
  if (kind === KeyKind.Int64 || kind === KeyKind.Uint64) {
    const w = int64Words(d);
    for (let i = 0; i < n; i++) out[i] = wordsToNumber(w[2 * i], w[2 * i + 1], kind === KeyKind.Int64);
  } else if (kind === KeyKind.Number) {
    const v = d.values as ArrayLike<number>;
    for (let i = 0; i < n; i++) out[i] = v[i];
  } else if (kind !== KeyKind.Null) {
    throw new InternalError(`toFloat64Data: ${String(d.type)} is not numeric`);
  }
  const bits = nullBits(d);
  let nullBitmap: Uint8Array | undefined;
  if (bits) {
    nullBitmap = new Uint8Array((n + 7) >> 3);
    for (let i = 0; i < n; i++) { const j = d.offset + i; if (bits[j >> 3] & (1 << (j & 7))) nullBitmap[i >> 3] |= 1 << (i & 7); }
  }
  const nullCount = kind === KeyKind.Null ? n : bits ? d.nullCount : 0;
  if (kind === KeyKind.Null) nullBitmap = new Uint8Array((n + 7) >> 3);
  return arrow.makeData({ type: new arrow.Float64(), length: n, nullCount, nullBitmap, data: out } as any);
}
