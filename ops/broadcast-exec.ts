// BroadcastExec: yields the whole broadcast relation (every partition of its stage) in each task.
import * as arrow from 'apache-arrow';
import type { ExecPlan, TaskContext } from './exec-plan.ts';
import { toArrowSchema, type FieldJSON } from './types.ts';

export interface BroadcastOptions {
  id: number;
  fields: FieldJSON[];
}

export class BroadcastExec implements ExecPlan {
  readonly name = 'BroadcastExec';
  readonly schema: arrow.Schema;
  readonly children: readonly ExecPlan[] = [];
  constructor(readonly opts: BroadcastOptions) {
    this.schema = toArrowSchema(opts.fields);
  }
  display(): string {
    return `BroadcastExec: broadcast=${this.opts.id}`;
  }
  async *execute(_partition: number, ctx: TaskContext): AsyncGenerator<arrow.RecordBatch> {
    const t = await ctx.broadcast(this.opts.id);
    for (const b of t.batches) if (b.numRows > 0) yield new arrow.RecordBatch(this.schema, b.data);
  }
}
