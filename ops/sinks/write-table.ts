// writeTable: a stream of batches as one Arrow, Parquet, CSV or JSON-lines file, written atomically.
import * as arrow from 'apache-arrow';
import * as pq from 'parquet-wasm';
import { batchBytes, makeBatch } from '../compute/batch.ts';
import { PlanError, assertNever } from '../errors.ts';
import { writeAtomically, type FileSink, type SaveMode } from './atomic.ts';
import { valueFormatter } from './format-values.ts';
import { fromArrowSchema, hasStructOrMap, typeToString, type FieldJSON } from '../types.ts';

export type SinkFormat = 'arrow' | 'parquet' | 'csv' | 'json';

/**
 * Options by format (anything else is a PlanError):
 *   arrow:   stream (false: IPC file format; true: IPC stream format)
 *   parquet: compression ('snappy' default, as Spark and DuckDB; 'zstd', 'gzip', 'brotli', 'lz4', 'none'), rowGroupRows (default 128 Ki rows, fewer for rows over 128 bytes: about 16 MiB per group)
 *   csv:     header (true), delimiter (','), quote ('"'); nulls are empty fields, empty strings are ""
 *   json:    none (one object per line; int64 as exact numbers; NaN and ±Infinity as null)
 */
export interface WriteOptions {
  stream?: boolean;
  compression?: 'zstd' | 'snappy' | 'gzip' | 'brotli' | 'lz4' | 'none';
  rowGroupRows?: number;
  header?: boolean;
  delimiter?: string;
  quote?: string;
}

const SINK_OPTIONS: Readonly<Record<SinkFormat, readonly string[]>> = {
  arrow: ['stream'],
  parquet: ['compression', 'rowGroupRows'],
  csv: ['header', 'delimiter', 'quote'],
  json: [],
};

type Batches = AsyncIterable<arrow.RecordBatch> | Iterable<arrow.RecordBatch>;

/**
 * Writes `batches` (all of `schema`) to `path` as one file. The data goes to a hidden
 * temporary file beside `path`, renamed over it on success; if anything fails, including the
 * input iterable throwing midway, the temporary file is removed and `path` is untouched.
 * Parent directories are created. Returns the number of rows written.
 * `mode` (default 'overwrite' here; df.write defaults to 'error'): see writeAtomically. When
 * 'ignore' finds the path taken at commit, nothing is written and the result is 0.
 */
export async function writeTable(format: SinkFormat, path: string, batches: Batches, schema: arrow.Schema, options: WriteOptions = {}, mode: SaveMode = 'overwrite'): Promise<number> {
  checkWriteOptions(format, options as Record<string, unknown>);
  let rows = 0;
  const counted = async function* (): AsyncGenerator<arrow.RecordBatch> {
    for await (const b of batches) {
      if (b.data.children.length !== schema.fields.length) {
        throw new PlanError(`writeTable: a batch has ${b.data.children.length} columns, the schema ${schema.fields.length} (${schema.fields.map((f) => f.name).join(', ')})`);
      }
      if (b.numRows === 0) continue;
      rows += b.numRows;
      // The schema given wins (names, nullability); writers restart a stream on a new schema.
      yield b.schema === schema ? b : makeBatch(schema, b.data.children, b.numRows);
    }
  };
  const committed = await writeAtomically(path, async (sink) => {
    switch (format) {
      case 'arrow': return writeArrow(sink, counted(), schema, options.stream === true);
      case 'parquet': return writeParquet(sink, counted(), schema, options);
      case 'csv': checkSinkColumns('csv', fromArrowSchema(schema)); return writeCsv(sink, counted(), schema, options);
      case 'json': return writeJson(sink, counted(), schema);
      default: return assertNever(format, 'output format');
    }
  }, mode);
  return committed ? rows : 0;
}

