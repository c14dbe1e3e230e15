// Task timeouts learned from finished tasks: when an attempt has gone unreported too long, and when an executor has timed out too often to be given more.

export interface TaskTimeoutOptions {
  /** An attempt times out after this many times the median run time of its stage's finished tasks (default 4). */
  multiplier?: number;
  /** Never before it has run this long (default 30 s): short stages must not time out on noise. */
  minMs?: number;
  /** An executor whose attempts timed out this many times gets no more tasks in this session (default 2). */
  excludeAfter?: number;
}

/** Resolved options; `false` in the runtime options turns timeouts off. */
export function timeoutOptions(o: false | TaskTimeoutOptions | undefined): Required<TaskTimeoutOptions> | null {
  if (o === false) return null;
  return { multiplier: o?.multiplier ?? 4, minMs: o?.minMs ?? 30_000, excludeAfter: o?.excludeAfter ?? 2 };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/**
 * How long an attempt of a stage may run before it is given up on, from the run times of that
 * stage's finished tasks, or (none yet) of the job's; null while nothing has finished: without a
 * yardstick there is no timeout, so a stage whose every task went to a silent executor waits for
 * that executor's heartbeats to stop.
 */
export function attemptLimitMs(o: Required<TaskTimeoutOptions>, stageDurations: readonly number[] | undefined, jobDurations: readonly number[]): number | null {
  const basis = stageDurations?.length ? stageDurations : jobDurations;
  if (!basis.length) return null;
  return Math.max(o.minMs, o.multiplier * median(basis));
}
