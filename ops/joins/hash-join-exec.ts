// HashJoinExec: equi-join that builds a hash table on one input and streams the other through it.
import type * as arrow from 'apache-arrow';
import { batchBytes, concatBatches, emptyBatch, makeBatch } from '../compute/batch.ts';
import { keyKindOf } from '../compute/hash.ts';
import { PlanError, ResourceError } from '../errors.ts';
import type { ExecPlan, TaskContext } from '../exec-plan.ts';
import { compileExpr, type CompiledExpr } from '../expr/eval.ts';
import { exprToString, type ExprNode } from '../expr/node.ts';
import { toArrowSchema, type FieldJSON } from '../types.ts';
import { alignKey, alignKeyPair, JoinHashTable } from './join-hash-table.ts';
import { gatherColumns, outputColumns, outputTypes, type JoinType, type OutputColumn } from './join-output.ts';

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
}

/**
 * Joins partition p of `left` with partition p of `right` on leftKeys[i] = rightKeys[i].
 * Reads the build input's partition whole (a broadcast build input returns the whole table for
 * every partition; this operator does not care), then streams the probe input. Keys with a
 * null never match (SQL); numbers of different types compare by value. Output: left columns
 * then right columns in `outputFields` order, in batches of at most ctx.batchSize rows; rows
 * of the build side that an outer join preserves come after all probe output. Semi/anti joins
 * emit each left row at most once.
 *
 * Known limit: the build side MUST fit ctx.memoryBudget (its batches plus the table); over it,
 * execute throws ResourceError. Hash joins do not spill yet: raise memoryBudget, or use more
 * shuffle partitions so that each build partition is smaller.
 */
