// Name resolution: which plan column an SQL name (`x`, `t.x`) means, here or in an enclosing query.
import { exprKey } from '../optimizer/expr-utils.ts';
import type { ExprNode } from '../../ops/expr/node.ts';
import type { TypeJSON } from '../../ops/types.ts';
import { sqlError } from './errors.ts';

/** One column visible to SQL names. */
export interface ScopeColumn {
  /** The SQL name (as written in the table or alias list). */
  readonly name: string;
  /** The table or alias that qualifies it (`t` in `t.x`); null for none. */
  readonly qualifier: string | null;
  /** The column of the plan it reads. */
  readonly planName: string;
  readonly type: TypeJSON;
  readonly nullable: boolean;
  /** The right-hand copy of a USING key: reachable qualified only. */
  readonly hidden?: boolean;
}

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/**
 * The columns of one query level's FROM clause. A scope with a parent belongs to a subquery: a
 * name found only in the parent becomes an `outerRef` node (by index into `outerRefs`, the
 * enclosing query's expressions the subquery depends on; see SubqueryExpr).
 */
export class Scope {
  readonly outerRefs: ExprNode[] = [];
  /**
   * `boundary`: this scope is a subquery's edge (no columns of its own): names resolved above it
   * become its outerRefs. Other scopes pass what their parent resolved through unchanged.
   */
  constructor(readonly columns: readonly ScopeColumn[], readonly parent: Scope | null = null, readonly boundary = false) {}

  /** The columns `name` (and `qualifier`) match here; case-insensitive, as unquoted SQL names. */
  private matches(qualifier: string | null, name: string): ScopeColumn[] {
    return this.columns.filter((c) => same(c.name, name) && (qualifier === null ? !c.hidden : c.qualifier !== null && same(c.qualifier, qualifier)));
  }

  has(qualifier: string | null, name: string): boolean {
    return this.matches(qualifier, name).length > 0 || (this.parent?.has(qualifier, name) ?? false);
  }

  /** The expression for an SQL column reference; `node` places errors. */
  resolve(qualifier: string | null, name: string, node: unknown): ExprNode {
    const here = this.matches(qualifier, name);
    const shown = qualifier ? `${qualifier}.${name}` : name;
    if (here.length > 1) {
      throw sqlError(node, `column reference '${shown}' is ambiguous: it could be ${here.map((c) => `${c.qualifier ?? '?'}.${c.name}`).join(' or ')}; qualify it`);
    }
    if (here.length === 1) return { kind: 'column', name: here[0].planName };
    if (this.parent?.has(qualifier, name)) {
      const outer = this.parent.resolve(qualifier, name, node);
      if (!this.boundary) return outer;
      const type = this.parent.typeOf(outer);
      const key = exprKey(outer);
      let index = this.outerRefs.findIndex((r) => exprKey(r) === key);
      if (index < 0) index = this.outerRefs.push(outer) - 1;
      return { kind: 'outerRef', index, name: shown, type: type.type, nullable: type.nullable };
    }
    throw sqlError(node, `unknown column '${shown}': ${this.describe(qualifier)}`);
  }

  /** Type of an expression `resolve` returned here (a column or an outer reference). */
  typeOf(e: ExprNode): { type: TypeJSON; nullable: boolean } {
    if (e.kind === 'outerRef') return { type: e.type, nullable: e.nullable };
    const c = this.columns.find((x) => e.kind === 'column' && x.planName === e.name);
    if (c) return { type: c.type, nullable: c.nullable };
    return this.parent!.typeOf(e);
  }

  /** The columns of a qualifier (`t.*`); unknown qualifier: SqlError. */
  columnsOf(qualifier: string, node: unknown): ScopeColumn[] {
    const cols = this.columns.filter((c) => c.qualifier !== null && same(c.qualifier, qualifier));
    if (cols.length === 0) {
      const qs = [...new Set(this.columns.map((c) => c.qualifier).filter((q) => q !== null))];
      throw sqlError(node, `unknown table '${qualifier}' in ${qualifier}.*: the FROM clause has ${qs.length ? qs.join(', ') : 'no named tables'}`);
    }
    return cols;
  }

  private describe(qualifier: string | null): string {
    const visible = this.columns.filter((c) => !c.hidden && (qualifier === null || (c.qualifier !== null && same(c.qualifier, qualifier))));
    if (visible.length === 0 && qualifier !== null) {
      const qs = [...new Set(this.columns.map((c) => c.qualifier).filter((q) => q !== null))];
      return `no table '${qualifier}' in FROM (${qs.length ? `tables are ${qs.join(', ')}` : 'no named tables'})`;
    }
    const names = visible.map((c) => (qualifier ? `${c.qualifier}.${c.name}` : c.name));
    return names.length ? `valid columns are ${names.join(', ')}` : 'the query has no columns in scope (no FROM clause)';
  }
}
