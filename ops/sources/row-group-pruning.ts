// Row-group pruning: which Parquet row groups a scan's filters can match, from the footer's min/max and null counts.
//
// A row group is skipped when one conjunct is false (or null) for every row it could hold:
// `c < v` / `c <= v` at its minimum, `c > v` / `c >= v` at its maximum, `c = v` outside
// [min, max], `c IS NULL` with no nulls, `c IS NOT NULL` or any comparison when every value is
// null. The comparisons are the engine's own (compileExpr on the bound as a one-row batch), so
// types and literal coercions mean exactly what the filter means when it runs. The scan still
// applies every filter to the rows it reads: pruning only skips what cannot pass.
import * as arrow from 'apache-arrow';
import { makeBatch } from '../compute/batch.ts';
import { isValid } from '../compute/take.ts';
import { compileExpr } from '../expr/eval.ts';
import type { BinaryOp, ExprNode } from '../expr/node.ts';
import { toArrowSchema, type FieldJSON } from '../types.ts';
import type { ColumnStats, RowGroupStats } from './parquet-stats.ts';

type Cmp = 'eq' | 'lt' | 'lte' | 'gt' | 'gte';
const FLIP: Readonly<Record<Cmp, Cmp>> = { eq: 'eq', lt: 'gt', lte: 'gte', gt: 'lt', gte: 'lte' };
const isCmp = (op: BinaryOp): op is Cmp => op in FLIP;

/** One conjunct the statistics can decide: a column against a literal, or a null test. */
type Test =
  | { readonly kind: 'cmp'; readonly column: string; readonly op: Cmp; readonly value: ExprNode }
  | { readonly kind: 'isNull' | 'isNotNull'; readonly column: string };

function testOf(e: ExprNode): Test | null {
  if (e.kind === 'unary' && (e.op === 'isNull' || e.op === 'isNotNull') && e.arg.kind === 'column') return { kind: e.op, column: e.arg.name };
  if (e.kind !== 'binary' || !isCmp(e.op)) return null;
  if (e.left.kind === 'column' && e.right.kind === 'literal') return { kind: 'cmp', column: e.left.name, op: e.op, value: e.right };
  if (e.right.kind === 'column' && e.left.kind === 'literal') return { kind: 'cmp', column: e.right.name, op: FLIP[e.op], value: e.left };
  return null;
}

/**
 * A function telling, for each row group's statistics, whether it may hold a row passing every
 * filter; null when no filter is of a form the statistics can decide.
 */
export function rowGroupPredicate(filters: readonly ExprNode[], fileSchema: readonly FieldJSON[]): ((g: RowGroupStats) => boolean) | null {
  const fields = new Map(fileSchema.map((f) => [f.name, f] as const));
  const tests = filters.map(testOf).filter((t): t is Test => t !== null && fields.has(t.column));
  if (tests.length === 0) return null;
  // Compiled once per test: `column op value` over a one-column schema.
  const compiled = tests.map((t): Compiled => {
    if (t.kind !== 'cmp') return { t, lowOk: null, highOk: null };
    const field = fields.get(t.column)!;
    const schema = toArrowSchema([{ ...field, nullable: true }]);
    const col: ExprNode = { kind: 'column', name: t.column };
    const holds = (op: Cmp) => {
      const c = compileExpr({ kind: 'binary', op, left: col, right: t.value }, schema);
      return (bound: arrow.Data): boolean => {
        const r = c.evaluate(makeBatch(schema, [bound], 1));
        return r.typeId === arrow.Type.Bool && isValid(r, 0) && (((r.values as Uint8Array)[r.offset >> 3] >> (r.offset & 7)) & 1) === 1;
      };
    };
    const low = t.op === 'eq' ? holds('lte') : t.op === 'lt' || t.op === 'lte' ? holds(t.op) : null;
    const high = t.op === 'eq' ? holds('gte') : t.op === 'gt' || t.op === 'gte' ? holds(t.op) : null;
    return { t, lowOk: low, highOk: high };
  });
  return (g) => compiled.every((c) => mayPass(c, g.columns.get(c.t.column), g.rows));
}

interface Compiled {
  readonly t: Test;
  /** Whether the test holds at the minimum (for <, <=, =) and at the maximum (for >, >=, =). */
  readonly lowOk: ((bound: arrow.Data) => boolean) | null;
  readonly highOk: ((bound: arrow.Data) => boolean) | null;
}

function mayPass(c: Compiled, s: ColumnStats | undefined, rows: number): boolean {
  if (!s) return true;
  const allNull = s.nullCount !== null && s.nullCount >= rows && rows > 0;
  switch (c.t.kind) {
    case 'isNull': return s.nullCount === null || s.nullCount > 0;
    case 'isNotNull': return !allNull;
    case 'cmp':
      if (allNull) return false;
      if (c.lowOk && s.min && !c.lowOk(s.min)) return false;
      if (c.highOk && s.max && !c.highOk(s.max)) return false;
      return true;
  }
}
