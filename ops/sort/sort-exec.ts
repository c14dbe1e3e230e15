// SortExec: a stable sort of each partition, with top-k (fetch) and external sort over spill runs.
import type * as arrow from 'apache-arrow';
import { batchBytes, concatBatches, makeBatch } from '../compute/batch.ts';
import { takeBatch } from '../compute/take.ts';
import { PlanError } from '../errors.ts';
import type { ExecPlan, TaskContext } from '../exec-plan.ts';
import type { ExprNode } from '../expr/node.ts';
import { SpillFile } from '../spill.ts';
import { mergeSorted } from './merge.ts';
import { sortIndices } from './sort-indices.ts';
import { compileSortKeys, keysToString, type CompiledSortKeys } from './sort-keys.ts';

export interface SortOptions {
  /** `sort` ExprNodes, most significant first. */
  readonly keys: readonly ExprNode[];
  /** Keep only the first `fetch` rows (top-k); null keeps all. */
  readonly fetch: number | null;
}

/** Rows of one batch in sorted order: `batch` gathered through `order`. */
interface SortedRows {
  readonly batch: arrow.RecordBatch;
  readonly order: Int32Array;
}

/**
 * Sorts all rows of each partition by `keys`; ties keep input order. With `fetch`, holds
 * only the best rows seen so far (memory O(fetch)). When the buffered input exceeds half of
 * ctx.memoryBudget (the sort copies it), sorted runs go to ctx.spillDir and are merged at the end; spill files
 * are deleted when the stream ends, however it ends.
 */
export class SortExec implements ExecPlan {
  readonly name = 'SortExec';
  readonly schema: arrow.Schema;
  readonly children: readonly ExecPlan[];
  private readonly sortKeys: CompiledSortKeys;

  constructor(readonly opts: SortOptions, readonly child: ExecPlan) {
    if (opts.fetch !== null && !(Number.isInteger(opts.fetch) && opts.fetch >= 0)) {
      throw new PlanError(`SortExec: fetch must be a non-negative integer or null, got ${opts.fetch}`);
    }
    this.schema = child.schema;
    this.children = [child];
    this.sortKeys = compileSortKeys(opts.keys, child.schema);
  }

  display(): string {
    return `SortExec: ${keysToString(this.opts.keys)}${this.opts.fetch !== null ? ` fetch=${this.opts.fetch}` : ''}`;
  }

  async *execute(partition: number, ctx: TaskContext): AsyncGenerator<arrow.RecordBatch> {
    const fetch = this.opts.fetch;
    if (fetch === 0) return;
    const batchSize = Math.max(1, ctx.batchSize);
    // Top-k: sort and truncate once the buffer holds this many rows, so memory stays O(k).
    const topKAt = fetch === null ? Infinity : Math.max(2 * fetch, batchSize);
    const runs: SpillFile[] = [];
    let buffer: arrow.RecordBatch[] = [];
    let rows = 0;
    let bytes = 0;
    try {
      for await (const b of this.child.execute(partition, ctx)) {
        ctx.signal?.throwIfAborted();
        if (b.numRows === 0) continue;
        buffer.push(b);
        rows += b.numRows;
        bytes += batchBytes(b);
        if (rows > topKAt) {
          const top = this.sortRows(buffer, fetch);
          const kept = takeBatch(top.batch, top.order);
          buffer = [kept];
          rows = kept.numRows;
          bytes = batchBytes(kept);
        }
        // Sorting copies the buffer into one batch: half the budget each keeps both within it.
        if (bytes > ctx.memoryBudget / 2) {
          const sorted = this.sortRows(buffer, fetch);
          buffer = [];
          const run = await SpillFile.write(ctx.spillDir, this.schema, this.chunks(sorted, batchSize));
          runs.push(run);
          ctx.metrics.add('spills', 1);
          ctx.metrics.add('spillBytes', run.bytes);
          buffer = [];
          rows = 0;
          bytes = 0;
        }
      }
      const rest = buffer.length > 0 ? this.sortRows(buffer, fetch) : null;
      buffer = [];
      if (runs.length === 0) {
        if (rest) yield* this.chunks(rest, batchSize);
        return;
      }
      // Runs hold earlier input than the in-memory rest; the merge breaks ties by input order.
      const inputs: AsyncIterable<arrow.RecordBatch>[] = runs.map((r) => r.read());
      if (rest) inputs.push(toAsync(this.chunks(rest, batchSize)));
      yield* mergeSorted(inputs, { schema: this.schema, keys: this.sortKeys, batchSize, fetch, signal: ctx.signal });
    } finally {
      await Promise.all(runs.map((r) => r.delete()));
    }
  }

  /** Sorts the buffered batches as one; with `fetch`, only the first `fetch` rows of the order. */
  private sortRows(buffer: readonly arrow.RecordBatch[], fetch: number | null): SortedRows {
    const batch = concatBatches(this.schema, buffer);
    const keys = this.sortKeys.evaluate(batch);
    const order = sortIndices(this.sortKeys.orders, keys, batch.numRows);
    return { batch, order: fetch !== null && fetch < order.length ? order.subarray(0, fetch) : order };
  }

  /** Sorted rows in batches of `batchSize`: slices when the input was already in order. */
  private *chunks(s: SortedRows, batchSize: number): Generator<arrow.RecordBatch> {
    const { batch, order } = s;
    const inOrder = isIdentity(order);
    for (let i = 0; i < order.length; i += batchSize) {
      const end = Math.min(order.length, i + batchSize);
      const out = inOrder ? batch.slice(i, end) : takeBatch(batch, order.subarray(i, end));
      // Exactly this operator's schema: an IPC writer closes the stream on any schema difference.
      yield makeBatch(this.schema, out.data.children, end - i);
    }
  }
}

function isIdentity(order: Int32Array): boolean {
  for (let i = 0; i < order.length; i++) if (order[i] !== i) return false;
  return true;
}

async function* toAsync<T>(it: Iterable<T>): AsyncGenerator<T> {
  yield* it;
}
