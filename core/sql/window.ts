// SQL window calls, name(args) OVER (PARTITION BY ... ORDER BY ... ROWS|RANGE BETWEEN ...), as `over` expressions.
import type { ExprNode } from '../../ops/expr/node.ts';
import type { TypeJSON } from '../../ops/types.ts';
import type { FrameBound, WindowFnName, WindowFrame, WindowSpecJSON } from '../../ops/expr/window-spec.ts';
import { parseInterval } from './dates.ts';
import { notSupported, sqlError } from './errors.ts';
import type { FunctionArgs } from './functions.ts';
import type { Ast } from './parse.ts';

/** Ranking and offset functions by SQL name. */
const RANKING: Readonly<Record<string, WindowFnName>> = {
  row_number: 'rowNumber', rank: 'rank', dense_rank: 'denseRank', ntile: 'ntile', percent_rank: 'percentRank', cume_dist: 'cumeDist', lag: 'lag', lead: 'lead',
};

/** Functions that only exist over a window: a call without OVER is an error naming the fix. */
export function isWindowOnlyName(name: string): boolean {
  const n = name.toLowerCase();
  return Object.hasOwn(RANKING, n) || n === 'first_value' || n === 'last_value';
}

const intLit = (v: number): ExprNode => ({ kind: 'literal', value: v, type: 'int32' });

/**
 * The function under OVER: a ranking or offset function, first_value / last_value (the frame's
 * first / last row, nulls included), or an aggregate that `aggregate` builds from the function
 * table (count, sum, avg, min, max, ...).
 */
export function windowFunction(name: string, a: FunctionArgs, aggregate: () => ExprNode): ExprNode {
  const n = name.toLowerCase();
  const count = (min: number, max: number) => {
    if (a.star || a.distinct) throw sqlError(a.node, `${n}() takes no ${a.star ? '*' : 'DISTINCT'}`);
    if (a.args.length < min || a.args.length > max) throw sqlError(a.node, `${n}() takes ${min === max ? min : `${min} to ${max}`} argument(s), got ${a.args.length}`);
  };
  if (n === 'first_value' || n === 'last_value') {
    count(1, 1);
    return { kind: 'agg', fn: n === 'first_value' ? 'first' : 'last', arg: a.args[0] };
  }
  const fn = Object.hasOwn(RANKING, n) ? RANKING[n] : null;
  if (fn === null) {
    const e = aggregate();
    if (e.kind !== 'agg') throw sqlError(a.node, `${name}() is not a window function or an aggregate, so it cannot take OVER (...)`);
    return e;
  }
  switch (fn) {
    case 'ntile': count(1, 1); return { kind: 'windowFn', fn, args: a.args };
    case 'lag': case 'lead': {
      count(1, 3);
      const [value, offset = intLit(1), dflt = { kind: 'literal', value: null, type: 'null' } as ExprNode] = a.args;
      return { kind: 'windowFn', fn, args: [value, offset, dflt] };
    }
    default: count(0, 0); return { kind: 'windowFn', fn, args: [] };
  }
}

/** What windowSpec needs from the query: expressions, ORDER BY keys (SQL's default null order), and a column's type. */
export interface SpecContext {
  translate(ast: Ast): ExprNode;
  sortKey(e: ExprNode, opts: Ast): ExprNode;
  columnType(e: ExprNode & { kind: 'column' }): TypeJSON;
}

const DAY_MS = 86_400_000;

/**
 * OVER (...)'s spec. A frame's offsets are numbers, or INTERVALs of days or weeks over one DATE
 * (offsets in days) or TIMESTAMP (in milliseconds) column ordering the window.
 */
