// Filtering a batch by a conjunction: the masks of its conjuncts are ANDed as bitmaps, and rows
// are gathered only once few enough remain, instead of once per conjunct.
import * as arrow from 'apache-arrow';
import { boolBits, byteLen, countOnes, validity, type Bits } from '../expr/bits.ts';
import type { ExprNode } from '../expr/node.ts';
import { makeBatch } from './batch.ts';
import { takeBatch, takeData } from './take.ts';
import { countRuns, indexRuns, takeRunsData } from './take-runs.ts';

/** Something that evaluates a bool (or null-typed) column over a batch: a compiled conjunct. */
export interface RowPredicate {
  evaluate(batch: arrow.RecordBatch): arrow.Data;
}

/** The conjuncts of `e` (`a AND b AND c` → [a, b, c]), left to right. */
export function conjunctsOf(e: ExprNode): ExprNode[] {
  if (e.kind === 'binary' && e.op === 'and') return [...conjunctsOf(e.left), ...conjunctsOf(e.right)];
  return [e];
}

/**
 * The rows of `batch` where every conjunct is true (null counts as false), in order. Each
 * conjunct is evaluated on the rows still in play: while many pass, its mask is ANDed into a
 * bitmap over the current batch; once a quarter or fewer remain (or at the last conjunct) the
 * surviving rows are gathered, so later conjuncts run on fewer rows. A batch where every row
 * passes comes back untouched, and a contiguous run of survivors as a slice.
 */
export function filterRows(batch: arrow.RecordBatch, conjuncts: readonly RowPredicate[], out?: arrow.Schema): arrow.RecordBatch {
  let b = batch;
  let sel: Bits | null = null;
  // With `out` (the batch's first columns), columns only the filters read are dropped before
  // the last gather copies the rows that pass.
  const last = conjuncts.length - 1;
  for (let k = 0; k <= last; k++) {
    const n = b.numRows;
    if (n === 0) return prefix(b, out);
    const mask = conjuncts[k].evaluate(b);
    if (mask.typeId === arrow.Type.Null) return prefix(b.slice(0, 0), out);
    sel = andMask(sel, mask);
    const kept = countOnes(sel, n);
    if (kept === 0) return prefix(b.slice(0, 0), out);
    if (kept === n) { sel = null; continue; }
    if (k === last) return gather(prefix(b, out), sel, kept);
    if (kept * 4 <= n) {
      b = gather(b, sel, kept);
      sel = null;
    }
  }
  return prefix(b, out);
}

/** The first columns of `b`, as `out` names them (all of `b` without `out`). */
function prefix(b: arrow.RecordBatch, out: arrow.Schema | undefined): arrow.RecordBatch {
  if (!out || out.fields.length === b.numCols) return b;
  return makeBatch(out, b.data.children.slice(0, out.fields.length), b.numRows);
}

/** `sel` AND the true, valid rows of `mask`, as a fresh bitmap (or `sel` updated in place). */
function andMask(sel: Bits | null, mask: arrow.Data): Bits {
  const n = mask.length;
  const nb = byteLen(n);
  const x = boolBits(mask);
  const v = validity(mask);
  const out = sel ?? new Uint8Array(nb);
  if (sel === null) {
    if (v) for (let k = 0; k < nb; k++) out[k] = x[k] & v[k];
    else out.set(x.subarray(0, nb));
  } else if (v) for (let k = 0; k < nb; k++) out[k] &= x[k] & v[k];
  else for (let k = 0; k < nb; k++) out[k] &= x[k];
  // Bits past the last row may be set in the mask's last byte: clear them so counts hold.
  const tail = n & 7;
  if (tail) out[nb - 1] &= (1 << tail) - 1;
  return out;
}

/** The `kept` rows whose bits are set: a slice when they are contiguous, else gathered. */
function gather(b: arrow.RecordBatch, sel: Bits, kept: number): arrow.RecordBatch {
  const idx = new Int32Array(kept);
  let w = 0;
  for (let k = 0; k < sel.length; k++) {
    let byte = sel[k];
    while (byte !== 0) {
      const bit = 31 - Math.clz32(byte & -byte);
      idx[w++] = (k << 3) + bit;
      byte &= byte - 1;
    }
  }
  if (idx[kept - 1] - idx[0] === kept - 1) return b.slice(idx[0], idx[0] + kept);
  // Most rows kept (runs of RUN_ROWS or more on average): each run is copied as a block.
  if (kept >= RUN_ROWS * 2) {
    const count = countRuns(idx);
    if (count * RUN_ROWS <= kept) {
      const runs = indexRuns(idx, count);
      const children = b.data.children.map((c) => takeRunsData(c, runs) ?? takeData(c, idx, false));
      return makeBatch(b.schema, children, kept);
    }
  }
  return takeBatch(b, idx);
}

/** Average rows a run of kept rows needs for block copies to beat the per-row gather. */
const RUN_ROWS = 16;
