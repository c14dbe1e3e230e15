// MapBatchesExec: runs a user function, loaded by module path and export name, over each batch.
import * as arrow from 'apache-arrow';
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { makeBatch } from './compute/batch.ts';
import { DataError, PlanError } from './errors.ts';
import type { ExecPlan, TaskContext } from './exec-plan.ts';
import { fromArrowType, toArrowSchema, typeToString, type FieldJSON, type TypeJSON } from './types.ts';
import { importUserModule } from './user-module.ts';

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

// One import per module and process: every task of every plan shares it.
const modules = new Map<string, Promise<Record<string, unknown>>>();

function importModule(specifier: string, where: string): Promise<Record<string, unknown>> {
  let m = modules.get(specifier);
  if (!m) {
    m = importUserModule(specifier, where);
    // A failed import is not cached: the file may appear (or be fixed) before the next try.
    m.catch(() => { if (modules.get(specifier) === m) modules.delete(specifier); });
    modules.set(specifier, m);
  }
  return m;
}

/** Loads the function `udf` names; PlanError when the module, the export or a function is missing. */
export async function loadUdf(udf: UdfRef): Promise<BatchUdf> {
  const where = `mapBatches UDF '${udf.export}' from module '${udf.module}'`;
  if (udf.module.startsWith('./') || udf.module.startsWith('../')) {
    // Relative to what? Each worker resolves from its own location, so this is never meant.
    throw new PlanError(`${where}: a relative module path cannot be loaded by workers; give an absolute path (e.g. path.resolve('${udf.module}')) or a package name`);
  }
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(udf.module, where);
  } catch (e) {
    if (e instanceof PlanError) throw e;
    // Advice only where it applies: an absolute path that exists was given as it should be.
    const hint = !isAbsolute(udf.module) ? '; give an absolute path or a package name every worker can import'
      : existsSync(udf.module) ? '' : '; no such file on this machine (every worker and executor must see it at that path)';
    throw new PlanError(`${where}: cannot import the module: ${(e as Error).message}${hint}`, { cause: e });
  }
  if (!(udf.export in mod)) {
    const names = Object.keys(mod).sort();
    throw new PlanError(`${where}: the module has no export '${udf.export}'; its exports are: ${names.length ? names.join(', ') : '(none)'}`);
  }
  const f = mod[udf.export];
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
