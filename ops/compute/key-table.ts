// KeyTable: an open-addressing hash table from a row's key tuple to a dense group id, keys stored columnar.
//
// Used by hash aggregation (group ids), hash joins (build keys) and countDistinct (value sets).
// Keys live in typed arrays, one store per key column: numbers in an array of the column's own
// type, 64-bit integers as int32 word pairs, utf8/binary as offsets into a byte arena; nothing
// is ever decoded to a JS string. Group ids are dense, in first-seen order, so per-group state
// can live in plain typed arrays indexed by id and `keysAsData()` is a cheap copy-out.
import type * as arrow from 'apache-arrow';
import { InternalError } from '../errors.ts';
import { hashColumns, KeyKind } from './hash.ts';
import { BYTE_CODES, byteCodes, byteCodesFit, learnByteCodes, probeByteCodes } from './key-probe-byte-codes.ts';
import { probeBytes1 } from './key-probe-bytes.ts';
import { newDenseMap, probeDenseInt, staysDense, type DenseMap } from './key-dense-int.ts';
import { exactIntInput, probeInt1 } from './key-probe-int.ts';
import { probeMulti } from './key-probe-multi.ts';
import { probeNumber1, probeNumber2 } from './key-probe-number.ts';
import { probeWord64 } from './key-probe-word64.ts';
import { KeySlots } from './key-slots.ts';
import { newStore, storeToData, unpack, type KeyInput, type KeyStore } from './key-store.ts';

/**
 * 'group': null is a key value like any other and all-null tuples form one group (SQL GROUP BY).
 * 'never-match': a row with a null in any key column is never inserted and never found (SQL
 * join equality); insert() and lookup() return -1 for it.
 */
export type NullKeys = 'group' | 'never-match';

/**
 * How a table probes, fixed by its key kinds at construction: every insert and lookup of one
 * table MUST go the same way, because each specialised path hashes with its own function.
 */
enum ProbePath { Generic, Bytes1, Number1, Number2, Word64 }

function pathFor(kinds: readonly KeyKind[]): ProbePath {
  if (kinds.length === 1) {
    switch (kinds[0]) {
      case KeyKind.Bytes: return ProbePath.Bytes1;
      case KeyKind.Number: return ProbePath.Number1;
      case KeyKind.Int64: case KeyKind.Uint64: return ProbePath.Word64;
    }
  }
  if (kinds.length === 2 && kinds[0] === KeyKind.Number && kinds[1] === KeyKind.Number) return ProbePath.Number2;
  return ProbePath.Generic;
}

/**
 * Maps key tuples to dense ids 0..size-1. Every batch passed in MUST have columns whose key
 * kind (see hash.ts KeyKind) matches the types given to the constructor; numbers of different
 * widths (int32 vs float64) mix freely, 64-bit integers only with 64-bit integers.
 */
export class KeyTable {
  private readonly stores: KeyStore[];
  private readonly nullKeys: NullKeys;
  private readonly path: ProbePath;
  private readonly t: KeySlots;
  /** ProbePath.Number1 only: every key held is a non-null int32 value, so probeInt1 may serve int inputs. */
  private exactInts: boolean;
  /** While exactInts and the keys span a small range: the dense map that finds groups in place of the slots (key-dense-int.ts). */
  private dense: DenseMap | null;
  private hashScratch: Uint32Array = new Uint32Array(0);
  private scratch: Int32Array = new Int32Array(0);
  /** One or two bytes key columns: batches of one-byte keys find their groups by code (key-probe-byte-codes.ts); made at the first such batch. */
  private readonly codesFit: boolean;
  private byteMap: Int32Array | null = null;
  private codes: Int32Array = new Int32Array(0);

  /**
   * `capacity`: the number of distinct keys expected (the table grows past it; no rehash before).
   * `dense: false`: never the dense map, for a caller that already knows the keys are sparse.
   */
  constructor(readonly types: readonly arrow.DataType[], opts: { nullKeys?: NullKeys; capacity?: number; dense?: boolean } = {}) {
    this.nullKeys = opts.nullKeys ?? 'group';
    this.stores = types.map(newStore);
    this.path = pathFor(this.stores.map((s) => s.kind));
    this.codesFit = byteCodesFit(this.stores.map((s) => s.kind));
    this.exactInts = this.path === ProbePath.Number1;
    this.dense = this.exactInts && opts.dense !== false ? newDenseMap() : null;
    // With the dense map, slots are only made if the keys outgrow it (placeAll sizes them then).
    this.t = new KeySlots(this.dense ? 0 : opts.capacity);
  }

