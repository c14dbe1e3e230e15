// LimitExec: per partition, skips `offset` rows and then yields at most `n`, then stops pulling.
import type * as arrow from 'apache-arrow';
import { PlanError } from './errors.ts';
import type { ExecPlan, TaskContext } from './exec-plan.ts';

export interface LimitOptions {
  /** Rows to yield after the offset (a non-negative integer). */
  readonly n: number;
  /** Rows to skip first (a non-negative integer). */
  readonly offset: number;
}

/**
 * The rows [offset, offset + n) of each partition, as slices of the child's batches. Once
 * the n-th row is out it returns without pulling again, so the child's `finally` runs.
 */
export class LimitExec implements ExecPlan {
  readonly name = 'LimitExec';
  readonly schema: arrow.Schema;
  readonly children: readonly ExecPlan[];

  constructor(readonly opts: LimitOptions, readonly child: ExecPlan) {
    for (const k of ['n', 'offset'] as const) {
      const v = opts[k];
      if (!(v >= 0) || (Number.isFinite(v) && !Number.isInteger(v))) throw new PlanError(`limit: ${k} must be a non-negative integer, got ${v}`);
    }
    this.schema = child.schema;
    this.children = [child];
  }

  display(): string {
    return `LimitExec: n=${this.opts.n} offset=${this.opts.offset}`;
  }

  async *execute(partition: number, ctx: TaskContext): AsyncGenerator<arrow.RecordBatch> {
    let skip = this.opts.offset;
    let left = this.opts.n;
    if (left <= 0) return;
    const it = this.child.execute(partition, ctx)[Symbol.asyncIterator]();
    let open = true;
    const close = async () => { if (open) { open = false; await it.return?.(); } };
    try {
      for (;;) {
        const r = await it.next();
        if (r.done) { open = false; return; }
        let b = r.value;
        if (skip > 0) {
          if (b.numRows <= skip) { skip -= b.numRows; continue; }
          b = b.slice(skip, b.numRows);
          skip = 0;
        }
        if (b.numRows === 0) continue;
        if (b.numRows >= left) {
          // Close the child before handing out the last rows: its resources go back now,
          // not whenever the consumer pulls again.
          await close();
          yield b.numRows === left ? b : b.slice(0, left);
          return;
        }
        left -= b.numRows;
        yield b;
      }
    } finally {
      await close();
    }
  }
}
