// Worker side: reads one split of any format as batches holding only the requested columns.
import * as arrow from 'apache-arrow';
import { makeBatch } from '../compute/batch.ts';
import { DataError, assertNever } from '../errors.ts';
import type { TaskContext } from '../exec-plan.ts';
import { toArrowSchema, type FieldJSON } from '../types.ts';
import { openArrowFile } from './arrow-ipc.ts';
import { readCsv } from './csv.ts';
import { readIdx } from './idx.ts';
import { readImages, type ImageSplitJSON } from './images.ts';
import { readJson } from './json.ts';
import { normalizeData } from './normalize.ts';
import type { FileFormat, ReadOptions } from './options.ts';
import { readParquetSplit } from './parquet.ts';
import type { SplitJSON } from './splits.ts';
import { readText } from './text.ts';

/**
 * The rows of `split` as batches of `columns` (names in `fileSchema`, in that order). Text
 * batches hold ~`bufferBytes` of lines; other formats ~ctx.batchSize rows. Empty batches are
 * skipped. Files are closed when the iteration ends, early or not.
 */
export function readSplit(format: FileFormat, split: SplitJSON, opts: ReadOptions, fileSchema: readonly FieldJSON[], columns: readonly string[], ctx: TaskContext): AsyncGenerator<arrow.RecordBatch> {
  switch (format) {
    case 'text': return readText(split, opts, columns);
    case 'csv': return readCsv(split, opts, fileSchema, columns, ctx);
    case 'json': return readJson(split, opts, fileSchema, columns, ctx);
    case 'arrow': return readArrow(split, fileSchema, columns, ctx.batchSize);
    case 'parquet': return readParquet(split, fileSchema, columns, ctx.batchSize);
    case 'idx': return readIdx(split, fileSchema, columns, ctx.batchSize);
    case 'images': return readImages(split as ImageSplitJSON, opts, fileSchema, columns, ctx);
    default: return assertNever(format, 'file format');
  }
}

function outputFields(fileSchema: readonly FieldJSON[], columns: readonly string[]): FieldJSON[] {
  return columns.map((c) => fileSchema.find((f) => f.name === c)!);
}

/** Picks `fields` out of a file's batch by name, converted to the plan's types. */
function project(b: arrow.RecordBatch, schema: arrow.Schema, fields: readonly FieldJSON[], file: string): arrow.RecordBatch {
  const names = b.schema.fields.map((f) => f.name);
  const cols = fields.map((f) => {
    const i = names.indexOf(f.name);
    if (i < 0) throw new DataError(`column missing: the file has ${names.map((n) => `'${n}'`).join(', ')} (files of one scan must share columns)`, { file, column: f.name });
    const d = normalizeData(b.data.children[i], f.type, file, f.name);
    if (!f.nullable && d.nullCount > 0) throw new DataError(`expected no nulls (the column is not nullable), found ${d.nullCount}`, { file, column: f.name });
    return d;
  });
  return makeBatch(schema, cols, b.numRows);
}

/** Batches of at most `batchSize` rows, sliced without copying. */
function* rechunk(b: arrow.RecordBatch, batchSize: number): Generator<arrow.RecordBatch> {
  if (b.numRows <= batchSize) { if (b.numRows > 0) yield b; return; }
  for (let s = 0; s < b.numRows; s += batchSize) yield b.slice(s, Math.min(b.numRows, s + batchSize));
}

async function* readArrow(split: SplitJSON, fileSchema: readonly FieldJSON[], columns: readonly string[], batchSize: number): AsyncGenerator<arrow.RecordBatch> {
  const fields = outputFields(fileSchema, columns);
  const schema = toArrowSchema(fields);
  const f = await openArrowFile(split.path);
  try {
    for await (const b of f.reader) yield* rechunk(project(b, schema, fields, split.path), batchSize);
  } finally {
    await f.close();
  }
}

async function* readParquet(split: SplitJSON, fileSchema: readonly FieldJSON[], columns: readonly string[], batchSize: number): AsyncGenerator<arrow.RecordBatch> {
  const fields = outputFields(fileSchema, columns);
  const schema = toArrowSchema(fields);
  for await (const { table, rows } of readParquetSplit(split, columns, batchSize)) {
    if (!table) {
      for (let s = 0; s < rows; s += batchSize) yield makeBatch(schema, [], Math.min(batchSize, rows - s));
      continue;
    }
    for (const b of table.batches) yield* rechunk(project(b, schema, fields, split.path), batchSize);
  }
}
