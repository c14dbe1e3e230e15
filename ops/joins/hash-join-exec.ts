// HashJoinExec: equi-join that builds a hash table on one input and streams the other through it.
import { makeVector } from 'apache-arrow';
import type * as arrow from 'apache-arrow';
import { batchBytes, concatBatches, makeBatch } from '../compute/batch.ts';
import { keyKindOf } from '../compute/hash.ts';
import { PlanError, ResourceError } from '../errors.ts';
import type { ExecPlan, TaskContext } from '../exec-plan.ts';
import { compileExpr, type CompiledExpr } from '../expr/eval.ts';
import { exprToString, type ExprNode } from '../expr/node.ts';
import { toArrowSchema, type FieldJSON } from '../types.ts';
import { GRACE_FANOUT, GRACE_MAX_LEVELS, graceJoin, GracePartitions } from './grace-partitions.ts';
import { alignKey, alignKeyPair, JoinHashTable } from './join-hash-table.ts';
import { fillPairs, type PairCursor } from './pair-fill.ts';
import { JoinFilter } from './join-filter.ts';
import { gatherColumns, JoinRows, outputColumns, outputTypes, type JoinType, type OutputColumn } from './join-output.ts';

export type { JoinType } from './join-output.ts';

export interface HashJoinOptions {
  readonly how: JoinType;
  readonly leftKeys: readonly ExprNode[];
  readonly rightKeys: readonly ExprNode[];
  /** USING join: one output column per key (see join-output.ts). */
  readonly using: boolean;
  /** The input read whole into the hash table; the other one is streamed. */
  readonly buildSide: 'left' | 'right';
  /** The join's output fields, as core/plan/schema.ts joinFields derives them. */
  readonly outputFields: readonly FieldJSON[];
  /** Residual condition on the pairs of equal keys (see JoinFilter); they match only where it is true. */
  readonly filter?: ExprNode | null;
  /** The fields `filter` reads: left input's, then right input's (joinPairFields). */
  readonly filterFields?: readonly FieldJSON[];
  /** Planned so that the scheduler may broadcast the build side, or filter the probe side by its keys, once its size is known (shown only). */
  readonly adaptive?: boolean;
}

/** Share of memoryBudget the build input and its hash table may take; a probe batch and output batches take the rest. */
const BUILD_SHARE = 0.75;
/** JoinHashTable bytes per build row, at most: 2-4 slots of 8 bytes, a hash, a row number, a group start. */
const TABLE_BYTES_PER_ROW = 48;

/** A build input (or one spill partition of it) ready to probe. */
interface Built {
  readonly batch: arrow.RecordBatch;
  readonly table: JoinHashTable;
}

/**
 * Joins partition p of `left` with partition p of `right` on leftKeys[i] = rightKeys[i].
 * Reads the build input's partition whole (a broadcast build input returns the whole table for
 * every partition; this operator does not care), then streams the probe input. Keys with a
 * null never match (SQL); numbers of different types compare by value. Output: left columns
 * then right columns in `outputFields` order, in batches of at most ctx.batchSize rows; rows
 * of the build side that an outer join preserves come after the probe output they were joined
 * with. Semi/anti joins emit each left row at most once.
 *
 * When the build input's batches and its hash table would pass 3/4 of ctx.memoryBudget, the join turns into a grace hash join (grace-partitions.ts): both inputs are
 * hash-partitioned into spill files under ctx.spillDir and joined one spill partition at a
 * time, a partition still too big being split again with another seed. Rows of one key that
 * alone do not fit (skew) fail with a ResourceError, never a partial answer. Spill files are
 * deleted when the stream ends, however it ends.
 */
export class HashJoinExec implements ExecPlan {
  readonly name = 'HashJoinExec';
  readonly schema: arrow.Schema;
  readonly children: readonly ExecPlan[];
  private readonly cols: readonly OutputColumn[];
  private readonly types: readonly arrow.DataType[];
  private readonly leftKeys: readonly CompiledExpr[];
  private readonly rightKeys: readonly CompiledExpr[];
  private readonly buildIsLeft: boolean;
  private readonly rows: JoinRows;
  private readonly buildPlan: ExecPlan;
  private readonly probePlan: ExecPlan;
  private readonly buildKeys: readonly CompiledExpr[];
  private readonly probeKeys: readonly CompiledExpr[];
  private readonly align: readonly ('native' | 'float64')[];
  /** Probe rows without a partner are output (outer joins keeping the probe side). */
  private readonly probePreserved: boolean;
  /** Build rows without a partner are output (outer joins keeping the build side). */
  private readonly buildPreserved: boolean;
  private readonly semiAnti: boolean;
  private readonly filter: JoinFilter | null;

