// fn.window(time, size, slide): event-time windows (tumbling or sliding), as the columns window_start and window_end, in select and groupBy.
import { PlanError } from '../../ops/errors.ts';
import { exprToString, type ExprNode } from '../../ops/expr/node.ts';
import { inferField } from '../../ops/expr/typecheck.ts';
import { typeToString } from '../../ops/types.ts';
import { filter } from '../plan/filter.ts';
import { generate } from '../plan/generate.ts';
import type { LogicalPlan } from '../plan/node.ts';
import { project } from '../plan/project.ts';
import { parseDuration } from '../stream/trigger.ts';
import { col, lit, toColumn, type ColumnLike } from './column.ts';

/** The columns a window adds (Spark's struct `window` with fields start and end, flattened: Quiver has no struct type yet). */
export const WINDOW_START = 'window_start';
export const WINDOW_END = 'window_end';
/** The window index a sliding window's rows are generated from; dropped by the projection. */
const WINDOW_INDEX = '__window_index';

/** What fn.window() returns: not a column but an item of select() and groupBy(), which add window_start and window_end. */
export class TimeWindow {
  constructor(readonly time: ExprNode, readonly sizeMs: number, readonly slideMs: number) {
    Object.freeze(this);
  }

  toString(): string { return `window(${exprToString(this.time)}, ${this.sizeMs} ms, ${this.slideMs} ms)`; }
}

/**
 * `fn.window('ts', '10 seconds')`: tumbling windows [start, start + size) aligned to the epoch;
 * `fn.window('ts', '10 seconds', '5 seconds')`: sliding windows, every `slide`, so a row falls in
 * up to ceil(size / slide) windows (one output row each). Rows with a null time get null windows
 * (tumbling) or none (sliding), as in Spark.
 */
export function timeWindow(time: ColumnLike, size: string | number, slide: string | number | null = null): TimeWindow {
  const sizeMs = parseDuration(size, 'fn.window size');
  const slideMs = slide === null ? sizeMs : parseDuration(slide, 'fn.window slide');
  for (const [what, ms] of [['size', sizeMs], ['slide', slideMs]] as const) {
    if (!Number.isInteger(ms) || ms <= 0) throw new PlanError(`fn.window: the ${what} must be a positive whole number of milliseconds, got ${ms}`);
  }
  if (slideMs > sizeMs) throw new PlanError(`fn.window: the slide (${slideMs} ms) is longer than the window (${sizeMs} ms): rows between windows would be lost; use a slide up to the size`);
  return new TimeWindow(toColumn(time).node, sizeMs, slideMs);
}

const windowStartOf = (w: TimeWindow, k: ExprNode): ExprNode => ({ kind: 'call', fn: 'windowStart', args: [w.time, lit(w.slideMs).node, k] });
const plus = (t: ExprNode, ms: number): ExprNode => ({ kind: 'call', fn: 'addMillis', args: [t, lit(ms).node] });

/** `input` with window_start and window_end after its columns: one row per window holding the row's time. */
export function withWindowColumns(input: LogicalPlan, w: TimeWindow): LogicalPlan {
  const t = inferField(w.time, input.schema).type;
  if (t !== 'timestamp_ms' && t !== 'date32') throw new PlanError(`${w}: the time column has type ${typeToString(t)}, expected timestamp_ms or date32; convert it with fn.toTimestamp(...)`);
  for (const name of [WINDOW_START, WINDOW_END]) {
    if (input.schema.some((f) => f.name === name)) throw new PlanError(`${w}: the input already has a column '${name}'; rename it first (withColumnRenamed)`);
  }
  const keep = input.schema.map((f) => col(f.name).node);
  const columns = (k: ExprNode): ExprNode[] => [
    ...keep,
    { kind: 'alias', arg: windowStartOf(w, k), name: WINDOW_START },
    { kind: 'alias', arg: plus(windowStartOf(w, k), w.sizeMs), name: WINDOW_END },
  ];
  if (w.slideMs === w.sizeMs) return project(input, columns(lit(0).node));
  const n = Math.ceil(w.sizeMs / w.slideMs);
  const g = generate(input, { kind: 'call', fn: 'sequence', args: [lit(0).node, lit(n - 1).node] }, false, null, WINDOW_INDEX);
  // The latest n windows by slide start at or before the time; those ending at or before it do not hold it.
  return filter(project(g, columns(col(WINDOW_INDEX).node)), { kind: 'binary', op: 'lt', left: w.time, right: col(WINDOW_END).node });
}

/** The select/groupBy items with the one TimeWindow among them planned: the plan to read, and the items with window_start, window_end in its place. */
export function planTimeWindow(input: LogicalPlan, items: readonly (ExprNode | TimeWindow)[], what: string): { plan: LogicalPlan; exprs: ExprNode[] } {
  const windows = items.filter((x): x is TimeWindow => x instanceof TimeWindow);
  if (windows.length === 0) return { plan: input, exprs: items as ExprNode[] };
  if (windows.length > 1) throw new PlanError(`${what}: one fn.window(...) at a time, got ${windows.join(' and ')}`);
  const plan = withWindowColumns(input, windows[0]);
  return { plan, exprs: items.flatMap((x) => (x instanceof TimeWindow ? [col(WINDOW_START).node, col(WINDOW_END).node] : [x])) };
}