async function writeArrow(sink: FileSink, batches: AsyncIterable<arrow.RecordBatch>, schema: arrow.Schema, stream: boolean): Promise<void> {
  const writer = stream ? new arrow.RecordBatchStreamWriter() : new arrow.RecordBatchFileWriter();
  writer.reset(undefined, schema);
  // The writer is an async iterable of encoded chunks: drain it to the file as batches go in.
  const drained = (async () => { for await (const chunk of writer as AsyncIterable<Uint8Array>) await sink.write(chunk); })();
  try {
    for await (const b of batches) writer.write(b);
    writer.close();
  } catch (e) {
    writer.abort(e);
    await drained.catch(() => {});
    throw e;
  }
  await drained;
}

const COMPRESSION: Readonly<Record<string, pq.Compression>> = {
  zstd: pq.Compression.ZSTD, snappy: pq.Compression.SNAPPY, gzip: pq.Compression.GZIP,
  brotli: pq.Compression.BROTLI, lz4: pq.Compression.LZ4_RAW, none: pq.Compression.UNCOMPRESSED,
};

/**
 * Rows per row group when not given: 128 Ki rows (DuckDB writes 122,880), fewer for wide rows so
 * a group holds about 16 MiB of Arrow data. The writer keeps a whole group in its wasm memory,
 * several times the group's size, and wasm memory never shrinks: 1 Mi rows of a 36-byte row
 * grew it to ~220 MB per thread, 128 Ki rows to ~45 MB, and wrote faster.
 */
function defaultRowGroupRows(first: arrow.RecordBatch | null): number {
  const perRow = first && first.numRows > 0 ? batchBytes(first) / first.numRows : 0;
  return perRow > 0 ? Math.max(1024, Math.min(1 << 17, Math.floor((16 << 20) / perRow))) : 1 << 17;
}

async function writeParquet(sink: FileSink, batches: AsyncIterable<arrow.RecordBatch>, schema: arrow.Schema, o: WriteOptions): Promise<void> {
  const codec = COMPRESSION[o.compression ?? 'snappy'];
  if (codec === undefined) throw new PlanError(`unknown parquet compression '${o.compression}'; use ${Object.keys(COMPRESSION).join(', ')}`);
  if (o.rowGroupRows !== undefined && (!Number.isInteger(o.rowGroupRows) || o.rowGroupRows < 1)) throw new PlanError(`rowGroupRows must be a positive integer, got ${o.rowGroupRows}`);
  const it = batches[Symbol.asyncIterator]();
  const first = await it.next();
  const rowGroupRows = o.rowGroupRows ?? defaultRowGroupRows(first.done ? null : first.value);
  const props = () => new pq.WriterPropertiesBuilder().setCompression(codec).setMaxRowGroupSize(rowGroupRows).build();
  const toWasm = (t: arrow.Table) => pq.Table.fromIPCStream(arrow.tableToIPC(t, 'stream'));
  if (first.done) {
    // No rows: a file with the schema alone.
    await sink.write(pq.writeParquet(toWasm(new arrow.Table(schema)), props()));
    return;
  }
  let pending: arrow.RecordBatch | null = first.value;
  let failure: { error: unknown } | null = null;
  // parquet-wasm's streaming writer pulls batches (moved into wasm memory) and emits file bytes.
  const input = new ReadableStream({
    async pull(ctrl) {
      try {
        const b = pending ?? (await it.next()).value as arrow.RecordBatch | undefined;
        pending = null;
        if (!b) { ctrl.close(); return; }
        ctrl.enqueue(toWasm(new arrow.Table(schema, [b])).recordBatch(0));
      } catch (e) {
        failure = { error: e };
        ctrl.error(e);
      }
    },
  });
  const output = await pq.transformParquetStream(input, props());
  for await (const chunk of output as unknown as AsyncIterable<Uint8Array>) await sink.write(chunk);
  // parquet-wasm ends its output normally when the input errors, as if the data had ended:
  // without this check a failed input would commit a short, valid-looking file.
  if (failure) throw (failure as { error: unknown }).error;
}

