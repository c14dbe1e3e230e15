// Arrow IPC layout check: every message length, flatbuffer offset and buffer bound of a file, before apache-arrow decodes it.

/**
 * apache-arrow trusts the lengths it reads: a file whose prefix was doubled sends its file reader
 * to a footer block that points into the wrong bytes, and it then spins at 100% CPU forever; other
 * corrupt lengths make it wait for bytes that never come or build huge arrays. This walk reads
 * only the framing and the metadata (never a batch's body), checks that each length fits what
 * holds it, and throws LayoutError otherwise; a file that passes is safe to hand to the decoder.
 */
export class LayoutError extends Error {}

/** Positioned read of `n` bytes at `pos` (fewer at the end of the file). */
export type ReadAt = (pos: number, n: number) => Uint8Array;

export const ARROW_MAGIC = Buffer.from('ARROW1');
const CONTINUATION = 0xffffffff;
const MAX_INT32 = 2 ** 31 - 1;
/** Schema fields, key-value pairs and nesting levels visited at most: flatbuffers may share subtables, so a few bytes could describe an exponential tree. */
const MAX_VISITS = 100_000;
const MAX_DEPTH = 64;

/** MessageHeader union tags (Message.fbs). */
enum Header { Schema = 1, DictionaryBatch = 2, RecordBatch = 3 }

/** A bounds-checked reader of one flatbuffer (Message or Footer). */
class Flatbuffer {
  private visits = 0;
  constructor(private readonly b: Uint8Array, private readonly what: string) {}

  private need(pos: number, n: number): void {
    if (!(pos >= 0 && n >= 0 && pos + n <= this.b.length)) throw new LayoutError(`${this.what}: an offset points outside its ${this.b.length} bytes`);
  }
  u8(p: number): number { this.need(p, 1); return this.b[p]; }
  u16(p: number): number { this.need(p, 2); return this.b[p] | (this.b[p + 1] << 8); }
  i32(p: number): number { this.need(p, 4); return this.b[p] | (this.b[p + 1] << 8) | (this.b[p + 2] << 16) | (this.b[p + 3] << 24); }
  u32(p: number): number { return this.i32(p) >>> 0; }
  /** An int64 that must be a safe non-negative integer (every length and offset here is). */
  count(p: number, what: string, max = Number.MAX_SAFE_INTEGER): number {
    const lo = this.u32(p), hi = this.i32(p + 4);
    const v = hi * 2 ** 32 + lo;
    if (!(v >= 0 && v <= max)) throw new LayoutError(`${this.what}: ${what} is ${hi < 0 ? 'negative' : `${v}`}, which cannot be right`);
    return v;
  }
  tick(depth: number): void {
    if (++this.visits > MAX_VISITS || depth > MAX_DEPTH) throw new LayoutError(`${this.what}: the metadata nests deeper or wider than any Arrow schema`);
  }

  root(): number { return this.ref(0); }
  /** The target of the uoffset at `p`. */
  ref(p: number): number { const t = p + this.u32(p); this.need(t, 4); return t; }
  /** Position of field `i` of the table at `t`, or -1 when absent. */
  field(t: number, i: number): number {
    const vt = t - this.i32(t);
    const vtSize = this.u16(vt), tableSize = this.u16(vt + 2);
    if (vtSize < 4 || vtSize % 2 !== 0) throw new LayoutError(`${this.what}: a table's vtable is malformed`);
    this.need(vt, vtSize);
    this.need(t, tableSize);
    if (4 + 2 * i >= vtSize) return -1;
    const off = this.u16(vt + 4 + 2 * i);
    if (off === 0) return -1;
    if (off >= tableSize) throw new LayoutError(`${this.what}: a table field lies outside its table`);
    return t + off;
  }
  /** The table a field refers to, or -1. */
  table(t: number, i: number): number { const p = this.field(t, i); return p < 0 ? -1 : this.ref(p); }
  /** Start and length of the vector a field refers to, its elements `size` bytes each. */
  vector(t: number, i: number, size: number): { start: number; n: number } {
    const p = this.field(t, i);
    if (p < 0) return { start: 0, n: 0 };
    const v = this.ref(p);
    const n = this.u32(v);
    if (n * size > this.b.length - v - 4) throw new LayoutError(`${this.what}: a list of ${n} entries is longer than the metadata`);
    return { start: v + 4, n };
  }
  string(t: number, i: number): void { this.vector(t, i, 1); }
}

