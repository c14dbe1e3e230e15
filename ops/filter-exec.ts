// FilterExec: keeps the rows where a predicate is true (null counts as false).
import * as arrow from 'apache-arrow';
import { maskToIndices, takeBatch } from './compute/take.ts';
import { PlanError } from './errors.ts';
import type { ExecPlan, TaskContext } from './exec-plan.ts';
import { compileExpr } from './expr/eval.ts';
import { exprToString, type ExprNode } from './expr/node.ts';

/**
 * Rows of the child where `predicate` (bool, or the null type) is true. A batch where every
 * row passes goes through untouched, a contiguous run of passing rows is a slice, and a
 * batch where none pass is skipped.
 */
export class FilterExec implements ExecPlan {
  readonly name = 'FilterExec';
  readonly schema: arrow.Schema;
  readonly children: readonly ExecPlan[];
  private readonly compiled: ReturnType<typeof compileExpr>;

  constructor(readonly predicate: ExprNode, readonly child: ExecPlan) {
    this.schema = child.schema;
    this.children = [child];
    this.compiled = compileExpr(predicate, child.schema);
    const t = this.compiled.field.type.typeId;
    if (t !== arrow.Type.Bool && t !== arrow.Type.Null) {
      throw new PlanError(`filter: predicate ${exprToString(predicate)} has type ${String(this.compiled.field.type)}, expected bool (compare it, e.g. col('x').gt(0))`);
    }
  }

  display(): string {
    return `FilterExec: ${exprToString(this.predicate)}`;
  }

  async *execute(partition: number, ctx: TaskContext): AsyncGenerator<arrow.RecordBatch> {
    for await (const batch of this.child.execute(partition, ctx)) {
      const n = batch.numRows;
      if (n === 0) continue;
      const mask = this.compiled.evaluate(batch);
      if (mask.typeId === arrow.Type.Null) continue;
      const idx = maskToIndices(mask);
      const m = idx.length;
      if (m === 0) continue;
      if (m === n) { yield batch; continue; }
      if (idx[m - 1] - idx[0] === m - 1) {
        yield batch.slice(idx[0], idx[0] + m);
        continue;
      }
      yield takeBatch(batch, idx);
    }
  }
}
