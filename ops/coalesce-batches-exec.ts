// CoalesceBatchesExec: concatenates small batches into batches of about targetRows rows.
import type * as arrow from 'apache-arrow';
import { concatBatches } from './compute/batch.ts';
import { PlanError } from './errors.ts';
import type { ExecPlan, TaskContext } from './exec-plan.ts';

export interface CoalesceBatchesOptions {
  /** Emit once this many rows are buffered; batches this big or bigger pass through. */
  readonly targetRows: number;
}

/**
 * Buffers batches smaller than targetRows and emits their concatenation once it reaches
 * targetRows (or the input ends). Order is kept: a big batch first flushes what is buffered,
 * then passes through untouched.
 */
export class CoalesceBatchesExec implements ExecPlan {
  readonly name = 'CoalesceBatchesExec';
  readonly schema: arrow.Schema;
  readonly children: readonly ExecPlan[];

  constructor(readonly opts: CoalesceBatchesOptions, readonly child: ExecPlan) {
    if (!(Number.isInteger(opts.targetRows) && opts.targetRows > 0)) {
      throw new PlanError(`CoalesceBatchesExec: targetRows must be a positive integer, got ${opts.targetRows}`);
    }
    this.schema = child.schema;
    this.children = [child];
  }

  display(): string {
    return `CoalesceBatchesExec: targetRows=${this.opts.targetRows}`;
  }

  async *execute(partition: number, ctx: TaskContext): AsyncGenerator<arrow.RecordBatch> {
    const target = this.opts.targetRows;
    let buffer: arrow.RecordBatch[] = [];
    let rows = 0;
    for await (const b of this.child.execute(partition, ctx)) {
      if (b.numRows === 0) continue;
      if (b.numRows >= target) {
        if (rows > 0) { yield concatBatches(this.schema, buffer); buffer = []; rows = 0; }
        yield b;
        continue;
      }
      buffer.push(b);
      rows += b.numRows;
      if (rows >= target) { yield concatBatches(this.schema, buffer); buffer = []; rows = 0; }
    }
    if (rows > 0) yield concatBatches(this.schema, buffer);
  }
}
