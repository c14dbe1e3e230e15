// The user-function members of `fn`: udf (scalar, vectorized over Arrow) and udaf (an aggregate), both referenced as { module, export }.
import { PlanError } from '../../ops/errors.ts';
import type { UdfRef } from '../../ops/expr/node.ts';
import { toArrowType, type TypeJSON } from '../../ops/types.ts';
import { Expr, toColumn, type ColumnLike } from './column.ts';

/** Checks what the user passed, so the mistake points at this call rather than at a task. */
function checkRef(what: string, ref: UdfRef, returnType: unknown, option = 'returnType'): void {
  if (typeof ref === 'function') {
    throw new PlanError(`fn.${what}: the function must be referenced as { module: '/abs/path/to/module', export: 'name' }, not passed as a function (every worker imports it)`);
  }
  if (!ref || typeof ref.module !== 'string' || ref.module.length === 0 || typeof ref.export !== 'string' || ref.export.length === 0) {
    throw new PlanError(`fn.${what}: expected { module: '/abs/path/to/module', export: 'name' }, got ${JSON.stringify(ref)}`);
  }
  if (ref.module.startsWith('./') || ref.module.startsWith('../')) {
    throw new PlanError(`fn.${what}: module '${ref.module}' is relative, which workers cannot resolve; give an absolute path (path.resolve('${ref.module}')) or a package name`);
  }
  try {
    toArrowType(returnType as TypeJSON);
  } catch {
    throw new PlanError(`fn.${what} '${ref.export}': ${option} ${JSON.stringify(returnType)} is not a Quiver type; use e.g. 'float64', 'int32', 'utf8' or { list: 'int32' }`);
  }
}

/**
 * A scalar user function: `fn.udf({ module, export }, { returnType })(col('a'), 'b')`. Each task
 * imports the module once per process and calls the export once per batch with the argument
 * columns as Arrow Vectors, then `{ numRows }`; it MUST return, synchronously, an arrow Vector of
 * `returnType`, a typed array or a JS array (null for null) with one value per row. Usable in
 * select, filter, withColumn and as an aggregate's argument; it never runs at plan time.
 */
export function udf(ref: UdfRef, opts: { returnType: TypeJSON }): (...args: ColumnLike[]) => Expr {
  checkRef('udf', ref, opts?.returnType);
  const frozen = Object.freeze({ module: ref.module, export: ref.export });
  return (...args) => new Expr({ kind: 'udf', udf: frozen, args: args.map((a) => toColumn(a).node), returnType: opts.returnType });
}

/**
 * A user-defined aggregate: `fn.udaf({ module, export }, { returnType })(col('x'))`. The export
 * is an object { init(), update(state, values: Vector), merge(a, b), finish(state) } whose state
 * is a JSON value (see ops/udf-registry.ts): it runs as a partial aggregate per task and a final
 * one after the shuffle, and spills like the built-in aggregates. update() sees each group's
 * values in batches, nulls included. With `stateType` (e.g. 'float64' or { list: 'float64' }) the
 * state crosses stages as an Arrow value of that type instead of JSON text: cheaper for numeric
 * states; a list state comes back to merge() as a JS array.
 */
export function udaf(ref: UdfRef, opts: { returnType: TypeJSON; stateType?: TypeJSON }): (arg: ColumnLike) => Expr {
  checkRef('udaf', ref, opts?.returnType);
  if (opts.stateType !== undefined) checkRef('udaf', ref, opts.stateType, 'stateType');
  const spec = Object.freeze({
    udf: Object.freeze({ module: ref.module, export: ref.export }), returnType: opts.returnType,
    ...(opts.stateType !== undefined ? { stateType: opts.stateType } : {}),
  });
  return (arg) => new Expr({ kind: 'agg', fn: 'udaf', arg: toColumn(arg).node, udaf: spec });
}
