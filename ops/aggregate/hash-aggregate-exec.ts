// HashAggregateExec: hash group-by with partial/final/single modes and spilling under a memory budget.
import * as arrow from 'apache-arrow';
import { makeBatch } from '../compute/batch.ts';
import { fmix32, hashColumns, keyKindOf } from '../compute/hash.ts';
import { takeBatch } from '../compute/take.ts';
import type { ExecPlan, TaskContext } from '../exec-plan.ts';
import { compileExpr, type CompiledExpr } from '../expr/eval.ts';
import { exprToString } from '../expr/node.ts';
import { fromArrowSchema, toArrowSchema, type FieldJSON } from '../types.ts';
import type { SpillFile } from '../spill.ts';
import {
  groupFieldsFromInput, partialSchema, specsFromInput, specsFromPartial, stateWidth,
  type AggregateOptions, type AggSpec,
} from './agg-spec.ts';
import { AggTable, rowStates } from './agg-table.ts';
import { SpillBuckets } from './spill-buckets.ts';

/** Buckets a spilling aggregation splits its groups into, per level. */
const SPILL_FANOUT = 16;
const FANOUT_BITS = 4;
/** Deepest re-partitioning of a bucket that is still over budget (16^4 buckets in all). */
const MAX_SPILL_LEVEL = 4;
/** Fewer groups than this are never spilled: the files would cost more than the memory. */
const MIN_SPILL_GROUPS = 256;
/**
 * Partial aggregation that does not reduce is skipped (as DataFusion and Spark do): once this
 * many rows went in, if the groups exceed PARTIAL_SKIP_RATIO of them, every later row goes out
 * as its own group's partial state, through no hash table (the final aggregate merges them).
 */
const PARTIAL_SKIP_PROBE_ROWS = 100_000;
const PARTIAL_SKIP_RATIO = 0.5;
/** Per-level salts so that each level's bucket bits are independent of the shuffle's and of each other. */
const LEVEL_SALT = [0x2545f491, 0x6c8e9cf5, 0x1b873593, 0x7fb5d329, 0x4f6cdd1d];

/**
 * Groups rows by `groupBy` and computes `aggs` (see agg-spec.ts for modes and the partial
 * schema). Output: the group columns (named exprName(groupBy[i])), then one column per
 * aggregate (named exprName(agg)); 'partial' emits state columns instead of final values.
 * With no group keys, 'single' and 'final' always emit exactly one row (count of nothing = 0,
 * sum of nothing = null). Output row order is unspecified. first/last take the value of the
 * group's first/last row in input order even when it is null (DuckDB's first/last; Spark's
 * default without ignoreNulls); see first-last.ts.
 *
 * Memory: when the table's estimated bytes exceed ctx.memoryBudget, 'partial' emits what it
 * holds and starts over (a group may then appear in several partial rows, which 'final'
 * merges); 'single' and 'final' write their partial states to SpillFiles split into 16 hash
 * buckets, then aggregate bucket by bucket, re-splitting a bucket that is still too big (up to
 * 4 levels; past that, or while it holds under 256 groups, it goes on in memory). Spill
 * writes are buffered per bucket (spillBufferBytes: about half the budget in all, at least
 * 16 KB per bucket), on top of the table's own budget.
 * Counts ctx.metrics 'spills' and 'spillBytes'.
 */
export class HashAggregateExec implements ExecPlan {
  readonly name = 'HashAggregateExec';
  readonly schema: arrow.Schema;
  readonly children: readonly ExecPlan[];
  private readonly specs: readonly AggSpec[];
  private readonly groupFields: readonly FieldJSON[];
  /** The partial (state) schema: what 'partial' emits, 'final' reads and spill runs hold. */
  private readonly stateSchema: arrow.Schema;
  private readonly keyTypes: readonly arrow.DataType[];
  private readonly keyExprs: readonly CompiledExpr[] | null;
  private readonly argExprs: readonly (CompiledExpr | null)[] | null;

