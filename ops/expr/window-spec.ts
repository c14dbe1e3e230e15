// Window specifications as plain JSON (PARTITION BY, ORDER BY, frame) and the window functions that need one.

/** Ranking and offset functions: defined only over a window (`fn.rowNumber().over(w)`). */
export type WindowFnName = 'rowNumber' | 'rank' | 'denseRank' | 'ntile' | 'percentRank' | 'cumeDist' | 'lag' | 'lead';

export const WINDOW_FNS: readonly WindowFnName[] = ['rowNumber', 'rank', 'denseRank', 'ntile', 'percentRank', 'cumeDist', 'lag', 'lead'];

/** SQL names, for display and for SQL translation. */
export const WINDOW_FN_SQL: Readonly<Record<WindowFnName, string>> = {
  rowNumber: 'row_number', rank: 'rank', denseRank: 'dense_rank', ntile: 'ntile', percentRank: 'percent_rank', cumeDist: 'cume_dist', lag: 'lag', lead: 'lead',
};

/** An offset from the current row (rows) or from its order key value (range); 'unbounded' is the partition's edge on that side. */
export type FrameBound = number | 'unbounded';

/**
 * A window frame. ROWS counts rows from the current one (negative = preceding); RANGE compares
 * order key values (current row = its peers, the rows with an equal key); GROUPS counts peer
 * groups from the current row's (SQL:2011; 0 = its peers). `start` MUST NOT be
 * greater than `end`; an 'unbounded' start means UNBOUNDED PRECEDING, an 'unbounded' end
 * UNBOUNDED FOLLOWING.
 */
export interface WindowFrame {
  readonly unit: 'rows' | 'range' | 'groups';
  readonly start: FrameBound;
  readonly end: FrameBound;
}

export interface WindowSpecJSON {
  readonly partitionBy: readonly import('./node.ts').ExprNode[];
  /** `sort` ExprNodes. */
  readonly orderBy: readonly import('./node.ts').ExprNode[];
  /** Null: Spark's default (RANGE UNBOUNDED PRECEDING .. CURRENT ROW with an order, else the whole partition). */
  readonly frame: WindowFrame | null;
}

/** The frame a spec means once defaults are applied. */
export function effectiveFrame(spec: WindowSpecJSON): WindowFrame {
  if (spec.frame) return spec.frame;
  return spec.orderBy.length ? { unit: 'range', start: 'unbounded', end: 0 } : { unit: 'rows', start: 'unbounded', end: 'unbounded' };
}

function boundToString(b: FrameBound, side: 'start' | 'end'): string {
  if (b === 'unbounded') return side === 'start' ? 'UNBOUNDED PRECEDING' : 'UNBOUNDED FOLLOWING';
  if (b === 0) return 'CURRENT ROW';
  return b < 0 ? `${-b} PRECEDING` : `${b} FOLLOWING`;
}

export function frameToString(f: WindowFrame): string {
  return `${f.unit.toUpperCase()} BETWEEN ${boundToString(f.start, 'start')} AND ${boundToString(f.end, 'end')}`;
}
