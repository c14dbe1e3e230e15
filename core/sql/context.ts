// What the SQL translator carries while planning one statement: catalog, CTEs, a one-row input.
import type { LogicalPlan } from '../plan/node.ts';
import type { Catalog } from './catalog.ts';

export interface SqlContext {
  readonly catalog: Catalog;
  /** A one-row relation (for SELECT without FROM). */
  readonly oneRow: () => LogicalPlan;
  /** Common table expressions in scope, by lower-case name; inner WITHs shadow outer ones. */
  readonly ctes: ReadonlyMap<string, LogicalPlan>;
}

export const withCtes = (ctx: SqlContext, ctes: ReadonlyMap<string, LogicalPlan>): SqlContext => ({ ...ctx, ctes });
