// Growable column builders that readers fill row by row and turn into offset-0 arrow.Data.
import * as arrow from 'apache-arrow';
import { InternalError } from '../errors.ts';
import { toArrowType, type FieldJSON, type PrimitiveTypeName } from '../types.ts';

type NumArray = Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

/** Validity, one byte per row while building; packed into a bitmap by finish(). Nested builders (json-nested.ts) extend it too. */
export abstract class BuilderBase {
  length = 0;
  protected valid: Uint8Array;
  protected nulls = 0;
  readonly type: arrow.DataType;

  constructor(readonly field: FieldJSON, capacity: number) {
    this.type = toArrowType(field.type);
    this.valid = new Uint8Array(Math.max(capacity, 16));
  }

  protected growValid(): void {
    if (this.length < this.valid.length) return;
    const v = new Uint8Array(this.valid.length * 2);
    v.set(this.valid);
    this.valid = v;
  }

  appendNull(): void {
    this.growValid();
    this.valid[this.length] = 0;
    this.nulls++;
    this.pushNullValue();
    this.length++;
  }

  protected markValid(): void {
    this.growValid();
    this.valid[this.length] = 1;
    this.length++;
  }

  /** Drops rows from `n` on (a row whose later field failed to parse). */
  truncate(n: number): void {
    for (let i = n; i < this.length; i++) if (!this.valid[i]) this.nulls--;
    this.length = Math.min(this.length, n);
    this.truncateValues(n);
  }

  protected bitmap(): Uint8Array | undefined {
    if (this.nulls === 0) return undefined;
    const n = this.length;
    const bm = new Uint8Array((n + 7) >> 3);
    for (let i = 0; i < n; i++) if (this.valid[i]) bm[i >> 3] |= 1 << (i & 7);
    return bm;
  }

  protected abstract pushNullValue(): void;
  protected abstract truncateValues(n: number): void;
  /** Returns the column and resets the builder for the next batch. */
  abstract finish(): arrow.Data;

  protected resetBase(): void {
    this.length = 0;
    this.nulls = 0;
  }
}

/** Fixed-width numbers, dates (days) and timestamps (ms, as bigint). */
export class NumberBuilder extends BuilderBase {
  private values: NumArray;
  private readonly Ctor: new (n: number) => NumArray;

  constructor(field: FieldJSON, capacity: number) {
    super(field, capacity);
    this.Ctor = (this.type as any).ArrayType;
    this.values = new this.Ctor(Math.max(capacity, 16));
  }

  private grow(): void {
    if (this.length < this.values.length) return;
    const v = new this.Ctor(this.values.length * 2);
    v.set(this.values as any);
    this.values = v;
  }

  /** `v` MUST be a bigint for 64-bit types and timestamps, a number otherwise. */
  append(v: number | bigint): void {
    this.grow();
    (this.values as any)[this.length] = v;
    this.markValid();
  }

  protected pushNullValue(): void {
    this.grow();
    (this.values as any)[this.length] = this.values instanceof BigInt64Array || this.values instanceof BigUint64Array ? 0n : 0;
  }

  protected truncateValues(): void { /* values past length are ignored */ }

  finish(): arrow.Data {
    const data = this.values.slice(0, this.length);
    const out = arrow.makeData({ type: this.type, length: this.length, nullCount: this.nulls, nullBitmap: this.bitmap(), data } as any);
    this.resetBase();
    return out;
  }
}

export class BoolBuilder extends BuilderBase {
  private values: Uint8Array;

  constructor(field: FieldJSON, capacity: number) {
    super(field, capacity);
    this.values = new Uint8Array(Math.max(capacity, 16));
  }

  append(v: boolean): void {
    if (this.length >= this.values.length) { const b = new Uint8Array(this.values.length * 2); b.set(this.values); this.values = b; }
    this.values[this.length] = v ? 1 : 0;
    this.markValid();
  }

  protected pushNullValue(): void {
    if (this.length >= this.values.length) { const b = new Uint8Array(this.values.length * 2); b.set(this.values); this.values = b; }
    this.values[this.length] = 0;
  }

