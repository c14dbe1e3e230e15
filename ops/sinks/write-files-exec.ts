// WriteFilesExec: each task writes its partition's rows as part files under the job's temporary directory and yields one row per file.
import * as arrow from 'apache-arrow';
import { randomBytes } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { batchBytes, concatBatches, makeBatch } from '../compute/batch.ts';
import { takeBatch } from '../compute/take.ts';
import { PlanError } from '../errors.ts';
import type { ExecPlan, TaskContext } from '../exec-plan.ts';
import { toArrowSchema, type FieldJSON } from '../types.ts';
import { valueFormatter } from './format-values.ts';
import { writeTable, type SinkFormat, type WriteOptions } from './write-table.ts';
import { partitionDir } from './partition-path.ts';

export interface WriteFilesOptions {
  format: SinkFormat;
  /** The output directory, absolute. */
  path: string;
  /** Names this job's temporary directory and its part files (hex, at least 8 characters). */
  jobToken: string;
  /** Columns written as `col=value/` directories instead of into the files. */
  partitionBy: string[];
  /** Format options (see WriteOptions). */
  options: Record<string, unknown>;
  /** A file holds at most this many rows; the next rows go to a new file. null: no limit. */
  maxRowsPerFile: number | null;
}

/** What a write task returns for each file it wrote: the driver commits exactly these. */
export const WRITTEN_FILE_FIELDS: FieldJSON[] = [
  { name: 'file', type: 'utf8', nullable: false },
  { name: 'rows', type: 'int64', nullable: false },
  { name: 'bytes', type: 'int64', nullable: false },
];

export const FILE_EXTENSIONS: Readonly<Record<SinkFormat, string>> = { arrow: '.arrow', parquet: '.parquet', csv: '.csv', json: '.json' };

/** Where a job's attempts write before commit: `<path>/_temporary/<jobToken>` (hidden from readers by its '_'). */
export function jobTemporaryDir(path: string, jobToken: string): string {
  return join(path, '_temporary', jobToken);
}

/**
 * Partition p's rows, without the partition columns, go to files under
 * `_temporary/<jobToken>/attempt-<p>-<attempt>-<random>/[col=value/...]part-<p>-<token8>-<n>.<ext>`.
 * The task yields, once every file is complete, one row per file: its path relative to the
 * job's temporary directory, its rows and bytes. An attempt that fails removes its directory;
 * one killed leaves it to the driver, which removes the whole job directory after commit or
 * abort. An attempt's files are visible only if the driver commits that attempt's result.
 */
export class WriteFilesExec implements ExecPlan {
  readonly name = 'WriteFilesExec';
  readonly schema = toArrowSchema(WRITTEN_FILE_FIELDS);
  readonly children: readonly ExecPlan[];
  private readonly dataSchema: arrow.Schema;
  private readonly dataColumns: number[];
  private readonly keyColumns: number[];

  constructor(readonly opts: WriteFilesOptions, readonly child: ExecPlan) {
    this.children = [child];
    if (!isAbsolute(opts.path)) throw new PlanError(`write: the output path must be absolute, got '${opts.path}'`);
    if (!/^[0-9a-f]{8,64}$/.test(opts.jobToken)) throw new PlanError(`write: invalid job token '${opts.jobToken}'`);
    if (!(opts.format in FILE_EXTENSIONS)) throw new PlanError(`unknown output format '${String(opts.format)}'; expected arrow, parquet, csv or json`);
    const m = opts.maxRowsPerFile;
    if (m !== null && (!Number.isInteger(m) || m < 1)) throw new PlanError(`maxRowsPerFile must be a positive integer, got ${m}`);
    const names = child.schema.fields.map((f) => f.name);
    this.keyColumns = opts.partitionBy.map((c) => {
      const i = names.indexOf(c);
      if (i < 0) throw new PlanError(`partitionBy: '${c}' is not a column; columns: ${names.join(', ')}`);
      return i;
    });
    if (new Set(opts.partitionBy).size !== opts.partitionBy.length) throw new PlanError(`partitionBy names a column twice: ${opts.partitionBy.join(', ')}`);
    this.dataColumns = names.map((_, i) => i).filter((i) => !this.keyColumns.includes(i));
    if (this.dataColumns.length === 0) throw new PlanError(`partitionBy: cannot use every column (${names.join(', ')}) as a partition column; at least one must be written into the files`);
    this.dataSchema = new arrow.Schema(this.dataColumns.map((i) => child.schema.fields[i]));
  }

