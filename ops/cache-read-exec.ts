// CacheReadExec: partition p of a cached DataFrame, the block its cache stage kept for p.
import * as arrow from 'apache-arrow';
import type { ExecPlan, TaskContext } from './exec-plan.ts';
import { toArrowSchema, type FieldJSON } from './types.ts';

export interface CacheReadOptions {
  cacheId: string;
  /** The cache stage's output travels as a shuffle whose map task p wrote only partition p. */
  shuffleId: number;
  fields: FieldJSON[];
}

export class CacheReadExec implements ExecPlan {
  readonly name = 'CacheReadExec';
  readonly schema: arrow.Schema;
  readonly children: readonly ExecPlan[] = [];
  constructor(readonly opts: CacheReadOptions) {
    this.schema = toArrowSchema(opts.fields);
  }
  display(): string {
    return `CacheReadExec: cache=${this.opts.cacheId}`;
  }
  async *execute(partition: number, ctx: TaskContext): AsyncGenerator<arrow.RecordBatch> {
    for await (const b of ctx.shuffleInput(this.opts.shuffleId, partition)) {
      if (b.numRows > 0) yield new arrow.RecordBatch(this.schema, b.data);
    }
  }
}
