// Thrift compact protocol, as Parquet footers use it: a bounds-checked reader into typed nodes and a writer that gives the same bytes back.
/** Thrown for bytes that are not a well-formed footer; the caller adds the file name. */
export class FooterError extends Error {}

/** Thrift compact protocol type ids. */
export enum T { Stop = 0, True = 1, False = 2, Byte = 3, I16 = 4, I32 = 5, I64 = 6, Double = 7, Binary = 8, List = 9, Set = 10, Map = 11, Struct = 12 }

/** A Thrift value with its type, kept whole so that it is written back byte for byte. */
export type Node =
  | { t: T.True | T.False }
  | { t: T.Byte; v: number }
  | { t: T.I16 | T.I32 | T.I64; v: bigint }
  | { t: T.Double; raw: Uint8Array }
  | { t: T.Binary; v: Uint8Array }
  | { t: T.List | T.Set; et: number; items: Node[] }
  | { t: T.Map; kt: number; vt: number; entries: [Node, Node][] }
  | { t: T.Struct; fields: Map<number, Node> };

const MAX_DEPTH = 32;

export class Reader {
  pos = 0;
  constructor(private readonly b: Uint8Array) {}
  private need(n: number): void {
    if (n < 0 || this.pos + n > this.b.length) throw new FooterError(`the footer ends inside a value (at byte ${this.pos} of ${this.b.length})`);
  }
  byte(): number { this.need(1); return this.b[this.pos++]; }
  varint(): bigint {
    let out = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const x = this.byte();
      out |= BigInt(x & 0x7f) << shift;
      if (!(x & 0x80)) return out;
    }
    throw new FooterError('a varint in the footer is longer than 10 bytes');
  }
  zigzag(): bigint { const v = this.varint(); return (v >> 1n) ^ -(v & 1n); }
  size(): number {
    const n = Number(this.varint());
    if (n > this.b.length - this.pos) throw new FooterError(`a length in the footer (${n}) is larger than the footer`);
    return n;
  }
  bytes(n: number): Uint8Array { this.need(n); const v = this.b.subarray(this.pos, this.pos + n); this.pos += n; return v; }

  value(t: number, depth: number): Node {
    if (depth > MAX_DEPTH) throw new FooterError('the footer nests deeper than any Parquet footer');
    switch (t) {
      case T.True: case T.False: return { t };
      case T.Byte: return { t, v: this.byte() };
      case T.I16: case T.I32: case T.I64: return { t, v: this.zigzag() };
      case T.Double: return { t, raw: this.bytes(8) };
      case T.Binary: return { t, v: this.bytes(this.size()) };
      case T.List: case T.Set: {
        const h = this.byte();
        const n = h >> 4 === 15 ? this.size() : h >> 4;
        const et = h & 0x0f;
        const items: Node[] = [];
        // A bool element is one byte of its own: kept as that byte.
        for (let i = 0; i < n; i++) items.push(et === T.True || et === T.False ? { t: T.Byte, v: this.byte() } : this.value(et, depth + 1));
        return { t, et, items };
      }
      case T.Map: {
        const n = this.size();
        if (n === 0) return { t, kt: 0, vt: 0, entries: [] };
        const kv = this.byte();
        const entries: [Node, Node][] = [];
        for (let i = 0; i < n; i++) entries.push([this.value(kv >> 4, depth + 1), this.value(kv & 0x0f, depth + 1)]);
        return { t, kt: kv >> 4, vt: kv & 0x0f, entries };
      }
      case T.Struct: {
        const fields = new Map<number, Node>();
        let id = 0;
        for (;;) {
          const h = this.byte();
          const ft = h & 0x0f;
          if (ft === T.Stop) return { t, fields };
          id = h >> 4 ? id + (h >> 4) : Number(this.zigzag());
          fields.set(id, this.value(ft, depth + 1));
        }
      }
      default: throw new FooterError(`unknown Thrift type ${t} in the footer`);
    }
  }
}

export class Writer {
  private readonly out: number[] = [];
  private chunks: Uint8Array[] = [];
  private flush(): void { if (this.out.length) { this.chunks.push(Uint8Array.from(this.out)); this.out.length = 0; } }
  byte(b: number): void { this.out.push(b & 0xff); }
  raw(b: Uint8Array): void { this.flush(); this.chunks.push(b); }
  varint(v: bigint): void {
    for (;;) {
      if (v < 0x80n) { this.byte(Number(v)); return; }
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
  }
  zigzag(v: bigint): void { this.varint(v >= 0n ? v << 1n : ((-v) << 1n) - 1n); }

  value(n: Node): void {
    switch (n.t) {
      case T.True: case T.False: return; // in a struct, the field header carries it
      case T.Byte: this.byte(n.v); return;
      case T.I16: case T.I32: case T.I64: this.zigzag(n.v); return;
      case T.Double: this.raw(n.raw); return;
      case T.Binary: this.varint(BigInt(n.v.length)); this.raw(n.v); return;
      case T.List: case T.Set:
        if (n.items.length < 15) this.byte((n.items.length << 4) | n.et);
        else { this.byte(0xf0 | n.et); this.varint(BigInt(n.items.length)); }
        for (const i of n.items) this.value(i);
        return;
      case T.Map:
        this.varint(BigInt(n.entries.length));
        if (n.entries.length === 0) return;
        this.byte((n.kt << 4) | n.vt);
        for (const [k, v] of n.entries) { this.value(k); this.value(v); }
        return;
      case T.Struct: {
        let last = 0;
        for (const [id, f] of n.fields) {
          const delta = id - last;
          if (delta > 0 && delta <= 15) this.byte((delta << 4) | f.t);
          else { this.byte(f.t); this.zigzag(BigInt(id)); }
          this.value(f);
          last = id;
        }
        this.byte(T.Stop);
      }
    }
  }
  bytes(): Uint8Array {
    this.flush();
    return Buffer.concat(this.chunks);
  }
}
