// CSV reader: schema inference from a sample and a byte-range reader that builds typed columns.
//
// Splitting: a file larger than the split size is cut into byte ranges, and a split owns the
// records that start in its range. Quoted fields may hold line breaks, so where a record starts
// cannot be told from the bytes near a cut: the driver reads the file's quotes up to each cut
// (csvRecordStarts, at memchr speed where there are none) and gives each split its first record.
//
// Files of one read: the header is a file's first non-blank line; columns are matched to it by
// name, so files may order them differently, but a file with other names is a DataError naming
// both headers (failfast or permissive: it is no bad record but a different table). A file
// without records adds none. String fields MUST be valid UTF-8: a record with a bad one is a bad
// record (each buffer is validated once; fields only where that fails).
//
// Bad records do not depend on the projection: every field of a record is parsed (requested
// columns) or checked (the others), so count(), collect() and every select see the same rows.
import type * as arrow from 'apache-arrow';
import { isUtf8 } from 'node:buffer';
import { DataError } from '../errors.ts';
import type { TaskContext } from '../exec-plan.ts';
import { makeBatch } from '../compute/batch.ts';
import { toArrowSchema, type FieldJSON, type PrimitiveTypeName } from '../types.ts';
import { BadRecords, ReadEnd, quoteValue } from './bad-records.ts';
import { makeBuilder, type BoolBuilder, type ColumnBuilder, type NumberBuilder, type Utf8Builder } from './builders.ts';
import { CsvRecordScanner, CsvTokenizer, FieldFlag, NEED_MORE } from './csv-parse.ts';
import type { ReadOptions } from './options.ts';
import { HeadReader, RangeReader } from './range-reader.ts';
import type { SplitJSON } from './splits.ts';
import {
  classifyText, describeType, invalidUtf8, kindToType, mergeKinds, parseBoolBytes, parseDateText, parseFloatText,
  parseIntText, parseSimpleDecimal, parseSmallInt, parseTimestampText, type InferredKind,
} from './values.ts';

const EMPTY_FILE = 'empty file, expected a header line (read with header: false if the files have none)';

/**
 * Column names from the header (or _c0, _c1, ...) and types inferred from the first `inferRows`
 * records (synchronous: the driver builds plans synchronously and samples a bounded prefix).
 * The header is a file's first non-blank record, as the reader takes it. Files without records
 * are skipped; the names come from the first file that has a header, and a later file's header
 * MUST hold the same names, in any order (its columns are matched by name).
 */
export function inferCsvSchema(paths: readonly string[], opts: ReadOptions): FieldJSON[] {
  if (opts.schema) return opts.schema;
  const tok = new CsvTokenizer(opts.delimiter, opts.quote);
  let names: string[] | null = null;
  let kinds: InferredKind[] = [];
  let sampled = 0;
  for (const path of paths) {
    const r = HeadReader.open(path, Math.min(opts.bufferBytes, 1 << 20));
    try {
      let order: number[] | null = null; // for each column, its field in this file's records
      let line = 1;
      while (!r.done && sampled < opts.inferRows) {
        const end = tok.next(r.buf, r.pos, r.len, r.eof);
        if (end === NEED_MORE) {
          if (r.len - r.pos >= opts.maxRecordBytes) break; // a runaway quote: sample what we have
          r.fill();
          continue;
        }
        const buf = r.buf;
        r.pos = end;
        if (tok.isBlankLine()) { line++; continue; }
        if (!order && opts.header) {
          if (tok.error) throw new DataError(`malformed CSV header: ${tok.error}`, { file: path, line });
          const header = uniqueNames(Array.from({ length: tok.count }, (_, i) => tok.text(buf, i)));
          names ??= header;
          order = columnOrder(header, names, null, path, line);
          continue;
        }
        names ??= Array.from({ length: tok.count }, (_, i) => `_c${i}`);
        order ??= names.map((_, i) => i);
        if (tok.error || tok.count !== names.length) continue;
        if (kinds.length === 0) kinds = names.map(() => 'null');
        for (let c = 0; c < names.length; c++) {
          const f = order[c];
          if (tok.starts[f] === tok.ends[f]) continue;
          const s = tok.text(buf, f);
          if (tok.flags[f] === FieldFlag.None && s === opts.nullValue) continue;
          kinds[c] = mergeKinds(kinds[c], classifyText(s));
        }
        sampled++;
      }
    } finally {
      r.close();
    }
    if (sampled >= opts.inferRows) break;
  }
  if (!names && opts.header) {
    throw new DataError(paths.length === 1 ? EMPTY_FILE : `every file is empty, expected a header line (read with header: false if the files have none)`, { file: paths[0] });
  }
  if (!names) return [];
  return names.map((name, i) => ({ name, type: kindToType(kinds[i] ?? 'null'), nullable: true }));
}

