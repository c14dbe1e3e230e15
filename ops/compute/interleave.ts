// Gather rows of several batches of one schema into one batch, in a given order.
import type * as arrow from 'apache-arrow';
import { concatData, emptyBatch, makeBatch } from './batch.ts';
import { takeData } from './take.ts';

/**
 * Row `rows[i]` of `sources[src[i]]` for every i, as one batch of `schema`. Each source's rows
 * are gathered once (a slice when they are consecutive), then one permutation interleaves the
 * sources; rows from a single source, or sources one after another, need no permutation.
 */
export function interleave(schema: arrow.Schema, sources: readonly arrow.RecordBatch[], src: Int32Array, rows: Int32Array): arrow.RecordBatch {
  const n = src.length, k = sources.length;
  const counts = new Int32Array(k);
  for (let i = 0; i < n; i++) counts[src[i]]++;
  // Each source's rows sit together in the concatenation, from base[s], in output order.
  const base = new Int32Array(k);
  for (let s = 1; s < k; s++) base[s] = base[s - 1] + counts[s - 1];
  const next = base.slice();
  const idx = new Int32Array(n), perm = new Int32Array(n);
  let ordered = true;
  for (let i = 0; i < n; i++) {
    const p = next[src[i]]++;
    idx[p] = rows[i];
    perm[i] = p;
    if (p !== i) ordered = false;
  }
  const parts: arrow.Data[][] = [];
  for (let s = 0; s < k; s++) if (counts[s] > 0) parts.push(gatherOne(sources[s], idx.subarray(base[s], base[s] + counts[s])));
  if (parts.length === 0) return emptyBatch(schema);
  if (parts.length === 1) return makeBatch(schema, parts[0], n);
  const columns = schema.fields.map((_, c) => concatData(parts.map((p) => p[c])));
  return makeBatch(schema, ordered ? columns : columns.map((d) => takeData(d, perm)), n);
}

/** Rows `idx` of one batch: a slice when they are consecutive and ascending, else a gather. */
function gatherOne(b: arrow.RecordBatch, idx: Int32Array): arrow.Data[] {
  const first = idx[0];
  let run = true;
  for (let j = 1; j < idx.length; j++) if (idx[j] !== first + j) { run = false; break; }
  if (run) return b.slice(first, first + idx.length).data.children;
  return b.data.children.map((c) => takeData(c, idx));
}
