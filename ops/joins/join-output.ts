// Where each output column of a join comes from, and gathering output rows from (left row, right row) pairs.
//
// The layout mirrors core/plan/schema.ts joinFields: left columns, then right columns; a USING
// join keeps one column per key (from the left; from the right for right joins; for full joins
// coalesce(left, right)); semi/anti joins output the left columns only.
import * as arrow from 'apache-arrow';
import { concatData, emptyBatch, makeBatch } from '../compute/batch.ts';
import { contiguousRun, takeData } from '../compute/take.ts';
import { InternalError } from '../errors.ts';
import { castData } from '../expr/cast.ts';
import { exprName, type ExprNode } from '../expr/node.ts';
import { fromArrowType, toArrowType, typeEquals, type FieldJSON } from '../types.ts';

export type JoinType = 'inner' | 'left' | 'right' | 'full' | 'semi' | 'anti';

/** The source of one output column. */
export type OutputColumn =
  | { readonly kind: 'left'; readonly index: number }
  | { readonly kind: 'right'; readonly index: number }
  | { readonly kind: 'coalesce'; readonly left: number; readonly right: number };

/** Maps every output field to its source; MUST agree with joinFields, or columns shift. */
export function outputColumns(how: JoinType, using: boolean, leftKeys: readonly ExprNode[], rightKeys: readonly ExprNode[],
  left: arrow.Schema, right: arrow.Schema, outputFields: readonly FieldJSON[]): OutputColumn[] {
  const rightIndex = (name: string) => right.fields.findIndex((f) => f.name === name);
  const cols: OutputColumn[] = left.fields.map((_, i) => ({ kind: 'left', index: i }));
  if (how !== 'semi' && how !== 'anti') {
    const usingRight = new Map<string, number>();
    if (using) leftKeys.forEach((k, i) => usingRight.set(exprName(k), rightIndex(exprName(rightKeys[i]))));
    left.fields.forEach((f, i) => {
      const r = usingRight.get(f.name);
      if (r === undefined || r < 0) return;
      if (how === 'full') cols[i] = { kind: 'coalesce', left: i, right: r };
      else if (how === 'right') cols[i] = { kind: 'right', index: r };
    });
    right.fields.forEach((f, i) => { if (!usingRight.has(f.name)) cols.push({ kind: 'right', index: i }); });
  }
  if (cols.length !== outputFields.length) {
    throw new InternalError(`HashJoinExec: ${cols.length} output columns from the inputs but ${outputFields.length} output fields (${outputFields.map((f) => f.name).join(', ')})`);
  }
  return cols;
}

/** Data `d` as the output type `to` (a USING key may differ in numeric type between sides). */
function asType(d: arrow.Data, to: arrow.DataType): arrow.Data {
  const from = fromArrowType(d.type), want = fromArrowType(to);
  return typeEquals(from, want) ? d : castData(d, from, want);
}

/** Row i from `a` where a's row i is valid, else from `b` (same type, same length). */
function coalesce(a: arrow.Data, b: arrow.Data): arrow.Data {
  const n = a.length;
  if (a.nullCount === 0) return a;
  const both = concatData([a, b]);
  const pick = new Int32Array(n);
  const bits = a.nullBitmap!;
  for (let i = 0; i < n; i++) { const j = a.offset + i; pick[i] = (bits[j >> 3] & (1 << (j & 7))) !== 0 ? i : n + i; }
  return takeData(both, pick);
}

/**
 * Output columns for `n` row pairs: leftRows[i] of `left` with rightRows[i] of `right`, -1
 * meaning "no row" (its columns are null). `types` are the output types.
 */
