// Generate: one output row per element of a list (explode / posexplode, optionally outer), the input columns repeated.
import { InternalError, PlanError } from '../../ops/errors.ts';
import { exprToString, type ExprNode } from '../../ops/expr/node.ts';
import { inferField } from '../../ops/expr/typecheck.ts';
import { isList, isMap, listElement, typeToString, type FieldJSON } from '../../ops/types.ts';
import type { LogicalPlan } from './node.ts';
import { resolveExpr } from './resolve.ts';

export interface Generate {
  readonly kind: 'generate';
  readonly input: LogicalPlan;
  /** A list<T>, fixed-size list or map<K, V> expression over the input. */
  readonly arg: ExprNode;
  /** Whether a null or empty list still gives one row (of nulls), as Spark's explode_outer. */
  readonly outer: boolean;
  /** The 0-based position column's name (posexplode), or null (explode). */
  readonly posName: string | null;
  /** The element column's name (a map's key column). */
  readonly colName: string;
  /** A map's value column's name; null for a list. */
  readonly valueName: string | null;
  /** The input's columns, then pos (int32, when posName) and the element (type T, nullable), or a map's key and value. */
  readonly schema: readonly FieldJSON[];
}

export function generate(input: LogicalPlan, arg: ExprNode, outer: boolean, posName: string | null, colName: string, valueName: string | null = null): Generate {
  const a = resolveExpr(arg, input.schema);
  const t = inferField(a, input.schema).type;
  if (!isList(t) && !isMap(t)) {
    throw new PlanError(`explode(${exprToString(a)}): the argument has type ${typeToString(t)}, expected a list or a map; make a list with split(...) or collectList(...)`);
  }
  if (isMap(t) !== (valueName !== null)) throw new InternalError(`generate: a map explodes into a key and a value column, a list into one (${exprToString(a)})`);
  const names = [posName, colName, valueName].filter((n): n is string => n !== null);
  for (const n of names) {
    if (input.schema.some((f) => f.name === n)) throw new PlanError(`explode: output column '${n}' is already a column of the input; alias the generated column`);
  }
  if (new Set(names).size < names.length) throw new PlanError(`explode: the generated columns need distinct names, got ${names.map((n) => `'${n}'`).join(', ')}`);
  const generated: FieldJSON[] = isMap(t)
    ? [{ name: colName, type: t.map.key, nullable: outer }, { name: valueName!, type: t.map.value, nullable: true }]
    : [{ name: colName, type: listElement(t), nullable: true }];
  const schema: FieldJSON[] = [
    ...input.schema,
    ...(posName !== null ? [{ name: posName, type: 'int32' as const, nullable: outer }] : []),
    ...generated,
  ];
  return Object.freeze({ kind: 'generate', input, arg: a, outer, posName, colName, valueName, schema });
}
