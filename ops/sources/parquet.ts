// Parquet reader over parquet-wasm: schema from the footer, splits by row group, reads by row group and column.
import * as arrow from 'apache-arrow';
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { DataError, InternalError, QuiverError, ResourceError } from '../errors.ts';
import type { FieldJSON } from '../types.ts';
import { fieldFromArrow } from './normalize.ts';
import { copyOutOfWasm } from './parquet-ffi.ts';
import { FooterError, parseFooter, type RowGroupInfo } from './parquet-footer.ts';
import { cachedFooter, derive } from './parquet-footer-cache.ts';
import { loadZstd } from './parquet-inflate.ts';
import { parseFooterTree, sliceRowGroups } from './parquet-slice.ts';
import { rowGroupStats, type RowGroupStats } from './parquet-stats.ts';
import { ParquetPanic, trimParquetWasm, withParquetWasm } from './parquet-wasm.ts';
import type { SplitJSON } from './splits.ts';

const PAR1 = Buffer.from('PAR1');

/**
 * The most bytes a task decodes at once: the decoder works on a copy in wasm memory (32-bit,
 * 4 GiB at most, shared with the decoded batches) of its split's row groups (or of the whole
 * file, for a split that is the whole file). Decoding synchronously from memory is what lets a
 * decoder panic be caught (see parquet-wasm.ts).
 */
const MAX_FILE_BYTES = 1024 * 1024 * 1024;

const reason = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function notParquet(path: string, e: unknown): DataError {
  if (e instanceof DataError) return e;
  return new DataError(`not a readable Parquet file (${reason(e)})`, { file: path }, { cause: e });
}

/** 'PAR1' + the footer + its length + 'PAR1': what parquet-wasm needs to read the schema. */
function readFooter(path: string): { footer: Buffer; size: number } {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size < 12) throw new Error(`${size} bytes is too short`);
    const tail = Buffer.alloc(8);
    readSync(fd, tail, 0, 8, size - 8);
    if (!tail.subarray(4).equals(PAR1)) throw new Error(`no 'PAR1' magic at the end`);
    const metaLen = tail.readUInt32LE(0);
    if (metaLen + 12 > size) throw new Error('footer length is larger than the file');
    const footer = Buffer.alloc(4 + metaLen + 8);
    PAR1.copy(footer, 0);
    readSync(fd, footer, 4, metaLen + 8, size - 8 - metaLen);
    return { footer, size };
  } finally {
    closeSync(fd);
  }
}

/** Row groups from a file image or footer ('PAR1' ... length 'PAR1'). */
function rowGroupsOf(bytes: Uint8Array): RowGroupInfo[] {
  const len = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readUInt32LE(bytes.length - 8);
  if (len + 12 > bytes.length) throw new FooterError('footer length is larger than the file');
  return parseFooter(bytes.subarray(bytes.length - 8 - len, bytes.length - 8));
}

/** The Arrow schema from the file's footer, reading only the footer's bytes (synchronous). */
export function inferParquetSchema(path: string): FieldJSON[] {
  try {
    const f = cachedFooter<unknown>(path, readFooter);
    derive(f, 'groups', () => rowGroupsOf(f.footer));
    const fields = derive(f, 'fields', () => arrow.tableFromIPC(withParquetWasm((pq) => pq.readSchema(f.footer).intoIPCStream())).schema.fields.map((x) => fieldFromArrow(x, path)));
    // Copies: the cached fields are shared by every plan over this file.
    return fields.map((x) => ({ ...x }));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new DataError('file not found', { file: path }, { cause: e });
    throw notParquet(path, e);
  }
}

/** Rows and decompressed bytes of a file, from its footer alone (for the planner's size estimates). */
export function parquetFileStats(path: string): { rows: number; bytes: number } {
  try {
    const f = cachedFooter<unknown>(path, readFooter);
    const groups = derive(f, 'groups', () => rowGroupsOf(f.footer));
    return { rows: groups.reduce((s, g) => s + g.numRows, 0), bytes: groups.reduce((s, g) => s + g.uncompressedSize, 0) };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new DataError('file not found', { file: path }, { cause: e });
    throw notParquet(path, e);
  }
}

/**
 * Each integer and date column's [min, max] over all row groups of a file, from the footer's
 * statistics (for the planner: a column whose range is narrower than the rows repeats values).
 * A column some row group gives no bounds for is left out.
 */