export function gatherColumns(cols: readonly OutputColumn[], types: readonly arrow.DataType[], left: arrow.RecordBatch, leftRows: Int32Array,
  right: arrow.RecordBatch | null, rightRows: Int32Array | null): arrow.Data[] {
  // A side whose rows are one run of its batch (a probe batch whose every row found one partner) is sliced, not copied.
  const leftRun = contiguousRun(leftRows, left.numRows);
  const rightRun = right && rightRows ? contiguousRun(rightRows, right.numRows) : -1;
  return cols.map((c, k) => {
    switch (c.kind) {
      case 'left': return leftRun >= 0 ? left.data.children[c.index].slice(leftRun, leftRows.length) : takeData(left.data.children[c.index], leftRows);
      case 'right': return asType(rightRun >= 0 ? right!.data.children[c.index].slice(rightRun, rightRows!.length) : takeData(right!.data.children[c.index], rightRows!), types[k]);
      case 'coalesce': {
        const l = asType(takeData(left.data.children[c.left], leftRows), types[k]);
        const r = asType(takeData(right!.data.children[c.right], rightRows!), types[k]);
        return coalesce(l, r);
      }
    }
    throw new InternalError(`HashJoinExec: unknown output column ${JSON.stringify(c)}`);
  });
}

export function outputTypes(fields: readonly FieldJSON[]): arrow.DataType[] {
  return fields.map((f) => toArrowType(f.type));
}

/**
 * A join's output batches from row pairs (probe row, build row; -1 = none), shared by
 * HashJoinExec and NestedLoopJoinExec: matched pairs, the rows an outer join keeps alone, and a
 * semi/anti join's left rows.
 */
export class JoinRows {
  private readonly noProbeRows: arrow.RecordBatch;

  constructor(readonly schema: arrow.Schema, private readonly cols: readonly OutputColumn[], private readonly types: readonly arrow.DataType[],
    private readonly buildIsLeft: boolean, probeSchema: arrow.Schema) {
    this.noProbeRows = emptyBatch(probeSchema);
  }

  /** The output batch for pairs (probe row pi[i], build row bi[i]; -1 = none). */
  pairs(probe: arrow.RecordBatch, pi: Int32Array, build: arrow.RecordBatch, bi: Int32Array): arrow.RecordBatch {
    const cols = this.buildIsLeft
      ? gatherColumns(this.cols, this.types, build, bi, probe, pi)
      : gatherColumns(this.cols, this.types, probe, pi, build, bi);
    return makeBatch(this.schema, cols, pi.length);
  }

  /** Rows of probe batch `p` that matched nothing (hit[i] = 0), each with no build row (outer joins). */
  *probeRowsAlone(p: arrow.RecordBatch, hit: Uint8Array, build: arrow.RecordBatch, size: number): Generator<arrow.RecordBatch> {
    let pi = new Int32Array(size), m = 0;
    for (let i = 0; i < p.numRows; i++) {
      if (hit[i]) continue;
      pi[m++] = i;
      if (m === size) { yield this.pairs(p, pi, build, new Int32Array(size).fill(-1)); pi = new Int32Array(size); m = 0; }
    }
    if (m > 0) yield this.pairs(p, pi.subarray(0, m), build, new Int32Array(m).fill(-1));
  }

  /**
   * Build rows after the probe whose matched flag is `want`, each with no probe row: an outer
   * join's unmatched rows (0), a semi (1) or anti (0) join's left rows when the left is built.
   */
  *buildRows(build: arrow.RecordBatch, matched: Uint8Array, want: 0 | 1, size: number): Generator<arrow.RecordBatch> {
    let bi = new Int32Array(size), m = 0;
    for (let r = 0; r < build.numRows; r++) {
      if (matched[r] !== want) continue;
      bi[m++] = r;
      if (m === size) { yield this.pairs(this.noProbeRows, new Int32Array(m).fill(-1), build, bi); bi = new Int32Array(size); m = 0; }
    }
    if (m > 0) yield this.pairs(this.noProbeRows, new Int32Array(m).fill(-1), build, bi.subarray(0, m));
  }

  /** Semi/anti join streaming the left input: its rows with (semi) or without (anti) a match (hit[i] = 1). */
  *keepLeft(p: arrow.RecordBatch, hit: Uint8Array, semi: boolean): Generator<arrow.RecordBatch> {
    const n = p.numRows;
    const keep = new Int32Array(n);
    let m = 0;
    for (let i = 0; i < n; i++) if ((hit[i] === 1) === semi) keep[m++] = i;
    if (m === 0) return;
    if (m === n) { yield makeBatch(this.schema, p.data.children, n); return; }
    yield makeBatch(this.schema, gatherColumns(this.cols, this.types, p, keep.subarray(0, m), null, null), m);
  }
}
