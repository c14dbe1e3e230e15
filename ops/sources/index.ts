// File sources: path resolution, schema inference and split planning (driver), split reading (workers).
//
// Options by format (anything else is a PlanError):
//   every format:     totalBytes (set by the driver for statistics; readers ignore it)
//   all text formats: mode ('failfast' | 'permissive'), badRecordsPath (required when permissive),
//                     bufferBytes (read buffer; text batch size in bytes; default 8 MiB)
//   text:    -                                    -> one non-null utf8 column `line`
//   csv:     header (true), delimiter | sep (','), quote ('"'), nullValue (''), inferRows (1000),
//            splittable (true; false reads each file in one task), schema, maxRecordBytes
//   json:    inferRows (1000), schema, maxRecordBytes      (JSON lines: one object per line)
//   arrow:   none (IPC file or stream, told apart by the 'ARROW1' magic)
//   parquet: none (schema from the footer; one split per group of row groups)
//   idx:     labels (true | path | paths): pair label files with image files (see idx.ts); raw or gzip
//   images:  size ([height, width], required), channels (3 | 1), fit ('cover' | 'contain' | 'fill'),
//            mode (also 'dropMalformed'), badRecordsPath (see images.ts); groups of whole files per split
// `schema` is FieldJSON[] or a DDL string 'a int32, b utf8 not null' (see schema-ddl.ts).
import { PlanError, assertNever } from '../errors.ts';
import type { FieldJSON } from '../types.ts';
import { inferArrowSchema } from './arrow-ipc.ts';
import { inferCsvSchema } from './csv.ts';
import { inferJsonSchema } from './json.ts';
import { parseReadOptions, type FileFormat } from './options.ts';
import { inferIdxSchema } from './idx.ts';
import { inferImagesSchema } from './images.ts';
import { inferParquetSchema } from './parquet.ts';
import { planFileSplits, type SplitJSON } from './splits.ts';
import { rowGroupPredicate } from './row-group-pruning.ts';
import { keptByPartition, type Partitioning } from './partitions.ts';
import type { ExprNode } from '../expr/node.ts';
import { TEXT_SCHEMA } from './text.ts';

export { resolvePaths, resolvePathsSync, type DirectoryFilter } from './paths.ts';
export { readSplit } from './read.ts';
export { isImageFile, IMAGE_DIRECTORY_FILTER, IMAGE_EXTENSIONS } from './images.ts';
export { imageCodec } from './images-decode.ts';
export { parseReadOptions, ParseMode, ImageFit, FORMAT_OPTIONS, type FileFormat, type ReadOptions } from './options.ts';
export { parseSchemaOption } from './schema-ddl.ts';
export { sourceStats, type SourceStats } from './source-stats.ts';
export type { SplitJSON } from './splits.ts';
export { discoverPartitions, keptByPartition, partitionColumn, partitionFilters, type Partitioning } from './partitions.ts';

/**
 * What a scan reads. Structurally the same as core's SourceSpec (core/plan/scan.ts), declared
 * here because ops/ does not import core/.
 */
export interface SourceSpec {
  readonly format: FileFormat;
  /** Resolved file paths (see resolvePaths), in a stable order. */
  readonly paths: readonly string[];
  readonly options: Readonly<Record<string, unknown>>;
}

function checkPaths(source: SourceSpec): void {
  if (source.paths.length === 0) throw new PlanError(`no input files for the ${source.format} source; resolve paths with resolvePaths first`);
}

/**
 * The schema of a source's files. csv and json infer types from the first `inferRows` records
 * (int32 if all fit, else int64, float64, bool, utf8; a column with no values is utf8) unless
 * `schema` is given; arrow and parquet read the first file's schema. Validates the options.
 */
export async function inferSchema(source: SourceSpec): Promise<FieldJSON[]> {
  return inferSchemaSync(source);
}

/**
 * inferSchema, synchronously: it reads a bounded prefix (csv, json), a footer (parquet, arrow
 * file) or the first message (arrow stream), so it is cheap enough for plan building.
 */
export function inferSchemaSync(source: SourceSpec): FieldJSON[] {
  const opts = parseReadOptions(source.format, source.options);
  checkPaths(source);
  switch (source.format) {
    case 'text': return TEXT_SCHEMA.map((f) => ({ ...f }));
    case 'csv': return inferCsvSchema(source.paths, opts);
    case 'json': return inferJsonSchema(source.paths, opts);
    case 'arrow': return inferArrowSchema(source.paths[0]);
    case 'parquet': return inferParquetSchema(source.paths[0]);
    case 'idx': return inferIdxSchema(source.paths, opts.labels);
    case 'images': return inferImagesSchema(opts);
    default: return assertNever(source.format, 'file format');
  }
}

/** A scan's filters, for splits to leave out what they rule out (Parquet row groups by their statistics). */
export interface ScanFilters {
  readonly filters: readonly ExprNode[];
  readonly fileSchema: readonly FieldJSON[];
  /** Told how many row groups of each file the filters ruled out. */
  onPruned?(n: number): void;
}

/**
 * Cuts the source's files into splits of about `targetSplitBytes`: text/json/csv files into
 * byte ranges (csv only when `splittable`), parquet files into groups of row groups, arrow
 * files whole. Empty text/json files add no split; an empty csv file with a header expected is
 * a DataError. Always at least one split.
 */
export async function planSplits(source: SourceSpec, targetSplitBytes: number, parallelism = 1, scan?: ScanFilters): Promise<SplitJSON[]> {
  const opts = parseReadOptions(source.format, source.options);
  checkPaths(source);
  const mayPass = source.format === 'parquet' && scan ? rowGroupPredicate(scan.filters, scan.fileSchema) : null;
  const prune = mayPass && scan ? { fileSchema: scan.fileSchema, mayPass, pruned: (n: number) => scan.onPruned?.(n) } : undefined;
  const splits = await planFileSplits(source.format, source.paths, opts, targetSplitBytes, parallelism, prune);
  // A partitioned source: each split carries its file's directory values (ScanExec adds them as columns).
  const p = source.options.partitioning as Partitioning | undefined;
  if (p?.values) {
    const at = new Map(source.paths.map((f, i) => [f, p.values![i]]));
    for (const s of splits) s.partitionValues = at.get(s.path) ?? null;
  }
  return splits;
}

/**
 * A partitioned source without the files whose directory values fail `filters` (those reading
 * only partition columns), with `partitioning.prunedFiles` counting them. Keeps at least one
 * file, so the scan still has a partition (ScanExec reads nothing from a split its filters rule out).
 */
export function prunePartitions(source: SourceSpec, filters: readonly ExprNode[]): SourceSpec {
  const p = source.options.partitioning as Partitioning | undefined;
  if (!p?.values) return source;
  const keep = keptByPartition(p, p.values, filters);
  let idx = keep.flatMap((k, i) => (k ? [i] : []));
  if (idx.length === 0) idx = [0];
  return {
    ...source,
    paths: idx.map((i) => source.paths[i]),
    options: { ...source.options, partitioning: { columns: p.columns, values: idx.map((i) => p.values![i]), prunedFiles: source.paths.length - idx.length } },
  };
}

/** A scan's options as its physical node carries them: a partitioning's values travel in the splits, not here. */
export function physicalScanOptions(options: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const p = options.partitioning as Partitioning | undefined;
  if (!p) return { ...options };
  return { ...options, partitioning: { columns: p.columns, prunedFiles: p.prunedFiles ?? 0 } };
}