export function parquetColumnRanges(path: string, fileSchema: readonly FieldJSON[]): Record<string, [number, number]> {
  const ranged = fileSchema.filter((f) => f.type === 'int8' || f.type === 'int16' || f.type === 'int32' || f.type === 'int64' || f.type === 'date32');
  if (ranged.length === 0) return {};
  try {
    const f = cachedFooter<unknown>(path, readFooter);
    const footer = f.footer;
    const len = footer.readUInt32LE(footer.length - 8);
    const stats = derive(f, `stats ${JSON.stringify(ranged)}`, () => rowGroupStats(footer.subarray(footer.length - 8 - len, footer.length - 8), ranged));
    const out: Record<string, [number, number]> = {};
    for (const { name } of ranged) {
      let lo = Infinity, hi = -Infinity;
      for (const g of stats) {
        const c = g.columns.get(name);
        if (g.rows === 0) continue;
        if (!c || !c.min || !c.max) { lo = NaN; break; }
        lo = Math.min(lo, Number(c.min.values[0]));
        hi = Math.max(hi, Number(c.max.values[0]));
      }
      if (lo <= hi) out[name] = [lo, hi];
    }
    return out;
  } catch {
    // Statistics are an estimate's input: a footer they cannot be read from gives none.
    return {};
  }
}

