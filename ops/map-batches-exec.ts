// MapBatchesExec: runs a user function, loaded by module path and export name, over each batch.
import * as arrow from 'apache-arrow';
import { makeBatch } from './compute/batch.ts';
import { DataError, PlanError } from './errors.ts';
import type { ExecPlan, TaskContext } from './exec-plan.ts';
import { fromArrowType, toArrowSchema, typeToString, type FieldJSON, type TypeJSON } from './types.ts';
import { importExport } from './user-module.ts';

/** Where a worker loads the user function from: an absolute path or a package specifier. */
export interface UdfRef {
  readonly module: string;
  readonly export: string;
}

export interface MapBatchesOptions {
  readonly udf: UdfRef;
  /** The schema the function promises; every returned batch is checked against it. */
  readonly fields: readonly FieldJSON[];
  /** JSON options passed to the function as its second argument. */
  readonly options: Readonly<Record<string, unknown>>;
}

/**
 * The user function. It MUST return batches of exactly the promised schema (names and
 * types, in order); anything else fails the task with a DataError.
 */
export type BatchUdf = (batch: arrow.RecordBatch, options: Readonly<Record<string, unknown>>) =>
  arrow.RecordBatch | arrow.Table | Promise<arrow.RecordBatch | arrow.Table>;

/** Loads the function `udf` names; PlanError when the module, the export or a function is missing. */
export async function loadUdf(udf: UdfRef): Promise<BatchUdf> {
  const where = `mapBatches UDF '${udf.export}' from module '${udf.module}'`;
  const f = await importExport(udf, where);
  if (typeof f !== 'function') {
    throw new PlanError(`${where}: export '${udf.export}' is ${f === null ? 'null' : `a ${typeof f}`}, expected a function (batch, options) => RecordBatch | Table`);
  }
  return f as BatchUdf;
}

function isTable(x: unknown): x is arrow.Table {
  return x instanceof arrow.Table || (typeof x === 'object' && x !== null && Array.isArray((x as arrow.Table).batches) && 'schema' in x);
}

function isRecordBatch(x: unknown): x is arrow.RecordBatch {
  return x instanceof arrow.RecordBatch
    || (typeof x === 'object' && x !== null && typeof (x as arrow.RecordBatch).numRows === 'number' && 'schema' in x && 'data' in x);
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x !== 'object') return typeof x;
  return `an object (${(x as object).constructor?.name ?? 'no constructor'})`;
}

/**
 * Applies a user function to every non-empty batch of the child. The module is imported on
 * the first pull (and once per process); a returned Table yields its batches.
 */
export class MapBatchesExec implements ExecPlan {
  readonly name = 'MapBatchesExec';
  readonly schema: arrow.Schema;
  readonly children: readonly ExecPlan[];

  constructor(readonly opts: MapBatchesOptions, readonly child: ExecPlan) {
    this.schema = toArrowSchema(opts.fields);
    this.children = [child];
  }

  display(): string {
    return `MapBatchesExec: ${this.opts.udf.module}#${this.opts.udf.export} -> ${fieldsToString(this.opts.fields)}`;
  }

  async *execute(partition: number, ctx: TaskContext): AsyncGenerator<arrow.RecordBatch> {
    let udf: BatchUdf | null = null;
    for await (const batch of this.child.execute(partition, ctx)) {
      if (batch.numRows === 0) continue;
      udf ??= await loadUdf(this.opts.udf);
      const out = await udf(batch, this.opts.options);
      if (isTable(out)) {
        for (const b of out.batches) { const c = this.check(b); if (c) yield c; }
      } else if (isRecordBatch(out)) {
        const c = this.check(out);
        if (c) yield c;
      } else {
        throw new DataError(`${this.udfName()} returned ${describe(out)}, expected an arrow RecordBatch or Table`);
      }
    }
  }

  /** The batch under this operator's schema, or null when empty; DataError when it does not match. */
  private check(b: arrow.RecordBatch): arrow.RecordBatch | null {
    const expected = this.opts.fields.map((f) => ({ name: f.name, type: typeToString(f.type) }));
    const actual = b.schema.fields.map((f) => ({ name: f.name, type: arrowTypeToString(f.type) }));
    const same = actual.length === expected.length && actual.every((a, i) => a.name === expected[i].name && a.type === expected[i].type);
    if (!same) {
      throw new DataError(`${this.udfName()} returned a batch with schema ${fieldsToString(actual)}, expected ${fieldsToString(expected)}; return exactly the promised columns, in order`);
    }
    this.opts.fields.forEach((f, i) => {
      if (!f.nullable && b.data.children[i].nullCount > 0) {
        throw new DataError(`${this.udfName()} returned nulls in column '${f.name}', which it promised is not nullable`);
      }
    });
    if (b.numRows === 0) return null;
    return makeBatch(this.schema, b.data.children, b.numRows);
  }

  private udfName(): string {
    return `mapBatches UDF '${this.opts.udf.export}' from module '${this.opts.udf.module}'`;
  }
}

/** Quiver's name for an Arrow type, or Arrow's own name when Quiver does not handle it. */
function arrowTypeToString(t: arrow.DataType): string {
  try {
    return typeToString(fromArrowType(t));
  } catch {
    return String(t);
  }
}

function fieldsToString(fields: readonly { name: string; type: TypeJSON | string }[]): string {
  return `[${fields.map((f) => `${f.name}: ${typeof f.type === 'string' ? f.type : typeToString(f.type)}`).join(', ')}]`;
}