  display(): string {
    const o = this.opts;
    const parts = [`WriteFilesExec: ${o.format} ${o.path}`];
    if (o.partitionBy.length) parts.push(`partitionBy=[${o.partitionBy.join(', ')}]`);
    if (o.maxRowsPerFile !== null) parts.push(`maxRowsPerFile=${o.maxRowsPerFile}`);
    return parts.join(' ');
  }

  async *execute(partition: number, ctx: TaskContext): AsyncGenerator<arrow.RecordBatch> {
    const o = this.opts;
    const attemptDir = `attempt-${partition}-${ctx.attempt}-${randomBytes(3).toString('hex')}`;
    const root = join(jobTemporaryDir(o.path, o.jobToken), attemptDir);
    const open = new Map<string, PartFile>();
    const closed: PartFile[] = [];
    let n = 0;
    const newFile = (dir: string): PartFile => {
      const name = `part-${String(partition).padStart(5, '0')}-${o.jobToken.slice(0, 8)}-${String(n++).padStart(3, '0')}${FILE_EXTENSIONS[o.format]}`;
      const rel = dir ? `${attemptDir}/${dir}/${name}` : `${attemptDir}/${name}`;
      const f = new PartFile(o.format, rel, join(root, dir, name), this.dataSchema, o.options as WriteOptions);
      open.set(dir, f);
      return f;
    };
    try {
      // Rows wait per directory until a batch's worth (or memory runs short): a writer handed
      // many small slices (one per directory per input batch) would spend its time per call.
      const buffered = new Map<string, { batches: arrow.RecordBatch[]; rows: number; bytes: number }>();
      let bufferedBytes = 0;
      const target = Math.max(1, ctx.batchSize);
      const flush = async (dir: string): Promise<void> => {
        const buf = buffered.get(dir);
        if (!buf) return;
        buffered.delete(dir);
        bufferedBytes -= buf.bytes;
        const rows = buf.batches.length === 1 ? buf.batches[0] : concatBatches(this.dataSchema, buf.batches);
        let off = 0;
        while (off < rows.numRows) {
          let f = open.get(dir) ?? newFile(dir);
          if (o.maxRowsPerFile !== null && f.rows >= o.maxRowsPerFile) {
            f.close();
            closed.push(f);
            f = newFile(dir);
          }
          const take = o.maxRowsPerFile === null ? rows.numRows - off : Math.min(rows.numRows - off, o.maxRowsPerFile - f.rows);
          await f.push(off === 0 && take === rows.numRows ? rows : rows.slice(off, off + take));
          off += take;
        }
      };
      for await (const b of this.child.execute(partition, ctx)) {
        ctx.signal?.throwIfAborted();
        if (b.numRows === 0) continue;
        for (const [dir, rows] of this.groups(b)) {
          let buf = buffered.get(dir);
          if (!buf) buffered.set(dir, (buf = { batches: [], rows: 0, bytes: 0 }));
          const bytes = batchBytes(rows);
          buf.batches.push(rows);
          buf.rows += rows.numRows;
          buf.bytes += bytes;
          bufferedBytes += bytes;
          if (buf.rows >= target) await flush(dir);
        }
        // Over a quarter of the task's memory budget waiting: the biggest buffers go first.
        while (bufferedBytes > ctx.memoryBudget / 4 && buffered.size > 0) {
          let biggest = '', most = -1;
          for (const [dir, buf] of buffered) if (buf.bytes > most) { most = buf.bytes; biggest = dir; }
          await flush(biggest);
        }
      }
      for (const dir of [...buffered.keys()]) await flush(dir);
      for (const f of open.values()) { f.close(); closed.push(f); }
      open.clear();
      const written: { file: string; rows: number; bytes: number }[] = [];
      for (const f of closed) {
        await f.done;
        written.push({ file: f.rel, rows: f.rows, bytes: (await stat(f.abs)).size });
      }
      ctx.metrics.add('filesWritten', written.length);
      ctx.metrics.add('bytesWritten', written.reduce((s, w) => s + w.bytes, 0));
      if (written.length) yield this.descriptors(written);
    } catch (e) {
      const all = [...closed, ...open.values()];
      for (const f of all) f.abort(e);
      await Promise.allSettled(all.map((f) => f.done));
      await rm(root, { recursive: true, force: true }).catch(() => {});
      throw e;
    }
  }

