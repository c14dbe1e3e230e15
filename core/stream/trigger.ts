// Trigger: when a streaming query runs its micro-batches (Spark's Trigger.ProcessingTime, AvailableNow, Once).
import { PlanError } from '../../ops/errors.ts';

/** What writeStream.trigger() takes. */
export type TriggerSpec =
  | { readonly processingTime: string | number }
  | { readonly availableNow: true }
  | { readonly once: true };

/** A parsed trigger: `intervalMs` 0 runs the next batch as soon as the last has finished. */
export type Trigger =
  | { readonly kind: 'processingTime'; readonly intervalMs: number }
  | { readonly kind: 'availableNow' }
  | { readonly kind: 'once' };

export const DEFAULT_TRIGGER: Trigger = Object.freeze({ kind: 'processingTime', intervalMs: 0 });

const MS: Readonly<Record<string, number>> = { millisecond: 1, ms: 1, second: 1000, sec: 1000, s: 1000, minute: 60_000, min: 60_000, m: 60_000, hour: 3_600_000, h: 3_600_000 };

/** '1 second', '500 milliseconds', '2 minutes', '10s', or a number of milliseconds. */
export function parseDuration(text: string | number, what: string): number {
  if (typeof text === 'number') {
    if (Number.isFinite(text) && text >= 0) return text;
  } else if (typeof text === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(text);
    const word = m ? m[2].toLowerCase() : '';
    // 'ms' is a unit itself; 'seconds' is 'second' in the plural.
    const unit = Object.hasOwn(MS, word) ? word : word.replace(/s$/, '');
    if (m && Object.hasOwn(MS, unit)) return Number(m[1]) * MS[unit];
  }
  throw new PlanError(`${what}: cannot read ${JSON.stringify(text)} as a duration; write e.g. '1 second', '500 milliseconds', '2 minutes' or a number of milliseconds`);
}

export function parseTrigger(spec: TriggerSpec): Trigger {
  const keys = spec && typeof spec === 'object' ? Object.keys(spec) : [];
  if (keys.length === 1 && 'processingTime' in spec) return { kind: 'processingTime', intervalMs: parseDuration(spec.processingTime, 'trigger processingTime') };
  if (keys.length === 1 && 'availableNow' in spec && spec.availableNow === true) return { kind: 'availableNow' };
  if (keys.length === 1 && 'once' in spec && spec.once === true) return { kind: 'once' };
  throw new PlanError(`trigger: expected { processingTime: '1 second' }, { availableNow: true } or { once: true }, got ${JSON.stringify(spec)}`);
}
