// q.sql's entry: SQL text -> a logical plan over the session's catalog.
import type { LogicalPlan } from '../plan/node.ts';
import type { Catalog } from './catalog.ts';
import { parseQuery } from './parse.ts';
import { translateQuery } from './query.ts';

export { Catalog } from './catalog.ts';
export { SqlError } from './errors.ts';
export { loadSqlParser } from './parse.ts';

/** The plan of one SQL query; errors are SqlErrors (one line, with line and column). */
export function sqlToPlan(text: string, catalog: Catalog, oneRow: () => LogicalPlan): LogicalPlan {
  return translateQuery(parseQuery(text), { catalog, oneRow, ctes: new Map() }, null);
}
