// FileSource: q.readStream.files(dir): each batch reads the files that landed in `dir` since the last, in name order; the files seen are logged in the checkpoint.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FieldJSON } from '../../../ops/types.ts';
import { fileScan } from '../../api/file-scan.ts';
import type { SourceFormat } from '../../plan/scan.ts';
import { MetadataLog } from '../metadata-log.ts';
import type { Offset } from '../offsets.ts';
import type { Source, SourceBatch, SourceContext } from '../source.ts';

export interface FileStreamOptions {
  format: SourceFormat;
  /** The files' schema (inferred from the first file when the directory has one). */
  schema?: FieldJSON[] | string;
  /** At most this many new files per batch (default: all). */
  maxFilesPerTrigger?: number;
  /** The format's read options (mode, badRecordsPath, header, ...). */
  [option: string]: unknown;
}

/** Formats a files stream reads (images and idx are read whole by q.read). */
export const STREAM_FILE_FORMATS: readonly SourceFormat[] = ['text', 'csv', 'json', 'arrow', 'parquet'];

/** `sources/<i>/<count>`: the files that made the list `count` long, in the order given to them. */
interface SeenEntry {
  files: string[];
}

/** The offset: how many files of the list seen so far are in batches up to here. */
interface FileOffset {
  files: number;
}

/**
 * Files land complete: a writer MUST write under a name starting with '.' or '_' (skipped) and
 * rename it into place, or a batch may read a partial file. A file that changes after it was
 * read is not read again (files are tracked by name).
 */
export class FileSource implements Source {
  readonly description: string;
  private readonly seen: string[] = [];
  private readonly seenSet = new Set<string>();
  private readonly log: MetadataLog<SeenEntry>;
  private frozenAt: number | null = null;
  private readonly readOptions: Record<string, unknown>;
  private readonly maxFiles: number;

  private constructor(readonly dir: string, private readonly format: SourceFormat, readonly schema: readonly FieldJSON[], options: FileStreamOptions, ctx: SourceContext) {
    const { format: _f, schema: _s, maxFilesPerTrigger, ...rest } = options;
    this.readOptions = { ...rest, schema: [...schema] };
    this.maxFiles = maxFilesPerTrigger ?? Infinity;
    this.log = new MetadataLog(ctx.dir);
    this.description = `FileSource[${format}: ${dir}]`;
  }

  static async open(dir: string, format: SourceFormat, schema: readonly FieldJSON[], options: FileStreamOptions, ctx: SourceContext): Promise<FileSource> {
    const s = new FileSource(dir, format, schema, options, ctx);
    for (const id of await s.log.batchIds()) {
      const entry = await s.log.get(id);
      for (const f of entry?.files ?? []) s.remember(f);
    }
    return s;
  }

  private remember(file: string): void {
    if (this.seenSet.has(file)) return;
    this.seenSet.add(file);
    this.seen.push(file);
  }

  async initialOffset(): Promise<Offset> {
    return { files: 0 };
  }

  async latestOffset(start: Offset): Promise<Offset> {
    if (this.frozenAt === null) await this.discover();
    const from = (start as unknown as FileOffset).files;
    const upTo = Math.min(this.frozenAt ?? this.seen.length, from + this.maxFiles);
    return { files: Math.max(from, upTo) };
  }

  /** Lists the directory; new names (sorted) are logged before any offset can count them, so a restart sees the same list. */
  private async discover(): Promise<void> {
    const fresh = listStreamFiles(this.dir).filter((f) => !this.seenSet.has(f));
    if (fresh.length === 0) return;
    await this.log.add(this.seen.length + fresh.length, { files: fresh });
    for (const f of fresh) this.remember(f);
  }

  async getBatch(start: Offset, end: Offset): Promise<SourceBatch> {
    const files = this.seen.slice((start as unknown as FileOffset).files, (end as unknown as FileOffset).files);
    const plan = fileScan(this.format, files, this.readOptions);
    // Known where footers say it (Parquet); other formats count their rows only as they are read.
    const rows = plan.source.options.totalRows;
    return { plan, rows: typeof rows === 'number' ? rows : null, release: () => {} };
  }

  async commit(): Promise<void> {}

  async prepareForAvailableNow(): Promise<void> {
    await this.discover();
    this.frozenAt = this.seen.length;
  }

  async stop(): Promise<void> {}
}

/** Regular files directly in `dir` (not below), sorted by name; names starting with '.' or '_' are being written or are metadata. */
export function listStreamFiles(dir: string): string[] {
  let ents;
  try {
    ents = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return ents.filter((e) => e.isFile() && !e.name.startsWith('.') && !e.name.startsWith('_')).map((e) => join(dir, e.name)).sort();
}
