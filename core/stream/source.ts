// Source: what a micro-batch reads from; offsets say where, getBatch gives exactly the rows of a range as a plan.
import type { FieldJSON } from '../../ops/types.ts';
import type { Session } from '../api/session.ts';
import type { LogicalPlan } from '../plan/node.ts';
import type { Offset } from './offsets.ts';

/** What a source gets when the query opens it. */
export interface SourceContext {
  readonly session: Session;
  /** A directory of the checkpoint that only this source writes (its own logs, staged batch data). */
  readonly dir: string;
}

/** One batch of a source: the plan substituted for its StreamScan, and what the batch holds. */
export interface SourceBatch {
  /** Its schema MUST be the source's schema. */
  readonly plan: LogicalPlan;
  /** Rows in the range, or null where the source cannot tell without reading them (files other than Parquet). */
  readonly rows: number | null;
  /** Frees what the plan holds (in-memory blocks); called once the sink has the batch. */
  release(): void;
}

/**
 * A replayable source, as Spark's: a range (start, end] MUST give the same rows whenever it is
 * read, in this process or after a restart, until `commit(end)`; that, the offsets log written
 * before each batch and an idempotent sink make a query's output exactly-once.
 */
export interface Source {
  /** e.g. `RateSource[rowsPerSecond=10]`, shown in progress. */
  readonly description: string;
  readonly schema: readonly FieldJSON[];
  /** Where a query that has committed nothing starts. */
  initialOffset(): Promise<Offset>;
  /** How far data is available now; `start` (the last batch's end) when there is nothing new. A source with a per-batch cap applies it from `start`. */
  latestOffset(start: Offset): Promise<Offset>;
  /** The rows after `start` up to and including `end`; called only when `end` is past `start` (the query fills an empty range itself). */
  getBatch(start: Offset, end: Offset): Promise<SourceBatch>;
  /** Everything up to `end` is committed by the sink: the source may forget it (acknowledge messages, drop staged data). */
  commit(end: Offset): Promise<void>;
  /** Trigger availableNow: from now on, never report data that arrived after this call. */
  prepareForAvailableNow(): Promise<void>;
  /**
   * Optional: an error raised while a batch ran (a reader's DataError about data this source
   * staged), restated in the source's terms, e.g. the stream sequence of the bad message; any
   * other error is returned as it is.
   */
  explainError?(e: unknown): unknown;
  /** Closes connections; data read but not committed is left to be read again. */
  stop(): Promise<void>;
}
