// Generate: one output row per element of a list (explode / posexplode, optionally outer), the input columns repeated.
import { PlanError } from '../../ops/errors.ts';
import { exprToString, type ExprNode } from '../../ops/expr/node.ts';
import { inferField } from '../../ops/expr/typecheck.ts';
import { typeToString, type FieldJSON } from '../../ops/types.ts';
import type { LogicalPlan } from './node.ts';
import { resolveExpr } from './resolve.ts';

export interface Generate {
  readonly kind: 'generate';
  readonly input: LogicalPlan;
  /** A list<T> (or fixed-size list) expression over the input. */
  readonly arg: ExprNode;
  /** Whether a null or empty list still gives one row (of nulls), as Spark's explode_outer. */
  readonly outer: boolean;
  /** The 0-based position column's name (posexplode), or null (explode). */
  readonly posName: string | null;
  /** The element column's name. */
  readonly colName: string;
  /** The input's columns, then pos (int32, when posName) and the element (type T, nullable). */
  readonly schema: readonly FieldJSON[];
}

export function generate(input: LogicalPlan, arg: ExprNode, outer: boolean, posName: string | null, colName: string): Generate {
  const a = resolveExpr(arg, input.schema);
  const t = inferField(a, input.schema).type;
  if (typeof t !== 'object') {
    throw new PlanError(`explode(${exprToString(a)}): the argument has type ${typeToString(t)}, expected a list; make one with split(...) or collectList(...)`);
  }
  const element = 'list' in t ? t.list : t.fixedList;
  const names = [posName, colName].filter((n): n is string => n !== null);
  for (const n of names) {
    if (input.schema.some((f) => f.name === n)) throw new PlanError(`explode: output column '${n}' is already a column of the input; alias the generated column`);
  }
  if (posName !== null && posName === colName) throw new PlanError(`posexplode: the position and the element cannot both be named '${colName}'`);
  const schema: FieldJSON[] = [
    ...input.schema,
    ...(posName !== null ? [{ name: posName, type: 'int32' as const, nullable: outer }] : []),
    { name: colName, type: element, nullable: true },
  ];
  return Object.freeze({ kind: 'generate', input, arg: a, outer, posName, colName, schema });
}