  protected truncateValues(): void { /* values past length are ignored */ }

  finish(): arrow.Data {
    const n = this.length;
    const bits = new Uint8Array((n + 7) >> 3);
    for (let i = 0; i < n; i++) if (this.values[i]) bits[i >> 3] |= 1 << (i & 7);
    const out = arrow.makeData({ type: this.type, length: n, nullCount: this.nulls, nullBitmap: this.bitmap(), data: bits } as any);
    this.resetBase();
    return out;
  }
}

/** Utf8 built from bytes (no JS string per value on the byte paths). */
export class Utf8Builder extends BuilderBase {
  private offsets: Int32Array;
  private bytes: Uint8Array;
  private used = 0;

  constructor(field: FieldJSON, capacity: number, byteCapacity = capacity * 16) {
    super(field, capacity);
    this.offsets = new Int32Array(Math.max(capacity, 16) + 1);
    this.bytes = new Uint8Array(Math.max(byteCapacity, 64));
  }

  private reserve(rowsMore: number, bytesMore: number): void {
    if (this.length + rowsMore >= this.offsets.length) {
      const o = new Int32Array(Math.max(this.offsets.length * 2, this.length + rowsMore + 1));
      o.set(this.offsets);
      this.offsets = o;
    }
    if (this.used + bytesMore > this.bytes.length) {
      const b = new Uint8Array(Math.max(this.bytes.length * 2, this.used + bytesMore));
      b.set(this.bytes.subarray(0, this.used));
      this.bytes = b;
    }
  }

  appendBytes(src: Uint8Array, a: number, b: number): void {
    const n = b - a;
    this.reserve(1, n);
    const out = this.bytes;
    let w = this.used;
    if (n < 24) for (let i = a; i < b; i++) out[w++] = src[i];
    else { out.set(src.subarray(a, b), w); w += n; }
    this.used = w;
    this.offsets[this.length + 1] = w;
    this.markValid();
  }

  /** Appends src[a, b) with every doubled `quote` byte collapsed to one (CSV escaping). */
  appendUnescaped(src: Uint8Array, a: number, b: number, quote: number): void {
    this.reserve(1, b - a);
    const out = this.bytes;
    let w = this.used;
    for (let i = a; i < b; i++) {
      const c = src[i];
      out[w++] = c;
      if (c === quote && i + 1 < b && src[i + 1] === quote) i++;
    }
    this.used = w;
    this.offsets[this.length + 1] = w;
    this.markValid();
  }

  appendString(s: string): void {
    this.reserve(1, s.length * 3);
    const { written } = ENCODER.encodeInto(s, this.bytes.subarray(this.used));
    this.used += written;
    this.offsets[this.length + 1] = this.used;
    this.markValid();
  }

  protected pushNullValue(): void {
    this.reserve(1, 0);
    this.offsets[this.length + 1] = this.used;
  }

  protected truncateValues(n: number): void {
    this.used = this.offsets[n];
  }

  finish(): arrow.Data {
    const n = this.length;
    const out = arrow.makeData({
      type: this.type, length: n, nullCount: this.nulls, nullBitmap: this.bitmap(),
      valueOffsets: this.offsets.slice(0, n + 1), data: this.bytes.slice(0, this.used),
    } as any);
    this.resetBase();
    this.used = 0;
    return out;
  }
}

const ENCODER = new TextEncoder();

export type ColumnBuilder = NumberBuilder | BoolBuilder | Utf8Builder;

export function makeBuilder(field: FieldJSON, capacity: number): ColumnBuilder {
  const t = field.type as PrimitiveTypeName;
  switch (t) {
    case 'bool': return new BoolBuilder(field, capacity);
    case 'utf8': return new Utf8Builder(field, capacity);
    case 'int8': case 'int16': case 'int32': case 'int64':
    case 'uint8': case 'uint16': case 'uint32': case 'uint64':
    case 'float32': case 'float64': case 'date32': case 'timestamp_ms':
      return new NumberBuilder(field, capacity);
  }
  throw new InternalError(`no column builder for type ${JSON.stringify(field.type)}`);
}
