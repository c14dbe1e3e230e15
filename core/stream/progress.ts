// What a streaming query reports: its status now and one progress record per micro-batch (Spark's StreamingQueryStatus and StreamingQueryProgress).
import type { Offset } from './offsets.ts';
import type { StateOperatorProgress } from './streaming-aggregation.ts';

/** The phases of a trigger, timed in `durationMs`. */
export type Phase = 'latestOffset' | 'walCommit' | 'getBatch' | 'addBatch' | 'commitOffsets' | 'triggerExecution';

export interface SourceProgress {
  description: string;
  startOffset: Offset;
  endOffset: Offset;
  /** Rows the source gave this batch; null where it cannot tell before reading (files other than Parquet). */
  numInputRows: number | null;
  inputRowsPerSecond: number | null;
  processedRowsPerSecond: number | null;
}

export interface SinkProgress {
  description: string;
  /** Rows written; null where the sink cannot tell (foreachBatch). */
  numOutputRows: number | null;
}

export interface StreamingQueryProgress {
  id: string;
  runId: string;
  name: string | null;
  /** When the trigger started (ISO 8601). */
  timestamp: string;
  batchId: number;
  /** The sources' rows, summed; null when a source could not tell. */
  numInputRows: number | null;
  /** Input rows over the time since the last trigger started (how fast data arrives). */
  inputRowsPerSecond: number | null;
  /** Input rows over this trigger's own time (how fast it was processed). */
  processedRowsPerSecond: number | null;
  durationMs: Record<Phase, number>;
  sources: SourceProgress[];
  sink: SinkProgress;
  /** The watermark the batch ran with (ISO 8601), null before any event time was seen or without withWatermark. */
  eventTime: { watermark: string | null };
  /** The streaming aggregate's state after the batch (one entry), empty for a stateless query. */
  stateOperators: StateOperatorProgress[];
}

export interface StreamingQueryStatus {
  /** 'Initializing sources', 'Waiting for data to arrive', 'Processing new data', 'Waiting for next trigger', 'Stopped'. */
  message: string;
  isDataAvailable: boolean;
  isTriggerActive: boolean;
}

/** Times the phases of one trigger. */
export class PhaseTimer {
  readonly durationMs: Record<Phase, number> = { latestOffset: 0, walCommit: 0, getBatch: 0, addBatch: 0, commitOffsets: 0, triggerExecution: 0 };

  async time<T>(phase: Phase, run: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await run();
    } finally {
      this.durationMs[phase] += Math.round(performance.now() - t0);
    }
  }
}

/** rows / seconds, or null when either is unknown or no time passed. */
export function perSecond(rows: number | null, ms: number | null): number | null {
  return rows === null || ms === null || ms <= 0 ? null : (rows * 1000) / ms;
}

/** Sum of the known counts; null when any is unknown. */
export function sumKnown(xs: readonly (number | null)[]): number | null {
  return xs.some((x) => x === null) ? null : (xs as number[]).reduce((a, b) => a + b, 0);
}