  constructor(readonly opts: HashJoinOptions, readonly left: ExecPlan, readonly right: ExecPlan) {
    if (opts.leftKeys.length !== opts.rightKeys.length || opts.leftKeys.length === 0) {
      throw new PlanError(`HashJoinExec: needs the same, non-zero number of keys on both sides (got ${opts.leftKeys.length} and ${opts.rightKeys.length})`);
    }
    this.children = [left, right];
    this.schema = toArrowSchema(opts.outputFields);
    this.types = outputTypes(opts.outputFields);
    this.cols = outputColumns(opts.how, opts.using, opts.leftKeys, opts.rightKeys, left.schema, right.schema, opts.outputFields);
    this.leftKeys = opts.leftKeys.map((k) => compileExpr(k, left.schema));
    this.rightKeys = opts.rightKeys.map((k) => compileExpr(k, right.schema));
    for (const k of [...this.leftKeys, ...this.rightKeys]) keyKindOf(k.field.type); // list keys: PlanError now
    const { how } = opts;
    this.buildIsLeft = opts.buildSide === 'left';
    [this.buildPlan, this.probePlan] = this.buildIsLeft ? [left, right] : [right, left];
    this.rows = new JoinRows(this.schema, this.cols, this.types, this.buildIsLeft, this.probePlan.schema);
    [this.buildKeys, this.probeKeys] = this.buildIsLeft ? [this.leftKeys, this.rightKeys] : [this.rightKeys, this.leftKeys];
    this.align = this.buildKeys.map((k, i) => alignKeyPair(k.field.type, this.probeKeys[i].field.type));
    this.probePreserved = how === 'full' || how === (this.buildIsLeft ? 'right' : 'left');
    this.buildPreserved = how === 'full' || how === (this.buildIsLeft ? 'left' : 'right');
    this.semiAnti = how === 'semi' || how === 'anti';
    this.filter = opts.filter ? new JoinFilter(opts.filter, opts.filterFields ?? [], left.schema, right.schema) : null;
  }

  display(): string {
    const on = this.opts.leftKeys.map((k, i) => `${exprToString(k)} = ${exprToString(this.opts.rightKeys[i])}`).join(', ');
    const filter = this.opts.filter ? `, filter=${exprToString(this.opts.filter)}` : '';
    return `HashJoinExec: how=${this.opts.how}, on=[${on}]${filter}${this.opts.using ? ' using' : ''}, build=${this.opts.buildSide}${this.opts.adaptive ? ', adaptive' : ''}`;
  }

  async *execute(partition: number, ctx: TaskContext): AsyncGenerator<arrow.RecordBatch> {
    const spilled: GracePartitions[] = [];
    try {
      let build = await this.readBuild(partition, ctx, spilled);
      if (!(build instanceof GracePartitions)) {
        const built = this.prepare(build, ctx);
        if (built) { yield* this.probe(built, this.probePlan.execute(partition, ctx), ctx); return; }
        // The batches fit but not with their table: spill them after all.
        const parts = this.partitions('build', 0, ctx);
        spilled.push(parts);
        await parts.add(build);
        await parts.finish();
        build = parts;
      }
      const probe = this.partitions('probe', 0, ctx);
      spilled.push(probe);
      for await (const b of this.probePlan.execute(partition, ctx)) {
        ctx.signal?.throwIfAborted();
        await probe.add(b);
      }
      await probe.finish();
      ctx.metrics.add('joinSpillPartitions', GRACE_FANOUT);
      yield* graceJoin<Built>(build, probe, {
        ctx,
        partsNeeded: (rows, bytes) => Math.ceil(this.buildNeeds(rows, bytes) / (ctx.memoryBudget * BUILD_SHARE)),
        probeWithoutBuild: this.probeWithoutBuild(),
        partitions: (side, level, fanout) => this.partitions(side, level, ctx, fanout),
        prepare: (b) => this.prepare(b, ctx),
        join: (built, p) => this.probe(built, p, ctx),
        skewed: (sample, rows, bytes) => this.skewed(sample, rows, bytes, partition, ctx),
      });
    } finally {
      await Promise.all(spilled.map((s) => s.deleteAll()));
    }
  }

