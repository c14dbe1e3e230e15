// Reader options: the options each format accepts, their defaults, and validation (PlanError on misuse).
import { PlanError } from '../errors.ts';
import type { FieldJSON } from '../types.ts';
import { parseSchemaOption } from './schema-ddl.ts';

export type FileFormat = 'text' | 'csv' | 'json' | 'arrow' | 'parquet' | 'idx' | 'images';

/** How a reader treats a record it cannot parse. */
export enum ParseMode {
  /** Stop with a DataError naming file, line and column (the default). */
  FailFast = 'failfast',
  /** Skip the record, count it (`badRecords`) and write it with its reason under `badRecordsPath`. */
  Permissive = 'permissive',
  /** Skip the record and count it (`droppedRecords`), writing nothing; images only. */
  DropMalformed = 'dropMalformed',
}

/** images: how a picture is fitted to `size` (sharp's resize fits). */
export enum ImageFit {
  /** Scale to fill the size, keeping the aspect ratio; the overflow is cropped, centred (the default). */
  Cover = 'cover',
  /** Scale to fit inside the size, keeping the aspect ratio; the rest is padded black, centred. */
  Contain = 'contain',
  /** Scale each axis to the size, ignoring the aspect ratio. */
  Fill = 'fill',
}

/** Options after validation, with every default filled in. */
export interface ReadOptions {
  mode: ParseMode;
  /** Directory for quarantined records; required in permissive mode. */
  badRecordsPath: string | null;
  /** Size of the reused read buffer, and so of a text batch (bytes). */
  bufferBytes: number;
  /** csv: the first line holds column names. */
  header: boolean;
  /** csv: one ASCII character. */
  delimiter: number;
  /** csv: one ASCII character; a quote inside a quoted field is written twice. */
  quote: number;
  /** csv: an unquoted field equal to this is null (an empty unquoted field always is). */
  nullValue: string;
  /** csv/json: records sampled to infer column types. */
  inferRows: number;
  /** csv: cut files larger than the split size into byte ranges; each starts at a whole record, quoted line breaks included (see csv.ts). */
  splittable: boolean;
  /** csv/json: the schema given instead of inferred. */
  schema: FieldJSON[] | null;
  /** csv/json: a record longer than this is reported instead of read (guards against runaway quotes). */
  maxRecordBytes: number;
  /** idx: labels files paired with the image files (true: named like them with 'labels-idx1'). */
  labels: unknown;
  /** images: [height, width] of every decoded image; null when not given (a PlanError when the schema is built). */
  size: readonly [number, number] | null;
  /** images: 3 (RGB) or 1 (gray). */
  channels: 1 | 3;
  /** images: how an image is fitted to `size`. */
  fit: ImageFit;
}

/**
 * Set by the driver on every source (its size in memory, and its rows and integer columns' ranges where known, for statistics; see source-stats.ts),
 * on sources read from `col=value` directories (`partitioning`, see partitions.ts), and on Parquet
 * scans whose filters ruled out row groups by their statistics (`prunedRowGroups`, a count for
 * explain; see row-group-pruning.ts); readers ignore them.
 */
const PLANNER = ['totalBytes', 'totalRows', 'columnRanges', 'partitioning', 'prunedRowGroups'] as const;
const COMMON = [...PLANNER, 'mode', 'badRecordsPath', 'bufferBytes'] as const;

/** Options each format accepts; anything else is a PlanError (a typo should not be ignored). */
export const FORMAT_OPTIONS: Readonly<Record<FileFormat, readonly string[]>> = {
  text: [...COMMON],
  csv: [...COMMON, 'header', 'delimiter', 'sep', 'quote', 'nullValue', 'inferRows', 'splittable', 'schema', 'maxRecordBytes'],
  json: [...COMMON, 'inferRows', 'schema', 'maxRecordBytes'],
  arrow: [...PLANNER],
  parquet: [...PLANNER],
  idx: [...PLANNER, 'labels'],
  images: [...PLANNER, 'mode', 'badRecordsPath', 'size', 'channels', 'fit'],
};

/** images: the largest side, and the most values per image (the fixed_size_list limit plans allow). */
const MAX_IMAGE_SIDE = 16384;
const MAX_IMAGE_VALUES = 1 << 24;

/**
 * Bytes a text reader fills per batch. Kept under the 4 MiB mmap threshold that the quiver
 * command and the benches give glibc (bin/malloc-env.mjs): a batch's line bytes are then
 * allocated from the heap arenas and reuse freed pages, where past it each batch was a fresh
 * mapping whose pages all fault. Log top-5 over 10M lines (local, 2 workers, three alternated
 * rounds of 3 jobs): 1,496-1,676 ms a job with 8 MiB, 1,393-1,462 ms with 3 MiB.
 */
const DEFAULT_BUFFER_BYTES = 3 << 20;

