// NestedLoopJoinExec: join without equality keys; every (build row, probe row) pair is tested against the condition.
import type * as arrow from 'apache-arrow';
import { batchBytes, concatBatches } from '../compute/batch.ts';
import { ResourceError } from '../errors.ts';
import type { ExecPlan, TaskContext } from '../exec-plan.ts';
import { exprToString, type ExprNode } from '../expr/node.ts';
import { toArrowSchema, type FieldJSON } from '../types.ts';
import { JoinFilter } from './join-filter.ts';
import { JoinRows, outputColumns, outputTypes, type JoinType, type OutputColumn } from './join-output.ts';

export interface NestedLoopJoinOptions {
  readonly how: JoinType;
  /** The condition on (left row, right row) pairs; null: every pair matches (a cartesian product). */
  readonly filter: ExprNode | null;
  /** The fields `filter` reads: left input's, then right input's (core/plan/schema.ts joinPairFields). */
  readonly filterFields: readonly FieldJSON[];
  /** The input read whole (a broadcast, or the only partition); the other one is streamed. */
  readonly buildSide: 'left' | 'right';
  /** The join's output fields (core/plan/schema.ts joinFields, no USING keys). */
  readonly outputFields: readonly FieldJSON[];
}

/**
 * Joins partition p of `left` with partition p of `right`: reads the build input's partition
 * whole, then streams the probe input, pairing each probe batch with every build row, at most
 * ctx.batchSize pairs at a time. Rows of the build side that an outer join preserves (or the
 * left rows of a semi/anti join built on the left) come after the probe output.
 *
 * The build side MUST fit in ctx.memoryBudget: past it the task fails with a ResourceError
 * (not retried) that says how to avoid it. The planner builds on the broadcast (small) side.
 */
export class NestedLoopJoinExec implements ExecPlan {
  readonly name = 'NestedLoopJoinExec';
  readonly schema: arrow.Schema;
  readonly children: readonly ExecPlan[];
  private readonly cols: readonly OutputColumn[];
  private readonly types: readonly arrow.DataType[];
  private readonly filter: JoinFilter | null;
  private readonly buildIsLeft: boolean;
  private readonly rows: JoinRows;
  private readonly buildPlan: ExecPlan;
  private readonly probePlan: ExecPlan;
  private readonly probePreserved: boolean;
  private readonly buildPreserved: boolean;
  private readonly semiAnti: boolean;

  constructor(readonly opts: NestedLoopJoinOptions, readonly left: ExecPlan, readonly right: ExecPlan) {
    this.children = [left, right];
    this.schema = toArrowSchema(opts.outputFields);
    this.types = outputTypes(opts.outputFields);
    this.cols = outputColumns(opts.how, false, [], [], left.schema, right.schema, opts.outputFields);
    this.filter = opts.filter ? new JoinFilter(opts.filter, opts.filterFields, left.schema, right.schema) : null;
    const { how } = opts;
    this.buildIsLeft = opts.buildSide === 'left';
    [this.buildPlan, this.probePlan] = this.buildIsLeft ? [left, right] : [right, left];
    this.rows = new JoinRows(this.schema, this.cols, this.types, this.buildIsLeft, this.probePlan.schema);
    this.probePreserved = how === 'full' || how === (this.buildIsLeft ? 'right' : 'left');
    this.buildPreserved = how === 'full' || how === (this.buildIsLeft ? 'left' : 'right');
    this.semiAnti = how === 'semi' || how === 'anti';
  }

  display(): string {
    const on = this.opts.filter ? `filter=${exprToString(this.opts.filter)}` : 'cross';
    return `NestedLoopJoinExec: how=${this.opts.how}, ${on}, build=${this.opts.buildSide}`;
  }

  async *execute(partition: number, ctx: TaskContext): AsyncGenerator<arrow.RecordBatch> {
    const build = await this.readBuild(partition, ctx);
    const { how } = this.opts;
    const { buildIsLeft, semiAnti, probePreserved } = this;
    const size = Math.max(1, ctx.batchSize);
    const nb = build.numRows;
    const matched = this.buildPreserved || (semiAnti && buildIsLeft) ? new Uint8Array(nb) : null;
    const probeSide = probePreserved || (semiAnti && !buildIsLeft);
    // Nothing to pair with, and nothing of the probe side to keep: do not read it.
    if (nb === 0 && !probeSide) { if (matched) yield* this.rows.buildRows(build, matched, this.opts.how === 'semi' ? 1 : 0, size); return; }
    for await (const p of this.probePlan.execute(partition, ctx)) {
      ctx.signal?.throwIfAborted();
      const n = p.numRows;
      if (n === 0) continue;
      const hit = probeSide ? new Uint8Array(n) : null;
      const pi = new Int32Array(size), bi = new Int32Array(size);
      let m = 0;
      const flush = (): arrow.RecordBatch | null => {
        const ps = pi.subarray(0, m), bs = bi.subarray(0, m);
        m = 0;
        let pass: Int32Array | null = null;
        if (this.filter) pass = buildIsLeft ? this.filter.passing(build, bs, p, ps) : this.filter.passing(p, ps, build, bs);
        const count = pass ? pass.length : ps.length;
        if (hit || matched) {
          for (let j = 0; j < count; j++) {
            const k = pass ? pass[j] : j;
            if (hit) hit[ps[k]] = 1;
            if (matched) matched[bs[k]] = 1;
          }
        }
        if (semiAnti || count === 0) return null;
        const outP = pass ? Int32Array.from(pass, (k) => ps[k]) : ps.slice();
        const outB = pass ? Int32Array.from(pass, (k) => bs[k]) : bs.slice();
        return this.rows.pairs(p, outP, build, outB);
      };
      // Semi/anti joins on the probe side without a condition: any build row is a match.
      if (!(semiAnti && !buildIsLeft && !this.filter)) {
        for (let i = 0; i < n; i++) {
          for (let r = 0; r < nb; r++) {
            pi[m] = i; bi[m] = r;
            if (++m === size) { const out = flush(); if (out) yield out; }
          }
        }
        if (m > 0) { const out = flush(); if (out) yield out; }
      } else if (nb > 0) {
        hit!.fill(1);
      }
      if (semiAnti && !buildIsLeft) yield* this.rows.keepLeft(p, hit!, how === 'semi');
      else if (probePreserved) yield* this.rows.probeRowsAlone(p, hit!, build, size);
    }
    if (matched) yield* this.rows.buildRows(build, matched, this.opts.how === 'semi' ? 1 : 0, size);
  }

  /** The build input's partition as one batch; a ResourceError past ctx.memoryBudget. */
  private async readBuild(partition: number, ctx: TaskContext): Promise<arrow.RecordBatch> {
    const batches: arrow.RecordBatch[] = [];
    let bytes = 0;
    for await (const b of this.buildPlan.execute(partition, ctx)) {
      ctx.signal?.throwIfAborted();
      if (b.numRows === 0) continue;
      batches.push(b);
      bytes += batchBytes(b);
      if (bytes > ctx.memoryBudget) {
        const cond = this.opts.filter ? `on ${exprToString(this.opts.filter)}` : '(a cross join)';
        throw new ResourceError(`NestedLoopJoinExec: the ${this.opts.buildSide} input of the ${this.opts.how} join ${cond} passed memoryBudget (${ctx.memoryBudget} bytes) in partition ${partition}; a join without equality keys holds one side whole. Add an equality between the two sides' columns to the condition (a hash join can spill), filter or aggregate that side first, or raise memoryBudget`,
          { retryable: false });
      }
    }
    return concatBatches(this.buildPlan.schema, batches);
  }




}