/**
 * Where each of `columns` is in a file whose header is `header` (names made unique). By name
 * when the header holds the same names in another order; by position when they are equal, or
 * when a given schema renames the columns (`given` is its names). A header with other names than
 * the columns inferred from the first file is a DataError naming the file and both headers.
 */
function columnOrder(header: readonly string[], columns: readonly string[], given: readonly string[] | null, file: string, line: number): number[] {
  const same = header.length === columns.length && columns.every((c) => header.includes(c));
  if (same) return columns.map((c) => header.indexOf(c));
  if (given) return columns.map((_, i) => i);
  const list = (ns: readonly string[]) => ns.map((n) => JSON.stringify(n)).join(', ');
  throw new DataError(`this file's header has columns ${list(header)} but the first file's has ${list(columns)}; ` +
    'the files of one read must have the same columns (in any order): read them separately, or give a schema and header: false', { file, line });
}

/** Spark's rule: empty names become _c<i>; a repeated name gets its position appended. */
function uniqueNames(names: string[]): string[] {
  const fixed = names.map((n, i) => (n.trim() === '' ? `_c${i}` : n));
  const count = new Map<string, number>();
  for (const n of fixed) count.set(n, (count.get(n) ?? 0) + 1);
  return fixed.map((n, i) => (count.get(n)! > 1 ? `${n}${i}` : n));
}

/** Appends one field to its column; returns why it cannot, or null. */
type FieldReader = (buf: Buffer, a: number, b: number, flag: FieldFlag, tok: CsvTokenizer, f: number) => string | null;

function fieldReader(builder: ColumnBuilder, opts: ReadOptions): FieldReader {
  const field = builder.field;
  const t = field.type as PrimitiveTypeName;
  const nullBytes = Buffer.from(opts.nullValue, 'utf8');
  const quote = opts.quote;
  const isNull = (buf: Buffer, a: number, b: number, flag: FieldFlag): boolean =>
    flag === FieldFlag.None && (a === b || (nullBytes.length > 0 && b - a === nullBytes.length && buf.compare(nullBytes, 0, nullBytes.length, a, b) === 0));
  const nullField = (): string | null => {
    if (!field.nullable) return `expected ${t}, found an empty field (the column is not nullable)`;
    builder.appendNull();
    return null;
  };
  if (t === 'utf8') {
    const u = builder as Utf8Builder;
    return (buf, a, b, flag) => {
      if (isNull(buf, a, b, flag)) return nullField();
      if (flag === FieldFlag.Escaped) u.appendUnescaped(buf, a, b, quote); else u.appendBytes(buf, a, b);
      return null;
    };
  }
  const bad = (tok: CsvTokenizer, buf: Buffer, f: number) => `expected ${describeType(t)}, found ${quoteValue(tok.text(buf, f))}`;
  // Quoted empty fields are null for non-string columns too.
  const empty = (buf: Buffer, a: number, b: number, flag: FieldFlag) => a === b || isNull(buf, a, b, flag);
  switch (t) {
    case 'int8': case 'int16': case 'int32': case 'uint8': case 'uint16': case 'uint32': {
      const n = builder as NumberBuilder;
      const [lo, hi] = INT_BOUNDS[t];
      return (buf, a, b, flag, tok, f) => {
        if (empty(buf, a, b, flag)) return nullField();
        const v = parseSmallInt(buf, a, b);
        if (v === null || v < lo || v > hi) return bad(tok, buf, f);
        n.append(v);
        return null;
      };
    }
    case 'bool': {
      const bb = builder as BoolBuilder;
      return (buf, a, b, flag, tok, f) => {
        if (empty(buf, a, b, flag)) return nullField();
        const v = parseBoolBytes(buf, a, b);
        if (v === null) return bad(tok, buf, f);
        bb.append(v);
        return null;
      };
    }
    case 'float32': case 'float64': {
      const n = builder as NumberBuilder;
      return (buf, a, b, flag, tok, f) => {
        if (empty(buf, a, b, flag)) return nullField();
        const v = parseSimpleDecimal(buf, a, b) ?? parseFloatText(buf.toString('latin1', a, b));
        if (v === null) return bad(tok, buf, f);
        n.append(v);
        return null;
      };
    }
    default: {
      const n = builder as NumberBuilder;
      const parse: (s: string) => number | bigint | null =
        t === 'date32' ? parseDateText : t === 'timestamp_ms' ? parseTimestampText : (s) => parseIntText(s, t);
      return (buf, a, b, flag, tok, f) => {
        if (empty(buf, a, b, flag)) return nullField();
        const v = parse(buf.toString('latin1', a, b));
        if (v === null) return bad(tok, buf, f);
        n.append(v);
        return null;
      };
    }
  }
}

