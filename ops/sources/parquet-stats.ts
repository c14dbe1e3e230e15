// Parquet column statistics per row group (min, max, null count) from the footer, as one-row Arrow Data of the column's type.
//
// Only where the bounds mean what Quiver's comparisons mean: signed integers and dates stored as
// INT32/INT64 without another annotation (no unsigned, decimal, time or timestamp units), and
// UTF-8 strings with the format's min_value/max_value (unsigned byte order, as Quiver compares
// strings; the legacy min/max of byte arrays used signed bytes and are ignored). Floats are left
// out: writers leave NaN out of their bounds, and NaN rows pass `x > c` in Quiver as in Spark.
import * as arrow from 'apache-arrow';
import { makeValues } from '../expr/bits.ts';
import { toArrowType, type FieldJSON, type TypeJSON } from '../types.ts';
import { Reader, T, type Node } from './thrift-compact.ts';

/** A column's bounds in one row group; min/max are null when the file gives none usable. */
export interface ColumnStats {
  readonly min: arrow.Data | null;
  readonly max: arrow.Data | null;
  /** Null when the file does not say. */
  readonly nullCount: number | null;
}

export interface RowGroupStats {
  readonly rows: number;
  /** By top-level column name: only columns whose bounds are usable (see above). */
  readonly columns: ReadonlyMap<string, ColumnStats>;
}

// parquet.thrift field ids and enum values.
const PhysicalType = { INT32: 1, INT64: 2, BYTE_ARRAY: 6 } as const;
const Converted = { UTF8: 0, DATE: 6, INT_8: 15, INT_16: 16, INT_32: 17, INT_64: 18 } as const;
const Logical = { STRING: 1, DATE: 6, INTEGER: 10 } as const;

const fieldsOf = (n: Node | undefined): Map<number, Node> | null => (n?.t === T.Struct ? n.fields : null);
const intOf = (n: Node | undefined): number | null => (n && (n.t === T.I64 || n.t === T.I32 || n.t === T.I16) ? Number(n.v) : null);
const bytesOf = (n: Node | undefined): Uint8Array | null => (n?.t === T.Binary ? n.v : null);
const textOf = (n: Node | undefined): string | null => { const b = bytesOf(n); return b ? new TextDecoder().decode(b) : null; };

/** How a leaf's stored statistics read as the file schema's type; null when they do not apply. */
type Decoder = (bytes: Uint8Array) => arrow.Data | null;

function decoderFor(el: Map<number, Node>, type: TypeJSON): { decode: Decoder; legacy: boolean } | null {
  const physical = intOf(el.get(1));
  const converted = intOf(el.get(6));
  const logical = fieldsOf(el.get(10));
  const logicalKind = logical ? [...logical.keys()][0] : null;
  const signedInt = logicalKind === Logical.INTEGER ? fieldsOf(logical!.get(Logical.INTEGER))?.get(2)?.t === T.True : logicalKind === null;
  const arrowType = toArrowType(type);
  const one = (values: ArrayBufferView) => makeValues(arrowType, 1, values, null);
  switch (type) {
    case 'int8': case 'int16': case 'int32': {
      const ok = physical === PhysicalType.INT32 && signedInt && (converted === null || converted === Converted.INT_8 || converted === Converted.INT_16 || converted === Converted.INT_32);
      if (!ok) return null;
      const Ctor = type === 'int8' ? Int8Array : type === 'int16' ? Int16Array : Int32Array;
      return { legacy: true, decode: (b) => (b.length === 4 ? one(Ctor.of(readI32(b))) : null) };
    }
    case 'int64': {
      const ok = physical === PhysicalType.INT64 && signedInt && (converted === null || converted === Converted.INT_64);
      if (!ok) return null;
      return { legacy: true, decode: (b) => (b.length === 8 ? one(BigInt64Array.of(Buffer.from(b.buffer, b.byteOffset, 8).readBigInt64LE(0))) : null) };
    }
    case 'date32': {
      const ok = physical === PhysicalType.INT32 && (converted === Converted.DATE || logicalKind === Logical.DATE);
      if (!ok) return null;
      return { legacy: true, decode: (b) => (b.length === 4 ? one(Int32Array.of(readI32(b))) : null) };
    }
    case 'utf8': {
      const ok = physical === PhysicalType.BYTE_ARRAY && (converted === Converted.UTF8 || logicalKind === Logical.STRING);
      if (!ok) return null;
      return { legacy: false, decode: (b) => arrow.makeData({ type: arrowType, length: 1, nullCount: 0, valueOffsets: Int32Array.of(0, b.length), data: b.slice() } as any) };
    }
  }
  return null;
}

function readI32(b: Uint8Array): number {
  return Buffer.from(b.buffer, b.byteOffset, 4).readInt32LE(0);
}

/**
 * The statistics of every row group of a Parquet FileMetaData (the footer's bytes, without its
 * length and 'PAR1'), for the flat columns of `fileSchema` whose bounds are usable.
 */
export function rowGroupStats(footer: Uint8Array, fileSchema: readonly FieldJSON[]): RowGroupStats[] {
  const meta = fieldsOf(new Reader(footer).value(T.Struct, 0));
  const schema = meta?.get(2);
  const groups = meta?.get(4);
  if (schema?.t !== T.List || groups?.t !== T.List) return [];
  const types = new Map(fileSchema.map((f) => [f.name, f.type] as const));
  // Top-level leaves only (nested columns have no single bound).
  const decoders = new Map<string, { decode: Decoder; legacy: boolean }>();
  const items = schema.items;
  for (let i = 1, top = intOf(fieldsOf(items[0])?.get(5)) ?? 0; i < items.length && top > 0; top--) {
    const el = fieldsOf(items[i]);
    if (!el) break;
    const children = intOf(el.get(5)) ?? 0;
    const name = textOf(el.get(4));
    const type = name === null ? undefined : types.get(name);
    if (children === 0 && name !== null && type !== undefined) {
      const d = decoderFor(el, type);
      if (d) decoders.set(name, d);
    }
    i = skip(items, i);
  }
  return groups.items.map((g) => {
    const gf = fieldsOf(g);
    const rows = intOf(gf?.get(3)) ?? 0;
    const columns = new Map<string, ColumnStats>();
    const chunks = gf?.get(1);
    for (const c of chunks?.t === T.List ? chunks.items : []) {
      const md = fieldsOf(fieldsOf(c)?.get(3));
      const path = md?.get(3);
      if (!md || path?.t !== T.List || path.items.length !== 1) continue;
      const name = textOf(path.items[0]);
      const d = name === null ? undefined : decoders.get(name);
      const st = fieldsOf(md.get(12));
      if (!d || !st) continue;
      const bound = (modern: number, old: number): arrow.Data | null => {
        const b = bytesOf(st.get(modern)) ?? (d.legacy ? bytesOf(st.get(old)) : null);
        return b ? d.decode(b) : null;
      };
      columns.set(name!, { min: bound(6, 2), max: bound(5, 1), nullCount: intOf(st.get(3)) });
    }
    return { rows, columns };
  });
}

/** The index after the subtree of schema element `i` (elements are in depth-first order). */
function skip(items: readonly Node[], i: number): number {
  const n = intOf(fieldsOf(items[i])?.get(5)) ?? 0;
  let j = i + 1;
  for (let c = 0; c < n && j < items.length; c++) j = skip(items, j);
  return j;
}
