// ScanExec: reads one split of files per partition, with pushed-down projection, filters and limit.
import * as arrow from 'apache-arrow';
import { basename } from 'node:path';
import { makeBatch } from './compute/batch.ts';
import { orderConjuncts } from './compute/conjunct-order.ts';
import { conjunctsOf, filterRows } from './compute/filter-rows.ts';
import { maskToIndices } from './compute/take.ts';
import { InternalError, PlanError } from './errors.ts';
import type { ExecPlan, TaskContext } from './exec-plan.ts';
import { compileExpr, type CompiledExpr } from './expr/eval.ts';
import { columnsOf, exprToString, type ExprNode } from './expr/node.ts';
import { parseReadOptions, partitionColumn, partitionFilters, readSplit, type FileFormat, type Partitioning, type ReadOptions, type SplitJSON } from './sources/index.ts';
import { toArrowSchema, type FieldJSON } from './types.ts';

export interface ScanExecOptions {
  format: FileFormat;
  /** One per partition (see planSplits). */
  splits: SplitJSON[];
  options: Record<string, unknown>;
  fileSchema: FieldJSON[];
  /** Output columns in order; null = every column of fileSchema. */
  projection: string[] | null;
  /** Rows failing any of these are dropped; they may use columns outside the projection. */
  filters: ExprNode[];
  /** At most this many rows per partition; null = all. */
  limit: number | null;
}

/**
 * Partition p reads `splits[p]`. Only the columns the projection and filters need are parsed;
 * filters run on each batch as it is read; reading stops once `limit` rows were produced.
 */
export class ScanExec implements ExecPlan {
  readonly name = 'ScanExec';
  readonly schema: arrow.Schema;
  readonly children: readonly ExecPlan[] = [];
  private readonly readOptions: ReadOptions;
  /** Columns parsed from the files: the output columns, then any only the filters use. */
  private readonly readColumns: string[];
  private readonly readSchema: arrow.Schema;
  private readonly compiled: CompiledExpr[];
  /** A partitioned source: its directory columns (not in the files), and the filters that read only them. */
  private readonly partitioning: Partitioning | null;
  private readonly fileFields: FieldJSON[];
  private readonly fileReadColumns: string[];
  private readonly splitFilters: ExprNode[];

  constructor(readonly opts: ScanExecOptions) {
    this.readOptions = parseReadOptions(opts.format, opts.options);
    const names = opts.fileSchema.map((f) => f.name);
    const need = (n: string, what: string) => {
      if (!names.includes(n)) throw new PlanError(`scan: ${what} '${n}' is not a column of the files; columns: ${names.join(', ')}`);
    };
    const output = opts.projection ?? names;
    for (const n of output) need(n, 'column');
    const extra = new Set<string>();
    for (const f of opts.filters) for (const c of columnsOf(f)) { need(c, 'filter column'); if (!output.includes(c)) extra.add(c); }
    this.readColumns = [...output, ...names.filter((n) => extra.has(n))];
    const field = (n: string) => opts.fileSchema.find((f) => f.name === n)!;
    this.schema = toArrowSchema(output.map(field));
    this.readSchema = toArrowSchema(this.readColumns.map(field));
    // Conjuncts one by one, cheapest first, so that each runs only on the rows the earlier ones kept.
    this.compiled = orderConjuncts(opts.filters.flatMap(conjunctsOf), this.readColumns.map(field)).map((f) => {
      const c = compileExpr(f, this.readSchema);
      const t = c.field.type.typeId;
      if (t !== arrow.Type.Bool && t !== arrow.Type.Null) throw new PlanError(`scan: filter ${exprToString(f)} has type ${String(c.field.type)}, expected bool`);
      return c;
    });
    if (opts.limit !== null && (!Number.isInteger(opts.limit) || opts.limit < 0)) throw new PlanError(`scan: limit must be a non-negative integer, got ${opts.limit}`);
    this.partitioning = (opts.options.partitioning as Partitioning | undefined) ?? null;
    const dirColumns = new Set(this.partitioning?.columns.map((c) => c.name) ?? []);
    this.fileFields = opts.fileSchema.filter((f) => !dirColumns.has(f.name));
    this.fileReadColumns = this.readColumns.filter((c) => !dirColumns.has(c));
    this.splitFilters = this.partitioning ? partitionFilters(opts.filters, this.partitioning) : [];
  }

