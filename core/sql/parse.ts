// SQL text -> sqlparser's AST (one statement), with syntax errors mapped to SqlError at line:column.
import { init, parse } from '@guanmingchiu/sqlparser-ts';
import { SqlError } from './errors.ts';

/** The sqlparser AST, as the library emits it (JSON of sqlparser-rs's types). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Ast = any;

let loaded = false;

/** Loads the parser's WebAssembly module (once per process); q.sql needs it done. */
export async function loadSqlParser(): Promise<void> {
  if (loaded) return;
  await init();
  loaded = true;
}

/** DuckDB's dialect: the closest to what users of this engine write (and to the tests' oracle). */
const DIALECT = 'duckdb';

/** Parses one query; several statements, or a statement that is not a query, are SqlErrors. */
export function parseQuery(text: string): Ast {
  if (typeof text !== 'string' || text.trim() === '') throw new SqlError('expected a query, got an empty text', null);
  if (!loaded) throw new SqlError('the SQL parser is not loaded: open the session with await Quiver.local() or Quiver.connect() first', null);
  let statements: Ast[];
  try {
    statements = parse(text, DIALECT) as Ast[];
  } catch (e) {
    throw syntaxError(e);
  }
  if (statements.length !== 1) throw new SqlError(`expected one statement, got ${statements.length}`, null);
  const [stmt] = statements;
  if (!stmt.Query) throw new SqlError(`only queries (SELECT, WITH, VALUES) are supported; got ${Object.keys(stmt)[0]}`, null);
  return stmt.Query;
}

/** sqlparser's "sql parser error: Expected ..., found: x at Line: 3, Column: 8" as a SqlError. */
function syntaxError(e: unknown): SqlError {
  const raw = e instanceof Error ? e.message : String(e);
  const loc = (e as { location?: { line: number; column: number } }).location;
  const m = /at Line: (\d+), Column: (\d+)/.exec(raw);
  const pos = loc ?? (m ? { line: Number(m[1]), column: Number(m[2]) } : null);
  const message = raw.replace(/^sql parser error:\s*/i, '').replace(/\s*at Line: \d+, Column: \d+\s*$/, '');
  return new SqlError(`syntax error: ${message}`, pos, { cause: e });
}
