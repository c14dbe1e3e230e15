// Image files (JPEG, PNG, WebP and whatever else libvips decodes) as rows of path, width, height and fixed-size HWC pixels.
//
// Columns: `path` utf8, `width` and `height` int32 (the picture as shown, before fitting) and
// `image` fixed_size_list<uint8>[h * w * c], row-major, channels interleaved (RGB or gray).
// Option `size` [h, w] is required: the column's length is part of the schema.
// Splits are groups of whole files (up to FILES_PER_SPLIT, or fewer when their bytes pass the split
// budget): SplitJSON.files lists them, start/end are their positions in the scan's file list,
// and `path` is the first. Files are read in order and decoded a few at a time (IN_FLIGHT) on
// the libuv thread pool.
// A bad image (empty, truncated, corrupt, not an image) is one bad record: failfast throws a
// DataError naming the file and sharp's reason; permissive drops the row (the image column
// has no null to put in its place, as csv/json drop a malformed row) and quarantines the file
// with its reason, one quarantine file per image, named as BadRecords names a split's; a
// later read that finds the image good removes it; dropMalformed drops the row and counts it
// (`droppedRecords`). A file that cannot be read at all (vanished, no permission) is a
// DataError in every mode, as in the other readers.
import * as arrow from 'apache-arrow';
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { extname } from 'node:path';
import { makeBatch } from '../compute/batch.ts';
import { DataError, PlanError } from '../errors.ts';
import type { TaskContext } from '../exec-plan.ts';
import { toArrowSchema, type FieldJSON } from '../types.ts';
import { BadRecords, quarantineFileName, ReadEnd } from './bad-records.ts';
import { decodeImage, ImageDecodeError, type DecodedImage, type ImageTarget } from './images-decode.ts';
import { ParseMode, type ReadOptions } from './options.ts';
import type { DirectoryFilter } from './paths.ts';
import type { SplitJSON } from './splits.ts';

/** Extensions a directory's image files have (case-insensitive); other files in it are not read. */
export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.jpe', '.jfif', '.png', '.webp', '.gif', '.avif', '.tif', '.tiff', '.heic', '.heif'];

export const isImageFile = (path: string): boolean => IMAGE_EXTENSIONS.includes(extname(path).toLowerCase());

/** What a directory given to the images reader stands for: its image files. */
export const IMAGE_DIRECTORY_FILTER: DirectoryFilter = { keep: isImageFile, what: `image files (${IMAGE_EXTENSIONS.join(', ')})` };

/**
 * Files per split at most: enough that a task's start is amortized and that it has several
 * batches to pipeline (decode the next while predict infers the last), while the job still
 * spreads over the workers (see imageSplits).
 */
export const FILES_PER_SPLIT = 1024;
/** Images per batch at most: a task's batches flow to predict while it decodes the next ones. */
const IMAGES_PER_BATCH = 256;
/** Bytes of files per split at most (besides targetSplitBytes), so a few huge pictures get their own tasks. */
const MAX_SPLIT_BYTES = 32 << 20;
/** Pixel bytes per batch at most: 64 images of 224x224x3 are 9.6 MB. */
const MAX_BATCH_BYTES = 16 << 20;
/** Files read and decoded ahead of the one being consumed, per task. */
const IN_FLIGHT = 4;

/** A group of whole image files, read in order. `files` MUST be the user's files: an executor checks each against its --paths. */
export interface ImageSplitJSON extends SplitJSON {
  files: string[];
}

/** The schema of an images source; refuses a source without `size`. */
export function inferImagesSchema(opts: ReadOptions): FieldJSON[] {
  if (!opts.size) {
    throw new PlanError(`images: option 'size' is required, e.g. { size: [224, 224] }: the image column is a fixed_size_list, so every image is fitted to one [height, width] (see 'fit')`);
  }
  const [h, w] = opts.size;
  return [
    { name: 'path', type: 'utf8', nullable: false },
    { name: 'width', type: 'int32', nullable: false },
    { name: 'height', type: 'int32', nullable: false },
    { name: 'image', type: { fixedList: 'uint8', size: h * w * opts.channels }, nullable: false },
  ];
}

