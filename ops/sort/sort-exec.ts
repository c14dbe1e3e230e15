// SortExec: a stable sort of each partition, with top-k (fetch) and external sort over spill runs.
import type * as arrow from 'apache-arrow';
import { batchBytes } from '../compute/batch.ts';
import { interleave } from '../compute/interleave.ts';
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

/** Buffered rows in sorted order: row `order[i]` counts rows across `batches`, which start at `starts`. */
interface SortedRows {
  readonly batches: readonly arrow.RecordBatch[];
  readonly starts: Int32Array;
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
          const kept = gatherRows(this.schema, top, 0, top.order.length);
          buffer = [kept];
          rows = kept.numRows;
          bytes = batchBytes(kept);
        }
        // A sorted run is written while the buffer it gathers from is still held: half the budget.
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

  /**
   * Sorts the buffered batches as one, without copying them into one (only the key columns are
   * concatenated); with `fetch`, only the first `fetch` rows of the order.
   */
  private sortRows(buffer: readonly arrow.RecordBatch[], fetch: number | null): SortedRows {
    const batches = buffer.filter((b) => b.numRows > 0);
    const starts = new Int32Array(batches.length + 1);
    for (let i = 0; i < batches.length; i++) starts[i + 1] = starts[i] + batches[i].numRows;
    const keys = this.sortKeys.evaluateAll(batches);
    const order = sortIndices(this.sortKeys.orders, keys, starts[batches.length]);
    return { batches, starts, order: fetch !== null && fetch < order.length ? order.subarray(0, fetch) : order };
  }

  /** Sorted rows in batches of `batchSize` (slices where the input was already in order). */
  private *chunks(s: SortedRows, batchSize: number): Generator<arrow.RecordBatch> {
    for (let i = 0; i < s.order.length; i += batchSize) yield gatherRows(this.schema, s, i, Math.min(s.order.length, i + batchSize));
  }
}

/** Sorted rows [from, to) as one batch of exactly `schema` (an IPC writer closes its stream on any schema difference). */
function gatherRows(schema: arrow.Schema, s: SortedRows, from: number, to: number): arrow.RecordBatch {
  const n = to - from, src = new Int32Array(n), rows = new Int32Array(n);
  const { starts, order } = s;
  let b = 0;
  for (let i = 0; i < n; i++) {
    const g = order[from + i];
    // Sorted runs of input keep the same batch for long stretches: look nearby before searching.
    if (g < starts[b] || g >= starts[b + 1]) b = batchOf(starts, g);
    src[i] = b;
    rows[i] = g - starts[b];
  }
  return interleave(schema, s.batches, src, rows);
}

/** The batch holding global row `g`: the last b with starts[b] <= g. */
function batchOf(starts: Int32Array, g: number): number {
  let lo = 0, hi = starts.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= g) lo = mid; else hi = mid - 1;
  }
  return lo;
}

async function* toAsync<T>(it: Iterable<T>): AsyncGenerator<T> {
  yield* it;
}
