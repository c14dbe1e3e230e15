// FilterExec: keeps the rows where a predicate is true (null counts as false).
import * as arrow from 'apache-arrow';
import { orderConjuncts } from './compute/conjunct-order.ts';
import { conjunctsOf, filterRows } from './compute/filter-rows.ts';
import { PlanError } from './errors.ts';
import type { ExecPlan, TaskContext } from './exec-plan.ts';
import { compileExpr } from './expr/eval.ts';
import { exprToString, type ExprNode } from './expr/node.ts';
import { fromArrowSchema } from './types.ts';

/**
 * Rows of the child where `predicate` (bool, or the null type) is true. A batch where every
 * row passes goes through untouched, a contiguous run of passing rows is a slice, and a
 * batch where none pass is skipped.
 */
export class FilterExec implements ExecPlan {
  readonly name = 'FilterExec';
  readonly schema: arrow.Schema;
  readonly children: readonly ExecPlan[];
  /** The predicate's conjuncts, applied one after another on the rows still in play. */
  private readonly conjuncts: ReturnType<typeof compileExpr>[];

  constructor(readonly predicate: ExprNode, readonly child: ExecPlan) {
    this.schema = child.schema;
    this.children = [child];
    // The whole predicate is compiled once here for its type; it runs conjunct by conjunct.
    const whole = compileExpr(predicate, child.schema);
    const t = whole.field.type.typeId;
    if (t !== arrow.Type.Bool && t !== arrow.Type.Null) {
      throw new PlanError(`filter: predicate ${exprToString(predicate)} has type ${String(whole.field.type)}, expected bool (compare it, e.g. col('x').gt(0))`);
    }
    this.conjuncts = orderConjuncts(conjunctsOf(predicate), fromArrowSchema(child.schema)).map((c) => compileExpr(c, child.schema));
  }

  display(): string {
    return `FilterExec: ${exprToString(this.predicate)}`;
  }

  async *execute(partition: number, ctx: TaskContext): AsyncGenerator<arrow.RecordBatch> {
    for await (const batch of this.child.execute(partition, ctx)) {
      if (batch.numRows === 0) continue;
      const out = filterRows(batch, this.conjuncts);
      if (out.numRows > 0) yield out;
    }
  }
}
