// Errors of q.sql: one line, pointing at the line and column of the SQL text they are about.
import { PlanError, QuiverError } from '../../ops/errors.ts';

export interface SqlPosition {
  readonly line: number;
  readonly column: number;
}

/** A mistake in SQL text (or a construct not supported yet), at a 1-based line and column. */
export class SqlError extends PlanError {
  readonly line: number;
  readonly column: number;
  constructor(message: string, at: SqlPosition | null, options?: { cause?: unknown }) {
    const where = at ? `line ${at.line}, column ${at.column}` : 'line 1, column 1';
    super(`SQL error at ${where}: ${message.replace(/\s*\n\s*/g, ' ')}`, options);
    this.name = 'SqlError';
    this.line = at?.line ?? 1;
    this.column = at?.column ?? 1;
  }
}

/**
 * The start of the first token under an AST node: sqlparser puts spans on identifiers, values
 * and keywords, not on every expression, so the leftmost one found depth-first stands for it.
 */
export function positionOf(node: unknown): SqlPosition | null {
  if (node === null || typeof node !== 'object') return null;
  const span = (node as { span?: { start?: SqlPosition } }).span;
  if (span?.start && span.start.line > 0) return { line: span.start.line, column: span.start.column };
  for (const v of Object.values(node as object)) {
    const p = positionOf(v);
    if (p) return p;
  }
  return null;
}

export function sqlError(node: unknown, message: string, cause?: unknown): SqlError {
  return new SqlError(message, positionOf(node), cause === undefined ? undefined : { cause });
}

/** A construct the translator knows but cannot plan yet; says what is missing. */
export function notSupported(node: unknown, what: string, needs?: string): SqlError {
  return sqlError(node, `${what} is not supported yet${needs ? ` (${needs})` : ''}`);
}

/**
 * Runs `f`, giving a plan-time error from below (unknown column, bad types) the position of
 * `node`; SqlErrors (which have one already) pass through.
 */
export function at<T>(node: unknown, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof SqlError || !(e instanceof QuiverError)) throw e;
    throw sqlError(node, e.message, e);
  }
}