  constructor(readonly opts: AggregateOptions, readonly child: ExecPlan) {
    this.children = [child];
    const input = fromArrowSchema(child.schema);
    if (opts.mode === 'final') {
      const k = opts.groupBy.length;
      this.groupFields = input.slice(0, k);
      this.specs = specsFromPartial(opts.aggs, k, input);
      this.stateSchema = child.schema;
      this.keyExprs = null;
      this.argExprs = null;
    } else {
      this.groupFields = groupFieldsFromInput(opts.groupBy, input);
      this.specs = specsFromInput(opts.aggs, input);
      this.stateSchema = partialSchema(opts, child.schema);
      this.keyExprs = opts.groupBy.map((g) => compileExpr(g, child.schema));
      this.argExprs = this.specs.map((s) => (s.arg ? compileExpr(s.arg, child.schema) : null));
    }
    this.schema = opts.mode === 'partial' ? this.stateSchema : toArrowSchema([...this.groupFields, ...this.specs.map((s) => s.out)]);
    this.keyTypes = this.stateSchema.fields.slice(0, opts.groupBy.length).map((f) => f.type);
    this.keyTypes.forEach(keyKindOf); // a list key is a PlanError now, not at the first batch
  }

  /** The schema a 'partial' aggregate emits for raw input `input` (the shuffle's schema). */
  static partialSchema(opts: Pick<AggregateOptions, 'groupBy' | 'aggs'>, input: arrow.Schema): arrow.Schema {
    return partialSchema(opts, input);
  }

  display(): string {
    const gby = this.opts.groupBy.map(exprToString).join(', ');
    const aggs = this.opts.aggs.map(exprToString).join(', ');
    return `HashAggregateExec: mode=${this.opts.mode}, gby=[${gby}], aggr=[${aggs}]`;
  }

  async *execute(partition: number, ctx: TaskContext): AsyncGenerator<arrow.RecordBatch> {
    const spills: Spills = { buckets: [], files: [] };
    try {
      yield* this.aggregate(this.child.execute(partition, ctx), this.opts.mode !== 'final', 0, ctx, spills);
    } finally {
      await Promise.all([...spills.buckets.map((b) => b.discard()), ...spills.files.map((f) => f.delete())]);
    }
  }

  /**
   * Aggregates `input` (raw rows when `raw`, else partial-state rows) and yields the output;
   * `level` counts how many times these rows were already split into spill buckets.
   */
  private async *aggregate(input: AsyncIterable<arrow.RecordBatch>, raw: boolean, level: number, ctx: TaskContext, spills: Spills): AsyncGenerator<arrow.RecordBatch> {
    const mode = this.opts.mode;
    const canSpill = mode !== 'partial' && this.keyTypes.length > 0;
    let table = new AggTable(this.keyTypes, this.specs);
    let buckets: SpillBuckets | null = null;
    let rowsIn = 0;
    let skipping = false;
    for await (const b of input) {
      ctx.signal?.throwIfAborted();
      if (b.numRows === 0) continue;
      if (skipping) {
        // Skipping: every row goes out as its own group's partial state, through no hash table.
        const keys = this.keyExprs!.map((k) => k.evaluate(b));
        const states = rowStates(this.specs, this.argExprs!.map((a) => (a ? a.evaluate(b) : null)), b.numRows);
        yield* this.emit(this.stateSchema, [...keys, ...states], b.numRows, ctx);
        continue;
      }
      this.feed(table, b, raw);
      rowsIn += b.numRows;
      if (mode === 'partial' && this.keyTypes.length > 0 && rowsIn >= PARTIAL_SKIP_PROBE_ROWS && table.size > PARTIAL_SKIP_RATIO * rowsIn) {
        ctx.metrics.add('partialSkips', 1);
        yield* this.emit(this.stateSchema, table.stateColumns(), table.size, ctx);
        table = new AggTable(this.keyTypes, this.specs);
        skipping = true;
        continue;
      }
      if (table.bytes() <= ctx.memoryBudget) continue;
      if (mode === 'partial') {
        ctx.metrics.add('partialFlushes', 1);
        yield* this.emit(this.stateSchema, table.stateColumns(), table.size, ctx);
        table = new AggTable(this.keyTypes, this.specs);
      } else if (canSpill && level < MAX_SPILL_LEVEL && table.size >= MIN_SPILL_GROUPS) {
        if (!buckets) spills.buckets.push((buckets = new SpillBuckets(ctx.spillDir, this.stateSchema, SPILL_FANOUT, spillBufferBytes(ctx.memoryBudget))));
        await this.spill(table, level, buckets);
        ctx.metrics.add('spills', 1);
        table = new AggTable(this.keyTypes, this.specs);
      }
    }
    if (!buckets) {
      if (mode === 'partial') {
        yield* this.emit(this.stateSchema, table.stateColumns(), table.size, ctx);
      } else {
        table.ensureGlobalGroup();
        yield* this.emit(this.schema, table.finalColumns(), table.size, ctx);
      }
      return;
    }
    if (table.size > 0) await this.spill(table, level, buckets);
    const runs = (await buckets.finish()).filter((r): r is SpillFile => r !== null);
    spills.files.push(...runs);
    ctx.metrics.add('spillBytes', runs.reduce((s, r) => s + r.bytes, 0));
    for (const run of runs) {
      yield* this.aggregate(run.read(), false, level + 1, ctx, spills);
      await run.delete();
    }
  }

