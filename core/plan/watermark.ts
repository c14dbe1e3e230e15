// EventTimeWatermark: marks an event-time column and how late its events may arrive (df.withWatermark); rows pass unchanged, a streaming aggregate reads it.
import { PlanError } from '../../ops/errors.ts';
import type { FieldJSON } from '../../ops/types.ts';
import type { LogicalPlan } from './node.ts';

export interface EventTimeWatermark {
  readonly kind: 'watermark';
  readonly input: LogicalPlan;
  /** The event-time column (timestamp_ms). */
  readonly column: string;
  /** The watermark trails the latest event time seen by this much; older events are late. */
  readonly delayMs: number;
  readonly schema: readonly FieldJSON[];
}

export function eventTimeWatermark(input: LogicalPlan, column: string, delayMs: number): EventTimeWatermark {
  const f = input.schema.find((x) => x.name === column);
  if (f === undefined) throw new PlanError(`withWatermark: unknown column '${column}': valid columns are ${input.schema.map((x) => x.name).join(', ')}`);
  if (f.type !== 'timestamp_ms') throw new PlanError(`withWatermark('${column}'): the event-time column must be a timestamp_ms, got ${JSON.stringify(f.type)}; convert it with fn.toTimestamp(...)`);
  if (!Number.isInteger(delayMs) || delayMs < 0) throw new PlanError(`withWatermark('${column}'): the delay must be a whole number of milliseconds >= 0, got ${delayMs}`);
  return Object.freeze({ kind: 'watermark', input, column, delayMs, schema: input.schema });
}
