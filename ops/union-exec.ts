// UnionExec: UNION ALL; its partitions are the children's partitions, concatenated in order.
import * as arrow from 'apache-arrow';
import { makeBatch } from './compute/batch.ts';
import { InternalError, PlanError } from './errors.ts';
import type { ExecPlan, TaskContext } from './exec-plan.ts';

export interface UnionOptions {
  /** Partitions of each child, in child order. */
  readonly partitionCounts: readonly number[];
}

/**
 * Partition p reads child i's partition p - (partitions of children before i). Columns
 * match by position; names come from the first child and a column is nullable when it is
 * nullable in any child. Children MUST have the same column types (the planner checks).
 */
export class UnionExec implements ExecPlan {
  readonly name = 'UnionExec';
  readonly schema: arrow.Schema;
  readonly children: readonly ExecPlan[];
  /** Per child: whether its batches already carry the union's schema. */
  private readonly sameSchema: boolean[];

  constructor(readonly opts: UnionOptions, children: readonly ExecPlan[]) {
    if (children.length === 0) throw new PlanError('union: needs at least one input');
    if (opts.partitionCounts.length !== children.length) {
      throw new PlanError(`union: partitionCounts has ${opts.partitionCounts.length} entries for ${children.length} inputs`);
    }
    const first = children[0].schema;
    for (const c of children) {
      if (c.schema.fields.length !== first.fields.length) {
        throw new PlanError(`union: inputs have ${first.fields.length} and ${c.schema.fields.length} columns; every input needs the same columns`);
      }
    }
    this.children = children;
    this.schema = new arrow.Schema(first.fields.map((f, i) =>
      new arrow.Field(f.name, f.type, children.some((c) => c.schema.fields[i].nullable))));
    this.sameSchema = children.map((c) => c.schema.fields.every((f, i) =>
      f.name === this.schema.fields[i].name && f.nullable === this.schema.fields[i].nullable));
  }

  display(): string {
    return `UnionExec: partitions=[${this.opts.partitionCounts.join(', ')}]`;
  }

  /** The child and its local partition that union partition `p` reads. */
  locate(p: number): { child: number; partition: number } {
    let local = p;
    for (let i = 0; i < this.opts.partitionCounts.length; i++) {
      const n = this.opts.partitionCounts[i];
      if (local < n) return { child: i, partition: local };
      local -= n;
    }
    const total = this.opts.partitionCounts.reduce((a, b) => a + b, 0);
    throw new InternalError(`UnionExec has ${total} partitions, asked for partition ${p}`);
  }

  async *execute(partition: number, ctx: TaskContext): AsyncGenerator<arrow.RecordBatch> {
    if (!(Number.isInteger(partition) && partition >= 0)) throw new InternalError(`UnionExec: bad partition ${partition}`);
    const { child, partition: local } = this.locate(partition);
    const same = this.sameSchema[child];
    for await (const b of this.children[child].execute(local, ctx)) {
      if (b.numRows === 0) continue;
      yield same ? b : makeBatch(this.schema, b.data.children, b.numRows);
    }
  }
}