  /**
   * Reads the build input's partition: whole, as one batch, while its batches stay within
   * BUILD_SHARE of the budget with their table; past it, every batch (those read so far and the rest) goes to
   * spill partitions, returned finished. Those are also pushed to `spilled` at once.
   */
  private async readBuild(partition: number, ctx: TaskContext, spilled: GracePartitions[]): Promise<arrow.RecordBatch | GracePartitions> {
    const batches: arrow.RecordBatch[] = [];
    let bytes = 0, rows = 0;
    let parts: GracePartitions | null = null;
    for await (const b of this.buildPlan.execute(partition, ctx)) {
      ctx.signal?.throwIfAborted();
      if (b.numRows === 0) continue;
      if (parts) { await parts.add(b); continue; }
      batches.push(b);
      bytes += batchBytes(b);
      rows += b.numRows;
      if (this.buildNeeds(rows, bytes) > ctx.memoryBudget * BUILD_SHARE) {
        parts = this.partitions('build', 0, ctx);
        spilled.push(parts);
        for (const x of batches.splice(0)) await parts.add(x);
      }
    }
    if (!parts) return concatBatches(this.buildPlan.schema, batches);
    await parts.finish();
    return parts;
  }

  /** Bytes that build rows of these many bytes need with their hash table. */
  private buildNeeds(rows: number, bytes: number): number {
    return bytes + rows * TABLE_BYTES_PER_ROW;
  }

  /** The hash table over `batch`; null when the two together do not fit the budget. */
  private prepare(batch: arrow.RecordBatch, ctx: TaskContext): Built | null {
    const keys = this.keysOf(this.buildKeys, batch);
    const fits = (t: JoinHashTable) => batchBytes(batch) + t.estimatedBytes() <= ctx.memoryBudget;
    let table = new JoinHashTable(keys, batch.numRows);
    // A dense index or a key bitmap over a wide range of few keys can outgrow a budget that a plain hashed table fits.
    if ((table.isDense || table.hasBitmap) && !fits(table)) table = new JoinHashTable(keys, batch.numRows, { dense: false, bitmap: false });
    return fits(table) ? { batch, table } : null;
  }

  private keysOf(keys: readonly CompiledExpr[], b: arrow.RecordBatch): arrow.Data[] {
    return keys.map((k, i) => alignKey(k.evaluate(b), this.align[i]));
  }

  private partitions(side: 'build' | 'probe', level: number, ctx: TaskContext, fanout = GRACE_FANOUT): GracePartitions {
    const [plan, keys] = side === 'build' ? [this.buildPlan, this.buildKeys] : [this.probePlan, this.probeKeys];
    return new GracePartitions(plan.schema, level, (b) => this.keysOf(keys, b), ctx, ctx.memoryBudget / 2, fanout);
  }

  /** Whether probe rows are output even when no build row exists (outer joins, anti joins streaming the left input). */
  private probeWithoutBuild(): boolean {
    return this.probePreserved || (this.opts.how === 'anti' && !this.buildIsLeft);
  }

  /** Streams `probeInput` through the build side's table, then outputs the build rows the join keeps. */
  private async *probe(built: Built, probeInput: AsyncIterable<arrow.RecordBatch>, ctx: TaskContext): AsyncGenerator<arrow.RecordBatch> {
    if (this.filter) { yield* this.probeFiltered(built, this.filter, probeInput, ctx); return; }
    const { batch: build, table } = built;
    const { how } = this.opts;
    const { buildIsLeft, probePreserved, semiAnti } = this;
    const size = Math.max(1, ctx.batchSize);
    // Build rows that found a partner: for outer joins that keep the build side, and for
    // semi/anti joins whose left (output) side is the build side.
    const matched = this.buildPreserved || (semiAnti && buildIsLeft) ? new Uint8Array(build.numRows) : null;
    if (build.numRows > 0 || this.probeWithoutBuild()) {
      for await (const p of probeInput) {
        ctx.signal?.throwIfAborted();
        const n = p.numRows;
        if (n === 0) continue;
        const gid = table.probe(this.keysOf(this.probeKeys, p), n);
        if (semiAnti && !buildIsLeft) {
          yield* this.filterLeft(p, gid, how === 'semi');
          continue;
        }
        const starts = table.groupStarts(), rows = table.rowList();
        const cursor: PairCursor = { i: 0, t: -1 };
        while (cursor.i < n) {
          const pi = new Int32Array(size), bi = new Int32Array(size);
          const m = fillPairs(gid, n, starts, rows, matched, !semiAnti, probePreserved, pi, bi, cursor);
          if (m > 0) yield this.rows.pairs(p, m === size ? pi : pi.subarray(0, m), build, m === size ? bi : bi.subarray(0, m));
        }
      }
    }
    if (matched) yield* this.rows.buildRows(build, matched, this.opts.how === 'semi' ? 1 : 0, size);
  }


