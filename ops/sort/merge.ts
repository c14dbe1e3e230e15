// K-way merge of sorted batch streams: a binary heap over stream cursors, streaming out batches.
import type * as arrow from 'apache-arrow';
import { interleave } from '../compute/interleave.ts';
import { compareRows, type CompiledSortKeys, type KeyColumn } from './sort-keys.ts';

export interface MergeOptions {
  /** Schema of every input batch and of the output. */
  readonly schema: arrow.Schema;
  readonly keys: CompiledSortKeys;
  /** Rows per output batch. */
  readonly batchSize: number;
  /** Stop after this many rows (null: all). */
  readonly fetch: number | null;
  readonly signal?: AbortSignal;
}

/** The current batch of one input stream and the next row to emit from it. */
class Cursor {
  batch!: arrow.RecordBatch;
  keys!: KeyColumn[];
  row = 0;
  /** Index of `batch` among the sources of the pending output batch, valid while `epoch` matches. */
  slot = -1;
  epoch = -1;
  constructor(readonly run: number, private readonly it: AsyncIterator<arrow.RecordBatch>, private readonly sortKeys: CompiledSortKeys) {}

  /** Loads the next non-empty batch; false at the end of the stream. */
  async load(): Promise<boolean> {
    for (;;) {
      const r = await this.it.next();
      if (r.done) return false;
      if (r.value.numRows === 0) continue;
      this.batch = r.value;
      this.keys = this.sortKeys.evaluate(r.value);
      this.row = 0;
      this.slot = -1;
      return true;
    }
  }

  async close(): Promise<void> {
    await this.it.return?.();
  }
}

/**
 * Merges streams that are each sorted by `keys` into one sorted stream. Ties go to the
 * earlier stream, so merging the runs of a stable sort in input order stays stable. Every
 * input MUST already be sorted by the same keys; otherwise the output is not sorted.
 * Inputs are read lazily, one batch per stream at a time, and closed when the merge ends.
 */
export async function* mergeSorted(inputs: readonly AsyncIterable<arrow.RecordBatch>[], opts: MergeOptions): AsyncGenerator<arrow.RecordBatch> {
  const { keys, schema } = opts;
  const orders = keys.orders;
  const limit = opts.fetch ?? Infinity;
  const batchSize = Math.max(1, opts.batchSize);
  if (limit <= 0) return;
  const cursors = inputs.map((s, i) => new Cursor(i, s[Symbol.asyncIterator](), keys));
  const less = (a: Cursor, b: Cursor): boolean => {
    const c = compareRows(orders, a.keys, a.row, b.keys, b.row);
    return c < 0 || (c === 0 && a.run < b.run);
  };
  const heap: Cursor[] = [];
  const siftDown = (i: number) => {
    const n = heap.length;
    const x = heap[i];
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && less(heap[c + 1], heap[c])) c++;
      if (!less(heap[c], x)) break;
      heap[i] = heap[c];
      i = c;
    }
    heap[i] = x;
  };

  // Output rows pending emission, as (source batch, row) pairs.
  const srcOf = new Int32Array(batchSize);
  const rowOf = new Int32Array(batchSize);
  let sources: arrow.RecordBatch[] = [];
  // Bumped per output batch; source slots are per cursor (partitions may share batch objects).
  let epoch = 0;
  let pending = 0;
  let emitted = 0;
  const flush = (): arrow.RecordBatch => {
    const out = interleave(schema, sources, srcOf.subarray(0, pending), rowOf.subarray(0, pending));
    emitted += pending;
    pending = 0;
    sources = [];
    epoch++;
    return out;
  };

  try {
    for (const c of cursors) if (await c.load()) heap.push(c);
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftDown(i);
    while (heap.length > 0 && emitted + pending < limit) {
      opts.signal?.throwIfAborted();
      const top = heap[0];
      // The top stays the minimum until its row passes the best of the other cursors.
      let second: Cursor | null = heap.length > 1 ? heap[1] : null;
      if (heap.length > 2 && less(heap[2], heap[1])) second = heap[2];
      const room = Math.min(batchSize - pending, limit - emitted - pending);
      if (top.slot < 0 || top.epoch !== epoch) { top.slot = sources.length; top.epoch = epoch; sources.push(top.batch); }
      const s = top.slot;
      let taken = 0;
      const n = top.batch.numRows;
      do {
        srcOf[pending] = s;
        rowOf[pending++] = top.row++;
        taken++;
      } while (taken < room && top.row < n && (second === null || less(top, second)));
      if (pending === batchSize || emitted + pending >= limit) yield flush();
      if (top.row >= n && !(await top.load())) {
        const last = heap.pop()!;
        if (heap.length > 0) { heap[0] = last; siftDown(0); }
      } else {
        siftDown(0);
      }
    }
    if (pending > 0) yield flush();
  } finally {
    await Promise.all(cursors.map((c) => c.close()));
  }
}