  /** The batch's rows by partition directory, partition columns dropped (one group: the batch's columns, no copy). */
  private groups(b: arrow.RecordBatch): [string, arrow.RecordBatch][] {
    const data = makeBatch(this.dataSchema, this.dataColumns.map((i) => b.data.children[i]), b.numRows);
    if (this.keyColumns.length === 0) return [['', data]];
    // Rows are grouped by their key values; each distinct key is formatted into its directory once.
    const keys = this.keyColumns.map((i) => b.getChildAt(i)!);
    const one = keys.length === 1 ? keys[0] : null;
    const rowsOf = new Map<unknown, number[]>();
    const firstRow = new Map<unknown, number>();
    for (let r = 0; r < b.numRows; r++) {
      const k = one ? keyOf(one.get(r)) : keys.map((c) => keyOf(c.get(r))).join('\u0000');
      let list = rowsOf.get(k);
      if (!list) { rowsOf.set(k, (list = [])); firstRow.set(k, r); }
      list.push(r);
    }
    const fmts = this.keyColumns.map((i) => valueFormatter(b.data.children[i], 'csv'));
    const dirOf = (k: unknown) => partitionDir(this.opts.partitionBy, fmts.map((f) => f(firstRow.get(k)!)));
    if (rowsOf.size === 1) return [[dirOf(rowsOf.keys().next().value), data]];
    return [...rowsOf].map(([k, rows]) => [dirOf(k), takeBatch(data, Int32Array.from(rows))]);
  }

  private descriptors(w: { file: string; rows: number; bytes: number }[]): arrow.RecordBatch {
    const file = arrow.vectorFromArray(w.map((x) => x.file), new arrow.Utf8()).data[0];
    const int64 = (xs: number[]) => arrow.makeData({ type: new arrow.Int64(), length: xs.length, nullCount: 0, data: BigInt64Array.from(xs, BigInt) });
    return makeBatch(this.schema, [file, int64(w.map((x) => x.rows)), int64(w.map((x) => x.bytes))], w.length);
  }
}

/** One part file being written: batches pushed here stream into writeTable (at most a few queued). */
class PartFile {
  rows = 0;
  readonly done: Promise<number>;
  private readonly queue: arrow.RecordBatch[] = [];
  private ended = false;
  private failure: { error: unknown } | null = null;
  private wakeWriter: (() => void) | null = null;
  private wakeProducer: (() => void) | null = null;
  private writerError: { error: unknown } | null = null;

  constructor(format: SinkFormat, readonly rel: string, readonly abs: string, schema: arrow.Schema, options: WriteOptions) {
    this.done = writeTable(format, abs, this.batches(), schema, options, 'overwrite');
    // A writer that fails (disk full) must release a producer waiting for room.
    this.done.catch((e) => { this.writerError = { error: e }; this.wakeProducer?.(); });
  }

  private async *batches(): AsyncGenerator<arrow.RecordBatch> {
    for (;;) {
      if (this.failure) throw this.failure.error;
      const b = this.queue.shift();
      if (b) { this.wakeProducer?.(); yield b; continue; }
      if (this.ended) return;
      await new Promise<void>((r) => { this.wakeWriter = r; });
      this.wakeWriter = null;
    }
  }

  async push(b: arrow.RecordBatch): Promise<void> {
    this.queue.push(b);
    this.rows += b.numRows;
    this.wakeWriter?.();
    while (this.queue.length > 2 && !this.writerError) {
      await new Promise<void>((r) => { this.wakeProducer = r; });
      this.wakeProducer = null;
    }
    if (this.writerError) throw this.writerError.error;
  }

  close(): void {
    this.ended = true;
    this.wakeWriter?.();
  }

  abort(error: unknown): void {
    this.failure = { error };
    this.wakeWriter?.();
  }
}

/** A value as a grouping key: values that format alike group alike (null apart from 'null', bigint as its digits, binary by content). */
function keyOf(v: unknown): unknown {
  if (v === null || v === undefined) return '\u0001null';
  if (typeof v === 'bigint') return `${v}n`;
  if (v instanceof Uint8Array) return `\u0001b${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')}`;
  if (v instanceof Date) return `\u0001d${v.getTime()}`;
  if (typeof v === 'object') return `\u0001o${JSON.stringify(v)}`;
  return v;
}
