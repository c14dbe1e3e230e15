// Sink: where a streaming query's micro-batches go; idempotent by batch id, so a batch re-run after a restart is written once.
import type { LogicalPlan } from '../plan/node.ts';

export interface Sink {
  /** e.g. `FileSink[parquet: /out]`, shown in progress. */
  readonly description: string;
  /**
   * Runs batch `batchId`'s plan and writes its rows. A sink MUST write a batch id at most once:
   * handed a batch id it has committed (a restart re-running it), it writes nothing again. When
   * this resolves the batch is committed (the query then logs it as done). Resolves to the rows
   * written, or null where the sink cannot tell (foreachBatch).
   */
  addBatch(batchId: number, plan: LogicalPlan): Promise<number | null>;
  /** Called once the query has stopped, however it ended. */
  stop(): Promise<void>;
}