/** RFC 4180: quote a field holding the delimiter, a quote or a line break, and the empty string (empty = null). */
function csvQuoter(delimiter: string, quote: string): (s: string) => string {
  const special = new RegExp(`[${escapeClass(delimiter)}${escapeClass(quote)}\\r\\n]`);
  const doubled = new RegExp(escapeClass(quote), 'g');
  return (s) => (s === '' ? quote + quote : special.test(s) ? quote + s.replace(doubled, quote + quote) + quote : s);
}

function escapeClass(c: string): string {
  return c.replace(/[\\\]^[-]/g, '\\$&').replace(/[.*+?$(){}|/]/g, '\\$&');
}

async function writeCsv(sink: FileSink, batches: AsyncIterable<arrow.RecordBatch>, schema: arrow.Schema, o: WriteOptions): Promise<void> {
  const delimiter = o.delimiter ?? ',';
  const quote = o.quote ?? '"';
  for (const [k, v] of [['delimiter', delimiter], ['quote', quote]] as const) {
    if (typeof v !== 'string' || v.length !== 1 || v === '\n' || v === '\r') throw new PlanError(`csv option '${k}' must be one character other than a line break, got ${JSON.stringify(v)}`);
  }
  if (delimiter === quote) throw new PlanError(`csv delimiter and quote must differ`);
  const q = csvQuoter(delimiter, quote);
  if (o.header !== false) await sink.write(schema.fields.map((f) => q(f.name)).join(delimiter) + '\n');
  for await (const b of batches) {
    const cols = b.data.children.map((d) => valueFormatter(d, 'csv'));
    const lines: string[] = new Array(b.numRows);
    for (let i = 0; i < b.numRows; i++) {
      let line = '';
      for (let c = 0; c < cols.length; c++) {
        const v = cols[c](i);
        if (c > 0) line += delimiter;
        if (v !== null) line += q(v);
      }
      lines[i] = line;
    }
    await sink.write(lines.join('\n') + '\n');
  }
}

async function writeJson(sink: FileSink, batches: AsyncIterable<arrow.RecordBatch>, schema: arrow.Schema): Promise<void> {
  for await (const b of batches) await sink.write(jsonLines(b, schema).join('\n') + '\n');
}

/** Each row of `b` as one JSON object (the json writer's text: int64 exact, timestamps as text, NaN as null). */
export function jsonLines(b: arrow.RecordBatch, schema: arrow.Schema = b.schema): string[] {
  const keys = schema.fields.map((f) => `${JSON.stringify(f.name)}:`);
  const cols = b.data.children.map((d) => valueFormatter(d, 'json'));
  const lines: string[] = new Array(b.numRows);
  for (let i = 0; i < b.numRows; i++) {
    let line = '{';
    for (let c = 0; c < cols.length; c++) line += (c > 0 ? ',' : '') + keys[c] + (cols[c](i) ?? 'null');
    lines[i] = line + '}';
  }
  return lines;
}

/**
 * Whether `format` can hold these columns: csv holds no struct or map (nor a list of them), a
 * PlanError naming the column and what to write instead. Checked on the driver before a job runs.
 */
export function checkSinkColumns(format: SinkFormat, fields: readonly FieldJSON[]): void {
  if (format !== 'csv') return;
  const f = fields.find((x) => hasStructOrMap(x.type));
  if (f) {
    throw new PlanError(`cannot write column '${f.name}' of type ${typeToString(f.type)} to csv: csv has no nested values; `
      + `select its fields (df.select('${f.name}.*')), write it as JSON text (fn.toJson('${f.name}').alias('${f.name}')), or write json, parquet or arrow`);
  }
}

/** Options each format accepts (for checking a write's options on the driver, before its job runs). */
export function checkWriteOptions(format: SinkFormat, options: Readonly<Record<string, unknown>>): void {
  const valid = SINK_OPTIONS[format];
  if (!valid) throw new PlanError(`unknown output format '${String(format)}'; expected arrow, parquet, csv or json`);
  for (const [k, v] of Object.entries(options)) {
    if (v !== undefined && !valid.includes(k)) throw new PlanError(`unknown option '${k}' for writing ${format}${valid.length ? `; valid options: ${valid.join(', ')}` : ''}`);
  }
}