/** A Schema table: fields (recursively), their types, dictionaries and key-value metadata. */
function checkSchema(fb: Flatbuffer, schema: number): void {
  const keyValues = (t: number, depth: number): void => {
    const kv = fb.vector(t, 2, 4);
    for (let k = 0; k < kv.n; k++) { fb.tick(depth); const e = fb.ref(kv.start + 4 * k); fb.string(e, 0); fb.string(e, 1); }
  };
  const fields = (t: number, slot: number, depth: number): void => {
    const v = fb.vector(t, slot, 4);
    for (let k = 0; k < v.n; k++) {
      fb.tick(depth);
      const f = fb.ref(v.start + 4 * k);
      fb.string(f, 0);
      const tag = fb.field(f, 2);
      if (tag >= 0 && fb.u8(tag) !== 0 && fb.table(f, 3) < 0) throw new LayoutError('a field has a type tag but no type');
      const dict = fb.table(f, 4);
      if (dict >= 0) fb.table(dict, 1);
      fields(f, 5, depth + 1);
      const meta = fb.vector(f, 6, 4);
      for (let m = 0; m < meta.n; m++) { fb.tick(depth); const e = fb.ref(meta.start + 4 * m); fb.string(e, 0); fb.string(e, 1); }
    }
  };
  fields(schema, 1, 0);
  keyValues(schema, 0);
  fb.vector(schema, 3, 8);
}

/** A RecordBatch table: its length, field nodes and buffers, each buffer inside the body. */
function checkRecordBatch(fb: Flatbuffer, rb: number, bodyLength: number): void {
  const lengthAt = fb.field(rb, 0);
  const length = lengthAt < 0 ? 0 : fb.count(lengthAt, 'the record batch length', MAX_INT32);
  const nodes = fb.vector(rb, 1, 16);
  for (let k = 0; k < nodes.n; k++) {
    const n = fb.count(nodes.start + 16 * k, `column node ${k}'s length`, MAX_INT32);
    const nulls = fb.count(nodes.start + 16 * k + 8, `column node ${k}'s null count`, MAX_INT32);
    if (nulls > n) throw new LayoutError(`column node ${k} has ${nulls} nulls in ${n} values`);
  }
  const buffers = fb.vector(rb, 2, 16);
  for (let k = 0; k < buffers.n; k++) {
    const off = fb.count(buffers.start + 16 * k, `buffer ${k}'s offset`);
    const len = fb.count(buffers.start + 16 * k + 8, `buffer ${k}'s length`);
    if (off + len > bodyLength) throw new LayoutError(`buffer ${k} (bytes ${off}..${off + len}) lies outside its message body of ${bodyLength} bytes (batch of ${length} rows)`);
  }
  fb.vector(rb, 4, 8);
}

/** One Message flatbuffer: its header kind, checked, and its body length. */
function checkMessage(bytes: Uint8Array, where: string): { header: Header; bodyLength: number } {
  const fb = new Flatbuffer(bytes, `the message at ${where}`);
  const m = fb.root();
  const typeAt = fb.field(m, 1);
  const header = typeAt < 0 ? 0 : fb.u8(typeAt);
  const h = fb.table(m, 2);
  const bodyAt = fb.field(m, 3);
  const bodyLength = bodyAt < 0 ? 0 : fb.count(bodyAt, 'the body length');
  if (h < 0) throw new LayoutError(`the message at ${where} has no header`);
  switch (header) {
    case Header.Schema: checkSchema(fb, h); break;
    case Header.DictionaryBatch: { const data = fb.table(h, 1); if (data < 0) throw new LayoutError(`the dictionary at ${where} has no data`); checkRecordBatch(fb, data, bodyLength); break; }
    case Header.RecordBatch: checkRecordBatch(fb, h, bodyLength); break;
    default: throw new LayoutError(`the message at ${where} is of kind ${header}, not a schema, dictionary or record batch`);
  }
  return { header, bodyLength };
}

const i32At = (b: Uint8Array, p: number): number => Buffer.from(b.buffer, b.byteOffset, b.byteLength).readInt32LE(p);

/**
 * Reads the message prefix at `pos` (continuation marker and metadata length, or the pre-1.0 bare
 * length) and checks the message. `end` is the end of the bytes it may use.
 */
