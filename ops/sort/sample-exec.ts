// SampleExec: a reservoir sample of each partition's sort keys, weighted, for choosing range bounds.
import * as arrow from 'apache-arrow';
import { concatBatches, makeBatch } from '../compute/batch.ts';
import { mulberry32 } from '../compute/random.ts';
import { takeBatch } from '../compute/take.ts';
import { PlanError } from '../errors.ts';
import { compileExpr, type CompiledExpr } from '../expr/eval.ts';
import type { ExecPlan, TaskContext } from '../exec-plan.ts';
import type { ExprNode } from '../expr/node.ts';
import { keysToString } from './sort-keys.ts';

export interface SampleOptions {
  /** `sort` ExprNodes over the child's schema; their values (not their order) are sampled. */
  readonly keys: readonly ExprNode[];
  /** Rows kept per partition (at most). */
  readonly rows: number;
}

/** Name of sampled key column i; `weight` follows the keys. */
export const sampleKeyName = (i: number): string => `k${i}`;
export const SAMPLE_WEIGHT = 'weight';

/**
 * Per partition, a uniform sample of at most `rows` rows of the evaluated keys (columns k0..),
 * plus a `weight` column: the partition's rows per sampled row, so that bounds drawn from the
 * samples of all partitions follow the data (a partition ten times bigger weighs ten times
 * more). One batch per partition, none for an empty one. The reservoir is seeded by the
 * partition, so a retried task over the same input draws the same sample.
 */
export class SampleExec implements ExecPlan {
  readonly name = 'SampleExec';
  readonly schema: arrow.Schema;
  readonly children: readonly ExecPlan[];
  private readonly exprs: CompiledExpr[];

  constructor(readonly opts: SampleOptions, readonly child: ExecPlan) {
    if (!(Number.isInteger(opts.rows) && opts.rows >= 1)) throw new PlanError(`SampleExec: rows must be a positive integer, got ${opts.rows}`);
    this.exprs = opts.keys.map((k) => compileExpr(k.kind === 'sort' ? k.arg : k, child.schema));
    this.schema = new arrow.Schema([
      ...this.exprs.map((e, i) => new arrow.Field(sampleKeyName(i), e.field.type, true)),
      new arrow.Field(SAMPLE_WEIGHT, new arrow.Float64(), false),
    ]);
    this.children = [child];
  }

  display(): string {
    return `SampleExec: ${keysToString(this.opts.keys)} rows=${this.opts.rows}`;
  }

  async *execute(partition: number, ctx: TaskContext): AsyncGenerator<arrow.RecordBatch> {
    const k = this.opts.rows;
    const keySchema = new arrow.Schema(this.schema.fields.slice(0, -1));
    const random = mulberry32(0x5eed ^ Math.imul(partition + 1, 0x9e3779b1));
    // Reservoir slot -> [chunk, row]: a chunk holds the rows of one input batch that entered the
    // reservoir, so only sampled key values are kept, never whole batches.
    const chunks: arrow.RecordBatch[] = [];
    const slotChunk: number[] = [];
    const slotRow: number[] = [];
    let seen = 0;
    for await (const b of this.child.execute(partition, ctx)) {
      ctx.signal?.throwIfAborted();
      const n = b.numRows;
      if (n === 0) continue;
      const picked: number[] = [];
      const slots: number[] = [];
      for (let i = 0; i < n; i++, seen++) {
        // Algorithm R: row `seen` replaces a random slot with probability k / (seen + 1).
        const slot = seen < k ? seen : Math.floor(random() * (seen + 1));
        if (slot < k) { picked.push(i); slots.push(slot); }
      }
      if (picked.length === 0) continue;
      const keys = makeBatch(keySchema, this.exprs.map((e) => e.evaluate(b)), n);
      const chunk = chunks.length;
      chunks.push(takeBatch(keys, Int32Array.from(picked)));
      // A later row of this batch may take the slot of an earlier one: the last write wins.
      slots.forEach((slot, j) => { slotChunk[slot] = chunk; slotRow[slot] = j; });
    }
    if (seen === 0) return;
    const kept = slotChunk.length;
    const starts: number[] = [];
    let total = 0;
    for (const c of chunks) { starts.push(total); total += c.numRows; }
    const all = concatBatches(keySchema, chunks);
    const sample = takeBatch(all, Int32Array.from({ length: kept }, (_, s) => starts[slotChunk[s]] + slotRow[s]));
    const weight = arrow.makeData({ type: new arrow.Float64(), length: kept, nullCount: 0, data: new Float64Array(kept).fill(seen / kept) });
    yield makeBatch(this.schema, [...sample.data.children, weight], kept);
  }
}