/** Validates `options` for `format` and fills in defaults. Throws PlanError naming the bad option. */
export function parseReadOptions(format: FileFormat, options: Readonly<Record<string, unknown>>): ReadOptions {
  const valid = FORMAT_OPTIONS[format];
  if (!valid) throw new PlanError(`unknown file format '${String(format)}'; expected one of ${Object.keys(FORMAT_OPTIONS).join(', ')}`);
  for (const k of Object.keys(options)) {
    if (options[k] === undefined) continue;
    if (!valid.includes(k)) {
      const userOptions = valid.filter((o) => !(PLANNER as readonly string[]).includes(o));
      throw new PlanError(userOptions.length
        ? `unknown option '${k}' for ${format} files; valid options: ${userOptions.join(', ')}`
        : `${format} files take no options, got '${k}'`);
    }
  }
  const mode = parseMode(options.mode);
  if (mode === ParseMode.DropMalformed && format !== 'images') {
    throw new PlanError(`mode 'dropMalformed' is read by the images reader only; ${format} files take 'failfast' or 'permissive' (with a badRecordsPath)`);
  }
  const badRecordsPath = optString(options, 'badRecordsPath');
  if (mode === ParseMode.Permissive && !badRecordsPath) {
    throw new PlanError(`mode 'permissive' requires option badRecordsPath: a directory where bad records are written with their reasons`);
  }
  if (options.delimiter !== undefined && options.sep !== undefined) throw new PlanError(`give either 'delimiter' or 'sep', not both`);
  const schemaOpt = options.schema;
  const delimiter = optChar(options, options.delimiter !== undefined ? 'delimiter' : 'sep', ',');
  const quote = optChar(options, 'quote', '"');
  if (delimiter === quote) throw new PlanError(`the delimiter and the quote must differ, both are ${JSON.stringify(String.fromCharCode(quote))}`);
  return {
    mode,
    badRecordsPath: badRecordsPath ?? null,
    bufferBytes: optInt(options, 'bufferBytes', DEFAULT_BUFFER_BYTES, 16),
    header: optBool(options, 'header', true),
    delimiter,
    quote,
    nullValue: optString(options, 'nullValue') ?? '',
    inferRows: optInt(options, 'inferRows', 1000, 1),
    splittable: optBool(options, 'splittable', true),
    schema: schemaOpt === undefined || schemaOpt === null ? null : parseSchemaOption(schemaOpt, format === 'json'),
    maxRecordBytes: optInt(options, 'maxRecordBytes', 64 << 20, 16),
    labels: options.labels ?? null,
    ...parseImageOptions(options),
  };
}

function parseImageOptions(o: Readonly<Record<string, unknown>>): Pick<ReadOptions, 'size' | 'channels' | 'fit'> {
  let size: [number, number] | null = null;
  if (o.size !== undefined && o.size !== null) {
    const v = o.size;
    if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => Number.isInteger(x) && x >= 1 && x <= MAX_IMAGE_SIDE)) {
      throw new PlanError(`option 'size' must be [height, width], two integers from 1 to ${MAX_IMAGE_SIDE}, got ${JSON.stringify(v)}`);
    }
    size = [v[0], v[1]];
  }
  const channels = o.channels ?? 3;
  if (channels !== 1 && channels !== 3) throw new PlanError(`option 'channels' must be 3 (RGB) or 1 (gray), got ${JSON.stringify(channels)}`);
  const fit = o.fit ?? ImageFit.Cover;
  if (!Object.values(ImageFit).includes(fit as ImageFit)) throw new PlanError(`option 'fit' must be 'cover', 'contain' or 'fill', got ${JSON.stringify(fit)}`);
  if (size && size[0] * size[1] * channels > MAX_IMAGE_VALUES) {
    throw new PlanError(`option 'size' ${size[0]}x${size[1]} with ${channels} channel(s) makes ${size[0] * size[1] * channels} values per image, more than ${MAX_IMAGE_VALUES}; choose a smaller size`);
  }
  return { size, channels, fit: fit as ImageFit };
}

function parseMode(v: unknown): ParseMode {
  if (v === undefined || v === null) return ParseMode.FailFast;
  if (v === ParseMode.FailFast || v === ParseMode.Permissive || v === ParseMode.DropMalformed) return v;
  throw new PlanError(`unknown mode ${JSON.stringify(v)}; expected 'failfast' (stop at the first bad record), 'permissive' (skip and quarantine bad records) or, for images, 'dropMalformed' (skip them)`);
}

function optString(o: Readonly<Record<string, unknown>>, k: string): string | undefined {
  const v = o[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new PlanError(`option '${k}' must be a string, got ${JSON.stringify(v)}`);
  return v;
}

function optBool(o: Readonly<Record<string, unknown>>, k: string, dflt: boolean): boolean {
  const v = o[k];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'boolean') throw new PlanError(`option '${k}' must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function optInt(o: Readonly<Record<string, unknown>>, k: string, dflt: number, min: number): number {
  const v = o[k];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new PlanError(`option '${k}' must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return v;
}

function optChar(o: Readonly<Record<string, unknown>>, k: string, dflt: string): number {
  const v = o[k] ?? dflt;
  if (typeof v !== 'string' || v.length !== 1 || v.charCodeAt(0) > 127 || v === '\n' || v === '\r') {
    throw new PlanError(`option '${k}' must be one ASCII character other than a line break, got ${JSON.stringify(v)}`);
  }
  return v.charCodeAt(0);
}
