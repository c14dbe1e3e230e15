// MemoryScanExec: reads one partition of an in-memory table shared by the driver.
import * as arrow from 'apache-arrow';
import type { ExecPlan, TaskContext } from './exec-plan.ts';
import { toArrowSchema, type FieldJSON } from './types.ts';

export interface MemoryScanOptions {
  /** Resource id; partition p is the resource `${id}/${p}`. */
  id: string;
  partitions: number;
  fields: FieldJSON[];
}

export class MemoryScanExec implements ExecPlan {
  readonly name = 'MemoryScanExec';
  readonly schema: arrow.Schema;
  readonly children: readonly ExecPlan[] = [];
  constructor(readonly opts: MemoryScanOptions) {
    this.schema = toArrowSchema(opts.fields);
  }
  display(): string {
    return `MemoryScanExec: ${this.opts.id} partitions=${this.opts.partitions}`;
  }
  async *execute(partition: number, ctx: TaskContext): AsyncGenerator<arrow.RecordBatch> {
    for (const b of ctx.resource(`${this.opts.id}/${partition}`)) {
      if (b.numRows > 0) yield new arrow.RecordBatch(this.schema, b.data);
    }
  }
}
