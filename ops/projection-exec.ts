// ProjectionExec: computes one output column per expression; column references pass by reference.
import * as arrow from 'apache-arrow';
import { makeBatch } from './compute/batch.ts';
import type { ExecPlan, TaskContext } from './exec-plan.ts';
import { compileExpr } from './expr/eval.ts';
import { exprName, exprToString, type ExprNode } from './expr/node.ts';

/**
 * One output column per expression, named by exprName (alias, column name or rendering),
 * typed by compileExpr. A plain column reference reuses the child's column Data; when the
 * projection is the identity, batches pass through untouched.
 */
export class ProjectionExec implements ExecPlan {
  readonly name = 'ProjectionExec';
  readonly schema: arrow.Schema;
  readonly children: readonly ExecPlan[];
  private readonly columns: ((batch: arrow.RecordBatch) => arrow.Data)[];
  private readonly identity: boolean;

  constructor(readonly exprs: readonly ExprNode[], readonly child: ExecPlan) {
    this.children = [child];
    const input = child.schema;
    const fields: arrow.Field[] = [];
    const refs: number[] = [];
    this.columns = exprs.map((e) => {
      const c = compileExpr(e, input);
      fields.push(new arrow.Field(exprName(e), c.field.type, c.field.nullable));
      const ref = e.kind === 'column' ? input.fields.findIndex((f) => f.name === e.name) : -1;
      refs.push(ref);
      return ref >= 0 ? (b: arrow.RecordBatch) => b.data.children[ref] : (b: arrow.RecordBatch) => c.evaluate(b);
    });
    this.schema = new arrow.Schema(fields);
    this.identity = refs.length === input.fields.length && refs.every((r, i) => r === i);
  }

  display(): string {
    return `ProjectionExec: [${this.exprs.map(exprToString).join(', ')}]`;
  }

  async *execute(partition: number, ctx: TaskContext): AsyncGenerator<arrow.RecordBatch> {
    for await (const batch of this.child.execute(partition, ctx)) {
      if (batch.numRows === 0) continue;
      if (this.identity) { yield batch; continue; }
      yield makeBatch(this.schema, this.columns.map((f) => f(batch)), batch.numRows);
    }
  }
}