/**
 * Groups files (in order) into splits of at most FILES_PER_SPLIT files and about
 * min(targetBytes, 32 MiB) of file bytes (one file may exceed it alone). With fewer files than
 * that per worker, the files are spread evenly over `parallelism` splits so every worker decodes.
 */
export function imageSplits(paths: readonly string[], sizes: readonly number[], targetBytes: number, parallelism = 1): ImageSplitJSON[] {
  const n = paths.length;
  // At least 4 splits per worker when there are files enough (64 per split), for balance.
  const groups = Math.max(Math.ceil(n / FILES_PER_SPLIT), Math.min(Math.ceil(n / 64), 4 * Math.max(1, parallelism)), Math.min(n, Math.max(1, parallelism)));
  const per = Math.max(1, Math.ceil(n / groups));
  const budget = Math.max(1, Math.min(targetBytes, MAX_SPLIT_BYTES));
  const out: ImageSplitJSON[] = [];
  for (let i = 0; i < n;) {
    let j = i, bytes = 0;
    while (j < n && j - i < per && (j === i || bytes + sizes[j] <= budget)) bytes += sizes[j++];
    out.push({ path: paths[i], start: i, end: j, files: paths.slice(i, j) });
    i = j;
  }
  return out;
}

type Outcome = { file: string; ok: true; image: DecodedImage } | { file: string; ok: false; reason: string; unexplained: boolean };

async function load(file: string, target: ImageTarget): Promise<Outcome> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(code === 'ENOENT' ? 'file not found (it was there when the job was planned)' : `cannot read: ${(e as Error).message}`, { file }, { cause: e });
  }
  try {
    return { file, ok: true, image: await decodeImage(bytes, target) };
  } catch (e) {
    if (e instanceof ImageDecodeError) return { file, ok: false, reason: e.message, unexplained: e.unexplained };
    throw e;
  }
}

/** The pseudo split a file's quarantine entry is named by (one quarantine file per image). */
const quarantineSplit = (file: string): SplitJSON => ({ path: file, start: 0, end: 0, firstLine: 1 });

/** Names of the quarantine files already in `dir` (to remove those of images that now decode). */
async function quarantined(dir: string): Promise<Set<string>> {
  try {
    return new Set(await readdir(dir));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
    throw new DataError(`cannot list badRecordsPath: ${(e as Error).message}`, { file: dir }, { cause: e });
  }
}

/** Builds one batch of `columns` from decoded rows; `pixels` holds their images back to back. */
function batchOf(schema: arrow.Schema, columns: readonly string[], rows: { file: string; width: number; height: number }[], pixels: Uint8Array, rowBytes: number): arrow.RecordBatch {
  const n = rows.length;
  const cols = columns.map((c, k) => {
    const type = schema.fields[k].type;
    switch (c) {
      case 'path': {
        const bytes = rows.map((r) => Buffer.from(r.file, 'utf8'));
        const offsets = new Int32Array(n + 1);
        bytes.forEach((b, i) => { offsets[i + 1] = offsets[i] + b.length; });
        return arrow.makeData({ type, length: n, nullCount: 0, valueOffsets: offsets, data: Buffer.concat(bytes) } as any);
      }
      case 'width': case 'height':
        return arrow.makeData({ type, length: n, nullCount: 0, data: Int32Array.from(rows, (r) => r[c]) } as any);
      case 'image': {
        const child = arrow.makeData({ type: (type as arrow.FixedSizeList).children[0].type, length: n * rowBytes, nullCount: 0, data: pixels.subarray(0, n * rowBytes) } as any);
        return arrow.makeData({ type, length: n, nullCount: 0, child } as any);
      }
      default: throw new PlanError(`images: '${c}' is not a column; columns: path, width, height, image`);
    }
  });
  return makeBatch(schema, cols, n);
}

/**
 * Reads one split's files in order as batches of at most ctx.batchSize rows (and ~16 MB of
 * pixels). Every file is decoded whatever `columns` asks for: a bad image is dropped from
 * count() as from collect().
 */
