// JoinFilter: a join's residual condition, evaluated on (left row, right row) pairs.
import * as arrow from 'apache-arrow';
import { makeBatch } from '../compute/batch.ts';
import { maskToIndices, takeData } from '../compute/take.ts';
import { InternalError, PlanError } from '../errors.ts';
import { compileExpr, type CompiledExpr } from '../expr/eval.ts';
import { columnsOf, exprToString, type ExprNode } from '../expr/node.ts';
import { toArrowSchema, type FieldJSON } from '../types.ts';

/**
 * `fields` name the pair's columns: the left input's, then the right input's (the join's pair
 * fields, core/plan/schema.ts joinPairFields), so their count MUST be the two inputs' together.
 * Only the columns the condition reads are gathered for a pair batch.
 */
export class JoinFilter {
  private readonly compiled: CompiledExpr;
  /** For each column the condition reads: its side and index there. */
  private readonly sources: readonly { readonly right: boolean; readonly index: number }[];
  private readonly schema: arrow.Schema;

  constructor(readonly expr: ExprNode, fields: readonly FieldJSON[], left: arrow.Schema, right: arrow.Schema) {
    if (fields.length !== left.fields.length + right.fields.length) {
      throw new InternalError(`JoinFilter: ${fields.length} pair fields for inputs of ${left.fields.length} and ${right.fields.length} columns`);
    }
    const used = columnsOf(expr);
    const picked = fields.map((f, i) => ({ f, i })).filter(({ f }) => used.has(f.name));
    this.sources = picked.map(({ i }) => (i < left.fields.length ? { right: false, index: i } : { right: true, index: i - left.fields.length }));
    this.schema = toArrowSchema(picked.map(({ f }) => f));
    this.compiled = compileExpr(expr, this.schema);
    const t = this.compiled.field.type.typeId;
    if (t !== arrow.Type.Bool && t !== arrow.Type.Null) {
      throw new PlanError(`join condition ${exprToString(expr)} has type ${String(this.compiled.field.type)}, expected bool`);
    }
  }

  /** Indices k (ascending) of the pairs (left row li[k], right row ri[k]) where the condition is true. */
  passing(left: arrow.RecordBatch, li: Int32Array, right: arrow.RecordBatch, ri: Int32Array): Int32Array {
    const n = li.length;
    const cols = this.sources.map((s) => takeData((s.right ? right : left).data.children[s.index], s.right ? ri : li));
    const mask = this.compiled.evaluate(makeBatch(this.schema, cols, n));
    if (mask.typeId === arrow.Type.Null) return new Int32Array(0);
    return maskToIndices(mask);
  }
}
