// ProtoWriter: the few protobuf wire-format encodings an ONNX model needs (varints, strings, bytes, nested messages).
//
// Fields are written in the order the caller gives; protobuf readers accept any order, and
// repeated fields are simply written once per element (packed encoding is optional to read).

/** Protobuf wire types (the low 3 bits of a field key). */
export enum WireType {
  Varint = 0,
  Fixed64 = 1,
  LengthDelimited = 2,
  Fixed32 = 5,
}

export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private cur = new Uint8Array(256);
  private pos = 0;

  private reserve(n: number): void {
    if (this.pos + n <= this.cur.length) return;
    this.chunks.push(this.cur.subarray(0, this.pos));
    this.cur = new Uint8Array(Math.max(256, n));
    this.pos = 0;
  }

  /** A non-negative integer (or -1 style int64s, written as 10-byte two's complement) as a varint. */
  private varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    this.reserve(10);
    // Numbers below 2^31 take the fast path: nearly every tag, length and dim is small.
    if (x < 0x80000000n) {
      let n = Number(x);
      while (n >= 0x80) { this.cur[this.pos++] = (n & 0x7f) | 0x80; n >>>= 7; }
      this.cur[this.pos++] = n;
      return;
    }
    while (x >= 0x80n) { this.cur[this.pos++] = Number(x & 0x7fn) | 0x80; x >>= 7n; }
    this.cur[this.pos++] = Number(x);
  }

  private key(field: number, wire: WireType): void {
    this.varint((field << 3) | wire);
  }

  private raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.cur.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** int32, int64, enum and bool fields. */
  int(field: number, v: number | bigint): this {
    this.key(field, WireType.Varint);
    this.varint(v);
    return this;
  }

  float(field: number, v: number): this {
    this.key(field, WireType.Fixed32);
    this.reserve(4);
    new DataView(this.cur.buffer, this.cur.byteOffset + this.pos, 4).setFloat32(0, v, true);
    this.pos += 4;
    return this;
  }

  bytes(field: number, v: Uint8Array): this {
    this.key(field, WireType.LengthDelimited);
    this.varint(v.length);
    this.raw(v);
    return this;
  }

  string(field: number, v: string): this {
    return this.bytes(field, new TextEncoder().encode(v));
  }

  /** A nested message, built by `build` on a fresh writer (its length must precede it). */
  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    const parts = [...this.chunks, this.cur.subarray(0, this.pos)];
    const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  }
}
