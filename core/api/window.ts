// Window specifications for the fluent API: Window.partitionBy(...).orderBy(...).rowsBetween(...), used by expr.over(spec).
import { PlanError } from '../../ops/errors.ts';
import type { ExprNode } from '../../ops/expr/node.ts';
import type { FrameBound, WindowFrame, WindowSpecJSON } from '../../ops/expr/window-spec.ts';
import { toColumn, type ColumnLike } from './column.ts';

type Cols = (ColumnLike | readonly ColumnLike[])[];

const flat = (cols: Cols): ExprNode[] => (cols.flat() as ColumnLike[]).map((c) => toColumn(c).node);

/** A bare key sorts ascending with nulls first (Spark's default), written out so the spec says it. */
const asSort = (e: ExprNode): ExprNode => (e.kind === 'sort' ? e : { kind: 'sort', arg: e, ascending: true, nullsFirst: true });

/** An immutable window specification; each method returns a new one. */
export class WindowSpec {
  readonly spec: WindowSpecJSON;
  constructor(spec: WindowSpecJSON) {
    this.spec = Object.freeze(spec);
  }
  partitionBy(...cols: Cols): WindowSpec { return new WindowSpec({ ...this.spec, partitionBy: flat(cols) }); }
  orderBy(...cols: Cols): WindowSpec { return new WindowSpec({ ...this.spec, orderBy: flat(cols).map(asSort) }); }
  /** Rows from `start` to `end` relative to the current row (negative: preceding), both included. */
  rowsBetween(start: number, end: number): WindowSpec { return new WindowSpec({ ...this.spec, frame: frame('rows', start, end) }); }
  /** Rows whose order key lies within [key + start, key + end] (for a descending order, preceding rows have larger keys); 0 is the current row's peers. */
  rangeBetween(start: number, end: number): WindowSpec { return new WindowSpec({ ...this.spec, frame: frame('range', start, end) }); }
  /** Peer groups (rows with equal order keys) from `start` to `end` relative to the current row's group, both included. */
  groupsBetween(start: number, end: number): WindowSpec { return new WindowSpec({ ...this.spec, frame: frame('groups', start, end) }); }
  toJSON(): WindowSpecJSON { return this.spec; }
}

function frame(unit: WindowFrame['unit'], start: number, end: number): WindowFrame {
  const what = `${unit}Between(${start}, ${end})`;
  if (typeof start !== 'number' || typeof end !== 'number' || Number.isNaN(start) || Number.isNaN(end)) {
    throw new PlanError(`${what}: bounds must be numbers, Window.unboundedPreceding, Window.currentRow or Window.unboundedFollowing`);
  }
  if (start === Infinity) throw new PlanError(`${what}: the frame cannot start at Window.unboundedFollowing`);
  if (end === -Infinity) throw new PlanError(`${what}: the frame cannot end at Window.unboundedPreceding`);
  const s: FrameBound = start === -Infinity ? 'unbounded' : start;
  const e: FrameBound = end === Infinity ? 'unbounded' : end;
  if (unit !== 'range' && ((s !== 'unbounded' && !Number.isInteger(s)) || (e !== 'unbounded' && !Number.isInteger(e)))) {
    throw new PlanError(`${what}: ${unit === 'rows' ? 'row' : 'group'} offsets must be integers`);
  }
  if (s !== 'unbounded' && e !== 'unbounded' && s > e) throw new PlanError(`${what}: the start (${s}) is after the end (${e})`);
  return { unit, start: s, end: e };
}

const EMPTY = new WindowSpec({ partitionBy: [], orderBy: [], frame: null });

/** Entry points for window specs, as Spark's `Window`. */
export const Window = Object.freeze({
  unboundedPreceding: -Infinity,
  unboundedFollowing: Infinity,
  currentRow: 0,
  partitionBy: (...cols: Cols) => EMPTY.partitionBy(...cols),
  orderBy: (...cols: Cols) => EMPTY.orderBy(...cols),
  rowsBetween: (start: number, end: number) => EMPTY.rowsBetween(start, end),
  rangeBetween: (start: number, end: number) => EMPTY.rangeBetween(start, end),
  groupsBetween: (start: number, end: number) => EMPTY.groupsBetween(start, end),
});
