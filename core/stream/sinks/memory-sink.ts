// MemorySink: format('memory'): every batch's rows kept in the driver as the table queryName (q.table(name), q.sql), for tests and dashboards.
import * as arrow from 'apache-arrow';
import { toArrowSchema } from '../../../ops/types.ts';
import type { Session } from '../../api/session.ts';
import type { LogicalPlan } from '../../plan/node.ts';
import type { Values } from '../../plan/values.ts';
import type { Sink } from '../sink.ts';

export class MemorySink implements Sink {
  readonly description: string;
  /** Each committed batch's rows by batch id: a re-run batch replaces its own rows, never adds them twice. */
  private readonly batches = new Map<number, arrow.Table>();
  private table: Values | null = null;

  /** `complete`: each batch holds every row (outputMode complete), so the table is the latest batch's rows alone. */
  constructor(private readonly session: Session, readonly name: string, private readonly schema: LogicalPlan['schema'], private readonly complete = false) {
    this.description = `MemorySink[${name}]`;
    this.publish();
  }

  async addBatch(batchId: number, plan: LogicalPlan): Promise<number> {
    const t = await this.session.execute(plan);
    if (this.complete) this.batches.clear();
    this.batches.set(batchId, t);
    this.publish();
    return t.numRows;
  }

  /** Registers the rows so far, in batch order, under the query's name (replacing the last registration, whose blocks are freed). */
  private publish(): void {
    const schema = toArrowSchema(this.schema);
    const ids = [...this.batches.keys()].sort((a, b) => a - b);
    const parts = ids.flatMap((id) => this.batches.get(id)!.batches.map((b) => new arrow.RecordBatch(schema, b.data)));
    const old = this.table;
    this.table = this.session.registerTable(parts.length ? new arrow.Table(schema, parts) : [], this.schema, 1);
    this.session.catalog.register(this.name, this.table);
    if (old) this.session.dropTable(old);
  }

  /** The table stays readable after the query stops, as Spark's memory sink does. */
  async stop(): Promise<void> {}
}
