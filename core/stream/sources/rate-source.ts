// RateSource: q.readStream.rate(): rows (timestamp, value) at a fixed rate, for tests and demos; value n is due at start + n / rowsPerSecond.
import { PlanError } from '../../../ops/errors.ts';
import type { FieldJSON } from '../../../ops/types.ts';
import { tableFromRows } from '../../api/ingest.ts';
import type { Offset } from '../offsets.ts';
import type { Source, SourceBatch, SourceContext } from '../source.ts';

export interface RateOptions {
  /** Rows per second (default 1). */
  rowsPerSecond?: number;
  /** Partitions of each batch (default: the session's workers). */
  numPartitions?: number;
}

export const RATE_SCHEMA: readonly FieldJSON[] = Object.freeze([
  { name: 'timestamp', type: 'timestamp_ms', nullable: false },
  { name: 'value', type: 'int64', nullable: false },
]);

/** The offset: when value 0 was due (kept, so that a restart gives the same timestamps) and how many rows are before it. */
interface RateOffset {
  startTimeMs: number;
  rows: number;
}

export function checkRateOptions(o: RateOptions): Required<Pick<RateOptions, 'rowsPerSecond'>> & RateOptions {
  const rowsPerSecond = o.rowsPerSecond ?? 1;
  if (!Number.isFinite(rowsPerSecond) || rowsPerSecond <= 0) throw new PlanError(`readStream.rate: rowsPerSecond must be a positive number, got ${JSON.stringify(o.rowsPerSecond)}`);
  if (o.numPartitions !== undefined && (!Number.isInteger(o.numPartitions) || o.numPartitions < 1)) {
    throw new PlanError(`readStream.rate: numPartitions must be a positive integer, got ${JSON.stringify(o.numPartitions)}`);
  }
  return { ...o, rowsPerSecond };
}

export class RateSource implements Source {
  readonly schema = RATE_SCHEMA;
  readonly description: string;
  private readonly rowsPerSecond: number;
  private frozenAtMs: number | null = null;

  constructor(options: RateOptions, private readonly ctx: SourceContext) {
    const o = checkRateOptions(options);
    this.rowsPerSecond = o.rowsPerSecond;
    this.partitions = o.numPartitions ?? ctx.session.runtime.workers;
    this.description = `RateSource[rowsPerSecond=${this.rowsPerSecond}, numPartitions=${this.partitions}]`;
  }
  private readonly partitions: number;

  async initialOffset(): Promise<Offset> {
    return { startTimeMs: Date.now(), rows: 0 };
  }

  async latestOffset(start: Offset): Promise<Offset> {
    const s = start as unknown as RateOffset;
    const now = this.frozenAtMs ?? Date.now();
    const due = Math.floor(((now - s.startTimeMs) * this.rowsPerSecond) / 1000);
    return { startTimeMs: s.startTimeMs, rows: Math.max(s.rows, due) };
  }

  async getBatch(start: Offset, end: Offset): Promise<SourceBatch> {
    const s = start as unknown as RateOffset, e = end as unknown as RateOffset;
    const rows: Record<string, unknown>[] = [];
    for (let v = s.rows; v < e.rows; v++) rows.push({ timestamp: s.startTimeMs + Math.floor((v * 1000) / this.rowsPerSecond), value: v });
    const plan = this.ctx.session.registerTable(tableFromRows(rows, RATE_SCHEMA), RATE_SCHEMA, this.partitions);
    return { plan, rows: rows.length, release: () => this.ctx.session.dropTable(plan) };
  }

  async commit(): Promise<void> {}

  async prepareForAvailableNow(): Promise<void> {
    this.frozenAtMs = Date.now();
  }

  async stop(): Promise<void> {}
}
