// IDX files (MNIST, Fashion-MNIST): images as a FixedSizeList column, labels as int32; raw or gzip.
//
// Layout: two zero bytes, a type byte (0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64),
// the number of dimensions, then each dimension as a big-endian u32, then the values
// (big-endian, row-major). A file of n records of d1 x d2 ... values reads as one column:
// `image` = fixed_size_list<type>[d1 * d2 ...] for 2+ dimensions, `label` for one (u8 labels
// widen to int32). Option `labels` pairs image files with label files, record by record.
// Splits are record ranges: SplitJSON.start/end count records, not bytes, for this format.
// The data must be exactly what the header says (product of dims x value size): a header that
// disagrees with the file would read every record shifted.
// A gzip file is inflated into a cache file that tasks read by range (gzip streams cannot be
// entered in the middle, and these files are tens of megabytes): each process inflates into
// its own private directory, keyed by the SHA-256 of the gzip bytes. Splits name the user's
// files (executors check them against the paths they may read), never a cache path.
import * as arrow from 'apache-arrow';
import { constants as bufferConstants } from 'node:buffer';
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { gunzipSync, constants as zlibConstants } from 'node:zlib';
import { makeBatch } from '../compute/batch.ts';
import { DataError, PlanError } from '../errors.ts';
import { toArrowSchema, type FieldJSON, type TypeJSON } from '../types.ts';
import { cachedFile, privateCacheDir, writeCachedFile } from './private-cache.ts';
import type { SplitJSON } from './splits.ts';

interface IdxType { code: number; type: TypeJSON; bytes: number; array: new (n: number) => ArrayLike<number> & { [i: number]: number } }

const TYPES: IdxType[] = [
  { code: 0x08, type: 'uint8', bytes: 1, array: Uint8Array },
  { code: 0x09, type: 'int8', bytes: 1, array: Int8Array },
  { code: 0x0b, type: 'int16', bytes: 2, array: Int16Array },
  { code: 0x0c, type: 'int32', bytes: 4, array: Int32Array },
  { code: 0x0d, type: 'float32', bytes: 4, array: Float32Array },
  { code: 0x0e, type: 'float64', bytes: 8, array: Float64Array },
];

/** What an IDX header says. */
export interface IdxHeader {
  path: string;
  gzip: boolean;
  type: IdxType;
  /** dims[0] is the record count. */
  dims: number[];
  /** Values per record (product of dims[1..]; 1 for a labels file). */
  recordValues: number;
  /** Bytes before the first value. */
  dataOffset: number;
}