export async function* readImages(split: ImageSplitJSON, opts: ReadOptions, fileSchema: readonly FieldJSON[], columns: readonly string[], ctx: TaskContext): AsyncGenerator<arrow.RecordBatch> {
  if (!opts.size) throw new PlanError(`images: option 'size' is required`);
  const schema = toArrowSchema(columns.map((c) => fileSchema.find((f) => f.name === c)!));
  const target: ImageTarget = { height: opts.size[0], width: opts.size[1], channels: opts.channels, fit: opts.fit };
  const rowBytes = target.height * target.width * target.channels;
  const perBatch = Math.max(1, Math.min(ctx.batchSize, IMAGES_PER_BATCH, Math.floor(MAX_BATCH_BYTES / rowBytes)));
  const files = split.files ?? [split.path];
  const permissive = opts.mode === ParseMode.Permissive;
  const stale = permissive ? await quarantined(opts.badRecordsPath!) : null;
  // Decodes run ahead of the consumer; a failure surfaces when its file's turn comes, and
  // caught here so that one left behind by an early stop is not an unhandled rejection.
  const ahead: Promise<Outcome>[] = [];
  const settled = (p: Promise<Outcome>): Promise<Outcome> => { p.catch(() => {}); return p; };
  let next = 0;
  const fill = (): void => { while (ahead.length < IN_FLIGHT && next < files.length) ahead.push(settled(load(files[next++], target))); };
  // count() and projections without the image still decode every file (a bad one is dropped
  // from them too), but keep no pixels.
  const keep = columns.includes('image') ? rowBytes : 0;
  let rows: { file: string; width: number; height: number }[] = [];
  let pixels = new Uint8Array(Math.min(perBatch, files.length) * keep);
  // The reader's own time (reading and decoding, not the consumer's between pulls): each stage's rate in the demo and the UI.
  let since = performance.now();
  const emit = (batch: arrow.RecordBatch): arrow.RecordBatch => {
    const now = performance.now();
    ctx.metrics.add('imagesDecodeMs', now - since);
    ctx.metrics.add('imagesDecoded', batch.numRows);
    return batch;
  };
  for (let done = 0; done < files.length; done++) {
    fill();
    let o = await ahead.shift()!;
    ctx.signal?.throwIfAborted();
    if (!o.ok && o.unexplained) {
      // libvips' warnings are one queue for the whole process, and any sharp call that ends
      // may take them: decoding the file again once this task's other decodes are done mostly
      // recovers the decoder's own words ("premature end of JPEG image").
      await Promise.allSettled(ahead);
      const again = await load(o.file, target);
      if (!again.ok && !again.unexplained) o = again;
    }
    if (o.ok) {
      if (keep) pixels.set(o.image.pixels, rows.length * rowBytes);
      rows.push({ file: o.file, width: o.image.width, height: o.image.height });
      const q = quarantineSplit(o.file);
      if (stale?.has(quarantineFileName(q))) await new BadRecords(q, opts.mode, opts.badRecordsPath, ctx).close(ReadEnd.Complete);
    } else if (opts.mode === ParseMode.FailFast) {
      throw new DataError(`cannot decode the image: ${o.reason}; to skip bad images, read with mode: 'permissive' (and a badRecordsPath) or 'dropMalformed'`, { file: o.file });
    } else if (permissive) {
      const bad = new BadRecords(quarantineSplit(o.file), opts.mode, opts.badRecordsPath, ctx);
      let end = ReadEnd.Failed;
      try {
        await bad.report({ offset: 0, reason: `cannot decode the image: ${o.reason}`, record: '' });
        end = ReadEnd.Complete;
      } finally {
        await bad.close(end);
      }
    } else {
      ctx.metrics.add('droppedRecords', 1);
    }
    if (rows.length === perBatch) {
      yield emit(batchOf(schema, columns, rows, pixels, rowBytes));
      since = performance.now();
      rows = [];
      pixels = new Uint8Array(Math.min(perBatch, files.length - done - 1) * keep);
    }
  }
  if (rows.length > 0) yield emit(batchOf(schema, columns, rows, pixels, rowBytes));
  else ctx.metrics.add('imagesDecodeMs', performance.now() - since);
}
