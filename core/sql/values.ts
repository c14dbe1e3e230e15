// VALUES (..), (..): a query (standalone or in FROM) of constant rows, planned over the one-row relation.
import { containsAgg, containsWindow, type ExprNode } from '../../ops/expr/node.ts';
import { commonType, typeOf } from '../../ops/expr/typecheck.ts';
import { typeToString } from '../../ops/types.ts';
import { generate } from '../plan/generate.ts';
import type { LogicalPlan } from '../plan/node.ts';
import { project } from '../plan/project.ts';
import type { SqlContext } from './context.ts';
import { at, notSupported, sqlError } from './errors.ts';
import { translateExpr } from './expr.ts';
import type { Ast } from './parse.ts';
import { Scope } from './scope.ts';

const int = (value: number): ExprNode => ({ kind: 'literal', value, type: 'int32' });

/**
 * Columns `col0`, `col1`, ... (DuckDB's names; `AS t(x, y)` renames them), each of the common
 * type of its values (numbers widen, a NULL adopts the others' type). One row is a projection
 * of the one-row relation; more are a Generate of row numbers 0..n-1 over it and one CASE per
 * column picking each row's value, so the rows come from one task, not a union of n.
 */
export function translateValues(v: Ast, node: Ast, ctx: SqlContext): LogicalPlan {
  if (v.explicit_row) throw notSupported(node, 'VALUES ROW(...)', 'write VALUES (...), (...)');
  const scope = new Scope([]);
  const rows: ExprNode[][] = v.rows.map((r: Ast) => (r.content ?? r).map((e: Ast) => {
    const x = translateExpr(e, { scope, subquery: null, clause: 'VALUES' });
    if (containsAgg(x) || containsWindow(x)) throw sqlError(e, 'VALUES holds constant expressions, not aggregates or window functions');
    return x;
  }));
  if (rows.length === 0) throw sqlError(node, 'VALUES needs at least one row');
  const width = rows[0].length;
  rows.forEach((r, i) => {
    if (r.length !== width) throw sqlError(v.rows[i].opening_token ?? node, `VALUES row ${i + 1} has ${r.length} values but the first has ${width}`);
  });
  for (let c = 0; c < width; c++) {
    const types = rows.map((r) => at(node, () => typeOf(r[c], [])).type);
    if (commonType(types) === null) throw sqlError(node, `VALUES column ${c + 1} mixes ${[...new Set(types.map(typeToString))].join(' and ')}; cast the values to one type`);
  }
  const names = rows[0].map((_, c) => `col${c}`);
  const one = ctx.oneRow();
  if (rows.length === 1) return at(node, () => project(one, rows[0].map((e, c) => ({ kind: 'alias', arg: e, name: names[c] }))));
  const row: ExprNode = { kind: 'column', name: '__row' };
  const numbered = generate(one, { kind: 'call', fn: 'sequence', args: [int(0), int(rows.length - 1)] }, false, null, '__row');
  return at(node, () => project(numbered, names.map((name, c): ExprNode => ({
    kind: 'alias', name,
    arg: { kind: 'case', branches: rows.map((r, i) => ({ when: { kind: 'binary', op: 'eq', left: row, right: int(i) }, then: r[c] })), otherwise: null },
  }))));
}