  /** Number of partitions: one per split. */
  get partitions(): number {
    return this.opts.splits.length;
  }

  display(): string {
    const o = this.opts;
    const files = [...new Set(o.splits.map((s) => basename(s.path)))];
    const shown = files.length > 4 ? [...files.slice(0, 3), `... ${files.length - 3} more`] : files;
    const parts = [`ScanExec: ${o.format} [${shown.join(', ')}] splits=${o.splits.length}`];
    if (o.projection) parts.push(`projection=[${o.projection.join(', ')}]`);
    if (o.filters.length) parts.push(`filters=[${o.filters.map(exprToString).join(', ')}]`);
    if (o.limit !== null) parts.push(`limit=${o.limit}`);
    const pruned = o.options.prunedRowGroups;
    if (typeof pruned === 'number' && pruned > 0) parts.push(`prunedRowGroups=${pruned}`);
    if (this.partitioning) parts.push(`partitionColumns=[${this.partitioning.columns.map((c) => c.name).join(', ')}] prunedFiles=${this.partitioning.prunedFiles ?? 0}`);
    return parts.join(' ');
  }

  async *execute(partition: number, ctx: TaskContext): AsyncGenerator<arrow.RecordBatch> {
    const split = this.opts.splits[partition];
    if (!split) throw new InternalError(`ScanExec has ${this.opts.splits.length} partitions, asked for partition ${partition}`);
    let remaining = this.opts.limit ?? Infinity;
    if (remaining === 0) return;
    const project = this.readColumns.length !== this.schema.fields.length;
    const values = this.partitioning ? split.partitionValues : null;
    if (this.partitioning && !Array.isArray(values)) throw new InternalError(`a split of a partitioned scan lacks its partition values: ${split.path}`);
    // A file whose directories fail the filters is not opened (the planner keeps one such split when it prunes them all).
    if (values && this.splitFilters.length && !this.passes(values)) return;
    const raw = readSplit(this.opts.format, split, this.readOptions, this.fileFields, this.fileReadColumns, ctx);
    const batches = values ? this.withPartitionColumns(raw, values) : raw;
    for await (let b of batches) {
      ctx.signal?.throwIfAborted();
      // Rows read before the filters: the task's input, which the capacity planner scales by.
      ctx.metrics.add('inputRows', b.numRows);
      // The filters drop the columns only they read (before copying the rows that pass).
      if (this.compiled.length) b = filterRows(b, this.compiled, project ? this.schema : undefined);
      else if (project) b = makeBatch(this.schema, b.data.children.slice(0, this.schema.fields.length), b.numRows);
      if (b.numRows === 0) continue;
      if (b.numRows > remaining) b = b.slice(0, remaining);
      remaining -= b.numRows;
      yield b;
      if (remaining === 0) return; // ends the read: its files close in its finally
    }
  }

  /** Whether a file's directory values pass the filters that read only partition columns. */
  private passes(values: readonly (string | null)[]): boolean {
    const cols = this.partitioning!.columns;
    const schema = toArrowSchema(cols);
    const batch = makeBatch(schema, cols.map((f, c) => partitionColumn(f, [values[c]])), 1);
    return this.splitFilters.every((f) => {
      const mask = compileExpr(f, schema).evaluate(batch);
      return mask.typeId !== arrow.Type.Null && maskToIndices(mask).length === 1;
    });
  }

  /** The file's batches (columns fileReadColumns) with the directory columns put in, in readColumns order. */
  private async *withPartitionColumns(batches: AsyncIterable<arrow.RecordBatch>, values: readonly (string | null)[]): AsyncGenerator<arrow.RecordBatch> {
    const dir = new Map(this.partitioning!.columns.map((f, c) => [f.name, [f, values[c]] as const]));
    for await (const b of batches) {
      const cols = this.readColumns.map((name) => {
        const d = dir.get(name);
        return d ? partitionColumn(d[0], [d[1]], b.numRows) : b.data.children[this.fileReadColumns.indexOf(name)];
      });
      yield makeBatch(this.readSchema, cols, b.numRows);
    }
  }
}
