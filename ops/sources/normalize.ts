// Brings columns read from Arrow/Parquet files to the plan's types: decodes dictionaries, narrows
// LargeUtf8 offsets, converts timestamp and date units, and rejects anything else that differs.
import * as arrow from 'apache-arrow';
import { DataError, PlanError } from '../errors.ts';
import { takeData } from '../compute/take.ts';
import { fromArrowType, typeEquals, typeToString, type FieldJSON, type TypeJSON } from '../types.ts';

/** The plan field of a file's Arrow field (dictionaries read as their value type). */
export function fieldFromArrow(f: arrow.Field, file: string): FieldJSON {
  try {
    const t = f.type.typeId === arrow.Type.Dictionary ? (f.type as arrow.Dictionary).dictionary : f.type;
    return { name: f.name, type: fromArrowType(t), nullable: f.nullable };
  } catch (e) {
    if (e instanceof PlanError) throw new DataError(e.message, { file, column: f.name }, { cause: e });
    throw e;
  }
}

/** `d` as the plan type `want`; throws a DataError naming file and column when it cannot be. */
export function normalizeData(d: arrow.Data, want: TypeJSON, file: string, column: string): arrow.Data {
  if (d.typeId === arrow.Type.Dictionary) d = decodeDictionary(d);
  let have: TypeJSON;
  try {
    have = fromArrowType(d.type);
  } catch {
    throw new DataError(`expected ${typeToString(want)}, found Arrow type ${String(d.type)}`, { file, column });
  }
  if (!typeEquals(have, want)) throw new DataError(`expected ${typeToString(want)}, found ${typeToString(have)} (files of one scan must agree on column types)`, { file, column });
  switch (d.typeId) {
    case arrow.Type.LargeUtf8: return narrowOffsets(d);
    case arrow.Type.Timestamp: {
      const unit = (d.type as arrow.Timestamp).unit;
      return unit === arrow.TimeUnit.MILLISECOND && !(d.type as arrow.Timestamp).timezone ? d : rescale(d, new arrow.TimestampMillisecond(), unit);
    }
    case arrow.Type.Date:
      return (d.type as arrow.Date_).unit === arrow.DateUnit.DAY ? d : rescale(d, new arrow.DateDay(), -1);
  }
  return d;
}

function decodeDictionary(d: arrow.Data): arrow.Data {
  const dict = d.dictionary!;
  const values = dict.data.length === 1 ? dict.data[0] : new arrow.Vector(dict.data).data[0];
  const keys = d.values as ArrayLike<number | bigint>;
  const idx = new Int32Array(d.length);
  for (let i = 0; i < d.length; i++) {
    const j = d.offset + i;
    const valid = d.nullCount === 0 || !d.nullBitmap || (d.nullBitmap[j >> 3] & (1 << (j & 7))) !== 0;
    idx[i] = valid ? Number(keys[i]) : -1;
  }
  return takeData(values, idx);
}

function narrowOffsets(d: arrow.Data): arrow.Data {
  const o = d.valueOffsets as unknown as BigInt64Array;
  const first = o[0];
  const offs = new Int32Array(d.length + 1);
  for (let i = 0; i <= d.length; i++) offs[i] = Number(o[i] - first);
  const data = (d.values as Uint8Array).subarray(Number(first), Number(o[d.length]));
  return arrow.makeData({ type: new arrow.Utf8(), length: d.length, nullCount: d.nullCount, nullBitmap: sliceBitmap(d), valueOffsets: offs, data } as any);
}

/** Converts timestamps to milliseconds (unit: an arrow.TimeUnit) or ms-dates to days (unit -1). */
function rescale(d: arrow.Data, to: arrow.DataType, unit: number): arrow.Data {
  const src = d.values as unknown as BigInt64Array | Int32Array;
  const n = d.length;
  if (to.typeId === arrow.Type.Date) {
    const out = new Int32Array(n);
    const big = src instanceof BigInt64Array;
    for (let i = 0; i < n; i++) out[i] = Math.floor(Number(big ? (src as BigInt64Array)[i] : (src as Int32Array)[i]) / 86400000);
    return arrow.makeData({ type: to, length: n, nullCount: d.nullCount, nullBitmap: sliceBitmap(d), data: out } as any);
  }
  const out = new BigInt64Array(n);
  const s = src as BigInt64Array;
  for (let i = 0; i < n; i++) {
    const v = s[i];
    out[i] = unit === arrow.TimeUnit.SECOND ? v * 1000n
      : unit === arrow.TimeUnit.MICROSECOND ? floorDiv(v, 1000n)
        : unit === arrow.TimeUnit.NANOSECOND ? floorDiv(v, 1000000n) : v;
  }
  return arrow.makeData({ type: to, length: n, nullCount: d.nullCount, nullBitmap: sliceBitmap(d), data: out } as any);
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}

/** The null bitmap re-based to offset 0 (the new Data starts at offset 0). */
function sliceBitmap(d: arrow.Data): Uint8Array | undefined {
  if (d.nullCount === 0 || !d.nullBitmap) return undefined;
  if (d.offset % 8 === 0) return d.nullBitmap.subarray(d.offset >> 3);
  const out = new Uint8Array((d.length + 7) >> 3);
  for (let i = 0; i < d.length; i++) { const j = d.offset + i; if (d.nullBitmap[j >> 3] & (1 << (j & 7))) out[i >> 3] |= 1 << (i & 7); }
  return out;
}
