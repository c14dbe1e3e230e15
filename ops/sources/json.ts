// JSON lines reader: one object per line; schema inferred from a sample (keys in first-seen order).
//
// Nested objects are read as structs and arrays as lists (json-nested.ts; a schema may also
// declare maps), and a utf8 column holds a nested value's JSON text. Numbers go through
// JSON.parse, which rounds integers beyond 2^53: when the schema has an int64/uint64 column (at
// the top level, or inside a struct, list or map), integer tokens of 16 or more digits are quoted
// before parsing, so they read back exactly (the json sink writes int64 as plain numbers, as
// DuckDB and Spark do); strings of digits are read as integers too. A value read
// into a column MUST be valid UTF-8; one that is not makes its record bad (failfast: a DataError
// naming file, line and key; permissive: quarantined), checked once per buffer on the fast path.
// Bad records do not depend on the projection: every key of the schema is read (requested
// columns) or checked (the others), so count(), collect() and every select see the same rows.
import type * as arrow from 'apache-arrow';
import { isUtf8 } from 'node:buffer';
import { makeBatch } from '../compute/batch.ts';
import type { TaskContext } from '../exec-plan.ts';
import { isMap, isStruct, listElement, toArrowSchema, type FieldJSON, type PrimitiveTypeName, type TypeJSON } from '../types.ts';
import { BadRecords, ReadEnd } from './bad-records.ts';
import type { BoolBuilder, ColumnBuilder, NumberBuilder, Utf8Builder } from './builders.ts';
import { inferredType, inferValue, jsonColumn, mergeInferred, type Inferred, type ValueReader } from './json-nested.ts';
import type { ReadOptions } from './options.ts';
import { HeadReader, RangeReader } from './range-reader.ts';
import type { SplitJSON } from './splits.ts';
import {
  describeType, invalidUtf8, parseDateText, parseFloatText, parseIntText, parseTimestampText, type InferredKind,
} from './values.ts';

const NL = 10;

/** What forEachLine hands its callback: a non-blank line (text without the line break), or one too long to read. */
interface Line {
  text: string;
  /** File offset of the line's first byte. */
  offset: number;
  /** The line exceeded maxRecordBytes: `text` holds its start only, the rest was skipped. */
  tooLong: boolean;
  /** The line's bytes when they are not valid UTF-8 (`text` then holds U+FFFD for the bad bytes). */
  invalid?: Buffer;
}

/** Calls `each` with every non-blank line a split owns; stops early when `each` returns false. */
async function forEachLine(r: RangeReader, maxRecordBytes: number, each: (line: Line) => Promise<boolean | void>): Promise<void> {
  // File offsets up to which bytes are known valid UTF-8, or known to hold invalid bytes (then
  // each line is checked): a buffer is validated once, lines only where it fails.
  let utf8Ok = -1, utf8Bad = -1;
  while (!r.done) {
    const buf = r.buf;
    const nl = buf.indexOf(NL, r.pos);
    if (nl < 0 || nl >= r.len) {
      if (!r.eof && r.len - r.pos >= maxRecordBytes) {
        const offset = r.offset;
        const text = buf.toString('utf8', r.pos, r.pos + 1024);
        await skipLine(r);
        if ((await each({ text, offset, tooLong: true })) === false) return;
        continue;
      }
      if (!r.eof) { await r.fill(); continue; }
    }
    const end = nl < 0 || nl >= r.len ? r.len : nl;
    const start = r.pos;
    r.pos = Math.min(end + 1, r.len);
    let e = end;
    if (e > start && buf[e - 1] === 13) e--;
    if (isBlank(buf, start, e)) continue;
    let invalid: Buffer | undefined;
    if (r.base + e > utf8Ok) {
      if (r.base + e > utf8Bad) {
        const w = Math.max(e, r.eof ? r.len : buf.lastIndexOf(NL, r.len - 1) + 1);
        if (isUtf8(buf.subarray(start, w))) utf8Ok = r.base + w; else utf8Bad = r.base + w;
      }
      if (r.base + e > utf8Ok && !isUtf8(buf.subarray(start, e))) invalid = Buffer.from(buf.subarray(start, e));
    }
    if ((await each({ text: buf.toString('utf8', start, e), offset: r.base + start, tooLong: false, invalid })) === false) return;
  }
}

