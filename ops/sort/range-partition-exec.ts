// RangePartitionExec: tags each row with its range partition, by bounds drawn from a key sample.
import * as arrow from 'apache-arrow';
import { concatBatches, makeBatch } from '../compute/batch.ts';
import { InternalError, PlanError } from '../errors.ts';
import type { ExecPlan, TaskContext } from '../exec-plan.ts';
import type { ExprNode } from '../expr/node.ts';
import { SAMPLE_WEIGHT, sampleKeyName } from './sample-exec.ts';
import { compareRows, compileSortKeys, keysToString, type CompiledSortKeys, type KeyColumn, type SortOrder } from './sort-keys.ts';

/** The column RangePartitionExec appends: the row's range partition (int32, 0..partitions-1). */
export const RANGE_PARTITION_COLUMN = '__range_partition';

export interface RangePartitionOptions {
  /** `sort` ExprNodes over the child's schema: the order the partitions follow. */
  readonly keys: readonly ExprNode[];
  readonly partitions: number;
}

/** Bounds: rows `rows` of `keys` (a sorted sample), ascending in the sort order, without repeats. */
export interface RangeBounds {
  readonly keys: readonly KeyColumn[];
  readonly rows: Int32Array;
}

/**
 * Chooses up to `partitions - 1` bounds from a weighted sample of `n` rows (Spark's
 * RangePartitioner.determineBounds): sorted by the keys, a bound wherever the running weight
 * crosses the next multiple of total / partitions, never equal to the bound before it. The
 * result MUST depend only on the sample's rows, not their order: every map task computes it
 * on its own, and rows of one key sent to two partitions would break the total order. Ties
 * are therefore broken by weight (rows equal in key and weight are interchangeable).
 */
export function rangeBounds(orders: readonly SortOrder[], keys: readonly KeyColumn[], weights: Float64Array, n: number, partitions: number): Int32Array {
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  idx.sort((x, y) => compareRows(orders, keys, x, keys, y) || weights[x] - weights[y]);
  let total = 0;
  for (let i = 0; i < n; i++) total += weights[idx[i]];
  const step = total / partitions;
  const out: number[] = [];
  let cum = 0, target = step, prev = -1;
  for (let i = 0; i < n && out.length < partitions - 1; i++) {
    const r = idx[i];
    cum += weights[r];
    if (cum >= target && (prev < 0 || compareRows(orders, keys, r, keys, prev) > 0)) {
      out.push(r);
      prev = r;
      target += step;
    }
  }
  return Int32Array.from(out);
}

/** The range partition of row i of `keys`: how many bounds sort strictly before it. */
export function rangePartitionOf(orders: readonly SortOrder[], keys: readonly KeyColumn[], i: number, bounds: RangeBounds): number {
  let lo = 0, hi = bounds.rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareRows(orders, keys, i, bounds.keys, bounds.rows[mid]) > 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Appends RANGE_PARTITION_COLUMN to every batch of the child: the partition whose key range
 * holds the row, so that partition p's rows all sort at or before partition p+1's (rows with
 * equal keys always meet in one partition). Its second child yields the weighted key sample
 * (SampleExec's rows from every partition, a broadcast); bounds come from it on the first
 * non-empty batch. The writer of a range shuffle routes rows by the column and drops it.
 */
export class RangePartitionExec implements ExecPlan {
  readonly name = 'RangePartitionExec';
  readonly schema: arrow.Schema;
  readonly children: readonly ExecPlan[];
  private readonly rowKeys: CompiledSortKeys;
  private readonly sampleKeys: CompiledSortKeys;

  constructor(readonly opts: RangePartitionOptions, readonly child: ExecPlan, readonly sample: ExecPlan) {
    if (!(Number.isInteger(opts.partitions) && opts.partitions >= 1)) throw new PlanError(`RangePartitionExec: partitions must be a positive integer, got ${opts.partitions}`);
    if (child.schema.fields.some((f) => f.name === RANGE_PARTITION_COLUMN)) throw new PlanError(`cannot range-partition a relation with a column named ${RANGE_PARTITION_COLUMN}; rename it first`);
    this.rowKeys = compileSortKeys(opts.keys, child.schema);
    const sampled = opts.keys.map((k, i): ExprNode => {
      const c: ExprNode = { kind: 'column', name: sampleKeyName(i) };
      return k.kind === 'sort' ? { ...k, arg: c } : c;
    });
    this.sampleKeys = compileSortKeys(sampled, sample.schema);
    this.schema = new arrow.Schema([...child.schema.fields, new arrow.Field(RANGE_PARTITION_COLUMN, new arrow.Int32(), false)]);
    this.children = [child, sample];
  }

  display(): string {
    return `RangePartitionExec: ${keysToString(this.opts.keys)} partitions=${this.opts.partitions}`;
  }

  async *execute(partition: number, ctx: TaskContext): AsyncGenerator<arrow.RecordBatch> {
    const orders = this.rowKeys.orders;
    let bounds: RangeBounds | null = null;
    for await (const b of this.child.execute(partition, ctx)) {
      ctx.signal?.throwIfAborted();
      const n = b.numRows;
      if (n === 0) continue;
      bounds ??= await this.bounds(ctx);
      const keys = this.rowKeys.evaluate(b);
      const ids = new Int32Array(n);
      if (bounds.rows.length > 0) for (let i = 0; i < n; i++) ids[i] = rangePartitionOf(orders, keys, i, bounds);
      const tag = arrow.makeData({ type: new arrow.Int32(), length: n, nullCount: 0, data: ids });
      yield makeBatch(this.schema, [...b.data.children, tag], n);
    }
  }

  private async bounds(ctx: TaskContext): Promise<RangeBounds> {
    const batches: arrow.RecordBatch[] = [];
    for await (const b of this.sample.execute(0, ctx)) batches.push(b);
    const all = concatBatches(this.sample.schema, batches);
    const w = all.schema.fields.findIndex((f) => f.name === SAMPLE_WEIGHT);
    if (w < 0) throw new InternalError(`invariant violated: the key sample has no ${SAMPLE_WEIGHT} column; this is a bug`);
    const weights = all.numRows ? (all.data.children[w].values as Float64Array).subarray(0, all.numRows) : new Float64Array(0);
    const keys = this.sampleKeys.evaluate(all);
    return { keys, rows: rangeBounds(this.sampleKeys.orders, keys, weights, all.numRows, this.opts.partitions) };
  }
}