const INT_BOUNDS: Record<string, [number, number]> = {
  int8: [-128, 127], int16: [-32768, 32767], int32: [-2147483648, 2147483647],
  uint8: [0, 255], uint16: [0, 65535], uint32: [0, 4294967295],
};

/** Reads the records one split owns, as batches of `columns` (a subset of fileSchema, any order). */
export async function* readCsv(split: SplitJSON, opts: ReadOptions, fileSchema: readonly FieldJSON[], columns: readonly string[], ctx: TaskContext): AsyncGenerator<arrow.RecordBatch> {
  const idx = columns.map((c) => fileSchema.findIndex((f) => f.name === c));
  const fields = idx.map((i) => fileSchema[i]);
  const schema = toArrowSchema(fields);
  const ncols = fileSchema.length;
  // Columns not requested whose fields can be bad: parsed into builders emptied with each batch,
  // so that a record is bad or good whatever the projection (a count() included).
  const checked = fileSchema.map((_, i) => i).filter((i) => !idx.includes(i) && (fileSchema[i].type !== 'utf8' || !fileSchema[i].nullable));
  const all = [...idx, ...checked];
  const allFields = all.map((i) => fileSchema[i]);
  // Every string column of the file MUST be valid UTF-8, requested or not (positions in `all`).
  const strings = fileSchema.map((f, i) => (f.type === 'utf8' ? i : -1)).filter((i) => i >= 0);
  const stringNames = strings.map((i) => fileSchema[i].name);
  const names = fileSchema.map((f) => f.name);
  const given = opts.schema ? names : null;
  // Where each file column is in this file's records: moved by the file's header (by name).
  let order = names.map((_, i) => i);
  if (opts.header && split.start > 0) {
    const h = readHeader(split.path, opts);
    if (h) order = columnOrder(h.names, names, given, split.path, h.line);
  }
  let at = all.map((i) => order[i]);
  let stringAt = strings.map((i) => order[i]);
  const r = await RangeReader.open(split.path, split.start, split.end, opts.bufferBytes, split.firstRecord);
  const bad = new BadRecords(split, opts.mode, opts.badRecordsPath, ctx);
  let end = ReadEnd.Stopped;
  try {
    const tok = new CsvTokenizer(opts.delimiter, opts.quote);
    const builders = allFields.map((f) => makeBuilder(f, ctx.batchSize));
    const readers = builders.map((b) => fieldReader(b, opts));
    const output = builders.slice(0, fields.length);
    let needHeader = split.start === 0 && opts.header;
    let blankLines = 0; // before the header, for its line number
    // File offsets up to which bytes are known valid UTF-8, or known to hold invalid bytes (then
    // each string field is checked): a buffer is validated once, fields only where it fails.
    let utf8Ok = -1, utf8Bad = -1;
    let rows = 0;
    while (!r.done) {
      const end = tok.next(r.buf, r.pos, r.len, r.eof);
      if (end === NEED_MORE) {
        if (r.len - r.pos >= opts.maxRecordBytes) {
          const offset = r.offset;
          const record = r.buf.toString('utf8', r.pos, r.pos + 1024);
          await bad.report({ offset, reason: `record longer than maxRecordBytes (${opts.maxRecordBytes} bytes): is a quote unbalanced?`, record });
          await skipRecord(r, new CsvRecordScanner(opts.delimiter, opts.quote));
          needHeader = false;
          continue;
        }
        await r.fill();
        continue;
      }
      const buf = r.buf, start = r.pos, offset = r.offset;
      r.pos = end;
      if (tok.isBlankLine()) { blankLines++; continue; }
      if (needHeader) {
        needHeader = false;
        const header = uniqueNames(Array.from({ length: tok.count }, (_, i) => tok.text(buf, i)));
        order = columnOrder(header, names, given, split.path, blankLines + 1);
        at = all.map((i) => order[i]);
        stringAt = strings.map((i) => order[i]);
        continue;
      }
      if (tok.error !== null || tok.count !== ncols) {
        const reason = tok.error !== null ? `malformed CSV: ${tok.error}` : `expected ${ncols} fields, found ${tok.count}`;
        await bad.report({ offset, reason, record: recordText(buf, start, end) });
        continue;
      }
      if (strings.length > 0 && offset + (end - start) > utf8Ok) {
        const recordEnd = offset + (end - start);
        if (recordEnd > utf8Bad) {
          const w = Math.max(end, r.eof ? r.len : buf.lastIndexOf(10, r.len - 1) + 1);
          if (isUtf8(buf.subarray(start, w))) utf8Ok = r.base + w; else utf8Bad = r.base + w;
        }
        if (recordEnd > utf8Ok) {
          let why: string | null = null, j = 0;
          for (; j < stringAt.length && why === null; j++) { const f = stringAt[j]; why = invalidUtf8(buf, tok.starts[f], tok.ends[f]); }
          if (why !== null) {
            await bad.report({ offset, column: stringNames[j - 1], reason: why, record: recordText(buf, start, end) });
            continue;
          }
        }
      }
      let failed = -1;
      let why: string | null = null;
      for (let j = 0; j < readers.length; j++) {
        const f = at[j];
        why = readers[j](buf, tok.starts[f], tok.ends[f], tok.flags[f] as FieldFlag, tok, f);
        if (why !== null) { failed = j; break; }
      }
      if (failed >= 0) {
        for (const b of builders) b.truncate(rows);
        await bad.report({ offset, column: allFields[failed].name, reason: why!, record: recordText(buf, start, end) });
        continue;
      }
      if (++rows === ctx.batchSize) {
        for (let j = fields.length; j < builders.length; j++) builders[j].truncate(0);
        yield makeBatch(schema, output.map((b) => b.finish()), rows);
        rows = 0;
        await bad.flush();
      }
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

/** A file's header (its first non-blank record; names made unique) and its line, or null when it has none. */
function readHeader(path: string, opts: ReadOptions): { names: string[]; line: number } | null {
  const r = HeadReader.open(path, 64 * 1024);
  try {
    const tok = new CsvTokenizer(opts.delimiter, opts.quote);
    let line = 1;
    while (!r.done) {
      const end = tok.next(r.buf, r.pos, r.len, r.eof);
      if (end === NEED_MORE) {
        if (r.len - r.pos >= opts.maxRecordBytes) return null; // read as a bad record by the split that owns it
        r.fill();
        continue;
      }
      const buf = r.buf;
      r.pos = end;
      if (tok.isBlankLine()) { line++; continue; }
      return { names: uniqueNames(Array.from({ length: tok.count }, (_, i) => tok.text(buf, i))), line };
    }
    return null;
  } finally {
    r.close();
  }
}

/** The record's text without its line break, for quarantine files. */
export function recordText(buf: Buffer, start: number, end: number): string {
  let e = end;
  if (e > start && buf[e - 1] === 10) e--;
  if (e > start && buf[e - 1] === 13) e--;
  return buf.toString('utf8', start, e);
}

/** Moves `r` past the record starting at r.pos (to end of file when it never ends), holding none of it. */
async function skipRecord(r: RangeReader, scanner: CsvRecordScanner): Promise<void> {
  for (;;) {
    const b = scanner.scan(r.buf, r.pos, r.len, 0);
    if (b !== NEED_MORE) { r.pos = b; return; }
    r.pos = r.len;
    if (!(await r.fill())) return;
  }
}

/** Moves `r` to the first record start at or after file offset `min` and returns it (the file's size when none). */
async function nextRecordStart(r: RangeReader, scanner: CsvRecordScanner, min: number): Promise<number> {
  for (;;) {
    const b = scanner.scan(r.buf, r.pos, r.len, min - r.base);
    if (b !== NEED_MORE) { r.pos = b; return r.base + b; }
    r.pos = r.len;
    if (!(await r.fill())) return r.fileSize;
  }
}

/**
 * For each split start (ascending, > 0) the file offset of the first record starting at or after
 * it, found by reading the file from its start with the tokenizer's rules (a quoted line break
 * starts no record; the header, the first non-blank record, is nobody's). The file size for a
 * start past the last record. Costs one sequential read of the file, on the driver.
 */
export async function csvRecordStarts(path: string, starts: readonly number[], opts: ReadOptions): Promise<number[]> {
  const last = starts.length ? starts[starts.length - 1] : 0;
  const r = await RangeReader.open(path, 0, last + 1, opts.bufferBytes);
  try {
    const scanner = new CsvRecordScanner(opts.delimiter, opts.quote);
    let at = r.offset; // after a byte-order mark
    if (opts.header) {
      for (;;) {
        while (r.len - r.pos < 2 && (await r.fill()));
        if (r.pos >= r.len) break;
        const c = r.buf[r.pos];
        if (c === LF) { r.pos++; continue; }
        if (c === CR && r.pos + 1 < r.len && r.buf[r.pos + 1] === LF) { r.pos += 2; continue; }
        break;
      }
      at = r.pos >= r.len && r.eof ? r.fileSize : await nextRecordStart(r, scanner, 0);
    }
    const out: number[] = [];
    for (const s of starts) {
      if (s > at) at = await nextRecordStart(r, scanner, s);
      out.push(at);
    }
    return out;
  } finally {
    await r.close();
  }
}

const LF = 10;
const CR = 13;