/** Discards bytes through the next line break. */
async function skipLine(r: RangeReader): Promise<void> {
  for (;;) {
    const nl = r.buf.indexOf(NL, r.pos);
    if (nl >= 0 && nl < r.len) { r.pos = nl + 1; return; }
    r.pos = r.len;
    if (!(await r.fill())) return;
  }
}

function isBlank(buf: Buffer, a: number, e: number): boolean {
  for (let i = a; i < e; i++) { const c = buf[i]; if (c !== 32 && c !== 9 && c !== 13) return false; }
  return true;
}

/** The kind of a primitive JSON value (objects and arrays are json-nested.ts's). */
function kindOf(v: unknown): InferredKind {
  switch (typeof v) {
    case 'number':
      if (!Number.isInteger(v)) return 'float64';
      if (v >= -2147483648 && v <= 2147483647) return 'int32';
      return v >= -(2 ** 63) && v < 2 ** 63 ? 'int64' : 'float64'; // -2^63 is an int64
    case 'boolean': return 'bool';
    case 'string': return 'utf8';
    case 'object': return v === null ? 'null' : 'utf8';
    default: return 'utf8';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The union of keys of the first `inferRows` objects, in first-seen order, with merged types (synchronous). */
export function inferJsonSchema(paths: readonly string[], opts: ReadOptions): FieldJSON[] {
  if (opts.schema) return opts.schema;
  const kinds = new Map<string, Inferred>();
  let sampled = 0;
  for (const path of paths) {
    const r = HeadReader.open(path, Math.min(opts.bufferBytes, 1 << 20));
    try {
      while (!r.done && sampled < opts.inferRows) {
        const buf = r.buf;
        let nl = buf.indexOf(NL, r.pos);
        if (nl < 0 || nl >= r.len) {
          if (!r.eof && r.len - r.pos < opts.maxRecordBytes) { r.fill(); continue; }
          nl = r.len;
        }
        const start = r.pos;
        r.pos = Math.min(nl + 1, r.len);
        if (isBlank(buf, start, nl)) continue;
        let obj: unknown;
        try { obj = JSON.parse(buf.toString('utf8', start, nl)); } catch { continue; } // reported when read
        if (!isObject(obj)) continue;
        for (const k of Object.keys(obj)) kinds.set(k, mergeInferred(kinds.get(k) ?? 'null', inferValue(obj[k], kindOf)));
        sampled++;
      }
    } finally {
      r.close();
    }
    if (sampled >= opts.inferRows) break;
  }
  return [...kinds].map(([name, k]) => ({ name, type: inferredType(k), nullable: true }));
}

/** The reader of a primitive column. */
function valueReader(builder: ColumnBuilder): ValueReader {
  const field = builder.field;
  const t = field.type as PrimitiveTypeName;
  const bad = (v: unknown) => `expected ${describeType(t)}, found ${clipJson(v)}`;
  const orNull = (put: (v: unknown) => boolean): ValueReader => (v) => {
    if (v === null || v === undefined) {
      if (!field.nullable) return `expected ${t}, found ${v === null ? 'null' : 'no value'} (the column is not nullable)`;
      builder.appendNull();
      return null;
    }
    return put(v) ? null : bad(v);
  };
  switch (t) {
    case 'utf8': {
      const u = builder as Utf8Builder;
      return orNull((v) => { u.appendString(typeof v === 'string' ? v : JSON.stringify(v)); return true; });
    }
    case 'bool': {
      const b = builder as BoolBuilder;
      return orNull((v) => { if (typeof v !== 'boolean') return false; b.append(v); return true; });
    }
    case 'float32': case 'float64': {
      const n = builder as NumberBuilder;
      return orNull((v) => {
        const x = typeof v === 'number' ? v : typeof v === 'string' ? parseFloatText(v) : null;
        if (x === null) return false;
        n.append(x);
        return true;
      });
    }
    case 'date32': case 'timestamp_ms': {
      const n = builder as NumberBuilder;
      return orNull((v) => {
        let x: number | bigint | null = null;
        if (typeof v === 'string') x = t === 'date32' ? parseDateText(v) : parseTimestampText(v);
        else if (typeof v === 'number' && Number.isSafeInteger(v)) x = t === 'date32' ? v : BigInt(v);
        if (x === null) return false;
        n.append(x);
        return true;
      });
    }
    default: {
      const n = builder as NumberBuilder;
      const wide = t === 'int64' || t === 'uint64';
      const [lo, hi] = wide ? [0, 0] : INT_BOUNDS[t];
      return orNull((v) => {
        let x: number | bigint | null = null;
        if (typeof v === 'number' && Number.isInteger(v)) {
          if (!wide) x = v >= lo && v <= hi ? v : null;
          else x = parseIntText(BigInt(v).toString(), t); // range check for 64 bits
        } else if (typeof v === 'string') x = parseIntText(v, t);
        if (x === null) return false;
        n.append(x);
        return true;
      });
    }
  }
}

const INT_BOUNDS: Record<string, [number, number]> = {
  int8: [-128, 127], int16: [-32768, 32767], int32: [-2147483648, 2147483647],
  uint8: [0, 255], uint16: [0, 65535], uint32: [0, 4294967295],
};

function clipJson(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 200 ? `${s.slice(0, 200)}...` : s;
}

/** Reads the objects one split owns, as batches of `columns` (a subset of fileSchema). */
export async function* readJson(split: SplitJSON, opts: ReadOptions, fileSchema: readonly FieldJSON[], columns: readonly string[], ctx: TaskContext): AsyncGenerator<arrow.RecordBatch> {
  const fields = columns.map((c) => fileSchema.find((f) => f.name === c)!);
  const schema = toArrowSchema(fields);
  // Keys not requested: read into builders emptied with each batch, so that a record is bad or
  // good whatever the projection (a count() included).
  const allFields = [...fields, ...fileSchema.filter((f) => !columns.includes(f.name))];
  const r = await RangeReader.open(split.path, split.start, split.end, opts.bufferBytes);
  const bad = new BadRecords(split, opts.mode, opts.badRecordsPath, ctx);
  let end = ReadEnd.Stopped;
  const cols = allFields.map((f) => jsonColumn(f, ctx.batchSize, valueReader));
  const builders = cols.map((c) => c.builder);
  const readers = cols.map((c) => c.read);
  const output = builders.slice(0, fields.length);
  // By the file's schema, not the projection: a record parses the same whatever is read.
  const wide = fileSchema.map((f) => wideInts(f.type));
  const quote = wide.includes('top') || wide.includes('nested');
  const quoteNested = wide.includes('nested');
  const ready: arrow.RecordBatch[] = [];
  let rows = 0;
  try {
    // Lines are parsed in a callback; full batches queue in `ready` and are yielded between fills.
    const onLine = async ({ text: line, offset, tooLong, invalid }: Line): Promise<void> => {
      if (tooLong) {
        await bad.report({ offset, reason: `record longer than maxRecordBytes (${opts.maxRecordBytes} bytes)`, record: line });
        return;
      }
      let obj: unknown;
      try {
        obj = JSON.parse(quote && LONG_DIGITS.test(line) ? quoteLongIntegers(line, quoteNested) : line);
      } catch (e) {
        await bad.report({ offset, reason: `malformed JSON: ${(e as Error).message}`, record: line });
        return;
      }
      if (!isObject(obj)) {
        await bad.report({ offset, reason: `expected a JSON object, found ${Array.isArray(obj) ? 'an array' : clipJson(obj)}`, record: line });
        return;
      }
      if (invalid) {
        const hit = invalidUtf8Member(invalid, allFields);
        if (hit) {
          await bad.report({ offset, column: hit.key, reason: hit.why, record: line });
          return;
        }
      }
      for (let j = 0; j < readers.length; j++) {
        const name = allFields[j].name;
        // Own keys only: a column named 'constructor' must not read Object.prototype.
        const why = readers[j](Object.hasOwn(obj, name) ? obj[name] : undefined);
        if (why !== null) {
          for (const b of builders) b.truncate(rows);
          await bad.report({ offset, column: name, reason: why, record: line });
          return;
        }
      }
      if (++rows === ctx.batchSize) {
        for (let j = fields.length; j < builders.length; j++) builders[j].truncate(0);
        ready.push(makeBatch(schema, output.map((b) => b.finish()), rows));
        rows = 0;
      }
    };
    while (!r.done) {
      await forEachLine(r, opts.maxRecordBytes, async (line) => {
        await onLine(line);
        return ready.length === 0; // hand full batches out before reading on
      });
      while (ready.length) yield ready.shift()!;
      await bad.flush();
    }
    // Every record was read: the split's quarantine is whole even if the last batch is not pulled.
    end = ReadEnd.Complete;
    if (rows > 0) yield makeBatch(schema, output.map((b) => b.finish()), rows);
  } catch (e) {
    end = ReadEnd.Failed;
    throw e;
  } finally {
    try { await bad.close(end); } finally { await r.close(); }
  }
}

const QUOTE = 34, BACKSLASH = 92;

const LONG_DIGITS = /\d{16}/;
// A string (kept whole), a bracket, or a member value or array element that is an integer of 16+ digits.
const JSON_PIECE = /"(?:[^"\\]|\\.)*"|[{}[\]]|(?<=[:[,]\s*)(-?\d{16,})(?=\s*[,}\]])/g;

