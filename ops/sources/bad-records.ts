// Bad-record handling shared by the text-format readers: failfast throws, permissive quarantines.
import { createHash } from 'node:crypto';
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DataError, ResourceError } from '../errors.ts';
import type { BadRecord, TaskContext } from '../exec-plan.ts';
import { ParseMode } from './options.ts';
import { LineCounter } from './range-reader.ts';
import type { SplitJSON } from './splits.ts';

/** A bad record as a parser sees it: where it starts in the file, not yet which line that is. */
export interface PendingBadRecord {
  offset: number;
  column?: string;
  reason: string;
  record: string;
}

/** Longest record text kept in a quarantine entry or an error message. */
const MAX_RECORD_CHARS = 64 * 1024;

/** How a split's read ended, for BadRecords.close. */
export enum ReadEnd {
  /** Read to its end: its quarantine file now holds exactly its bad records. */
  Complete = 'complete',
  /** Stopped early by its consumer (a limit): what it found is kept only where nothing was. */
  Stopped = 'stopped',
  /** Failed: what it wrote is dropped (a retry reads the split again). */
  Failed = 'failed',
}

/**
 * The quarantine file of a split: `<badRecordsPath>/part-<file>-<hash of path and range>.jsonl`.
 * One name per split, not per job, stage or attempt: the same input gives the same bad records
 * whatever reads it (every column is checked), so a job replaces what an earlier one wrote.
 */
export function quarantineFileName(split: Pick<SplitJSON, 'path' | 'start' | 'end'>): string {
  const h = createHash('sha256').update(`${split.path}\0${split.start}\0${split.end}`).digest('hex').slice(0, 16);
  return `part-${basename(split.path).replace(/[^A-Za-z0-9._-]/g, '_')}-${h}.jsonl`;
}

/**
 * Receives the bad records of one task attempt over one split. failfast: `report` throws a
 * DataError with file, line and column. permissive: the record is counted (`badRecords`) and
 * written to a hidden temporary file next to the split's quarantine file
 * (quarantineFileName), which `close(ReadEnd.Complete)` renames over it: retries, speculative
 * copies and later jobs over the same split replace it whole, never append a second copy.
 * `close()` MUST be called (in `finally`) with how the read ended.
 */
export class BadRecords {
  private readonly lines: LineCounter;
  private readonly file: string;
  private pending: string[] = [];
  private fh: FileHandle | null = null;
  private tmp: string | null = null;

  constructor(
    private readonly split: SplitJSON,
    private readonly mode: ParseMode,
    private readonly badRecordsPath: string | null,
    private readonly ctx: TaskContext,
  ) {
    this.file = split.path;
    this.lines = new LineCounter(split.path, knownLine(split));
  }

  /** The 1-based line (counting a header) of a file offset. */
  lineAt(offset: number): Promise<number> {
    return this.lines.lineAt(offset);
  }

  async report(bad: PendingBadRecord, hint = ''): Promise<void> {
    const line = await this.lines.lineAt(bad.offset);
    if (this.mode === ParseMode.FailFast) {
      const loc = bad.column === undefined ? { file: this.file, line } : { file: this.file, line, column: bad.column };
      throw new DataError(`${bad.reason}${hint}`, loc, { fix: "to skip bad records, read with mode: 'permissive' and a badRecordsPath" });
    }
    this.ctx.metrics.add('badRecords', 1);
    const rec: BadRecord = { file: this.file, line, reason: bad.reason, record: clip(bad.record) };
    if (bad.column !== undefined) rec.column = bad.column;
    this.pending.push(JSON.stringify({ file: rec.file, line: rec.line, column: rec.column ?? null, reason: rec.reason, record: rec.record }) + '\n');
    if (this.pending.length >= 1024) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    if (!this.fh) {
      const dir = this.badRecordsPath!;
      // Hidden ('.'): readers of the directory skip it until it is renamed into place.
      const path = join(dir, `.${quarantineFileName(this.split)}.${this.ctx.stageId}-${this.ctx.partition}-${this.ctx.attempt}-${process.pid}-${Math.random().toString(36).slice(2, 8)}.tmp`);
      try {
        await mkdir(dir, { recursive: true });
        this.fh = await open(path, 'w');
        this.tmp = path;
      } catch (e) {
        throw new ResourceError(`cannot write bad records to ${path}: ${(e as Error).message}; set badRecordsPath to a writable directory`, { cause: e });
      }
    }
    await this.fh.write(text);
  }

  /** Flushes and closes the attempt's file, then puts it in place or drops it as `end` says. */
  async close(end: ReadEnd): Promise<void> {
    let failed = end === ReadEnd.Failed;
    try {
      if (!failed) await this.flush();
    } catch (e) {
      failed = true;
      throw e;
    } finally {
      await this.fh?.close();
      this.fh = null;
      if (this.mode === ParseMode.Permissive && this.badRecordsPath) await this.settle(failed ? ReadEnd.Failed : end);
    }
  }

  private async settle(end: ReadEnd): Promise<void> {
    const final = join(this.badRecordsPath!, quarantineFileName(this.split));
    const tmp = this.tmp;
    this.tmp = null;
    try {
      if (end === ReadEnd.Complete) {
        // The split has no bad records (now): an earlier job's file for it is stale.
        if (tmp) await rename(tmp, final); else await rm(final, { force: true });
      } else if (tmp) {
        const exists = end === ReadEnd.Stopped && (await stat(final).then(() => true, () => false));
        if (end === ReadEnd.Stopped && !exists) await rename(tmp, final); else await rm(tmp, { force: true });
      }
    } catch (e) {
      if (tmp) await rm(tmp, { force: true }).catch(() => {});
      throw new ResourceError(`cannot write bad records to ${final}: ${(e as Error).message}; set badRecordsPath to a writable directory`, { cause: e });
    }
  }
}

/** Where a split's line numbers can be counted from: its start, when its first line is known. */
export function knownLine(split: SplitJSON): { offset: number; line: number } | undefined {
  return split.firstLine === undefined ? undefined : { offset: split.start, line: split.firstLine };
}

/** Shows a value in an error message: quoted, clipped. */
export function quoteValue(s: string): string {
  return JSON.stringify(s.length > 200 ? `${s.slice(0, 200)}...` : s);
}

function clip(s: string): string {
  return s.length > MAX_RECORD_CHARS ? `${s.slice(0, MAX_RECORD_CHARS)}...` : s;
}
