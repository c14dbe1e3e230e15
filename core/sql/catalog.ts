// The session's table catalog: names -> logical plans, for q.sql, q.table and createOrReplaceTempView.
import { PlanError } from '../../ops/errors.ts';
import type { LogicalPlan } from '../plan/node.ts';

/** Table names match case-insensitively, as unquoted SQL identifiers do. */
const keyOf = (name: string): string => name.toLowerCase();

export class Catalog {
  private readonly tables = new Map<string, { name: string; plan: LogicalPlan }>();

  /** Registers `plan` under `name`, replacing a table of that name. */
  register(name: string, plan: LogicalPlan): void {
    if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new PlanError(`table name must be an identifier (letters, digits, _; not starting with a digit), got ${JSON.stringify(name)}`);
    }
    this.tables.set(keyOf(name), { name, plan });
  }

  /** The plan registered under `name`, or null. */
  lookup(name: string): LogicalPlan | null {
    return this.tables.get(keyOf(name))?.plan ?? null;
  }

  /** The plan registered under `name`; an unknown name is a PlanError listing the known ones. */
  get(name: string): LogicalPlan {
    const t = this.lookup(name);
    if (t === null) throw new PlanError(`unknown table '${name}': ${this.describe()}`);
    return t;
  }

  drop(name: string): boolean { return this.tables.delete(keyOf(name)); }

  get names(): string[] { return [...this.tables.values()].map((t) => t.name).sort(); }

  /** "known tables are a, b" (or how to register one), for error messages. */
  describe(): string {
    const names = this.names;
    return names.length
      ? `known tables are ${names.join(', ')}`
      : "no tables are registered; register one with df.createOrReplaceTempView('name') or q.registerTable('name', path)";
  }
}