  /**
   * probe() with a residual condition: the pairs of equal keys are gathered a batch at a time
   * and only those passing `filter` match, so a probe row's fate (outer, semi, anti) is known
   * once all its pairs are tested; its unmatched rows follow its matched pairs.
   */
  private async *probeFiltered({ batch: build, table }: Built, filter: JoinFilter, probeInput: AsyncIterable<arrow.RecordBatch>, ctx: TaskContext): AsyncGenerator<arrow.RecordBatch> {
    const { how } = this.opts;
    const { buildIsLeft, probePreserved, semiAnti } = this;
    const size = Math.max(1, ctx.batchSize);
    const matched = this.buildPreserved || (semiAnti && buildIsLeft) ? new Uint8Array(build.numRows) : null;
    const probeSide = probePreserved || (semiAnti && !buildIsLeft);
    if (build.numRows > 0 || this.probeWithoutBuild()) {
      for await (const p of probeInput) {
        ctx.signal?.throwIfAborted();
        const n = p.numRows;
        if (n === 0) continue;
        const gid = table.probe(this.keysOf(this.probeKeys, p), n);
        const hit = probeSide ? new Uint8Array(n) : null;
        const rows = table.rowList();
        let pi = new Int32Array(size), bi = new Int32Array(size), m = 0;
        const flush = (): arrow.RecordBatch | null => {
          const ps = pi.subarray(0, m), bs = bi.subarray(0, m);
          const pass = buildIsLeft ? filter.passing(build, bs, p, ps) : filter.passing(p, ps, build, bs);
          m = 0;
          for (const k of pass) { if (hit) hit[ps[k]] = 1; if (matched) matched[bs[k]] = 1; }
          if (semiAnti || pass.length === 0) return null;
          const outP = new Int32Array(pass.length), outB = new Int32Array(pass.length);
          pass.forEach((k, j) => { outP[j] = ps[k]; outB[j] = bs[k]; });
          return this.rows.pairs(p, outP, build, outB);
        };
        for (let i = 0; i < n; i++) {
          const g = gid[i];
          if (g < 0) continue;
          const end = table.groupEnd(g);
          for (let t = table.groupStart(g); t < end; t++) {
            pi[m] = i; bi[m] = rows[t];
            if (++m === size) { const out = flush(); if (out) yield out; }
          }
        }
        if (m > 0) { const out = flush(); if (out) yield out; }
        if (semiAnti && !buildIsLeft) {
          yield* this.rows.keepLeft(p, hit!, how === 'semi');
        } else if (probePreserved) {
          yield* this.rows.probeRowsAlone(p, hit!, build, size);
        }
      }
    }
    if (matched) yield* this.rows.buildRows(build, matched, this.opts.how === 'semi' ? 1 : 0, size);
  }



  /** A spill partition still over budget after every round: its rows share a key. */
  private skewed(sample: arrow.RecordBatch, rows: number, bytes: number, partition: number, ctx: TaskContext): ResourceError {
    const names = this.opts[this.buildIsLeft ? 'leftKeys' : 'rightKeys'].map(exprToString);
    const key = this.buildKeys.map((k, i) => `${names[i]} = ${showValue(makeVector(k.evaluate(sample)).get(0))}`).join(', ');
    return new ResourceError(`HashJoinExec: the join key is skewed: in partition ${partition}, ${rows} rows of the build side (${this.opts.buildSide} input, ${bytes} bytes) still share one spill partition after ${GRACE_MAX_LEVELS} rounds of hash partitioning, more than memoryBudget (${ctx.memoryBudget} bytes) allows; the first of them has ${key}. Raise memoryBudget, filter out or salt the hot key (join it separately), or make the other input the build side`,
      // The same input meets the same budget on every attempt: retrying cannot help.
      { retryable: false });
  }

  /** Semi/anti join streaming the left input: its rows with (semi) or without (anti) a match. */
  private *filterLeft(p: arrow.RecordBatch, gid: Int32Array, semi: boolean): Generator<arrow.RecordBatch> {
    const n = p.numRows;
    const keep = new Int32Array(n);
    let m = 0;
    for (let i = 0; i < n; i++) if ((gid[i] >= 0) === semi) keep[m++] = i;
    if (m === 0) return;
    if (m === n) { yield makeBatch(this.schema, p.data.children, n); return; }
    yield makeBatch(this.schema, gatherColumns(this.cols, this.types, p, keep.subarray(0, m), null, null), m);
  }


}

/** A key value as an error message shows it. */
function showValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return `<${v.length} bytes>`;
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
