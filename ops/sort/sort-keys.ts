// Sort keys: per-batch key columns in compare-friendly form and the row comparator over them.
//
// Order (Spark/DuckDB): numbers by value with NaN greater than every number (-0 equals 0),
// int64/uint64 exact, strings and binary by unsigned byte order of their UTF-8 bytes (= code
// point order), false < true, dates and timestamps by time. Null placement is independent of
// direction: NULLS FIRST puts nulls first for ASC and DESC alike.
import * as arrow from 'apache-arrow';
import { concatData } from '../compute/batch.ts';
import { PlanError } from '../errors.ts';
import { compileExpr } from '../expr/eval.ts';
import { exprToString, type ExprNode } from '../expr/node.ts';

type CompiledExpr = ReturnType<typeof compileExpr>;

/** How one key column is held for comparison. */
export enum KeyTag {
  /** Every row is null (Null type). */
  AllNull,
  /** Float64 values: ints up to 32 bits, floats, bools, date32, and 64-bit ints when all are below 2^53 in magnitude. */
  F64,
  /** Exact 64-bit integers (int64, uint64, timestamps) beyond 2^53. */
  Big,
  /** Byte strings (utf8, binary), compared unsigned, bytewise. */
  Bytes,
}

/** One evaluated key of one batch. `valid` is null when the key has no nulls. */
export type KeyColumn =
  | { readonly tag: KeyTag.AllNull; readonly valid: Uint8Array }
  | { readonly tag: KeyTag.F64; readonly valid: Uint8Array | null; readonly values: Float64Array }
  | { readonly tag: KeyTag.Big; readonly valid: Uint8Array | null; readonly values: BigInt64Array | BigUint64Array }
  | { readonly tag: KeyTag.Bytes; readonly valid: Uint8Array | null; readonly offsets: Int32Array; readonly bytes: Uint8Array; readonly prefix: Uint32Array };

/** Direction and null placement of one key. */
export interface SortOrder {
  readonly ascending: boolean;
  readonly nullsFirst: boolean;
}

/** Sort keys compiled against a schema: evaluates every key of a batch. */
export interface CompiledSortKeys {
  readonly orders: readonly SortOrder[];
  evaluate(batch: arrow.RecordBatch): KeyColumn[];
  /** Every key of several batches as if they were one (only the key columns are concatenated). */
  evaluateAll(batches: readonly arrow.RecordBatch[]): KeyColumn[];
}

/**
 * Compiles `sort` ExprNodes against `schema`. A bare expression (not a `sort` node) sorts
 * ascending with nulls first, Spark's default. Key types MUST be orderable (no lists).
 */
export function compileSortKeys(keys: readonly ExprNode[], schema: arrow.Schema): CompiledSortKeys {
  const compiled: CompiledExpr[] = [];
  const orders: SortOrder[] = [];
  for (const k of keys) {
    const inner = k.kind === 'sort' ? k.arg : k;
    const c = compileExpr(inner, schema);
    checkOrderable(c.field.type, k);
    compiled.push(c);
    orders.push(k.kind === 'sort' ? { ascending: k.ascending, nullsFirst: k.nullsFirst } : { ascending: true, nullsFirst: true });
  }
  return {
    orders,
    evaluate: (batch) => compiled.map((c) => keyColumn(c.evaluate(batch))),
    evaluateAll: (batches) => compiled.map((c) => keyColumn(concatData(batches.map((b) => c.evaluate(b))))),
  };
}

function checkOrderable(t: arrow.DataType, k: ExprNode): void {
  switch (t.typeId) {
    case arrow.Type.Null: case arrow.Type.Bool: case arrow.Type.Int: case arrow.Type.Float:
    case arrow.Type.Date: case arrow.Type.Timestamp: case arrow.Type.Utf8: case arrow.Type.Binary:
      return;
  }
  throw new PlanError(`cannot sort by ${exprToString(k)} of type ${String(t)}: sort keys must be numbers, strings, binary, bools, dates or timestamps; sort by an element (e.g. at(x, 0)) instead`);
}

const SAFE = 2 ** 53;

function validity(d: arrow.Data): Uint8Array | null {
  if (d.nullCount === 0 || !d.nullBitmap || d.nullBitmap.length === 0) return null;
  const n = d.length, bm = d.nullBitmap, o = d.offset;
  const v = new Uint8Array(n);
  for (let i = 0; i < n; i++) { const j = o + i; v[i] = (bm[j >> 3] >> (j & 7)) & 1; }
  return v;
}

