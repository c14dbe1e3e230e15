// The conjuncts of a filter, cheapest first: filterRows runs each on the rows the earlier ones kept, so costly tests should come last.
//
// A stable sort by cost class, from the expression's shape alone: the written order is kept
// within a class. TPC-H Q12 writes `l_shipmode in ('MAIL', 'SHIP')` first and its date ranges
// after: run as written, the string test saw every lineitem row; the dates keep 1 row in 7.
// Reordering is safe because a conjunct's value does not depend on the others (a row fails
// the filter when any of them is false or null, in any order).
import { columnsOf, containsUdf, type ExprNode } from '../expr/node.ts';
import { typeOf } from '../expr/typecheck.ts';
import type { FieldJSON } from '../types.ts';

const COMPARISONS = new Set(['eq', 'neq', 'lt', 'lte', 'gt', 'gte']);

/** A column, a cast of one, or a value that reads no column (a literal, `date '…' + interval …`). */
function operand(e: ExprNode): boolean {
  if (e.kind === 'column' || e.kind === 'literal') return true;
  if (e.kind === 'cast') return operand(e.arg);
  return constant(e);
}

function constant(e: ExprNode): boolean {
  return columnsOf(e).size === 0 && !containsUdf(e);
}

function isText(e: ExprNode, fields: readonly FieldJSON[]): boolean {
  try {
    const t = typeOf(e, fields).type;
    return t === 'utf8' || t === 'binary';
  } catch {
    return true; // a type it cannot tell: counted with the costlier
  }
}

/**
 * The cost class of a conjunct: 0 a number, date or bool column against a constant (or IS
 * [NOT] NULL, or a bool column); 1 two such columns, or a number IN list; 2 a string column
 * against a constant; 3 two strings, or a string IN list; 4 anything else (functions, LIKE,
 * arithmetic, user code).
 */
export function conjunctCost(e: ExprNode, fields: readonly FieldJSON[]): number {
  if (e.kind === 'column') return 0;
  if (e.kind === 'unary' && (e.op === 'isNull' || e.op === 'isNotNull' || e.op === 'not') && (e.arg.kind === 'column' || operand(e.arg))) return 0;
  if (e.kind === 'binary' && COMPARISONS.has(e.op) && operand(e.left) && operand(e.right)) {
    const text = isText(e.left, fields) || isText(e.right, fields);
    const against = constant(e.left) || constant(e.right);
    return (text ? 2 : 0) + (against ? 0 : 1);
  }
  if (e.kind === 'call' && e.fn === 'in' && e.args.length > 0 && operand(e.args[0]) && e.args.slice(1).every(constant)) {
    return isText(e.args[0], fields) ? 3 : 1;
  }
  return 4;
}

/** `conjuncts` in cost order, the written order kept within a cost class. */
export function orderConjuncts(conjuncts: readonly ExprNode[], fields: readonly FieldJSON[]): ExprNode[] {
  return conjuncts.map((e, i) => ({ e, i, c: conjunctCost(e, fields) })).sort((a, b) => a.c - b.c || a.i - b.i).map((x) => x.e);
}