  /** Leaves the dense map: every group goes into the slots, which serve all probes from now on. */
  private undense(): void {
    if (!this.dense) return;
    this.dense = null;
    this.t.placeAll();
  }

  /** Number of distinct keys so far. */
  get size(): number { return this.t.count; }

  /** Whether groups are found through the dense map (one integer key over a small range) rather than the slots. */
  get isDense(): boolean { return this.dense !== null && this.t.count > 0; }

  /** Room for `capacity` distinct keys before the next rehash. */
  reserve(capacity: number): void { this.t.reserve(capacity); }

  /** Bytes held by the table (slots, hashes and key stores), for memory budgets. */
  estimatedBytes(): number {
    let n = this.t.bytes();
    for (const s of this.stores) n += s.vals.byteLength + s.offs.byteLength + s.arena.byteLength + s.valid.byteLength;
    return n + (this.dense?.map.byteLength ?? 0) + (this.byteMap?.byteLength ?? 0);
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
    return this.stores.map((s) => storeToData(s, this.t.count, this.nullKeys === 'group'));
  }

  private probe(cols: readonly arrow.Data[], n: number, out: Int32Array | undefined, add: boolean): Int32Array {
    if (cols.length !== this.stores.length) throw new InternalError(`KeyTable: expected ${this.stores.length} key columns, got ${cols.length}`);
    const ids = out && out.length >= n ? out : new Int32Array(n);
    if (n === 0) return ids;
    const inputs = cols.map((d, c) => unpack(d, this.stores[c].kind));
    if (this.codesFit) {
      if (this.codes.length < n) this.codes = new Int32Array(Math.max(n, 1024));
      if (byteCodes(inputs, n, this.codes)) {
        this.byteMap ??= new Int32Array(BYTE_CODES);
        if (probeByteCodes(this.byteMap, this.codes, n, ids)) return ids;
        this.probeOwn(cols, inputs, n, ids, add);
        learnByteCodes(this.byteMap, this.codes, n, ids);
        return ids;
      }
    }
    return this.probeOwn(cols, inputs, n, ids, add);
  }

  /** The table's own probe path (see ProbePath). */
  private probeOwn(cols: readonly arrow.Data[], inputs: KeyInput[], n: number, ids: Int32Array, add: boolean): Int32Array {
    const trackNull = this.nullKeys === 'group';
    const st = this.stores;
    if (this.path !== ProbePath.Generic && this.scratch.length < 2 * n) this.scratch = new Int32Array(Math.max(2 * n, 2048));
    switch (this.path) {
      case ProbePath.Bytes1: probeBytes1(this.t, st[0], inputs[0], n, ids, add, trackNull, this.scratch); return ids;
      case ProbePath.Number1:
        if (this.exactInts && exactIntInput(inputs[0], trackNull)) {
          if (this.dense && probeDenseInt(this.dense, this.t, st[0], inputs[0], n, ids, add, trackNull)) {
            if (add && !staysDense(this.dense, this.t.count)) this.undense();
            return ids;
          }
          // The keys outgrew the dense map (or never had it).
          this.undense();
          probeInt1(this.t, st[0], inputs[0], n, ids, add, trackNull, this.scratch);
          return ids;
        }
        // This batch may store a null or a non-int32 key.
        this.undense();
        if (add) this.exactInts = false;
        probeNumber1(this.t, st[0], inputs[0], n, ids, add, trackNull, this.scratch);
        return ids;
      case ProbePath.Number2: probeNumber2(this.t, st[0], st[1], inputs[0], inputs[1], n, ids, add, trackNull, this.scratch); return ids;
      case ProbePath.Word64: probeWord64(this.t, st[0], inputs[0], n, ids, add, trackNull, this.scratch); return ids;
      case ProbePath.Generic: break;
    }
    if (this.hashScratch.length < n) this.hashScratch = new Uint32Array(Math.max(n, 1024));
    const h = hashColumns(cols, n, this.hashScratch);
    const skipNulls = !trackNull && inputs.some((c) => c.kind === KeyKind.Null || c.bits !== null);
    if (this.scratch.length < n) this.scratch = new Int32Array(Math.max(2 * n, 2048));
    probeMulti(this.t, st, inputs, new Int32Array(h.buffer, h.byteOffset, n), n, ids, add, trackNull, skipNulls, this.scratch);
    return ids;
  }
}
