// GenerateExec: explode / posexplode a list or map column: one row per element (or entry), the input columns repeated.
import * as arrow from 'apache-arrow';
import { makeBatch } from './compute/batch.ts';
import { isValid, takeData } from './compute/take.ts';
import { InternalError } from './errors.ts';
import type { ExecPlan, TaskContext } from './exec-plan.ts';
import { compileExpr, type CompiledExpr } from './expr/eval.ts';
import { exprToString, type ExprNode } from './expr/node.ts';
import { countNulls } from './expr/bits.ts';

export interface GenerateOptions {
  /** A list, fixed-size-list or map expression over the child's rows. */
  readonly arg: ExprNode;
  /** Whether a null or empty list gives one row with a null element (and null position). */
  readonly outer: boolean;
  /** The position column's name (posexplode), or null. */
  readonly posName: string | null;
  /** The element column's name (a map's key column). */
  readonly colName: string;
  /** A map's value column's name; MUST be given exactly when `arg` is a map. */
  readonly valueName?: string | null;
}

/**
 * Output: the child's columns, then the 0-based position (int32, when posName) and the
 * element. Rows keep the child's order, elements their list order. A null or empty list
 * gives no row, or with `outer` one row whose position and element are null. Output batches
 * hold at most ctx.batchSize rows.
 */
export class GenerateExec implements ExecPlan {
  readonly name = 'GenerateExec';
  readonly schema: arrow.Schema;
  readonly children: readonly ExecPlan[];
  private readonly list: CompiledExpr;

  constructor(readonly opts: GenerateOptions, readonly child: ExecPlan) {
    this.children = [child];
    this.list = compileExpr(opts.arg, child.schema);
    const t = this.list.field.type;
    const isMap = t instanceof arrow.Map_;
    if (!(t instanceof arrow.List) && !(t instanceof arrow.FixedSizeList) && !isMap) {
      throw new InternalError(`explode of ${exprToString(opts.arg)}: not a list or map (${String(t)})`);
    }
    if (isMap !== (opts.valueName != null)) throw new InternalError(`explode of ${exprToString(opts.arg)}: a map needs a value column name, a list none`);
    const element = t.children[0].type;
    // A map's entries are a struct of key and value: each becomes a column.
    const generated = isMap
      ? [new arrow.Field(opts.colName, element.children[0].type, opts.outer), new arrow.Field(opts.valueName!, element.children[1].type, true)]
      : [new arrow.Field(opts.colName, element, true)];
    this.schema = new arrow.Schema([
      ...child.schema.fields,
      ...(opts.posName !== null ? [new arrow.Field(opts.posName, new arrow.Int32(), opts.outer)] : []),
      ...generated,
    ]);
  }

  display(): string {
    const f = `${this.opts.posName !== null ? 'pos' : ''}explode${this.opts.outer ? 'Outer' : ''}`;
    return `GenerateExec: ${f}(${exprToString(this.opts.arg)}) -> [${[this.opts.posName, this.opts.colName, this.opts.valueName ?? null].filter((x) => x !== null).join(', ')}]`;
  }

  async *execute(partition: number, ctx: TaskContext): AsyncGenerator<arrow.RecordBatch> {
    for await (const batch of this.child.execute(partition, ctx)) {
      const n = batch.numRows;
      if (n === 0) continue;
      const list = this.list.evaluate(batch);
      const fixed = list.typeId === arrow.Type.FixedSizeList ? (list.type as arrow.FixedSizeList).listSize : -1;
      const offs = fixed < 0 ? (list.valueOffsets as Int32Array) : null;
      // Arrow JS slices a list's offsets (and a fixed-size list's child) with the list: row i's are at i.
      const start = (i: number): number => (offs ? offs[i] : i * fixed);
      const lengthOf = (i: number): number => (!isValid(list, i) ? 0 : offs ? offs[i + 1] - offs[i] : fixed);
      let total = 0;
      for (let i = 0; i < n; i++) { const len = lengthOf(i); total += len > 0 ? len : this.opts.outer ? 1 : 0; }
      if (total === 0) continue;
      const rows = new Int32Array(total);
      const elems = new Int32Array(total);
      const pos = this.opts.posName !== null ? new Int32Array(total) : null;
      let posValid: Uint8Array | null = null;
      let at = 0;
      for (let i = 0; i < n; i++) {
        const len = lengthOf(i);
        if (len === 0) {
          if (!this.opts.outer) continue;
          rows[at] = i;
          elems[at] = -1;
          if (pos) {
            posValid ??= new Uint8Array((total + 7) >> 3).fill(0xff);
            posValid[at >> 3] &= ~(1 << (at & 7));
          }
          at++;
          continue;
        }
        const s = start(i);
        for (let j = 0; j < len; j++, at++) { rows[at] = i; elems[at] = s + j; if (pos) pos[at] = j; }
      }
      const cols = batch.data.children.map((c) => takeData(c, rows));
      if (pos) {
        const nulls = countNulls(posValid, total);
        cols.push(arrow.makeData({ type: new arrow.Int32(), length: total, nullCount: nulls, nullBitmap: nulls ? posValid! : undefined, data: pos }));
      }
      const element = list.children[0];
      if (list.typeId === arrow.Type.Map) cols.push(takeData(element.children[0], elems), takeData(element.children[1], elems));
      else cols.push(takeData(element, elems));
      const out = makeBatch(this.schema, cols, total);
      // Long lists multiply the rows: the parents get them in batches of the usual size.
      const size = Math.max(1, ctx.batchSize);
      if (total <= size) yield out;
      else for (let s = 0; s < total; s += size) yield out.slice(s, Math.min(total, s + size));
    }
  }
}
