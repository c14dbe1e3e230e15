// CAST between Quiver types with Spark's (non-ANSI) semantics: parse failures become null.
import * as arrow from 'apache-arrow';
import { InternalError } from '../errors.ts';
import { isFloat, isInteger, isList, isMap, isNumeric, isStruct, listElement, toArrowType, typeEquals, typeToString, type TypeJSON } from '../types.ts';
import { jsonText } from './structs.ts';
import { allValid, byteLen, clearBit, getBit, makeValues, makeVarWidth, nullData, validity } from './bits.ts';
import { boolData } from './compare.ts';
import { allocNumbers, fromNumbers, is64, numbersOf } from './num.ts';
import { bufferOf, Utf8Builder } from './utf8.ts';
import { formatDate, formatDouble, formatFloat, formatTimestamp, parseBool, parseDate, parseFloat64, parseInteger, parseTimestamp } from './format.ts';

const MS_PER_DAY = 86_400_000;

/** Casts `d` (of type `from`) to `to`. The pair MUST pass typecheck's canCast. */
export function castData(d: arrow.Data, from: TypeJSON, to: TypeJSON): arrow.Data {
  const n = d.length;
  if (typeEquals(from, to)) return d;
  if (from === 'null') return nullData(to, n);
  if (to === 'utf8') return toUtf8(d, from);
  if (typeof to === 'object') return castNested(d, from, to);
  if (from === 'utf8') return fromUtf8(d, to);
  const v = validity(d);
  const valid = v ? v.slice() : null;
  if (to === 'bool') {
    const A = numbersOf(d);
    const out = new Uint8Array(byteLen(n));
    for (let i = 0; i < n; i++) if (A[i] !== 0) out[i >> 3] |= 1 << (i & 7);
    return boolData(out, n, valid);
  }
  if (from === 'date32' && to === 'timestamp_ms') {
    const A = numbersOf(d);
    const R = new Float64Array(n);
    for (let i = 0; i < n; i++) R[i] = A[i] * MS_PER_DAY;
    return fromNumbers(to, R, n, valid);
  }
  if (from === 'timestamp_ms' && to === 'date32') {
    const A = numbersOf(d);
    const R = new Int32Array(n);
    for (let i = 0; i < n; i++) R[i] = Math.floor(A[i] / MS_PER_DAY);
    return fromNumbers(to, R, n, valid);
  }
  if (to === 'timestamp_ms') {
    // Spark reads numbers as seconds since the epoch.
    const A = numbersOf(d);
    const R = new Float64Array(n);
    for (let i = 0; i < n; i++) R[i] = Math.trunc(A[i] * 1000);
    return fromNumbers(to, R, n, valid);
  }
  if (from === 'timestamp_ms' && isNumeric(to)) {
    const A = numbersOf(d);
    const R = new Float64Array(n);
    if (isFloat(to)) for (let i = 0; i < n; i++) R[i] = A[i] / 1000;
    else for (let i = 0; i < n; i++) R[i] = Math.floor(A[i] / 1000);
    return fromNumbers(to, R, n, valid);
  }
  if ((isNumeric(from) || from === 'bool') && isNumeric(to)) return castNumeric(d, from, to, valid);
  throw new InternalError(`castData: no cast from ${JSON.stringify(from)} to ${JSON.stringify(to)}`);
}

function castNumeric(d: arrow.Data, from: TypeJSON, to: TypeJSON, valid: Uint8Array | null): arrow.Data {
  const n = d.length;
  const toType = toArrowType(to);
  if (is64(from) && is64(to)) {
    // Same 64-bit words; int64 <-> uint64 wraps exactly like Java.
    const src = d.values as BigInt64Array;
    const Ctor = (toType as any).ArrayType as typeof BigInt64Array;
    return makeValues(toType, n, new Ctor(src.buffer, src.byteOffset, n), valid);
  }
  if (is64(from) && isInteger(to)) {
    // Narrowing keeps the low bits (Java); typed-array stores wrap the low 32-bit word.
    const src = d.values as BigInt64Array;
    const w = new Int32Array(src.buffer, src.byteOffset, n * 2);
    const R = allocNumbers(to, n);
    for (let i = 0; i < n; i++) R[i] = w[2 * i];
    return fromNumbers(to, R, n, valid);
  }
  const A = numbersOf(d);
  if (isFloat(to) || !isFloat(from)) return fromNumbers(to, A, n, valid);
  // Float to integer as Java: NaN -> 0, truncate, saturate at int32 (int64 for 64-bit
  // targets), then narrow by wrapping.
  const R = new Float64Array(n);
  const wide = is64(to);
  const lo = wide ? -9223372036854775808 : -2147483648, hi = wide ? 9223372036854775807 : 2147483647;
  for (let i = 0; i < n; i++) {
    const x = A[i];
    R[i] = x !== x ? 0 : x <= lo ? lo : x >= hi ? hi : Math.trunc(x);
  }
  return fromNumbers(to, R, n, valid, true);
}

