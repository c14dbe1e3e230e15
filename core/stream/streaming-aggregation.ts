// StreamingAggregation: runs a streaming plan's aggregate per micro-batch: the batch's partial aggregate by the engine, merged into the driver's state, rows out by output mode, the watermark advanced.
import { join } from 'node:path';
import { rm, readdir } from 'node:fs/promises';
import type { Session } from '../api/session.ts';
import type { LogicalPlan } from '../plan/node.ts';
import { AggregateState } from './aggregate-state.ts';
import { aggregateAt, partialAggregate, replaceAt, type StatefulAggregate } from './stateful-aggregate.ts';

/** What a batch's stateful operator reports (Spark's StateOperatorProgress). */
export interface StateOperatorProgress {
  /** Groups held after the batch. */
  numRowsTotal: number;
  /** Groups the batch changed. */
  numRowsUpdated: number;
  /** Rows whose event time was before the watermark: dropped, not aggregated. */
  numLateRowsDropped: number;
}

/** One batch through the aggregate: the plan for the sink (the aggregate replaced by its output rows). */
export interface AggregatedBatch {
  readonly plan: LogicalPlan;
  readonly progress: StateOperatorProgress;
  /** The watermark the next batch uses (and this batch's emission used). */
  readonly nextWatermarkMs: number | null;
  release(): void;
}

const STATE_FILE = 'aggregate.arrow';

/**
 * The state lives in the driver: a batch's partial aggregate (one row per group and late flag)
 * is small next to its input, and keeping it here needs no partition affinity from the
 * scheduler, which places tasks anywhere (local workers, cluster executors). The checkpoint
 * holds `state/<batchId>/aggregate.arrow` after each batch; the two latest are kept.
 */
export class StreamingAggregation {
  private readonly state: AggregateState;

  constructor(private readonly session: Session, readonly sa: StatefulAggregate, private readonly dir: string) {
    this.state = new AggregateState(sa);
  }

  /** Loads the state saved after batch `batchId` (nothing before batch 0). */
  async restore(batchId: number): Promise<void> {
    if (batchId >= 0) await this.state.load(join(this.dir, String(batchId), STATE_FILE));
  }

  /** Aggregates batch `plan` (sources substituted) with the watermark `watermarkMs` of its offsets record. */
  async run(plan: LogicalPlan, watermarkMs: number | null): Promise<AggregatedBatch> {
    const agg = aggregateAt(plan, this.sa.path);
    const partial = await this.session.execute(partialAggregate(this.sa, agg.input, watermarkMs));
    const merged = this.state.merge(partial);
    const delay = this.sa.watermark?.delayMs ?? 0;
    const candidate = merged.maxEventMs === null || this.sa.watermark === null ? null : merged.maxEventMs - delay;
    const nextWatermarkMs = candidate === null ? watermarkMs : watermarkMs === null ? candidate : Math.max(watermarkMs, candidate);
    const rows = this.state.emit(merged.updated, nextWatermarkMs);
    const values = this.session.registerTable(rows, agg.schema, 1);
    return {
      plan: replaceAt(plan, this.sa.path, values),
      progress: { numRowsTotal: this.state.size, numRowsUpdated: merged.updated.size, numLateRowsDropped: merged.lateRows },
      nextWatermarkMs,
      release: () => this.session.dropTable(values),
    };
  }

  /** Saves the state after batch `batchId` (before the commits log records it) and drops older saves but the one before. */
  async save(batchId: number): Promise<void> {
    await this.state.save(join(this.dir, String(batchId), STATE_FILE));
    let names: string[] = [];
    try { names = await readdir(this.dir); } catch { /* nothing saved yet */ }
    for (const n of names) if (/^\d+$/.test(n) && Number(n) < batchId - 1) await rm(join(this.dir, n), { recursive: true, force: true });
  }
}
