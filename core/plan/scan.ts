// Scan: read files of one format; may carry a pushed projection, filters and limit.
import type { ExprNode } from '../../ops/expr/node.ts';
import type { FieldJSON } from '../../ops/types.ts';

export type SourceFormat = 'text' | 'csv' | 'json' | 'arrow' | 'parquet' | 'idx' | 'images';

/** Options a reader understands; every value is JSON. */
export type SourceOptions = Readonly<Record<string, unknown>>;

export interface SourceSpec {
  readonly format: SourceFormat;
  /** Resolved file paths (globs already expanded by the driver), in a stable order. */
  readonly paths: readonly string[];
  readonly options: SourceOptions;
}

export interface Scan {
  readonly kind: 'scan';
  readonly source: SourceSpec;
  /** Full schema of the files. */
  readonly fileSchema: readonly FieldJSON[];
  /** Columns to produce, in order; null = all of fileSchema. */
  readonly projection: readonly string[] | null;
  /** Predicates the scan applies (pushed down); rows failing any are dropped. */
  readonly filters: readonly ExprNode[];
  /** Stop after this many rows per partition (pushed limit); null = none. */
  readonly limit: number | null;
  readonly schema: readonly FieldJSON[];
}

export function scan(source: SourceSpec, fileSchema: readonly FieldJSON[], projection: readonly string[] | null = null,
  filters: readonly ExprNode[] = [], limit: number | null = null): Scan {
  const schema = projection === null ? fileSchema : projection.map((n) => fileSchema.find((f) => f.name === n)!);
  return Object.freeze({ kind: 'scan', source, fileSchema, projection, filters, limit, schema });
}