function isGzip(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(2);
    return readSync(fd, b, 0, 2, 0) === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

/** Reads and checks the header (synchronously: it is small; gzip files inflate only a prefix). */
export function readIdxHeader(path: string): IdxHeader {
  let st;
  try { st = statSync(path); } catch (e) { throw new DataError('file not found; check the path', { file: path }, { cause: e }); }
  if (!st.isFile()) throw new DataError('not a regular file', { file: path });
  const gzip = isGzip(path);
  const fd = openSync(path, 'r');
  let head: Buffer;
  try {
    const raw = Buffer.alloc(Math.min(st.size, gzip ? 64 * 1024 : 64));
    readSync(fd, raw, 0, raw.length, 0);
    if (gzip) {
      try {
        head = gunzipSync(raw, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
      } catch (e) {
        throw new DataError(`corrupt gzip stream at the start of the file: ${(e as Error).message}`, { file: path, offset: 0 }, { cause: e });
      }
    } else head = raw;
  } finally {
    closeSync(fd);
  }
  if (head.length < 4) throw new DataError(`truncated IDX header: ${head.length} bytes, expected at least 4`, { file: path, offset: head.length });
  if (head[0] !== 0 || head[1] !== 0) throw new DataError(`not an IDX file: the magic number must start with two zero bytes, found 0x${head.subarray(0, 4).toString('hex')}`, { file: path, offset: 0 });
  const type = TYPES.find((t) => t.code === head[2]);
  if (!type) throw new DataError(`unknown IDX value type 0x${head[2].toString(16)}; expected 08 (u8), 09, 0B, 0C, 0D or 0E`, { file: path, offset: 2 });
  const nd = head[3];
  if (nd < 1 || nd > 8) throw new DataError(`IDX files have 1 to 8 dimensions, the header says ${nd}`, { file: path, offset: 3 });
  const dataOffset = 4 + 4 * nd;
  if (head.length < dataOffset) throw new DataError(`truncated IDX header: ${nd} dimensions need ${dataOffset} bytes, the file has ${head.length}`, { file: path, offset: head.length });
  const dims = Array.from({ length: nd }, (_, i) => head.readUInt32BE(4 + 4 * i));
  const recordValues = dims.slice(1).reduce((a, b) => a * b, 1);
  if (recordValues > 1 << 26) throw new DataError(`IDX records of ${recordValues} values are too large (dims ${dims.join('x')})`, { file: path, offset: 4 });
  const h: IdxHeader = { path, gzip, type, dims, recordValues, dataOffset };
  // A gzip file's data size is known once inflated (see inflatedCopy).
  if (!gzip) checkDataSize(h, st.size);
  return h;
}

/** Bytes of a whole file whose header is `h`. */
const idxFileBytes = (h: IdxHeader): number => h.dataOffset + h.dims[0] * h.recordValues * h.type.bytes;

/**
 * The data MUST be exactly what the header says: fewer bytes end inside a record, more mean
 * dimensions that do not match the data (every record after the first would read shifted).
 * `size` counts the whole file (inflated, for gzip).
 */
function checkDataSize(h: IdxHeader, size: number): void {
  const rec = h.recordValues * h.type.bytes;
  const want = idxFileBytes(h);
  const holds = h.gzip ? `holds ${size} bytes once inflated` : `has ${size}`;
  if (size < want) {
    const whole = Math.floor((size - h.dataOffset) / rec);
    throw new DataError(`truncated IDX file: the header says ${h.dims[0]} records of ${rec} bytes (${want} bytes in all), the file ${holds}; it ends inside record ${whole}`, { file: h.path, offset: size });
  }
  if (size > want) {
    const shape = h.dims.length > 1 ? h.dims.slice(1).join('x') : '1';
    throw new DataError(`the IDX header says ${h.dims[0]} records of ${shape} ${h.type.type} (${want} bytes in all), the file holds ${size} bytes${h.gzip ? ' once inflated' : ''}: `
      + `${size - want} bytes more than its dimensions account for, so the header does not describe this data (records would read shifted); fix the header's dimensions or the file`, { file: h.path });
  }
}

/** The column a file reads as. */
export function idxField(h: IdxHeader, name: string): FieldJSON {
  if (h.dims.length === 1) return { name, type: h.type.code === 0x08 ? 'int32' : h.type.type, nullable: false };
  return { name, type: { fixedList: h.type.type, size: h.recordValues }, nullable: false };
}

/** Label files paired with `images`: given in order, or (`true`) named like the images with 'labels-idx1'. */
export function pairLabels(images: readonly string[], labels: unknown): string[] | null {
  if (labels === undefined || labels === null || labels === false) return null;
  let out: string[];
  if (labels === true) {
    out = images.map((p) => {
      const q = p.replace(/images-idx3/, 'labels-idx1');
      if (q === p) throw new PlanError(`idx: cannot guess the labels file of ${p} (its name has no 'images-idx3'); give labels: '<path>' explicitly`);
      return q;
    });
  } else if (typeof labels === 'string') out = [labels];
  else if (Array.isArray(labels) && labels.every((l) => typeof l === 'string')) out = labels as string[];
  else throw new PlanError(`idx: option 'labels' must be true, a path or an array of paths, got ${JSON.stringify(labels)}`);
  if (out.length !== images.length) throw new PlanError(`idx: ${images.length} image file(s) but ${out.length} labels file(s); give one labels file per image file, in the same order`);
  return out;
}

/** Schema of an IDX source: `image` (or `label` for a 1-D file), plus `label` when paired. */
export function inferIdxSchema(paths: readonly string[], labels: unknown): FieldJSON[] {
  const h = readIdxHeader(paths[0]);
  const pairs = pairLabels(paths, labels);
  const first = idxField(h, h.dims.length === 1 ? 'label' : 'image');
  for (const p of paths.slice(1)) {
    const o = readIdxHeader(p);
    if (o.type.code !== h.type.code || o.recordValues !== h.recordValues) throw new DataError(`IDX files of one scan must share their record shape: ${paths[0]} has ${h.dims.slice(1).join('x')} ${h.type.type}, this file ${o.dims.slice(1).join('x')} ${o.type.type}`, { file: p });
  }
  if (!pairs) return [first];
  if (h.dims.length === 1) throw new PlanError(`idx: ${paths[0]} is already a labels file (1 dimension); read the images file with labels: '${paths[0]}'`);
  const l = readIdxHeader(pairs[0]);
  if (l.dims.length !== 1) throw new DataError(`a labels file has one dimension, this one has ${l.dims.length} (${l.dims.join('x')})`, { file: pairs[0] });
  return [first, idxField(l, 'label')];
}

/** Records per split at most: small splits keep every worker busy on a few files. */
const MAX_SPLIT_BYTES = 4 << 20;

/**
 * An IDX split. `path` and `pair` MUST be the user's files (an executor reads only under the
 * paths it declared, and other hosts have no copy of this process's cache). `sha256` and
 * `pairSha256` are the gzip files' hashes at planning: a task checks the file against them
 * (so it reads what was planned) and finds its own cached copy without inflating again.
 */
export interface IdxSplitJSON extends SplitJSON {
  sha256?: string;
  pairSha256?: string;
}

/**
 * Record-range splits of about `targetBytes` (at most 4 MB, uncompressed) per file, each with
 * its labels file. Gzip files are inflated here once (to check their size, and so that tasks
 * of this process find them cached).
 */
export function idxSplits(paths: readonly string[], labels: unknown, targetBytes: number): IdxSplitJSON[] {
  const pairs = pairLabels(paths, labels);
  const out: IdxSplitJSON[] = [];
  paths.forEach((path, i) => {
    const h = readIdxHeader(path);
    const n = h.dims[0];
    const extra: Omit<IdxSplitJSON, 'path' | 'start' | 'end'> = {};
    if (pairs) {
      const l = readIdxHeader(pairs[i]);
      if (l.dims[0] !== n) throw new DataError(`the labels file has ${l.dims[0]} records but ${path} has ${n} images; they must pair one to one`, { file: pairs[i] });
      extra.pair = pairs[i];
      if (l.gzip) extra.pairSha256 = inflatedCopy(l).sha256;
    }
    if (h.gzip) extra.sha256 = inflatedCopy(h).sha256;
    const per = Math.max(1, Math.floor(Math.min(targetBytes, MAX_SPLIT_BYTES) / Math.max(1, h.recordValues * h.type.bytes)));
    for (let s = 0; s < n; s += per) out.push({ path, start: s, end: Math.min(n, s + per), ...extra });
  });
  if (out.length === 0) out.push({ path: paths[0], start: 0, end: 0 });
  return out;
}

/** This user's private inflate cache (see privateCacheDir): `<base>/quiver-idx-<uid>`. */
export const idxCacheDir = (base?: string): string => privateCacheDir('quiver-idx', base);

/** Gzip files this thread hashed: identity of the file (device, inode, size, times) -> sha256. */
const hashed = new Map<string, { stat: string; sha256: string }>();
const statKey = (fd: number): string => {
  const st = fstatSync(fd, { bigint: true });
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
};

/**
 * The raw IDX bytes of a gzip file, as a cache file in this user's private directory (see
 * idxCacheDir) named by the SHA-256 of the gzip bytes, inflated when not there yet. With
 * `expectSha256` (from the plan) the file MUST still have that hash, else a DataError says it
 * changed since planning; a thread that already hashed the unchanged file (same inode, size,
 * mtime and ctime) does not read it again. A corrupt or truncated stream, or data longer or
 * shorter than the header says, is a DataError naming the gzip file.
 */
export function inflatedCopy(h: IdxHeader, expectSha256?: string, base?: string): { file: string; sha256: string } {
  const dir = idxCacheDir(base);
  const bytes = idxFileBytes(h);
  let fd: number;
  try { fd = openSync(h.path, 'r'); } catch (e) { throw new DataError(`cannot read: ${(e as Error).message}`, { file: h.path }, { cause: e }); }
  let gz: Buffer, sha256: string;
  try {
    const stat = statKey(fd);
    const seen = hashed.get(h.path);
    if (expectSha256 !== undefined && seen?.stat === stat && seen.sha256 === expectSha256) {
      const file = cachedFile(dir, `${expectSha256}.idx`, bytes);
      if (file) return { file, sha256: expectSha256 };
    }
    gz = readFileSync(fd);
    sha256 = createHash('sha256').update(gz).digest('hex');
    hashed.set(h.path, { stat, sha256 });
  } finally {
    closeSync(fd);
  }
  if (expectSha256 !== undefined && sha256 !== expectSha256) {
    throw new DataError(`the file changed since the job was planned (its sha256 is now ${sha256}, the plan read ${expectSha256}); run the job again`, { file: h.path });
  }
  const hit = cachedFile(dir, `${sha256}.idx`, bytes);
  if (hit) return { file: hit, sha256 };
  let raw: Buffer;
  try {
    // Bounded: a header that says little over a stream that inflates to gigabytes stops early.
    raw = gunzipSync(gz, { maxOutputLength: Math.min(bufferConstants.MAX_LENGTH, bytes + (16 << 20)) });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DataError(`the IDX header says ${h.dims[0]} records (${bytes} bytes in all), the file inflates to more than ${bytes + (16 << 20)} bytes; the header does not describe this data`, { file: h.path }, { cause: e });
    }
    // Inflate what there is, to say how far the data goes.
    let got = 0;
    try { got = gunzipSync(gz, { finishFlush: zlibConstants.Z_SYNC_FLUSH }).length; } catch { /* corrupt, not just cut */ }
    throw new DataError(`corrupt gzip stream (${(e as Error).message}); ${got} bytes inflate before it fails`, { file: h.path, offset: got }, { cause: e });
  }
  // The header was read before the whole file: it must still be this file's.
  const same = raw.length >= h.dataOffset && raw[2] === h.type.code && raw[3] === h.dims.length && h.dims.every((d, i) => raw.readUInt32BE(4 + 4 * i) === d);
  if (!same) throw new DataError('the file changed while it was read (its IDX header is not the one read before); run the job again', { file: h.path });
  checkDataSize(h, raw.length);
  return { file: writeCachedFile(dir, `${sha256}.idx`, raw), sha256 };
}

/** Big-endian values into a typed array (u8/i8 need no swap). */
function decode(h: IdxHeader, bytes: Buffer, count: number): ArrayLike<number> {
  const t = h.type;
  if (t.bytes === 1) return t.code === 0x08 ? new Uint8Array(bytes.buffer, bytes.byteOffset, count).slice() : new Int8Array(bytes.buffer, bytes.byteOffset, count).slice();
  const out = new t.array(count);
  const rd = t.code === 0x0b ? (o: number) => bytes.readInt16BE(o) : t.code === 0x0c ? (o: number) => bytes.readInt32BE(o) : t.code === 0x0d ? (o: number) => bytes.readFloatBE(o) : (o: number) => bytes.readDoubleBE(o);
  for (let i = 0; i < count; i++) out[i] = rd(i * t.bytes);
  return out;
}

/**
 * Reads records [from, to) of the raw IDX bytes in `file` (h.path itself, or a gzip file's
 * inflated copy) as Buffers of whole records, at most `per` records each; a file that ends
 * early is a DataError naming h.path.
 */
async function* records(h: IdxHeader, file: string, from: number, to: number, per: number): AsyncGenerator<Buffer> {
  const rec = h.recordValues * h.type.bytes;
  const start = h.dataOffset + from * rec, end = h.dataOffset + to * rec;
  if (to <= from) return;
  const fh = await open(file, 'r');
  try {
    for (let at = start; at < end;) {
      const want = Math.min(end - at, per * rec);
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await fh.read(buf, 0, want, at);
      if (bytesRead < want) throw new DataError(`truncated IDX file: expected ${want} more bytes of records, got ${bytesRead}`, { file: h.path, offset: at + bytesRead });
      yield buf;
      at += want;
    }
  } finally {
    await fh.close();
  }
}

function columnData(h: IdxHeader, field: FieldJSON, buf: Buffer, n: number): arrow.Data {
  const type = toArrowSchema([field]).fields[0].type;
  const values = decode(h, buf, n * h.recordValues);
  if (h.dims.length === 1) {
    const data = h.type.code === 0x08 ? Int32Array.from(values as Uint8Array) : values;
    return arrow.makeData({ type, length: n, nullCount: 0, data } as any);
  }
  const fl = type as arrow.FixedSizeList;
  const child = arrow.makeData({ type: fl.children[0].type, length: n * h.recordValues, nullCount: 0, data: values } as any);
  return arrow.makeData({ type, length: n, nullCount: 0, child } as any);
}

/** Reads one split (records [start, end)) as batches of at most `batchSize` rows of `columns`. */
export async function* readIdx(split: IdxSplitJSON, fileSchema: readonly FieldJSON[], columns: readonly string[], batchSize: number): AsyncGenerator<arrow.RecordBatch> {
  const fields = columns.map((c) => fileSchema.find((f) => f.name === c)!);
  const schema = toArrowSchema(fields);
  const main = readIdxHeader(split.path);
  const mainName = main.dims.length === 1 ? 'label' : 'image';
  const labels = split.pair ? readIdxHeader(split.pair) : null;
  const wantMain = columns.includes(mainName);
  const wantLabels = labels !== null && columns.includes('label') && mainName !== 'label';
  const per = Math.max(1, batchSize);
  if (!wantMain && !wantLabels) {
    for (let s = split.start; s < split.end; s += per) yield makeBatch(schema, [], Math.min(per, split.end - s));
    return;
  }
  const dataOf = (h: IdxHeader, sha256: string | undefined) => (h.gzip ? inflatedCopy(h, sha256).file : h.path);
  const a = wantMain ? records(main, dataOf(main, split.sha256), split.start, split.end, per)[Symbol.asyncIterator]() : null;
  const b = wantLabels ? records(labels!, dataOf(labels!, split.pairSha256), split.start, split.end, per)[Symbol.asyncIterator]() : null;
  const mainRec = main.recordValues * main.type.bytes;
  try {
    for (let s = split.start; s < split.end;) {
      const n = Math.min(per, split.end - s);
      const cols: arrow.Data[] = [];
      const ra = a ? await a.next() : null;
      const rb = b ? await b.next() : null;
      for (const f of fields) {
        if (f.name === mainName && ra) {
          if (ra.done || ra.value.length !== n * mainRec) throw new DataError(`truncated IDX file: record ${s} is missing`, { file: main.path, offset: main.dataOffset + s * mainRec });
          cols.push(columnData(main, f, ra.value, n));
        } else if (rb) {
          if (rb.done || rb.value.length !== n * labels!.type.bytes) throw new DataError(`truncated IDX file: label ${s} is missing`, { file: labels!.path, offset: labels!.dataOffset + s * labels!.type.bytes });
          cols.push(columnData(labels!, f, rb.value, n));
        }
      }
      yield makeBatch(schema, cols, n);
      s += n;
    }
  } finally {
    await a?.return?.(undefined);
    await b?.return?.(undefined);
  }
}
