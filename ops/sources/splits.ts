// Splits: the unit of scan parallelism (one task each), planned on the driver from file sizes.
import { statSync, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { DataError, PlanError, assertNever } from '../errors.ts';
import type { FileFormat, ReadOptions } from './options.ts';
import { csvRecordStarts } from './csv.ts';
import { idxSplits } from './idx.ts';
import { imageSplits } from './images.ts';
import { parquetRowGroupSplits, type RowGroupPrune } from './parquet.ts';

/**
 * A piece of one file that one task reads; JSON, shipped to workers. Line-oriented formats
 * (text, csv, json) own the records that *start* in bytes [start, end) (see RangeReader).
 */
export interface SplitJSON {
  path: string;
  start: number;
  end: number;
  /**
   * 1-based line number of the split's first byte when known (1 at the file start). For a split
   * that starts mid-file it is unknown: an error counts the lines before it only when it must
   * name one, so the fast path never counts.
   */
  firstLine?: number;
  /**
   * csv, a split that starts mid-file: the file offset of the first record it owns, found on the
   * driver by reading the file's quotes before it (a line break inside a quoted field starts no
   * record). At or past `end`: the split owns no record (one quoted field spans it).
   */
  firstRecord?: number;
  /** parquet: the row groups this split reads (all of them when absent). */
  rowGroups?: number[];
  /** idx: the labels file read alongside (start/end count records for idx files). */
  pair?: string;
  /** images: the whole files this split reads, in order (start/end are their positions in the scan's files; path is the first). */
  files?: string[];
  /** A partitioned source: the `col=value` directory values of the file, in the order of `partitioning.columns`. */
  partitionValues?: (string | null)[] | null;
}

/**
 * `parallelism` (the workers that will run the splits): a file cut into pieces is cut into a
 * multiple of it, so that the last wave of tasks keeps every worker busy (5 pieces on 2
 * workers would leave one idle for a whole piece; 6 smaller ones do not).
 */
export async function planFileSplits(format: FileFormat, paths: readonly string[], opts: ReadOptions, targetSplitBytes: number, parallelism = 1, prune?: RowGroupPrune): Promise<SplitJSON[]> {
  if (!Number.isFinite(targetSplitBytes) || targetSplitBytes < 1) throw new PlanError(`targetSplitBytes must be a positive number of bytes, got ${targetSplitBytes}`);
  const target = Math.floor(targetSplitBytes);
  if (format === 'idx') return idxSplits(paths, opts.labels, target);
  // A few files are stat'ed in place (microseconds each); the thread pool's round trip cost each
  // TPC-H query about 0.8 ms, and it can wait behind other file work. Many files go in parallel.
  const sizes = paths.length <= SYNC_STAT_FILES ? paths.map((p) => sizeOf(p, () => statSync(p))) : await Promise.all(paths.map((p) => fileSize(p)));
  if (format === 'images') return imageSplits(paths, sizes, target, parallelism);
  const split = scanTarget(target, sizes, parallelism);
  const out: SplitJSON[] = [];
  for (const [k, path] of paths.entries()) {
    const size = sizes[k];
    switch (format) {
      case 'text': case 'json': case 'csv': {
        if (size === 0) continue; // no records (a csv header, when needed, comes from the other files: see inferCsvSchema)
        const splittable = format !== 'csv' || opts.splittable;
        let n = splittable ? Math.ceil(size / split) : 1;
        if (n > 1 && parallelism > 1) n = Math.ceil(n / parallelism) * parallelism;
        const piece = Math.ceil(size / n);
        const first = out.length;
        for (let s = 0; s < size; s += piece) {
          const split: SplitJSON = { path, start: s, end: Math.min(size, s + piece) };
          if (s === 0) split.firstLine = 1;
          out.push(split);
        }
        if (format === 'csv' && out.length - first > 1) {
          const pieces = out.slice(first + 1);
          const starts = await csvRecordStarts(path, pieces.map((p) => p.start), opts);
          pieces.forEach((p, i) => { p.firstRecord = starts[i]; });
        }
        break;
      }
      case 'arrow':
        out.push({ path, start: 0, end: size });
        break;
      case 'parquet':
        out.push(...await parquetRowGroupSplits(path, size, split, prune));
        break;
      default: assertNever(format, 'file format');
    }
  }
  // Only empty files: one empty split keeps the scan a stage with one (empty) partition.
  if (out.length === 0 && paths.length > 0) out.push({ path: paths[0], start: 0, end: 0, firstLine: 1 });
  return out;
}

/** Splits are not made smaller than this to fill the workers: below it, a task's fixed cost dominates. */
const MIN_SPREAD_SPLIT_BYTES = 1 << 20;

/**
 * The split size for a scan: `target`, or less when the whole input would give fewer splits
 * than workers. A 15 MB Parquet file (TPC-H lineitem at SF 0.1: 5 row groups) under a 128 MB
 * target was one split, read by one task while the other workers idled.
 */
function scanTarget(target: number, sizes: readonly number[], parallelism: number): number {
  if (parallelism <= 1) return target;
  const total = sizes.reduce((a, b) => a + b, 0);
  return Math.min(target, Math.max(MIN_SPREAD_SPLIT_BYTES, Math.ceil(total / parallelism)));
}

/** Up to this many files, planFileSplits stats them synchronously. */
const SYNC_STAT_FILES = 64;

async function fileSize(path: string): Promise<number> {
  let st: Stats;
  try {
    st = await stat(path);
  } catch (e) {
    return sizeOf(path, () => { throw e; });
  }
  return sizeOf(path, () => st);
}

/** The size of the regular file `stat` describes, or the DataError naming `path` for what went wrong. */
function sizeOf(path: string, stat: () => Stats): number {
  try {
    const st = stat();
    if (!st.isFile()) throw new DataError('not a regular file', { file: path });
    return st.size;
  } catch (e) {
    if (e instanceof DataError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new DataError('file not found; check the path', { file: path }, { cause: e });
    throw new DataError(`cannot read: ${(e as Error).message}`, { file: path }, { cause: e });
  }
}
