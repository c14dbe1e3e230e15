// Numeric storage helpers: read any numeric/temporal column as numbers, write numbers back.
import * as arrow from 'apache-arrow';
import { InternalError } from '../errors.ts';
import { toArrowType, type TypeJSON } from '../types.ts';
import { makeValues, type Bits } from './bits.ts';

/** A typed array of plain numbers (never BigInt). */
export type NumArray =
  | Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array
  | Float32Array | Float64Array;

const TWO32 = 4294967296;

/**
 * Row values of a numeric, date or timestamp Data as numbers: the values view itself for
 * 32-bit-or-narrower storage, a float64 copy for 64-bit integers (exact up to 2^53). Reads
 * the 64-bit words through an Int32 view so that no BigInt is created per row.
 */
export function numbersOf(d: arrow.Data): NumArray {
  const v = d.values as ArrayBufferView;
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) {
    const n = d.length;
    const w = new Int32Array(v.buffer, v.byteOffset, n * 2);
    const out = new Float64Array(n);
    if (v instanceof BigInt64Array) for (let i = 0; i < n; i++) out[i] = w[2 * i + 1] * TWO32 + (w[2 * i] >>> 0);
    else for (let i = 0; i < n; i++) out[i] = (w[2 * i + 1] >>> 0) * TWO32 + (w[2 * i] >>> 0);
    return out;
  }
  if (d.typeId === arrow.Type.Bool) {
    const n = d.length;
    const out = new Uint8Array(n);
    const bits = d.values as Uint8Array;
    const o = d.offset;
    for (let i = 0; i < n; i++) { const j = o + i; out[i] = (bits[j >> 3] >> (j & 7)) & 1; }
    return out;
  }
  if (d.typeId === arrow.Type.Null) return new Int32Array(d.length);
  return v as NumArray;
}

const INT64_EDGE = 9223372036854775808; // 2^63

/**
 * Integer-valued doubles to 64-bit integer storage, wrapping modulo 2^64 as Java arithmetic
 * does, or with `saturate` clamping to the int64 range as Java's (long) cast of a double
 * does; NaN and infinities become 0 when wrapping. Writes through an Int32 view (no BigInt).
 */
export function toInt64Storage(src: ArrayLike<number>, n: number, unsigned = false, saturate = false): BigInt64Array | BigUint64Array {
  const out = unsigned ? new BigUint64Array(n) : new BigInt64Array(n);
  const w = new Int32Array(out.buffer, 0, n * 2);
  for (let i = 0; i < n; i++) {
    const x = src[i];
    if (saturate && x >= INT64_EDGE) { w[2 * i] = -1; w[2 * i + 1] = 0x7fffffff; continue; }
    if (saturate && x <= -INT64_EDGE) { w[2 * i] = 0; w[2 * i + 1] = -2147483648; continue; }
    const hi = Math.floor(x / TWO32);
    const lo = x - hi * TWO32;
    w[2 * i] = lo | 0;
    w[2 * i + 1] = hi | 0;
  }
  return out;
}

/** Typed-array constructor of a numeric/temporal TypeJSON (64-bit kinds excluded). */
function ctorOf(t: TypeJSON): (new (n: number) => NumArray) | null {
  switch (t) {
    case 'int8': return Int8Array;
    case 'int16': return Int16Array;
    case 'int32': case 'date32': return Int32Array;
    case 'uint8': return Uint8Array;
    case 'uint16': return Uint16Array;
    case 'uint32': return Uint32Array;
    case 'float32': return Float32Array;
    case 'float64': return Float64Array;
    default: return null;
  }
}

export const is64 = (t: TypeJSON): boolean => t === 'int64' || t === 'uint64' || t === 'timestamp_ms';

/**
 * Numbers to Data of numeric/temporal type `t`. Values MUST already be integral for integer
 * types (narrow types wrap like Java's casts: typed-array stores do ToInt32/ToUint8/...);
 * `saturate` clamps int64 at 2^63 - 1 instead of wrapping (see toInt64Storage).
 */
export function fromNumbers(t: TypeJSON, src: ArrayLike<number>, n: number, valid: Bits | null, saturate = false): arrow.Data {
  const type = toArrowType(t);
  if (is64(t)) return makeValues(type, n, toInt64Storage(src, n, t === 'uint64', saturate), valid);
  const Ctor = ctorOf(t);
  if (!Ctor) throw new InternalError(`fromNumbers: ${String(t)} is not numeric`);
  if (src instanceof Ctor && src.length === n) return makeValues(type, n, src as NumArray, valid);
  const out = new Ctor(n);
  // Input value buffers may be padded past the row count.
  out.set(ArrayBuffer.isView(src) ? (src as NumArray).subarray(0, n) : src);
  return makeValues(type, n, out, valid);
}

/** A fresh output array for numbers of type `t` (Float64Array for 64-bit kinds). */
export function allocNumbers(t: TypeJSON, n: number): NumArray {
  if (is64(t)) return new Float64Array(n);
  const Ctor = ctorOf(t);
  if (!Ctor) throw new InternalError(`allocNumbers: ${String(t)} is not numeric`);
  return new Ctor(n);
}