/** Consecutive row groups grouped until each split holds about `target` compressed bytes. */
export async function parquetRowGroupSplits(path: string, size: number, target: number, prune?: RowGroupPrune): Promise<SplitJSON[]> {
  let groups: number[];
  let keep: boolean[] | null = null;
  try {
    const f = cachedFooter<unknown>(path, readFooter);
    const footer = f.footer;
    groups = derive(f, 'groups', () => rowGroupsOf(footer)).map((g) => g.compressedSize);
    if (prune) {
      const len = footer.readUInt32LE(footer.length - 8);
      const stats = derive(f, `stats ${JSON.stringify(prune.fileSchema)}`, () => rowGroupStats(footer.subarray(footer.length - 8 - len, footer.length - 8), prune.fileSchema));
      if (stats.length === groups.length) keep = stats.map(prune.mayPass);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new DataError('file not found', { file: path }, { cause: e });
    throw notParquet(path, e);
  }
  if (keep && keep.some((k) => !k)) {
    prune!.pruned(keep.filter((k) => !k).length);
    // Every row group ruled out: one split that reads none (the scan keeps a partition).
    if (!keep.some(Boolean)) return [{ path, start: 0, end: size, rowGroups: [] }];
  } else if (groups.length <= 1) {
    return [{ path, start: 0, end: size }];
  }
  const out: SplitJSON[] = [];
  let cur: number[] = [], bytes = 0;
  for (let i = 0; i < groups.length; i++) {
    if (keep && !keep[i]) continue;
    cur.push(i);
    bytes += groups[i];
    if (bytes >= target) { out.push({ path, start: 0, end: size, rowGroups: cur }); cur = []; bytes = 0; }
  }
  if (cur.length) out.push({ path, start: 0, end: size, rowGroups: cur });
  return out;
}

/** What a scan's filters rule out, for parquetRowGroupSplits (see row-group-pruning.ts). */
export interface RowGroupPrune {
  readonly fileSchema: readonly FieldJSON[];
  mayPass(g: RowGroupStats): boolean;
  /** Told how many row groups of a file were ruled out. */
  pruned(n: number): void;
}

/**
 * Decodes `columns` of row group `g` into a JS Arrow table (no wasm object outlives the call):
 * copied out through the C Data Interface, or through IPC when that cannot read the batches.
 */
export function decodeRowGroup(bytes: Uint8Array, g: number, columns: readonly string[], batchSize: number, copyOut = copyOutOfWasm): arrow.Table {
  const options = { rowGroups: [g], columns: [...columns], batchSize };
  return withParquetWasm((pq) => copyOut(pq, pq.readParquet(bytes, options)))
    ?? arrow.tableFromIPC(withParquetWasm((pq) => pq.readParquet(bytes, options).intoIPCStream()));
}

/** The error for row group `g`, naming the first column that fails alone when there are several. */
function rowGroupError(path: string, bytes: Uint8Array, local: number, g: number, columns: readonly string[], e: unknown): DataError {
  let column: string | undefined;
  let cause = e;
  if (columns.length > 1) {
    for (const c of columns) {
      try { decodeRowGroup(bytes, local, [c], 1024); } catch (ce) { column = c; cause = ce; break; }
    }
  } else column = columns[0];
  const what = cause instanceof ParquetPanic ? `${reason(cause)}: the file is corrupt, or uses an encoding the reader cannot decode` : reason(cause);
  return new DataError(`cannot read row group ${g}: ${what}`, { file: path, column }, { cause });
}

/** A split's row groups (file numbers in `groups`, their rows in `counts`), each loaded when read. */
interface SplitImage {
  groups: number[];
  counts: number[];
  /** The bytes to decode the split's i-th row group from, and its index there. */
  part(i: number): { bytes: Uint8Array; local: number };
}

/**
 * The split's row groups one at a time, and where the file allows only the columns read (their
 * column chunks behind a rewritten footer, see parquet-slice.ts): the decoder copies what it is
 * given into its memory, so a task holds one row group's chunks at once, not its split's or the
 * file's. The whole file when its chunks cannot be moved.
 */
function splitImage(split: SplitJSON, columns: readonly string[]): SplitImage {
  // The footer is read for every split; what is parsed from it is kept while its bytes are the
  // same (a worker reads the splits of a few files, and lineitem's footer took 7 ms to parse).
  const f = cachedFooter<unknown>(split.path, readFooter);
  const { footer, size } = f;
  const counts = derive(f, 'groups', () => rowGroupsOf(footer)).map((g) => g.numRows);
  const groups = split.rowGroups ?? counts.map((_, i) => i);
  for (const g of groups) {
    if (!(Number.isInteger(g) && g >= 0 && g < counts.length)) throw new DataError(`row group ${g} is not in the file (it has ${counts.length}); the file changed since the scan was planned`, { file: split.path });
  }
  const image = { groups: [...groups], counts: groups.map((g) => counts[g]) };
  if (groups.length === 0) return { ...image, part: () => { throw new InternalError('invariant violated: a split with no row groups has nothing to decode'); } };
  // Slicing copies what it changes: the parsed tree is shared by every split of the file.
  const parsed = derive(f, 'tree', () => parseFooterTree(footer.subarray(4, footer.length - 8)));
  const slice = (g: number) => sliceRowGroups(split.path, size, parsed, [g], columns, true);
  const first = slice(groups[0]);
  if (first) {
    return {
      ...image,
      part: (i) => {
        const s = i === 0 ? first : slice(groups[i]);
        if (!s) throw new FooterError(`row group ${groups[i]}'s column chunks cannot be read apart`);
        checkSize(split.path, s.bytes.length, `row group ${groups[i]}`);
        return { bytes: s.bytes, local: 0 };
      },
    };
  }
  const bytes = readFileSync(split.path);
  checkSize(split.path, bytes.length, 'the file');
  if (bytes.length < 12 || !bytes.subarray(bytes.length - 4).equals(PAR1)) throw new FooterError(`no 'PAR1' magic at the end`);
  return { ...image, part: (i) => ({ bytes, local: groups[i] }) };
}

function checkSize(path: string, n: number, what: string): void {
  if (n > MAX_FILE_BYTES) {
    throw new ResourceError(`${path}: ${what} hold ${n} bytes, more than the Parquet reader decodes at once (${MAX_FILE_BYTES}); write smaller row groups (or several files)`, { retryable: false });
  }
}

/**
 * Reads a split one row group at a time, only `columns` (file column names). With no columns
 * (count(*)) yields row counts from the footer as zero-column batches.
 */
export async function* readParquetSplit(split: SplitJSON, columns: readonly string[], batchSize: number): AsyncGenerator<{ table: arrow.Table | null; rows: number }> {
  // Slices hand ZSTD pages to the decoder inflated once zstd is loaded (see parquet-inflate.ts).
  if (columns.length > 0) await loadZstd();
  let image: SplitImage;
  try {
    image = columns.length === 0 ? countsOnly(split) : splitImage(split, columns);
  } catch (e) {
    if (e instanceof QuiverError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new DataError('file not found', { file: split.path }, { cause: e });
    throw notParquet(split.path, e);
  }
  for (let i = 0; i < image.groups.length; i++) {
    const g = image.groups[i], rows = image.counts[i];
    if (columns.length === 0) { yield { table: null, rows }; continue; }
    let part: { bytes: Uint8Array; local: number };
    try {
      part = image.part(i);
    } catch (e) {
      if (e instanceof QuiverError) throw e;
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new DataError('file not found', { file: split.path }, { cause: e });
      throw notParquet(split.path, e);
    }
    let table: arrow.Table;
    try {
      table = decodeRowGroup(part.bytes, part.local, columns, batchSize);
    } catch (e) {
      throw rowGroupError(split.path, part.bytes, part.local, g, columns, e);
    }
    if (table.numRows !== rows) throw new DataError(`row group ${g} decoded to ${table.numRows} rows, its footer says ${rows}`, { file: split.path });
    yield { table, rows: table.numRows };
  }
  // A split's big row groups grew the decoder's memory: give it back before the next task.
  trimParquetWasm();
}

/** count(*): the row counts from the footer alone. */
function countsOnly(split: SplitJSON): SplitImage {
  const f = cachedFooter<unknown>(split.path, readFooter);
  const all = derive(f, 'groups', () => rowGroupsOf(f.footer)).map((g) => g.numRows);
  const groups = split.rowGroups ?? all.map((_, i) => i);
  for (const g of groups) {
    if (!(Number.isInteger(g) && g >= 0 && g < all.length)) throw new DataError(`row group ${g} is not in the file (it has ${all.length}); the file changed since the scan was planned`, { file: split.path });
  }
  return { groups, counts: groups.map((g) => all[g]), part: () => { throw new InternalError('invariant violated: count(*) decodes no row group'); } };
}
