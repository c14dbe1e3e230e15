// Hive-style partitioned directories: discover `col=value` columns from file paths, prune files by filters on them, and build their columns.
import * as arrow from 'apache-arrow';
import { dirname, sep } from 'node:path';
import { maskToIndices } from '../compute/take.ts';
import { makeBatch } from '../compute/batch.ts';
import { PlanError } from '../errors.ts';
import { compileExpr } from '../expr/eval.ts';
import { columnsOf, containsUdf, type ExprNode } from '../expr/node.ts';
import { parsePartitionSegment } from '../sinks/partition-path.ts';
import { toArrowSchema, toArrowType, type FieldJSON } from '../types.ts';

/**
 * A source's partition columns, recorded by the driver in the source options (`partitioning`):
 * `values[i]` are the directory values of file `i` of the source's paths (null: the default partition).
 * In a physical scan, `values` is gone (each split carries its file's `partitionValues`) and
 * `prunedFiles` counts the files the scan's filters ruled out by their directories alone.
 */
export interface Partitioning {
  columns: FieldJSON[];
  values?: (string | null)[][];
  prunedFiles?: number;
}

/** The trailing `col=value` directories of a file's path, outermost first. */
function segmentsOf(file: string): [string, string | null][] {
  const out: [string, string | null][] = [];
  for (const name of dirname(file).split(sep).reverse()) {
    const kv = parsePartitionSegment(name);
    if (!kv) break;
    out.unshift(kv);
  }
  return out;
}

/**
 * Partition columns of `files` from the `col=value` directories just above each file: every
 * file must have the same columns in the same order (or none). A column's type: int64 when
 * every value is an integer, float64 when every value is a number, utf8 otherwise. Columns the
 * files themselves hold (`fileColumns`) stay the files'. Null when there are none.
 */
export function discoverPartitions(files: readonly string[], fileColumns: readonly string[]): Partitioning | null {
  if (files.length === 0) return null;
  const segs = files.map(segmentsOf);
  const keys = segs[0].map(([k]) => k);
  for (const [i, s] of segs.entries()) {
    const ks = s.map(([k]) => k);
    if (ks.join('\0') !== keys.join('\0')) {
      throw new PlanError(`conflicting partition directories: ${files[0]} has [${keys.join(', ')}], ${files[i]} has [${ks.join(', ')}]; read files of one layout at a time`);
    }
  }
  if (keys.length === 0) return null;
  if (new Set(keys).size !== keys.length) throw new PlanError(`partition column named twice in ${files[0]}: ${keys.join(', ')}`);
  const kept = keys.map((k, c) => [k, c] as const).filter(([k]) => !fileColumns.includes(k));
  if (kept.length === 0) return null;
  const columns: FieldJSON[] = kept.map(([name, c]) => ({ name, type: inferType(segs.map((s) => s[c][1])), nullable: true }));
  return { columns, values: segs.map((s) => kept.map(([, c]) => s[c][1])) };
}

const INTEGER = /^[+-]?\d+$/;

function inferType(values: readonly (string | null)[]): 'int64' | 'float64' | 'utf8' {
  const present = values.filter((v): v is string => v !== null);
  if (present.every((v) => INTEGER.test(v) && Number.isSafeInteger(Number(v)))) return 'int64';
  if (present.every((v) => v.trim() !== '' && Number.isFinite(Number(v)))) return 'float64';
  return 'utf8';
}

/** A column of `length` rows for each of `values` (one value repeated when `values` has one entry). */
export function partitionColumn(field: FieldJSON, values: readonly (string | null)[], length = values.length): arrow.Data {
  const at = (i: number) => values[values.length === 1 ? 0 : i];
  const out: unknown[] = new Array(length);
  for (let i = 0; i < length; i++) {
    const v = at(i);
    out[i] = v === null ? null : field.type === 'int64' ? BigInt(v) : field.type === 'float64' ? Number(v) : v;
  }
  return arrow.vectorFromArray(out, toArrowType(field.type) as any).data[0];
}

/**
 * Filters that read partition columns only: they decide a whole file from its directories. A
 * filter calling user code is not one: pruning runs on the driver, and UDFs run only in tasks.
 */
export function partitionFilters(filters: readonly ExprNode[], p: Partitioning): ExprNode[] {
  const names = new Set(p.columns.map((c) => c.name));
  return filters.filter((f) => { const cols = columnsOf(f); return cols.size > 0 && [...cols].every((c) => names.has(c)) && !containsUdf(f); });
}

/**
 * Which of the files (by their partition values, one row each) pass every filter that reads
 * only partition columns: a file is kept only where each is true (false and null drop it).
 */
export function keptByPartition(p: Partitioning, values: readonly (string | null)[][], filters: readonly ExprNode[]): boolean[] {
  const keep = new Array<boolean>(values.length).fill(true);
  const own = partitionFilters(filters, p);
  if (own.length === 0 || values.length === 0) return keep;
  const schema = toArrowSchema(p.columns);
  const batch = makeBatch(schema, p.columns.map((f, c) => partitionColumn(f, values.map((v) => v[c]))), values.length);
  for (const f of own) {
    const mask = compileExpr(f, schema).evaluate(batch);
    const pass = new Uint8Array(values.length);
    if (mask.typeId !== arrow.Type.Null) for (const i of maskToIndices(mask)) pass[i] = 1;
    for (let i = 0; i < keep.length; i++) if (!pass[i]) keep[i] = false;
  }
  return keep;
}