export class HashJoinExec implements ExecPlan {
  readonly name = 'HashJoinExec';
  readonly schema: arrow.Schema;
  readonly children: readonly ExecPlan[];
  private readonly cols: readonly OutputColumn[];
  private readonly types: readonly arrow.DataType[];
  private readonly leftKeys: readonly CompiledExpr[];
  private readonly rightKeys: readonly CompiledExpr[];

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
  }

  display(): string {
    const on = this.opts.leftKeys.map((k, i) => `${exprToString(k)} = ${exprToString(this.opts.rightKeys[i])}`).join(', ');
    return `HashJoinExec: how=${this.opts.how}, on=[${on}]${this.opts.using ? ' using' : ''}, build=${this.opts.buildSide}`;
  }

  async *execute(partition: number, ctx: TaskContext): AsyncGenerator<arrow.RecordBatch> {
    const { how } = this.opts;
    const buildIsLeft = this.opts.buildSide === 'left';
    const [buildPlan, probePlan] = buildIsLeft ? [this.left, this.right] : [this.right, this.left];
    const [buildKeys, probeKeys] = buildIsLeft ? [this.leftKeys, this.rightKeys] : [this.rightKeys, this.leftKeys];
    const outer = how === 'full' || how === (buildIsLeft ? 'right' : 'left');
    const probePreserved = outer;
    const buildPreserved = how === 'full' || how === (buildIsLeft ? 'left' : 'right');
    const semiAnti = how === 'semi' || how === 'anti';

    const build = await this.readBuild(buildPlan, partition, ctx);
    const align = buildKeys.map((k, i) => alignKeyPair(k.field.type, probeKeys[i].field.type));
    const table = new JoinHashTable(buildKeys.map((k, i) => alignKey(k.evaluate(build), align[i])), build.numRows);
    const held = batchBytes(build) + table.estimatedBytes();
    if (held > ctx.memoryBudget) throw this.tooBig(held, partition, ctx);

    const size = Math.max(1, ctx.batchSize);
    // Build rows that found a partner: for outer joins that keep the build side, and for
    // semi/anti joins whose left (output) side is the build side.
    const matched = buildPreserved || (semiAnti && buildIsLeft) ? new Uint8Array(build.numRows) : null;
    const probeNeeded = build.numRows > 0 || probePreserved || (how === 'anti' && !buildIsLeft);
    if (probeNeeded) {
      for await (const p of probePlan.execute(partition, ctx)) {
        ctx.signal?.throwIfAborted();
        const n = p.numRows;
        if (n === 0) continue;
        const gid = table.probe(probeKeys.map((k, i) => alignKey(k.evaluate(p), align[i])), n);
        if (semiAnti && !buildIsLeft) {
          yield* this.filterLeft(p, gid, how === 'semi');
          continue;
        }
        const rows = table.rowList();
        const emitPairs = !semiAnti;
        let pi = new Int32Array(size), bi = new Int32Array(size), m = 0;
        for (let i = 0; i < n; i++) {
          const g = gid[i];
          if (g >= 0) {
            const end = table.groupEnd(g);
            for (let t = table.groupStart(g); t < end; t++) {
              const r = rows[t];
              if (matched) matched[r] = 1;
              if (!emitPairs) continue;
              pi[m] = i; bi[m] = r;
              if (++m === size) { yield this.pairs(p, pi, build, bi, buildIsLeft); pi = new Int32Array(size); bi = new Int32Array(size); m = 0; }
            }
          } else if (probePreserved) {
            pi[m] = i; bi[m] = -1;
            if (++m === size) { yield this.pairs(p, pi, build, bi, buildIsLeft); pi = new Int32Array(size); bi = new Int32Array(size); m = 0; }
          }
        }
        if (m > 0) yield this.pairs(p, pi.subarray(0, m), build, bi.subarray(0, m), buildIsLeft);
      }
    }
    if (!matched) return;
    // Build rows after the probe: unmatched ones for outer joins (null-key rows included, as
    // they never match), matched or unmatched left rows for semi/anti joins.
    const want = how === 'semi' ? 1 : 0;
    const none = emptyBatch(probePlan.schema);
    let bi = new Int32Array(size), m = 0;
    for (let r = 0; r < build.numRows; r++) {
      if (matched[r] !== want) continue;
      bi[m++] = r;
      if (m === size) { yield this.leftovers(build, bi, none, buildIsLeft); bi = new Int32Array(size); m = 0; }
    }
    if (m > 0) yield this.leftovers(build, bi.subarray(0, m), none, buildIsLeft);
  }

  /** Reads the build input's partition whole, within the memory budget. */
  private async readBuild(plan: ExecPlan, partition: number, ctx: TaskContext): Promise<arrow.RecordBatch> {
    const batches: arrow.RecordBatch[] = [];
    let bytes = 0;
    for await (const b of plan.execute(partition, ctx)) {
      ctx.signal?.throwIfAborted();
      if (b.numRows === 0) continue;
      batches.push(b);
      bytes += batchBytes(b);
      if (bytes > ctx.memoryBudget) throw this.tooBig(bytes, partition, ctx);
    }
    return concatBatches(plan.schema, batches);
  }

  private tooBig(bytes: number, partition: number, ctx: TaskContext): ResourceError {
    return new ResourceError(`HashJoinExec: the build side (${this.opts.buildSide} input) of partition ${partition} needs over ${bytes} bytes, more than memoryBudget (${ctx.memoryBudget} bytes); raise memoryBudget, or repartition into more partitions so that each build partition is smaller (hash joins do not spill yet)`,
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

  /** The output batch for row pairs (probe row pi[i], build row bi[i]; -1 = none). */
  private pairs(probe: arrow.RecordBatch, pi: Int32Array, build: arrow.RecordBatch, bi: Int32Array, buildIsLeft: boolean): arrow.RecordBatch {
    const cols = buildIsLeft
      ? gatherColumns(this.cols, this.types, build, bi, probe, pi)
      : gatherColumns(this.cols, this.types, probe, pi, build, bi);
    return makeBatch(this.schema, cols, pi.length);
  }

  /** Build rows `bi` with no probe partner (outer joins), or the left rows of a semi/anti join. */
  private leftovers(build: arrow.RecordBatch, bi: Int32Array, none: arrow.RecordBatch, buildIsLeft: boolean): arrow.RecordBatch {
    return this.pairs(none, new Int32Array(bi.length).fill(-1), build, bi, buildIsLeft);
  }
}
