// Sample: a random subset of the rows (Spark's df.sample): Bernoulli per row, or Poisson copies with replacement.
import { PlanError } from '../../ops/errors.ts';
import type { FieldJSON } from '../../ops/types.ts';
import type { LogicalPlan } from './node.ts';

export interface Sample {
  readonly kind: 'sample';
  readonly input: LogicalPlan;
  /** Without replacement: each row's probability in [0, 1]; with: the expected copies of each row (>= 0). */
  readonly fraction: number;
  readonly withReplacement: boolean;
  /** Fixed when the plan is built (a random one when the user gave none), so every run and retry draws the same rows. */
  readonly seed: number;
  readonly schema: readonly FieldJSON[];
}

/** With replacement, the most copies of a row expected (RandomSampleExec's Poisson draw stays exact up to here). */
export const MAX_REPLACEMENT_FRACTION = 64;

export function sample(input: LogicalPlan, fraction: number, withReplacement: boolean, seed: number): Sample {
  if (typeof fraction !== 'number' || !Number.isFinite(fraction) || fraction < 0 || fraction > MAX_REPLACEMENT_FRACTION || (!withReplacement && fraction > 1)) {
    throw new PlanError(`sample: fraction must be a number in [0, 1]${withReplacement ? ` or, with replacement, in [0, ${MAX_REPLACEMENT_FRACTION}]` : ` (up to ${MAX_REPLACEMENT_FRACTION} with { withReplacement: true })`}, got ${String(fraction)}`);
  }
  if (!Number.isSafeInteger(seed)) throw new PlanError(`sample: seed must be an integer, got ${String(seed)}`);
  return Object.freeze({ kind: 'sample', input, fraction, withReplacement, seed, schema: input.schema });
}
