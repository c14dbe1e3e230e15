// Hash, round-robin and by-id partitioning of batches: the map side of a shuffle.
//
// partitionIds MUST stay the one way rows are assigned to hash partitions: a shuffled join
// relies on both sides sending equal keys to the same partition (hashColumns makes int32 7
// and int64 7 hash alike, so keys of different numeric types still meet).
import type * as arrow from 'apache-arrow';
import { compileExpr, type CompiledExpr } from '../expr/eval.ts';
import type { ExprNode } from '../expr/node.ts';
import { hashColumns } from './hash.ts';
import { takeBatch } from './take.ts';

/** The partition (0..nParts-1) of rows [0, nRows) of `keys`: hashColumns mod nParts. */
export function partitionIds(keys: readonly arrow.Data[], nRows: number, nParts: number): Int32Array {
  const out = new Int32Array(nRows);
  if (nParts <= 1) return out;
  const h = hashColumns(keys, nRows);
  for (let i = 0; i < nRows; i++) out[i] = h[i] % nParts;
  return out;
}

// Compiled key expressions per (schema, expression list): batches of one stream share both.
const compiled = new WeakMap<arrow.Schema, WeakMap<readonly ExprNode[], CompiledExpr[]>>();

function compileKeys(schema: arrow.Schema, keyExprs: readonly ExprNode[]): CompiledExpr[] {
  let bySchema = compiled.get(schema);
  if (!bySchema) compiled.set(schema, (bySchema = new WeakMap()));
  let c = bySchema.get(keyExprs);
  if (!c) bySchema.set(keyExprs, (c = keyExprs.map((e) => compileExpr(e, schema))));
  return c;
}

/**
 * Splits `batch` into `nParts` batches (some possibly empty), row order kept within each.
 * With key expressions, rows go by partitionIds of the keys; with none, round robin: row i
 * goes to (roundRobinStart + i) mod nParts, so a caller passing a running row count spreads a
 * stream evenly.
 */
export function splitByPartition(batch: arrow.RecordBatch, keyExprs: readonly ExprNode[], nParts: number, roundRobinStart = 0): arrow.RecordBatch[] {
  const n = batch.numRows;
  if (nParts <= 1) return [batch];
  let ids: Int32Array;
  if (keyExprs.length === 0) {
    ids = new Int32Array(n);
    const start = ((roundRobinStart % nParts) + nParts) % nParts;
    for (let i = 0; i < n; i++) ids[i] = (start + i) % nParts;
  } else {
    const keys = compileKeys(batch.schema, keyExprs).map((k) => k.evaluate(batch));
    ids = partitionIds(keys, n, nParts);
  }
  return splitByIds(batch, ids, nParts);
}

/** Splits `batch` into `nParts` batches by `ids` (each in [0, nParts)), row order kept within each. */
export function splitByIds(batch: arrow.RecordBatch, ids: Int32Array, nParts: number): arrow.RecordBatch[] {
  const n = batch.numRows;
  const counts = new Int32Array(nParts + 1);
  for (let i = 0; i < n; i++) counts[ids[i] + 1]++;
  for (let p = 0; p < nParts; p++) counts[p + 1] += counts[p];
  const order = new Int32Array(n);
  const fill = counts.slice(0, nParts);
  for (let i = 0; i < n; i++) order[fill[ids[i]]++] = i;
  const out: arrow.RecordBatch[] = [];
  for (let p = 0; p < nParts; p++) {
    const len = counts[p + 1] - counts[p];
    // A batch that falls wholly into one partition passes through untouched.
    out.push(len === n ? batch : takeBatch(batch, order.subarray(counts[p], counts[p + 1])));
  }
  return out;
}