  /** Folds one input batch into the table. */
  private feed(table: AggTable, b: arrow.RecordBatch, raw: boolean): void {
    const n = b.numRows;
    if (raw) {
      const keys = this.keyExprs!.map((k) => k.evaluate(b));
      const args = this.argExprs!.map((a) => (a ? a.evaluate(b) : null));
      table.update(keys, args, n);
      return;
    }
    const cols = b.data.children;
    const k = this.keyTypes.length;
    let at = k;
    const states = this.specs.map((s) => {
      const w = stateWidth(s.fn);
      const cs = cols.slice(at, at + w);
      at += w;
      return cs;
    });
    table.merge(cols.slice(0, k), states, n);
  }

  /** Appends the table's partial states to the spill runs, split by hash bucket. */
  private async spill(table: AggTable, level: number, buckets: SpillBuckets): Promise<void> {
    const n = table.size;
    const cols = table.stateColumns();
    const batch = makeBatch(this.stateSchema, cols, n);
    const h = hashColumns(cols.slice(0, this.keyTypes.length), n);
    const salt = LEVEL_SALT[level];
    const counts = new Int32Array(SPILL_FANOUT + 1);
    const bucketOf = new Uint8Array(n);
    for (let i = 0; i < n; i++) { const p = fmix32(h[i] ^ salt) >>> (32 - FANOUT_BITS); bucketOf[i] = p; counts[p + 1]++; }
    for (let p = 0; p < SPILL_FANOUT; p++) counts[p + 1] += counts[p];
    const order = new Int32Array(n);
    const fill = counts.slice(0, SPILL_FANOUT);
    for (let i = 0; i < n; i++) order[fill[bucketOf[i]]++] = i;
    for (let p = 0; p < SPILL_FANOUT; p++) {
      if (counts[p + 1] > counts[p]) await buckets.append(p, takeBatch(batch, order.subarray(counts[p], counts[p + 1])));
    }
  }

  /** Yields `cols` (n rows of `schema`) in batches of ctx.batchSize rows. */
  private *emit(schema: arrow.Schema, cols: arrow.Data[], n: number, ctx: TaskContext): Generator<arrow.RecordBatch> {
    if (n === 0) return;
    const all = makeBatch(schema, cols, n);
    const size = Math.max(1, ctx.batchSize);
    if (n <= size) { yield all; return; }
    for (let s = 0; s < n; s += size) yield all.slice(s, Math.min(n, s + size));
  }
}

/** Rows buffered per spill bucket before a write: half the budget over all buckets, within [16 KB, 4 MB]. */
function spillBufferBytes(budget: number): number {
  return Math.min(4 << 20, Math.max(16 << 10, Math.floor(budget / (2 * SPILL_FANOUT))));
}

/** Spill state of one execute(): cleaned up however the stream ends. */
interface Spills {
  readonly buckets: SpillBuckets[];
  readonly files: SpillFile[];
}
