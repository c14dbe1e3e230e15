// Plan-time checks and result types of window expressions (`over` nodes): functions, specs and frames.
import { PlanError } from '../errors.ts';
import { isInteger, isNumeric, isTemporal, typeToString, type FieldJSON } from '../types.ts';
import { exprToString, type ExprNode } from './node.ts';
import { typeOf, type Typed } from './typecheck.ts';
import { WINDOW_FN_SQL, type FrameBound, type WindowFrame, type WindowSpecJSON } from './window-spec.ts';

/** Aggregates that can run over a window frame. */
export const WINDOW_AGGS: ReadonlySet<string> = new Set(['count', 'countStar', 'sum', 'avg', 'min', 'max', 'first', 'last']);

type Over = ExprNode & { kind: 'over' };

/**
 * The type of `over` over input `fields`, after checking its function, partition and order
 * keys and frame; PlanError naming the expression and the fix otherwise.
 */
export function windowExprType(e: Over, fields: readonly FieldJSON[]): Typed {
  checkSpec(e, fields);
  const a = e.arg;
  if (a.kind === 'agg') {
    if (!WINDOW_AGGS.has(a.fn)) {
      throw new PlanError(`${exprToString(e)}: ${a.fn} cannot run over a window; use count, sum, avg, min, max, first or last`);
    }
    const t = typeOf(a, fields);
    return { type: t.type, nullable: a.fn === 'count' || a.fn === 'countStar' ? false : true };
  }
  if (a.kind !== 'windowFn') {
    throw new PlanError(`${exprToString(e)}: over() needs a window function (fn.rowNumber(), fn.rank(), fn.lag(...), ...) or an aggregate (fn.sum(...), ...), got ${exprToString(a)}`);
  }
  if (e.spec.orderBy.length === 0) {
    throw new PlanError(`${exprToString(e)}: ${WINDOW_FN_SQL[a.fn]}() needs an ordered window: add .orderBy(...) to the window spec`);
  }
  const arity = (n: number) => {
    if (a.args.length !== n) throw new PlanError(`${exprToString(a)}: ${WINDOW_FN_SQL[a.fn]} takes ${n} argument(s), got ${a.args.length}`);
  };
  switch (a.fn) {
    case 'rowNumber': case 'rank': case 'denseRank': arity(0); return { type: 'int32', nullable: false };
    case 'percentRank': case 'cumeDist': arity(0); return { type: 'float64', nullable: false };
    case 'ntile': {
      arity(1);
      const n = a.args[0];
      if (n.kind !== 'literal' || typeof n.value !== 'number' || !Number.isInteger(n.value) || n.value < 1) {
        throw new PlanError(`${exprToString(a)}: ntile needs a positive integer number of buckets, got ${exprToString(n)}`);
      }
      return { type: 'int32', nullable: false };
    }
    case 'lag': case 'lead': {
      arity(3);
      const [value, offset, dflt] = a.args;
      if (offset.kind !== 'literal' || typeof offset.value !== 'number' || !Number.isInteger(offset.value)) {
        throw new PlanError(`${exprToString(a)}: the offset of ${a.fn} must be an integer, got ${exprToString(offset)}`);
      }
      if (dflt.kind !== 'literal') throw new PlanError(`${exprToString(a)}: the default of ${a.fn} must be a literal value, got ${exprToString(dflt)}`);
      const t = typeOf(value, fields);
      // The default becomes a value of the column: it must cast to its type.
      if (dflt.value !== null) typeOf({ kind: 'cast', arg: dflt, to: t.type }, fields);
      return { type: t.type, nullable: true };
    }
  }
}

function checkSpec(e: Over, fields: readonly FieldJSON[]): void {
  for (const p of e.spec.partitionBy) {
    const t = typeOf(p, fields);
    if (typeof t.type === 'object') throw new PlanError(`${exprToString(e)}: cannot partition a window by ${exprToString(p)} of type ${typeToString(t.type)}`);
  }
  for (const o of e.spec.orderBy) {
    const t = typeOf(o, fields);
    if (typeof t.type === 'object') throw new PlanError(`${exprToString(e)}: cannot order a window by ${exprToString(o)} of type ${typeToString(t.type)}`);
  }
  if (e.spec.frame) checkFrame(e.spec.frame, e.spec, fields, exprToString(e));
}

/** A frame's bounds: integers for ROWS and GROUPS, numbers for RANGE (over one numeric, date or timestamp key), start <= end. */
export function checkFrame(f: WindowFrame, spec: WindowSpecJSON, fields: readonly FieldJSON[], where: string): void {
  const bad = (why: string) => new PlanError(`${where}: bad window frame: ${why}`);
  if (f.unit !== 'rows' && f.unit !== 'range' && f.unit !== 'groups') throw bad(`unit must be rows, range or groups, got ${JSON.stringify(f.unit)}`);
  const ok = (b: FrameBound) => b === 'unbounded' || (typeof b === 'number' && Number.isFinite(b) && (f.unit === 'range' || Number.isInteger(b)));
  if (!ok(f.start) || !ok(f.end)) {
    throw bad(`bounds must be ${f.unit !== 'range' ? 'integers' : 'finite numbers'} or Window.unboundedPreceding / Window.unboundedFollowing, got ${JSON.stringify(f.start)} and ${JSON.stringify(f.end)}`);
  }
  if (f.start !== 'unbounded' && f.end !== 'unbounded' && f.start > f.end) throw bad(`start ${f.start} is after end ${f.end}; the start MUST NOT follow the end`);
  if (f.unit !== 'range') return;
  const offsets = (f.start !== 'unbounded' && f.start !== 0) || (f.end !== 'unbounded' && f.end !== 0);
  if (!offsets) return;
  if (spec.orderBy.length !== 1) {
    throw bad(`rangeBetween with value offsets needs exactly one orderBy key (got ${spec.orderBy.length}); use rowsBetween, or order by one numeric, date or timestamp column`);
  }
  const t = typeOf(spec.orderBy[0], fields).type;
  if (!isNumeric(t) && !isTemporal(t)) {
    throw bad(`rangeBetween with value offsets needs a numeric, date or timestamp order key, but ${exprToString(spec.orderBy[0])} is ${typeToString(t)}`);
  }
  if (isInteger(t) || isTemporal(t)) {
    if (![f.start, f.end].every((b) => b === 'unbounded' || Number.isInteger(b))) throw bad(`offsets over the ${typeToString(t)} key ${exprToString(spec.orderBy[0])} must be integers`);
  }
}
