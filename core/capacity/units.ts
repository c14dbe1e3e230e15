// Rates and durations as a user writes them on the command line ("14000/s", "1.2M/day", "2s", "500ms"), read into numbers.
import { PlanError } from '../../ops/errors.ts';

const SECONDS: Record<string, number> = {
  ms: 0.001, s: 1, sec: 1, second: 1, seconds: 1, min: 60, minute: 60, minutes: 60, h: 3600, hour: 3600, hours: 3600, d: 86400, day: 86400, days: 86400,
};
const SCALE: Record<string, number> = { '': 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6, g: 1e9, G: 1e9 };

/**
 * Records per second from "14000/s", "14k/s", "1.2M/day", "500 images/min". `what` names the
 * option in the error (e.g. "--target"): a rate without a known unit is refused, never guessed.
 */
export function parseRate(text: string, what = 'rate'): number {
  const m = /^\s*(\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*([kKmMgG]?)\s*(?:[A-Za-z]+\s*)?\/\s*([A-Za-z]+)\s*$/.exec(String(text));
  const per = m ? SECONDS[m[3]] : undefined;
  if (!m || per === undefined || m[3] === 'ms') {
    throw new PlanError(`${what}: cannot read '${text}' as a rate; write a count per unit of time, e.g. 14000/s, 14k/s, 1.2M/day, 500/min (units: s, min, h, day; k, M, G multiply)`);
  }
  const rate = (Number(m[1]) * SCALE[m[2]]) / per;
  if (!(rate > 0)) throw new PlanError(`${what}: the rate must be above zero, got '${text}'`);
  return rate;
}

/** Seconds from "2s", "250ms", "1.5min", "1h". A bare number is refused: say its unit. */
export function parseDuration(text: string, what = 'duration'): number {
  const m = /^\s*(\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*([A-Za-z]+)\s*$/.exec(String(text));
  const unit = m ? SECONDS[m[2]] : undefined;
  if (!m || unit === undefined) {
    throw new PlanError(`${what}: cannot read '${text}' as a duration; write a number and its unit, e.g. 2s, 250ms, 1.5min (units: ms, s, min, h, day)`);
  }
  const s = Number(m[1]) * unit;
  if (!(s > 0)) throw new PlanError(`${what}: the duration must be above zero, got '${text}'`);
  return s;
}

/** A positive integer option (workers, executors, GPUs): anything else is a PlanError naming it. */
export function parseCount(text: string | number, what: string, min = 1): number {
  const n = typeof text === 'number' ? text : Number(String(text).trim());
  if (!Number.isInteger(n) || n < min) throw new PlanError(`${what}: expected a whole number of at least ${min}, got '${text}'`);
  return n;
}
