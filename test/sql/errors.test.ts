// q.sql's errors: one line, naming the line and column of the SQL text, and saying what to do.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlanError, Quiver, SqlError } from '../../core/index.ts';

/** The error q.sql(text) throws (planning only: nothing runs). */
function errorOf(q: Quiver, text: string): SqlError {
  try {
    q.sql(text);
  } catch (e) {
    expect(e).toBeInstanceOf(SqlError);
    expect(e).toBeInstanceOf(PlanError);
    expect((e as Error).message).not.toMatch(/\n/);
    return e as SqlError;
  }
  throw new Error(`q.sql accepted: ${text}`);
}

describe('q.sql errors', () => {
  let q: Quiver;
  beforeAll(async () => {
    q = await Quiver.local({ workers: 1, ui: false });
    q.createDataFrame([{ k: 1, g: 'a', x: 1.5 }]).createOrReplaceTempView('t');
    q.createDataFrame([{ k: 1, w: 2 }]).createOrReplaceTempView('u');
  });
  afterAll(async () => { if (q) await q.close(); });

  it('a syntax error names its line and column', () => {
    const e = errorOf(q, 'select k,\n  g x y\nfrom t');
    expect(e.message).toMatch(/^SQL error at line 2, column 7: syntax error: Expected: end of statement, found: y$/);
    expect([e.line, e.column]).toEqual([2, 7]);
  });

  it('an unknown column points at it and lists the valid ones', () => {
    const e = errorOf(q, 'select k,\n       nope\nfrom t');
    expect(e.message).toBe("SQL error at line 2, column 8: unknown column 'nope': valid columns are k, g, x");
  });

  it('an unknown qualified column and an unknown qualifier', () => {
    expect(errorOf(q, 'select t.zz from t').message).toBe("SQL error at line 1, column 8: unknown column 't.zz': valid columns are t.k, t.g, t.x");
    expect(errorOf(q, 'select v.k from t').message).toMatch(/^SQL error at line 1, column 8: unknown column 'v.k': no table 'v' in FROM \(tables are t\)$/);
  });

  it('an unknown table lists the registered ones', () => {
    expect(errorOf(q, 'select *\nfrom t join missing on t.k = missing.k').message)
      .toMatch(/^SQL error at line 2, column 13: unknown table 'missing': known tables are t, u$/);
  });

  it('an unknown function points at the call', () => {
    expect(errorOf(q, 'select k, frobnicate(x) from t').message).toMatch(/^SQL error at line 1, column 11: unknown function 'frobnicate': known functions are /);
  });

  it('an ambiguous column says how to qualify it', () => {
    expect(errorOf(q, 'select k from t join u on t.k = u.k').message).toMatch(/^SQL error at line 1, column 8: column reference 'k' is ambiguous: it could be t\.k or u\.k; qualify it$/);
  });

  it('a column neither grouped nor aggregated', () => {
    expect(errorOf(q, 'select g, x from t group by g').message).toMatch(/^SQL error at line 1, column 11: column 'x' must appear in GROUP BY or be used in an aggregate function$/);
  });

  it('a type error from the plan gets the position of its clause', () => {
    expect(errorOf(q, "select k from t\nwhere g + 1 > 0").message).toMatch(/^SQL error at line 2, column 7: .*arithmetic needs numeric operands/);
  });

  it('constructs not supported yet say so, at their position', () => {
    expect(errorOf(q, 'select k, sum(k) over (order by k groups interval 1 day preceding) from t').message).toMatch(/^SQL error at line 1, column 11: GROUPS frame offsets are counts, not INTERVALs$/);
    expect(errorOf(q, 'select k from t union by name select k from u').message).toMatch(/^SQL error at line 1, column \d+: UNION BYNAME is not supported yet$/);
    expect(errorOf(q, 'select exists (select max(w) from u) from t').message).toMatch(/^SQL error at line 1, column 16: EXISTS in the select list is not supported yet/);
  });

  it('bad statements', () => {
    expect(errorOf(q, '  ').message).toBe('SQL error at line 1, column 1: expected a query, got an empty text');
    expect(errorOf(q, 'select 1; select 2').message).toBe('SQL error at line 1, column 1: expected one statement, got 2');
    expect(errorOf(q, 'drop table t').message).toMatch(/^SQL error at line 1, column 1: only queries .* are supported; got Drop$/);
  });

  it('q.table and q.registerTable: unknown names and formats', () => {
    expect(() => q.table('nope')).toThrow("unknown table 'nope': known tables are t, u");
    expect(() => q.registerTable('x', '/tmp/data.xlsx')).toThrow(/cannot tell the format of '\/tmp\/data.xlsx' from its extension/);
    expect(() => q.registerTable('bad name', q.table('t'))).toThrow(/table name must be an identifier/);
  });
});
