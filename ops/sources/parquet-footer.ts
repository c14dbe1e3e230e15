// Parquet footer reader: row counts and sizes of the row groups, from the Thrift compact bytes, bounds-checked.

/** What splitting and count(*) need of a row group. */
export interface RowGroupInfo {
  numRows: number;
  /** Compressed bytes of its column chunks. */
  compressedSize: number;
}

/** Thrift compact protocol type ids. */
enum TType { Stop = 0, True = 1, False = 2, Byte = 3, I16 = 4, I32 = 5, I64 = 6, Double = 7, Binary = 8, List = 9, Set = 10, Map = 11, Struct = 12 }

type Value = number | boolean | Uint8Array | Value[] | Struct | null;
type Struct = Map<number, Value>;

/** Thrown for bytes that are not a well-formed footer; the caller adds the file name. */
export class FooterError extends Error {}

const MAX_DEPTH = 32;

/** A compact-protocol reader over `b` that never reads past its end. */
class Reader {
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
  zigzag(): number { const v = this.varint(); return Number((v >> 1n) ^ -(v & 1n)); }
  size(): number {
    const n = Number(this.varint());
    // Every element takes at least one byte: a larger count is a corrupt length, not a big footer.
    if (n > this.b.length - this.pos) throw new FooterError(`a length in the footer (${n}) is larger than the footer`);
    return n;
  }

  value(t: number, depth: number): Value {
    if (depth > MAX_DEPTH) throw new FooterError('the footer nests deeper than any Parquet footer');
    switch (t) {
      case TType.True: return true;
      case TType.False: return false;
      case TType.Byte: return this.byte();
      case TType.I16: case TType.I32: case TType.I64: return this.zigzag();
      case TType.Double: this.need(8); this.pos += 8; return null;
      case TType.Binary: { const n = this.size(); const v = this.b.subarray(this.pos, this.pos + n); this.pos += n; return v; }
      case TType.List: case TType.Set: {
        const h = this.byte();
        const n = h >> 4 === 15 ? this.size() : h >> 4;
        const et = h & 0x0f;
        const out: Value[] = [];
        // Booleans in a list are one byte each (1 = true).
        for (let i = 0; i < n; i++) out.push(et === TType.True || et === TType.False ? this.byte() === 1 : this.value(et, depth + 1));
        return out;
      }
      case TType.Map: {
        const n = this.size();
        if (n === 0) return null;
        const kv = this.byte();
        for (let i = 0; i < n; i++) { this.value(kv >> 4, depth + 1); this.value(kv & 0x0f, depth + 1); }
        return null;
      }
      case TType.Struct: {
        const out: Struct = new Map();
        let id = 0;
        for (;;) {
          const h = this.byte();
          const ft = h & 0x0f;
          if (ft === TType.Stop) return out;
          id = h >> 4 ? id + (h >> 4) : this.zigzag();
          out.set(id, this.value(ft, depth + 1));
        }
      }
      default: throw new FooterError(`unknown Thrift type ${t} in the footer`);
    }
  }
}

const num = (v: Value | undefined, what: string): number => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new FooterError(`${what} is ${v === undefined ? 'missing' : `not a valid count (${String(v)})`}`);
  return v;
};

/**
 * The row groups of a Parquet FileMetaData (the footer's bytes, without its length and 'PAR1').
 * Throws FooterError for bytes that do not parse or counts that cannot be right.
 */
export function parseFooter(footer: Uint8Array): RowGroupInfo[] {
  const meta = new Reader(footer).value(TType.Struct, 0) as Struct;
  const groups = meta.get(4);
  if (!Array.isArray(groups)) throw new FooterError('the footer lists no row groups');
  const total = num(meta.get(3), 'the file row count');
  const out = groups.map((g, i): RowGroupInfo => {
    if (!(g instanceof Map)) throw new FooterError(`row group ${i} is not a struct`);
    const columns = g.get(1);
    if (!Array.isArray(columns)) throw new FooterError(`row group ${i} lists no columns`);
    let bytes = 0;
    for (const c of columns) {
      const m = c instanceof Map ? c.get(3) : undefined;
      if (m instanceof Map) bytes += num(m.get(7), `row group ${i}'s compressed size`);
    }
    const sized = g.get(6);
    return { numRows: num(g.get(3), `row group ${i}'s row count`), compressedSize: bytes || (typeof sized === 'number' && sized > 0 ? sized : 0) };
  });
  const sum = out.reduce((s, g) => s + g.numRows, 0);
  if (sum !== total) throw new FooterError(`the row groups hold ${sum} rows, the footer says ${total}`);
  return out;
}