function messageAt(read: ReadAt, pos: number, end: number): { header: Header; metaEnd: number; bodyLength: number } | { eos: number } {
  const what = `byte ${pos}`;
  if (pos + 4 > end) throw new LayoutError(`the data ends inside the message at ${what}: the file is truncated`);
  let p = pos;
  let len = i32At(read(p, 4), 0);
  p += 4;
  if (len >>> 0 === CONTINUATION) {
    if (p + 4 > end) throw new LayoutError(`the data ends inside the message at ${what}: the file is truncated`);
    len = i32At(read(p, 4), 0);
    p += 4;
  }
  if (len === 0) return { eos: p };
  if (len < 0 || len > end - p) throw new LayoutError(`the message at ${what} declares ${len} metadata bytes, but only ${end - p} follow`);
  // Writers pad the metadata so that the body starts 8-byte aligned: a length that breaks this
  // would shift every buffer of the body, and the decoder would return wrong values silently.
  if ((p + len) % 8 !== 0) throw new LayoutError(`the message at ${what} declares ${len} metadata bytes, which would leave its body unaligned: a length field is corrupt`);
  const m = checkMessage(read(p, len), what);
  if (m.bodyLength > end - p - len) throw new LayoutError(`the body of the message at ${what} (${m.bodyLength} bytes) ends past the end of the data: the file is truncated or its lengths are corrupt`);
  return { header: m.header, metaEnd: p + len, bodyLength: m.bodyLength };
}

/** The stream format: a schema, then dictionaries and batches, then the end-of-stream marker, then nothing. */
function checkStream(read: ReadAt, size: number): void {
  if (size === 0) throw new LayoutError('the file is empty');
  let pos = 0;
  for (let k = 0; ; k++) {
    if (pos >= size) throw new LayoutError(`the stream ends after ${k} messages without its end-of-stream marker: the file is truncated (cut short, or its writer was not closed)`);
    const m = messageAt(read, pos, size);
    if ('eos' in m) {
      if (k === 0) throw new LayoutError('the stream ends before its schema');
      if (m.eos !== size) throw new LayoutError(`${size - m.eos} bytes follow the end-of-stream marker at byte ${pos}: a length field is corrupt, or two files were joined`);
      return;
    }
    if ((k === 0) !== (m.header === Header.Schema)) throw new LayoutError(k === 0 ? 'the stream does not start with a schema' : `a second schema at byte ${pos}`);
    pos = m.metaEnd + m.bodyLength;
  }
}

/** The file format: 'ARROW1', padding, messages, the footer (schema and the blocks that locate each message), its length, 'ARROW1'. */
function checkFile(read: ReadAt, size: number): void {
  if (size < 8 + 4 + 6 || !Buffer.from(read(size - 6, 6)).equals(ARROW_MAGIC)) {
    throw new LayoutError(`the file starts as an Arrow IPC file but does not end with its footer and 'ARROW1': it is truncated (cut short, or its writer was not closed)`);
  }
  const footerLen = i32At(read(size - 10, 4), 0);
  const footerStart = size - 10 - footerLen;
  if (footerLen <= 0 || footerStart < 8) throw new LayoutError(`the footer length (${footerLen}) does not fit in the file`);
  const fb = new Flatbuffer(read(footerStart, footerLen), 'the footer');
  const footer = fb.root();
  const schema = fb.table(footer, 1);
  if (schema < 0) throw new LayoutError('the footer has no schema');
  checkSchema(fb, schema);
  for (const [slot, header] of [[2, Header.DictionaryBatch], [3, Header.RecordBatch]] as const) {
    const blocks = fb.vector(footer, slot, 24);
    for (let k = 0; k < blocks.n; k++) {
      const b = blocks.start + 24 * k;
      const offset = fb.count(b, 'a block offset');
      const metaLen = fb.i32(b + 8);
      const bodyLen = fb.count(b + 16, 'a block body length');
      const what = `${header === Header.RecordBatch ? 'record batch' : 'dictionary'} block ${k}`;
      if (offset < 8 || metaLen <= 0 || offset + metaLen + bodyLen > footerStart) {
        throw new LayoutError(`the footer's ${what} (bytes ${offset}..${offset + Math.max(metaLen, 0) + bodyLen}) lies outside the file's messages (bytes 8..${footerStart})`);
      }
      const m = messageAt(read, offset, offset + metaLen + bodyLen);
      if ('eos' in m || m.header !== header) throw new LayoutError(`the footer's ${what} does not point at a ${header === Header.RecordBatch ? 'record batch' : 'dictionary'} message`);
      // The decoder finds the body after the metadata length in the message: it must agree with
      // the block, or the body is read from the wrong place.
      if (m.metaEnd !== offset + metaLen) throw new LayoutError(`the message of the footer's ${what} has ${m.metaEnd - offset} bytes of metadata, the block says ${metaLen}: a length field is corrupt`);
    }
  }
}

/**
 * Checks a whole IPC file or stream of `size` bytes; returns whether it is the file format.
 * Throws LayoutError naming what is wrong and where.
 */
export function checkArrowLayout(read: ReadAt, size: number): { fileFormat: boolean } {
  const fileFormat = size >= 6 && Buffer.from(read(0, 6)).equals(ARROW_MAGIC);
  if (fileFormat) checkFile(read, size);
  else checkStream(read, size);
  return { fileFormat };
}
