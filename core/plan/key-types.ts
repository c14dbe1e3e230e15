// Key types: the columns a plan groups, deduplicates, sorts, partitions or joins by must be plain values, not structs, maps or lists.
import { PlanError } from '../../ops/errors.ts';
import { exprToString, transformExpr, type ExprNode } from '../../ops/expr/node.ts';
import { inferField } from '../../ops/expr/typecheck.ts';
import { isList, isMap, isStruct, typeToString, type FieldJSON, type TypeJSON } from '../../ops/types.ts';

/** What a key is used for, as the message says it ('group by', 'sort by', ...). */
export type KeyUse = 'group by' | 'sort by' | 'partition by' | 'join on' | 'deduplicate (distinct) by' | 'count or collect distinct values of';

/** Aggregates that hash or compare their argument's values. */
const DISTINCT_AGGS: ReadonlySet<string> = new Set(['countDistinct', 'collectSet', 'sumDistinct', 'avgDistinct']);

/**
 * Throws a PlanError naming the first key whose type is a struct, map or list (which Quiver
 * cannot hash or order), and what to use instead. Types are checked before any row is read.
 */
export function checkKeyTypes(use: KeyUse, keys: readonly ExprNode[], fields: readonly FieldJSON[]): void {
  for (const k of keys) {
    const e = k.kind === 'sort' ? k.arg : k;
    const t = inferField(e, fields).type;
    if (typeof t === 'object') throw new PlanError(`cannot ${use} ${exprToString(e)} of type ${typeToString(t)}: ${hint(exprToString(e), t)}`);
  }
}

/** The arguments of distinct-value aggregates in `aggs` checked as keys. */
export function checkDistinctAggArgs(aggs: readonly ExprNode[], fields: readonly FieldJSON[]): void {
  const args: ExprNode[] = [];
  for (const a of aggs) transformExpr(a, (n) => { if (n.kind === 'agg' && n.arg && DISTINCT_AGGS.has(n.fn)) args.push(n.arg); return n; });
  checkKeyTypes('count or collect distinct values of', args, fields);
}

function hint(name: string, t: TypeJSON): string {
  const c = /^[\w.]+$/.test(name) ? name : 'x';
  if (isStruct(t)) return `structs are not keys; use their fields instead, e.g. col('${c}.${t.struct[0]?.name ?? 'field'}') (or df.select('${c}.*'))`;
  if (isMap(t)) return `maps are not keys; use a value, e.g. col('${c}').getItem(key), or its JSON text fn.toJson('${c}')`;
  if (isList(t)) return `lists are not keys; use an element (col('${c}').getItem(0)) or fn.explode('${c}') first`;
  return 'use a plain column';
}