/** Converts one evaluated key Data into its compare-friendly form. */
export function keyColumn(d: arrow.Data): KeyColumn {
  const n = d.length;
  if (d.typeId === arrow.Type.Null) return { tag: KeyTag.AllNull, valid: new Uint8Array(n) };
  const valid = validity(d);
  switch (d.typeId) {
    case arrow.Type.Bool: {
      const bits = d.values as Uint8Array, o = d.offset;
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) { const j = o + i; values[i] = (bits[j >> 3] >> (j & 7)) & 1; }
      return { tag: KeyTag.F64, valid, values };
    }
    case arrow.Type.Utf8: case arrow.Type.Binary: {
      const offsets = d.valueOffsets as Int32Array;
      const bytes = d.values as Uint8Array;
      // The first four bytes, big-endian, decide most comparisons without a byte loop.
      const prefix = new Uint32Array(n);
      for (let i = 0; i < n; i++) {
        const a = offsets[i], len = offsets[i + 1] - a;
        prefix[i] = ((len > 0 ? bytes[a] << 24 : 0) | (len > 1 ? bytes[a + 1] << 16 : 0) | (len > 2 ? bytes[a + 2] << 8 : 0) | (len > 3 ? bytes[a + 3] : 0)) >>> 0;
      }
      return { tag: KeyTag.Bytes, valid, offsets, bytes, prefix };
    }
    case arrow.Type.Int: case arrow.Type.Float: case arrow.Type.Date: case arrow.Type.Timestamp: {
      const src = d.values as ArrayLike<number | bigint>;
      if (src instanceof BigInt64Array || src instanceof BigUint64Array) {
        // Exact 64-bit storage: compare as doubles when every value fits 2^53 (the common case).
        const values = new Float64Array(n);
        let fits = true;
        for (let i = 0; i < n; i++) {
          const x = Number(src[i]);
          // Rounding is monotonic, so |x| < 2^53 proves the conversion was exact.
          if (!(x < SAFE && x > -SAFE)) { fits = false; break; }
          values[i] = x;
        }
        if (fits) return { tag: KeyTag.F64, valid, values };
        return { tag: KeyTag.Big, valid, values: src.subarray(0, n) };
      }
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) values[i] = src[i] as number;
      return { tag: KeyTag.F64, valid, values };
    }
  }
  throw new PlanError(`cannot sort by a column of type ${String(d.type)}`);
}

export function cmpF64(x: number, y: number): number {
  if (x < y) return -1;
  if (x > y) return 1;
  if (x === y) return 0;
  // At least one NaN: NaN is greater than every number and equal to itself.
  const nx = x !== x, ny = y !== y;
  return nx === ny ? 0 : nx ? 1 : -1;
}

function cmpBytes(a: KeyColumn & { tag: KeyTag.Bytes }, i: number, b: KeyColumn & { tag: KeyTag.Bytes }, j: number): number {
  const pa = a.prefix[i], pb = b.prefix[j];
  if (pa !== pb) return pa < pb ? -1 : 1;
  const sa = a.offsets[i], la = a.offsets[i + 1] - sa;
  const sb = b.offsets[j], lb = b.offsets[j + 1] - sb;
  const m = la < lb ? la : lb;
  const ba = a.bytes, bb = b.bytes;
  for (let t = 4; t < m; t++) {
    const x = ba[sa + t], y = bb[sb + t];
    if (x !== y) return x < y ? -1 : 1;
  }
  return la - lb;
}

/** Compares the non-null values a[i] and b[j] of one key (the columns may come from different batches). */
function cmpValues(a: KeyColumn, i: number, b: KeyColumn, j: number): number {
  if (a.tag === KeyTag.F64 && b.tag === KeyTag.F64) return cmpF64(a.values[i], b.values[j]);
  if (a.tag === KeyTag.Bytes && b.tag === KeyTag.Bytes) return cmpBytes(a, i, b, j);
  if (a.tag === KeyTag.AllNull || b.tag === KeyTag.AllNull) return 0;
  // Mixed 64-bit forms of one int64 key across batches: compare exactly as BigInt.
  const x = a.tag === KeyTag.Big ? BigInt(a.values[i]) : a.tag === KeyTag.F64 ? BigInt(a.values[i]) : 0n;
  const y = b.tag === KeyTag.Big ? BigInt(b.values[j]) : b.tag === KeyTag.F64 ? BigInt(b.values[j]) : 0n;
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Compares row i of keys `a` with row j of keys `b` (each one KeyColumn per key, same key
 * order as `orders`). Returns <0, 0 or >0; 0 means the keys tie (callers break ties).
 */
export function compareRows(orders: readonly SortOrder[], a: readonly KeyColumn[], i: number, b: readonly KeyColumn[], j: number): number {
  for (let k = 0; k < orders.length; k++) {
    const ka = a[k], kb = b[k];
    const va = ka.valid === null || ka.valid[i] === 1;
    const vb = kb.valid === null || kb.valid[j] === 1;
    if (!va || !vb) {
      if (va === vb) continue;
      return (va ? 1 : -1) * (orders[k].nullsFirst ? 1 : -1);
    }
    const c = cmpValues(ka, i, kb, j);
    if (c !== 0) return orders[k].ascending ? c : -c;
  }
  return 0;
}

/** Renders keys for display(): `[a ASC NULLS FIRST, b DESC NULLS LAST]`. */
export function keysToString(keys: readonly ExprNode[]): string {
  return `[${keys.map((k) => exprToString(k.kind === 'sort' ? k : { kind: 'sort', arg: k, ascending: true, nullsFirst: true })).join(', ')}]`;
}
