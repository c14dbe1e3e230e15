// SortPreservingMergeExec: merges the sorted partitions of its child into one sorted partition.
import type * as arrow from 'apache-arrow';
import { InternalError, PlanError } from '../errors.ts';
import type { ExecPlan, TaskContext } from '../exec-plan.ts';
import type { ExprNode } from '../expr/node.ts';
import { mergeSorted } from './merge.ts';
import { compileSortKeys, keysToString, type CompiledSortKeys } from './sort-keys.ts';

export interface SortPreservingMergeOptions {
  /** `sort` ExprNodes every input partition is already sorted by. */
  readonly keys: readonly ExprNode[];
  /** Keep only the first `fetch` rows; null keeps all. */
  readonly fetch: number | null;
  /** How many partitions the child has; all of them are merged into output partition 0. */
  readonly inputPartitions: number;
}

/**
 * One output partition (0): the child's partitions merged by `keys`. Each child partition
 * MUST be sorted by the same keys (e.g. by a SortExec below); ties keep partition order.
 */
export class SortPreservingMergeExec implements ExecPlan {
  readonly name = 'SortPreservingMergeExec';
  readonly schema: arrow.Schema;
  readonly children: readonly ExecPlan[];
  private readonly sortKeys: CompiledSortKeys;

  constructor(readonly opts: SortPreservingMergeOptions, readonly child: ExecPlan) {
    if (!(Number.isInteger(opts.inputPartitions) && opts.inputPartitions >= 0)) {
      throw new PlanError(`SortPreservingMergeExec: inputPartitions must be a non-negative integer, got ${opts.inputPartitions}`);
    }
    this.schema = child.schema;
    this.children = [child];
    this.sortKeys = compileSortKeys(opts.keys, child.schema);
  }

  display(): string {
    return `SortPreservingMergeExec: ${keysToString(this.opts.keys)}${this.opts.fetch !== null ? ` fetch=${this.opts.fetch}` : ''}`;
  }

  async *execute(partition: number, ctx: TaskContext): AsyncGenerator<arrow.RecordBatch> {
    if (partition !== 0) throw new InternalError(`SortPreservingMergeExec has one partition, asked for partition ${partition}`);
    const inputs: AsyncIterable<arrow.RecordBatch>[] = [];
    for (let p = 0; p < this.opts.inputPartitions; p++) inputs.push(this.child.execute(p, ctx));
    yield* mergeSorted(inputs, { schema: this.schema, keys: this.sortKeys, batchSize: ctx.batchSize, fetch: this.opts.fetch, signal: ctx.signal });
  }
}