/**
 * The line with long integer values quoted, which JSON.parse would round to a double (an int64
 * column or field reads the string exactly; a float reads it as a number). Only the top-level
 * members' unless `nested` (a struct, list or map column holds 64-bit integers): nested values
 * read into utf8 columns keep their JSON text as parsed, numbers and not strings.
 */
function quoteLongIntegers(line: string, nested: boolean): string {
  let depth = 0;
  return line.replace(JSON_PIECE, (m, digits: string | undefined) => {
    if (m === '{' || m === '[') depth++;
    else if (m === '}' || m === ']') depth--;
    return digits !== undefined && (nested || depth === 1) ? `"${digits}"` : m;
  });
}

/** Whether a column of type `t` holds 64-bit integers: 'top' as itself, 'nested' inside a struct, list or map. */
function wideInts(t: TypeJSON, depth = 0): 'top' | 'nested' | null {
  if (typeof t === 'string') return t === 'int64' || t === 'uint64' ? (depth === 0 ? 'top' : 'nested') : null;
  const inner = isStruct(t) ? t.struct.map((f) => f.type) : isMap(t) ? [t.map.key, t.map.value] : [listElement(t)];
  return inner.some((x) => wideInts(x, depth + 1) !== null) ? 'nested' : null;
}

/**
 * The first top-level member among `fields` whose value's bytes are not valid UTF-8, and why;
 * null when there is none. `b` is one JSON object that JSON.parse accepted once decoded (bad
 * bytes decode to U+FFFD and never hide ASCII, so its structure is sound).
 */
