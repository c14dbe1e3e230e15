// Bad-record handling shared by the text-format readers: failfast throws, permissive quarantines.
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
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

/**
 * Receives the bad records of one task attempt. failfast: `report` throws a DataError with
 * file, line and column. permissive: the record is counted (`badRecords`) and appended to
 * `<badRecordsPath>/part-<stageId>-<partition>-<attempt>.jsonl`, created on the first bad record.
 * `close()` MUST be called (in `finally`) to flush and close the quarantine file.
 */
export class BadRecords {
  private readonly lines: LineCounter;
  private pending: string[] = [];
  private fh: FileHandle | null = null;

  constructor(
    private readonly file: string,
    private readonly mode: ParseMode,
    private readonly badRecordsPath: string | null,
    private readonly ctx: TaskContext,
    /** A file offset whose line number is known (SplitJSON.start and firstLine), if any. */
    known?: { offset: number; line: number },
  ) {
    this.lines = new LineCounter(file, known);
  }

  /** The 1-based line (counting a header) of a file offset. */
  lineAt(offset: number): Promise<number> {
    return this.lines.lineAt(offset);
  }

  async report(bad: PendingBadRecord, hint = ''): Promise<void> {
    const line = await this.lines.lineAt(bad.offset);
    if (this.mode === ParseMode.FailFast) {
      const loc = bad.column === undefined ? { file: this.file, line } : { file: this.file, line, column: bad.column };
      throw new DataError(`${bad.reason}${hint}; to skip bad records, read with mode: 'permissive' and a badRecordsPath`, loc);
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
      const path = join(dir, `part-${this.ctx.stageId}-${this.ctx.partition}-${this.ctx.attempt}.jsonl`);
      try {
        await mkdir(dir, { recursive: true });
        // One task attempt reads one split, so one BadRecords owns this file: truncate stale output.
        this.fh = await open(path, 'w');
      } catch (e) {
        throw new ResourceError(`cannot write bad records to ${path}: ${(e as Error).message}; set badRecordsPath to a writable directory`, { cause: e });
      }
    }
    await this.fh.write(text);
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.fh?.close();
      this.fh = null;
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
