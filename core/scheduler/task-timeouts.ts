// Task timeouts learned from finished tasks: when an attempt has gone unreported too long, and when an executor has timed out too often to be given more.
import type { TaskTimeoutOptions } from '../runtime/runtime.ts';

/** Resolved options; `false` in the runtime options turns timeouts off. */
export function timeoutOptions(o: false | TaskTimeoutOptions | undefined): Required<TaskTimeoutOptions> | null {
  if (o === false) return null;
  const minMs = o?.minMs ?? 30_000;
  return { multiplier: o?.multiplier ?? 4, minMs, excludeAfter: o?.excludeAfter ?? 2, copyAfterMs: o?.copyAfterMs ?? 4 * minMs };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/**
 * How long an attempt of a stage may run before it is given up on, from the run times of that
 * stage's finished tasks, or (none yet) of the job's, or of the session's last jobs; null while
 * nothing has finished: without a
 * yardstick there is no timeout (the runtime copies a lone attempt after copyAfterMs instead).
 */
export function attemptLimitMs(o: Required<TaskTimeoutOptions>, stageDurations: readonly number[] | undefined, jobDurations: readonly number[], sessionDurations: readonly number[] = []): number | null {
  const basis = stageDurations?.length ? stageDurations : jobDurations.length ? jobDurations : sessionDurations;
  if (!basis.length) return null;
  return Math.max(o.minMs, o.multiplier * median(basis));
}