function invalidUtf8Member(b: Buffer, fields: readonly FieldJSON[]): { key: string; why: string } | null {
  const wanted = new Set(fields.map((f) => f.name));
  const ws = (i: number) => { while (i < b.length && (b[i] === 32 || b[i] === 9 || b[i] === 13 || b[i] === 10)) i++; return i; };
  /** The index of the quote closing the string that opens at b[i]. */
  const stringEnd = (i: number) => { let j = i + 1; while (j < b.length && b[j] !== QUOTE) j += b[j] === BACKSLASH ? 2 : 1; return j; };
  let i = ws(0);
  if (b[i] !== 123) return null;
  i = ws(i + 1);
  while (i < b.length && b[i] === QUOTE) {
    const k = stringEnd(i);
    let key: string;
    try { key = JSON.parse(b.toString('utf8', i, k + 1)); } catch { return null; }
    i = ws(ws(k + 1) + 1); // past ':'
    let a = i, z: number;
    if (b[i] === QUOTE) { z = stringEnd(i); a = i + 1; i = z + 1; } else {
      let depth = 0;
      for (; i < b.length; i++) {
        const c = b[i];
        if (c === QUOTE) { i = stringEnd(i); continue; }
        if (c === 123 || c === 91) depth++;
        else if (c === 125 || c === 93) { if (depth === 0) break; depth--; }
        else if (c === 44 && depth === 0) break;
      }
      z = i;
    }
    if (wanted.has(key)) {
      const why = invalidUtf8(b, a, z);
      if (why) return { key, why };
    }
    i = ws(i);
    if (b[i] !== 44) break;
    i = ws(i + 1);
  }
  return null;
}
