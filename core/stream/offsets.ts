// Offsets: a source's position as JSON, and the records the offsets and commits logs hold per micro-batch.

/** A source's position (JSON, compared by its text). Each source defines its own shape. */
export type Offset = null | boolean | number | string | readonly Offset[] | { readonly [key: string]: Offset };

/** One source's range in a batch: the rows after `start` up to and including `end`. */
export interface SourceRange {
  /** The source's index in the query's plan (depth-first, left to right). */
  readonly index: number;
  /** The source's spec as text; a restart MUST read the same sources (checked against this). */
  readonly description: string;
  readonly start: Offset;
  readonly end: Offset;
}

/** `offsets/<batchId>`: written before the batch runs (write-ahead), so a restart re-runs it with the same ranges. */
export interface OffsetRecord {
  readonly batchId: number;
  readonly timestampMs: number;
  readonly sources: readonly SourceRange[];
  /** The event-time watermark the batch drops late rows and closes windows by (Unix ms); null before any event, absent in logs of older versions. */
  readonly watermarkMs?: number | null;
}

/** `commits/<batchId>`: written once the sink has committed the batch. */
export interface CommitRecord {
  readonly batchId: number;
  readonly timestampMs: number;
  /** The watermark after the batch: the next batch's (a restart after this commit starts from it). */
  readonly nextWatermarkMs?: number | null;
}

/** Whether two offsets are the same position (their JSON text is equal; sources MUST build offsets with keys in a fixed order). */
export function sameOffset(a: Offset, b: Offset): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
