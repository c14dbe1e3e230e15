// Generators in select: fn.explode / posexplode (and their Outer forms), planned as a Generate node under a Project.
import { PlanError } from '../../ops/errors.ts';
import { exprToString, isGeneratorFn, type ExprNode, type GeneratorFn } from '../../ops/expr/node.ts';
import { inferField } from '../../ops/expr/typecheck.ts';
import { isMap } from '../../ops/types.ts';
import { generate } from '../plan/generate.ts';
import { resolveExpr } from '../plan/resolve.ts';
import type { LogicalPlan } from '../plan/node.ts';
import { project } from '../plan/project.ts';
import { Expr, toColumn, type ColumnLike } from './column.ts';

const generator = (fn: GeneratorFn) => (c: ColumnLike): Expr => new Expr({ kind: 'call', fn, args: [toColumn(c).node] });

/**
 * `df.select('id', fn.explode('tags'))`: one row per element of the list, the other items
 * evaluated on each (repeated). A null or empty list gives no row; the Outer forms give one
 * row with nulls instead. The element column is named 'col' (or the alias), posexplode's
 * 0-based position 'pos'. A map gives one row per entry, in two columns 'key' and 'value'
 * (as in Spark; an alias names the key column). One generator per select, as in Spark.
 */
export const generatorFunctions = Object.freeze({
  explode: generator('explode'),
  explodeOuter: generator('explodeOuter'),
  posexplode: generator('posexplode'),
  posexplodeOuter: generator('posexplodeOuter'),
});

const unalias = (e: ExprNode): ExprNode => (e.kind === 'alias' ? unalias(e.arg) : e);
const isGenerator = (e: ExprNode): e is ExprNode & { kind: 'call'; fn: GeneratorFn } => e.kind === 'call' && isGeneratorFn(e.fn);

/** The plan of select(exprs) over `input`: a Project, over a Generate when one item is a generator. */
export function planSelect(input: LogicalPlan, exprs: readonly ExprNode[]): LogicalPlan {
  const at = exprs.map((e, i) => (isGenerator(unalias(e)) ? i : -1)).filter((i) => i >= 0);
  if (at.length === 0) return project(input, exprs);
  if (at.length > 1) {
    throw new PlanError(`select: only one generator per select, got ${at.map((i) => exprToString(exprs[i])).join(' and ')}; explode in two selects one after the other`);
  }
  const item = exprs[at[0]];
  const call = unalias(item) as ExprNode & { kind: 'call'; fn: GeneratorFn };
  if (call.args.length !== 1) throw new PlanError(`${exprToString(call)}: ${call.fn} takes one list argument, got ${call.args.length}`);
  const positions = call.fn.startsWith('pos');
  const isMapArg = isMap(inferField(resolveExpr(call.args[0], input.schema), input.schema).type);
  const colName = item.kind === 'alias' ? item.name : isMapArg ? 'key' : 'col';
  // The generated columns get names the input lacks, and the Project names them as asked.
  const taken = new Set(input.schema.map((f) => f.name));
  const fresh = (name: string): string => {
    if (!taken.has(name)) return name;
    let k = 1;
    while (taken.has(`${name}#${k}`)) k++;
    return `${name}#${k}`;
  };
  const posName = positions ? fresh('pos') : null;
  const valueName = isMapArg ? fresh('value') : null;
  const g = generate(input, call.args[0], call.fn.endsWith('Outer'), posName, fresh(colName), valueName);
  const named = (name: string, as: string): ExprNode => (name === as ? { kind: 'column', name } : { kind: 'alias', arg: { kind: 'column', name }, name: as });
  const generated = [...(posName !== null ? [named(posName, 'pos')] : []), named(g.colName, colName), ...(valueName !== null ? [named(valueName, 'value')] : [])];
  const items = exprs.flatMap((e, i) => (i !== at[0] ? [e] : generated));
  return project(g, items);
}