/** Lists element-wise; structs field by field (by position, taking the target's names); maps key and value. */
function castNested(d: arrow.Data, from: TypeJSON, to: Exclude<TypeJSON, string>): arrow.Data {
  const type = toArrowType(to);
  const v = validity(d);
  const nullCount = v ? d.nullCount : 0;
  const nullBitmap = v ? v.slice() : undefined;
  const length = d.length;
  if (isStruct(from) && isStruct(to)) {
    const children = to.struct.map((f, i) => castData(d.children[i], from.struct[i].type, f.type));
    return arrow.makeData({ type, length, nullCount, nullBitmap, children } as any);
  }
  if (isMap(from) && isMap(to)) {
    const e = d.children[0];
    const entries = arrow.makeData({
      type: type.children[0].type, length: e.length, nullCount: 0,
      children: [castData(e.children[0], from.map.key, to.map.key), castData(e.children[1], from.map.value, to.map.value)],
    } as any);
    return arrow.makeData({ type, length, nullCount, nullBitmap, valueOffsets: d.valueOffsets, child: entries } as any);
  }
  if (!isList(from) || !isList(to)) throw new InternalError(`castData: no cast from ${typeToString(from)} to ${typeToString(to)}`);
  const child = castData(d.children[0], listElement(from), listElement(to));
  if ('list' in to) return arrow.makeData({ type, length, nullCount, nullBitmap, valueOffsets: d.valueOffsets, child } as any);
  return arrow.makeData({ type, length, nullCount, nullBitmap, child } as any);
}

/** Any type to its Spark string form. */
function toUtf8(d: arrow.Data, from: TypeJSON): arrow.Data {
  const n = d.length;
  const v = validity(d);
  if (from === 'binary') {
    return makeVarWidth(new arrow.Utf8(), n, d.valueOffsets as Int32Array, d.values as Uint8Array, v ? v.slice() : null);
  }
  // Structs and maps as their JSON text (what toJson gives).
  if (isStruct(from) || isMap(from)) return jsonText(d);
  const b = new Utf8Builder(n);
  const isValid = (i: number) => !v || getBit(v, i) === 1;
  if (isList(from)) {
    const child = castData(d.children[0], listElement(from), 'utf8');
    const cv = validity(child);
    const co = child.valueOffsets as Int32Array;
    const buf = bufferOf(child);
    const size = 'fixedList' in from ? from.size : 0;
    const lo = d.valueOffsets as Int32Array;
    for (let i = 0; i < n; i++) {
      if (!isValid(i)) { b.pushNull(); continue; }
      const s = size ? i * size : lo[i], e = size ? s + size : lo[i + 1];
      const parts: string[] = [];
      for (let k = s; k < e; k++) parts.push(cv && !getBit(cv, k) ? 'null' : buf.toString('utf8', co[k], co[k + 1]));
      b.pushString(`[${parts.join(', ')}]`);
    }
    return b.finish();
  }
  let fmt: (i: number) => string;
  if (from === 'bool') {
    const bits = d.values as Uint8Array, o = d.offset;
    fmt = (i) => ((bits[(o + i) >> 3] >> ((o + i) & 7)) & 1 ? 'true' : 'false');
  } else if (from === 'int64' || from === 'uint64') {
    const big = d.values as BigInt64Array;
    fmt = (i) => big[i].toString();
  } else if (from === 'float64') {
    const A = numbersOf(d);
    fmt = (i) => formatDouble(A[i]);
  } else if (from === 'float32') {
    const A = numbersOf(d);
    fmt = (i) => formatFloat(A[i]);
  } else if (from === 'date32') {
    const A = numbersOf(d);
    fmt = (i) => formatDate(A[i]);
  } else if (from === 'timestamp_ms') {
    const A = numbersOf(d);
    fmt = (i) => formatTimestamp(A[i]);
  } else if (isInteger(from)) {
    const A = numbersOf(d);
    fmt = (i) => String(A[i]);
  } else {
    throw new InternalError(`toUtf8 from ${String(from)}`);
  }
  for (let i = 0; i < n; i++) {
    if (isValid(i)) b.pushString(fmt(i));
    else b.pushNull();
  }
  return b.finish();
}

/** Parses strings (trimmed, as Spark does); unparsable rows become null. */
function fromUtf8(d: arrow.Data, to: TypeJSON): arrow.Data {
  const n = d.length;
  const v = validity(d);
  const offs = d.valueOffsets as Int32Array;
  if (to === 'binary') return makeVarWidth(new arrow.Binary(), n, offs, d.values as Uint8Array, v ? v.slice() : null);
  const buf = bufferOf(d);
  const valid = v ? v.slice() : allValid(n);
  const str = (i: number) => buf.toString('utf8', offs[i], offs[i + 1]).trim();
  if (to === 'bool') {
    const out = new Uint8Array(byteLen(n));
    for (let i = 0; i < n; i++) {
      if (!getBit(valid, i)) continue;
      const r = parseBool(str(i));
      if (r === null) clearBit(valid, i);
      else if (r) out[i >> 3] |= 1 << (i & 7);
    }
    return boolData(out, n, valid);
  }
  let parse: (s: string) => number | null;
  if (to === 'date32') parse = parseDate;
  else if (to === 'timestamp_ms') parse = parseTimestamp;
  else if (isFloat(to)) parse = parseFloat64;
  else if (isInteger(to)) parse = (s) => parseInteger(s, to as string);
  else throw new InternalError(`fromUtf8 to ${JSON.stringify(to)}`);
  const R = allocNumbers(to, n);
  for (let i = 0; i < n; i++) {
    if (!getBit(valid, i)) continue;
    const r = parse(str(i));
    if (r === null) clearBit(valid, i);
    else R[i] = r;
  }
  return fromNumbers(to, R, n, valid);
}