export function windowSpec(over: Ast, c: SpecContext, node: Ast): WindowSpecJSON {
  // Named windows are written out by named-windows.ts when the query has a WINDOW clause.
  if (over.NamedWindow !== undefined) throw sqlError(node, `unknown window '${over.NamedWindow.value}': define it with WINDOW ${over.NamedWindow.value} AS (PARTITION BY ... ORDER BY ...)`);
  const s = over.WindowSpec;
  if (!s) throw notSupported(node, `OVER ${Object.keys(over)[0]}`);
  if (s.window_name) throw sqlError(node, `unknown window '${s.window_name.value}': define it with WINDOW ${s.window_name.value} AS (PARTITION BY ... ORDER BY ...)`);
  const partitionBy: ExprNode[] = (s.partition_by ?? []).map((e: Ast) => c.translate(e));
  const orderBy: ExprNode[] = (s.order_by ?? []).map((o: Ast) => c.sortKey(c.translate(o.expr), o.options));
  // INTERVAL offsets count days; a TIMESTAMP key counts milliseconds.
  const dayUnit = (): number => {
    const k = orderBy.length === 1 ? orderBy[0] : null;
    const key = k?.kind === 'sort' ? k.arg : k;
    const t = key?.kind === 'column' ? c.columnType(key) : null;
    if (t === 'date32') return 1;
    if (t === 'timestamp_ms') return DAY_MS;
    throw sqlError(node, 'a RANGE offset INTERVAL needs exactly one DATE or TIMESTAMP column in ORDER BY');
  };
  return { partitionBy, orderBy, frame: s.window_frame ? frame(s.window_frame, node, dayUnit) : null };
}

const UNITS: Readonly<Record<string, WindowFrame['unit']>> = { Rows: 'rows', Range: 'range', Groups: 'groups' };

function frame(f: Ast, node: Ast, dayUnit: () => number): WindowFrame {
  const unit = UNITS[String(f.units)];
  if (!unit) throw notSupported(node, `${String(f.units).toUpperCase()} frames`, 'use ROWS, RANGE or GROUPS');
  const offsets = unit === 'range' ? dayUnit : () => { throw sqlError(node, `${unit.toUpperCase()} frame offsets are counts, not INTERVALs`); };
  const start = bound(f.start_bound, 'start', node, offsets);
  // `ROWS 2 PRECEDING` ends at the current row.
  const end = f.end_bound === undefined || f.end_bound === null ? 0 : bound(f.end_bound, 'end', node, offsets);
  if (unit !== 'range' && ![start, end].every((b) => b === 'unbounded' || Number.isInteger(b))) throw sqlError(node, `${unit.toUpperCase()} frame offsets must be whole numbers`);
  if (start !== 'unbounded' && end !== 'unbounded' && start > end) throw sqlError(node, `the window frame starts after it ends (${describe(start)} .. ${describe(end)})`);
  return { unit, start, end };
}

const describe = (b: number) => (b === 0 ? 'CURRENT ROW' : b < 0 ? `${-b} PRECEDING` : `${b} FOLLOWING`);

function bound(b: Ast, side: 'start' | 'end', node: Ast, dayUnit: () => number): FrameBound {
  if (b === 'CurrentRow') return 0;
  const preceding = 'Preceding' in b;
  const v = preceding ? b.Preceding : b.Following;
  if (v === undefined || v === null) {
    if (preceding !== (side === 'start')) throw sqlError(node, `a window frame cannot ${side} at UNBOUNDED ${preceding ? 'PRECEDING' : 'FOLLOWING'}`);
    return 'unbounded';
  }
  const n = offset(v, node, dayUnit);
  return preceding ? -n : n;
}

/** A frame offset: a non-negative number, or INTERVAL n DAY / WEEK in the order key's unit. */
function offset(v: Ast, node: Ast, dayUnit: () => number): number {
  if (v.Interval) {
    const i = parseInterval(v.Interval, v);
    if (i.unit !== 'day') throw sqlError(v, 'a RANGE offset INTERVAL must be in days or weeks');
    return i.amount * dayUnit();
  }
  const raw = v.Value?.value?.Number?.[0];
  const n = raw === undefined ? NaN : Number(raw);
  if (!Number.isFinite(n) || n < 0) throw sqlError(node, 'a window frame offset must be a non-negative number constant (or an INTERVAL of days)');
  return n;
}
