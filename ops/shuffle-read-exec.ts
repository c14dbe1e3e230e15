// ShuffleReadExec: the reduce side of a shuffle; yields the blocks map tasks wrote for this partition.
import * as arrow from 'apache-arrow';
import type { ExecPlan, TaskContext } from './exec-plan.ts';
import { toArrowSchema, type FieldJSON } from './types.ts';

export interface ShuffleReadOptions {
  shuffleId: number;
  fields: FieldJSON[];
  /** Every reduce partition of the shuffle, whatever the task's (shown only: the launcher hands the task its blocks). */
  whole?: boolean;
}

export class ShuffleReadExec implements ExecPlan {
  readonly name = 'ShuffleReadExec';
  readonly schema: arrow.Schema;
  readonly children: readonly ExecPlan[] = [];
  constructor(readonly opts: ShuffleReadOptions) {
    this.schema = toArrowSchema(opts.fields);
  }
  display(): string {
    return `ShuffleReadExec: shuffle=${this.opts.shuffleId}${this.opts.whole ? ' whole' : ''}`;
  }
  async *execute(partition: number, ctx: TaskContext): AsyncGenerator<arrow.RecordBatch> {
    for await (const b of ctx.shuffleInput(this.opts.shuffleId, partition)) {
      if (b.numRows > 0) yield new arrow.RecordBatch(this.schema, b.data);
    }
  }
}
